//! A teacher's lesson file near the 1 MiB cap (issue 15, item 9): a 10 MB
//! body kept 75% of a core busy while idle and took 4 s to open help,
//! because every frame wrapped the whole text again. The text is now laid
//! out once per text and width; each frame draws only what shows.

mod common;

use std::rc::Rc;

use forklore::app::model::Model;
use forklore::lessons::lock::LockScene;
use forklore::lessons::{self, Lesson, Staged, content};
use forklore::ui::text_layout::layouts_made;

#[test]
fn frames_of_a_huge_lesson_text_do_not_lay_it_out_again() {
    let dir = tempfile::tempdir().unwrap();
    let para = "Every worker is a real process; the kernel decides who runs. ".repeat(40);
    let body = format!("{para}\\n\\n").repeat(350);
    let text = format!(
        "title = \"Lock\"\nsummary = \"s\"\n[[section]]\nheading = \"Big\"\nbody = \"{body}\"\n"
    );
    assert!(
        text.len() > 800_000 && text.len() < 1 << 20,
        "{}",
        text.len()
    );
    std::fs::write(dir.path().join("lock.toml"), text).unwrap();
    let meta = lessons::find("lock").unwrap();
    let c = content::load(meta.id, meta.content, Some(dir.path()));
    assert!(c.is_ok(), "under the cap: {c:?}");
    let view = Staged::<LockScene>::new(&common::exe()).view();
    let model = Model::lesson(meta, Rc::new(c), view, &(meta.keys)());
    let before = layouts_made();
    let first = common::render::render(&model, 120, 40);
    assert!(first.contains("Every worker is a real process"), "{first}");
    assert_eq!(layouts_made(), before + 1);
    for _ in 0..20 {
        assert_eq!(common::render::render(&model, 120, 40), first);
    }
    assert_eq!(
        layouts_made(),
        before + 1,
        "a frame laid the text out again"
    );
    // Another width is another layout, once.
    common::render::render(&model, 100, 40);
    common::render::render(&model, 100, 40);
    assert_eq!(layouts_made(), before + 2);
}
