//! Everything that talks to one operating system lives below this module.
//!
//! The rest of the engine calls these functions and never a raw syscall, so a
//! port to another OS replaces `linux.rs` and nothing else.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::*;

#[cfg(not(target_os = "linux"))]
compile_error!(
    "forklore runs real processes with Linux primitives (futex, memfd, pidfd, /proc); only Linux is supported for now"
);
