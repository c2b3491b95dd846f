//! Compile tests of `#[async_agent]` and `#[sync_agent]`: `ui/pass` must
//! build and run, `ui/fail` must fail with the committed `.stderr`.
//!
//! Bless new or changed messages with `TRYBUILD=overwrite cargo test -p
//! agent-tests --test ui`, then read every `.stderr` that changed.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
