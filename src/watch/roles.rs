//! What part a process plays in a Python `multiprocessing` program, told
//! from outside: from its command line where Python writes it there (seen),
//! from what it holds where it does not (inferred, shown with `?`).

use super::model::Certainty;

/// What is known about one process when its role is decided.
pub struct Clues<'a> {
    /// It is the command forklore started.
    pub is_root: bool,
    pub cmdline: &'a str,
    pub parent_cmdline: Option<&'a str>,
    pub parent_is_forkserver: bool,
    /// It holds a unix socket that is listening for connections.
    pub listens: bool,
    /// Whether it ran exec after its fork: Some when the kernel's events
    /// said so, None when only polling saw it.
    pub execed: Option<bool>,
}

pub const RESOURCE_TRACKER: &str = "resource_tracker";
pub const FORKSERVER: &str = "forkserver";

pub fn role(c: &Clues<'_>) -> (String, Certainty) {
    use Certainty::{Inferred, Seen};
    let has = |s: &str| c.cmdline.contains(s);
    let (role, how) = if c.is_root {
        ("main", Seen)
    } else if has("multiprocessing.resource_tracker") || has("multiprocessing.semaphore_tracker") {
        (RESOURCE_TRACKER, Seen)
    } else if has("multiprocessing.forkserver") {
        (FORKSERVER, Seen)
    } else if c.listens {
        // A Manager's server is the one child that accepts connections.
        ("manager server", Inferred)
    } else if has("multiprocessing.spawn") || has("spawn_main") {
        ("spawned child", Seen)
    } else if c.parent_is_forkserver {
        ("forkserver child", Seen)
    } else if c.parent_cmdline == Some(c.cmdline) && c.execed != Some(true) {
        // Same program, same arguments, no exec: a fork's copy of its parent.
        (
            "forked child",
            if c.execed == Some(false) {
                Seen
            } else {
                Inferred
            },
        )
    } else {
        ("child", Seen)
    };
    (role.to_string(), how)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clues(cmd: &str) -> Clues<'_> {
        Clues {
            is_root: false,
            cmdline: cmd,
            parent_cmdline: Some("python3 prog.py"),
            parent_is_forkserver: false,
            listens: false,
            execed: None,
        }
    }

    #[test]
    fn python_writes_some_roles_in_the_command_line() {
        let tracker = "python3 -c from multiprocessing.resource_tracker import main;main(6)";
        assert_eq!(
            role(&clues(tracker)),
            ("resource_tracker".into(), Certainty::Seen)
        );
        let spawned = "python3 -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=7, pipe_handle=9) --multiprocessing-fork";
        assert_eq!(role(&clues(spawned)).0, "spawned child");
    }

    #[test]
    fn a_fork_copy_is_inferred_unless_the_kernel_said_no_exec() {
        let mut c = clues("python3 prog.py");
        assert_eq!(role(&c), ("forked child".into(), Certainty::Inferred));
        c.execed = Some(false);
        assert_eq!(role(&c), ("forked child".into(), Certainty::Seen));
        c.listens = true;
        assert_eq!(role(&c), ("manager server".into(), Certainty::Inferred));
    }
}
