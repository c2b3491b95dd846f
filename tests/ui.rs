//! Compile tests of `#[async_agent]` and `#[sync_agent]`: `ui/pass` must
//! build and run, `ui/fail` must fail with the committed `.stderr`.
//!
//! Bless new or changed messages with `TRYBUILD=overwrite cargo test -p
//! agent-tests --test ui`, then read every `.stderr` that changed.

use std::path::Path;

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}

/// A compile error sends the user to what they wrote, never to the
/// `__private` module that generated code uses.
#[test]
fn no_error_names_private_items() {
    let fail = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/fail");
    let mut naming = Vec::new();
    for entry in std::fs::read_dir(&fail).expect("tests/ui/fail") {
        let path = entry.expect("a directory entry").path();
        if path
            .extension()
            .is_some_and(|extension| extension == "stderr")
        {
            let stderr = std::fs::read_to_string(&path).expect("a .stderr file");
            if stderr.contains("__private") {
                naming.push(path);
            }
        }
    }
    assert!(
        naming.is_empty(),
        "these errors name `__private`: {naming:?}"
    );
}
