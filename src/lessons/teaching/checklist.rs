//! A lesson's checklist: items declared in its file (`[[check]]`), each
//! ticked by one happening the lesson's processes really produce. The lesson
//! is done when every item is ticked (in this sitting or an earlier one).

use serde::Deserialize;
use toml::Spanned;

use super::happenings::Happening;

/// One `[[check]]` of a lesson file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckItem {
    /// The happening that ticks it (its place kept for error messages).
    pub event: Spanned<Happening>,
    /// What the student sees: short, naming the key to press.
    pub text: String,
}

/// The checklist of the lesson open now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checklist {
    items: Vec<(Happening, String, bool)>,
}

impl Checklist {
    pub fn new(items: &[CheckItem]) -> Self {
        Self {
            items: items
                .iter()
                .map(|c| (*c.event.get_ref(), c.text.clone(), false))
                .collect(),
        }
    }

    /// Ticks the item `h` ticks; true if that changed anything.
    pub fn tick(&mut self, h: Happening) -> bool {
        let mut changed = false;
        for (e, _, ticked) in &mut self.items {
            if *e == h && !*ticked {
                *ticked = true;
                changed = true;
            }
        }
        changed
    }

    /// The happenings whose items are ticked.
    pub fn ticked(&self) -> Vec<Happening> {
        self.items
            .iter()
            .filter(|(_, _, t)| *t)
            .map(|(e, _, _)| *e)
            .collect()
    }

    /// (ticked, all)
    pub fn count(&self) -> (usize, usize) {
        let ticked = self.items.iter().filter(|(_, _, t)| *t).count();
        (ticked, self.items.len())
    }

    /// Every item ticked (an empty checklist is never complete: such a
    /// lesson is done the old way, when a run finishes).
    pub fn complete(&self) -> bool {
        !self.items.is_empty() && self.items.iter().all(|(_, _, t)| *t)
    }

    pub fn items(&self) -> impl Iterator<Item = (&str, bool)> {
        self.items.iter().map(|(_, text, t)| (text.as_str(), *t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(h: Happening) -> CheckItem {
        CheckItem {
            event: Spanned::new(0..0, h),
            text: h.name().to_string(),
        }
    }

    #[test]
    fn ticks_once_and_completes_when_all_are_ticked() {
        let mut c = Checklist::new(&[item(Happening::LostUpdate), item(Happening::LockWaited)]);
        assert!(!c.complete());
        assert!(c.tick(Happening::LostUpdate));
        assert!(
            !c.tick(Happening::LostUpdate),
            "a second time changes nothing"
        );
        assert!(!c.tick(Happening::Deadlocked), "not on this list");
        assert_eq!(c.count(), (1, 2));
        assert!(c.tick(Happening::LockWaited));
        assert!(c.complete());
    }

    #[test]
    fn an_empty_checklist_is_never_complete() {
        assert!(!Checklist::new(&[]).complete());
    }
}
