//! Outside programs some tests need (an S3-compatible server, a
//! `redis-server`...), found through environment variables. `tests/tools/setup.sh` installs them and
//! prints the variables to set:
//!
//! ```sh
//! eval "$(tests/tools/setup.sh)"
//! AGENT_TESTS_REQUIRE_TOOLS=1 cargo test --workspace
//! ```
//!
//! A test whose tool is not set is skipped (it says so on stderr and
//! returns), unless `AGENT_TESTS_REQUIRE_TOOLS=1`, as in CI, where it fails.

use std::path::PathBuf;

/// The environment variable that turns a missing tool into a failure.
pub const REQUIRE_TOOLS: &str = "AGENT_TESTS_REQUIRE_TOOLS";

/// The path of the tool `what` (a short description, as "moto's
/// S3-compatible server") that the environment variable `env_var` names,
/// or `None` when it is unset: the calling test should then return early,
/// skipped.
///
/// # Panics
/// When `env_var` is unset and `AGENT_TESTS_REQUIRE_TOOLS=1`, or when it
/// names no file: both say how to provide the tool.
pub fn tool(env_var: &str, what: &str) -> Option<PathBuf> {
    let setup = format!("`eval \"$(tests/tools/setup.sh)\"` installs it and sets {env_var}");
    let Some(path) = std::env::var_os(env_var).filter(|path| !path.is_empty()) else {
        if std::env::var(REQUIRE_TOOLS).is_ok_and(|value| value == "1") {
            panic!("{env_var} is not set and {REQUIRE_TOOLS}=1: set {env_var} to {what}; {setup}");
        }
        eprintln!("skipped: set {env_var}=<path to {what}> to run this test; {setup}");
        return None;
    };
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "{env_var}={}: no such file; set it to {what}; {setup}",
        path.display()
    );
    Some(path)
}
