//! Outside tools some tests drive (flytekit's agent server, an S3 server...),
//! found through environment variables. `tests/tools/*.sh` install them and
//! print the `export` lines that point the tests at them.
//!
//! A test whose tool is not there is skipped, saying how to provide it;
//! with `AGENT_TESTS_REQUIRE_TOOLS=1` (CI, and anyone who means to run
//! everything) it fails instead, so that a missing tool cannot pass
//! unnoticed.

use std::path::PathBuf;

/// The environment variable that turns a missing tool into a failure.
pub const REQUIRE_TOOLS: &str = "AGENT_TESTS_REQUIRE_TOOLS";

/// The tool the environment variable `env_var` points at (`what` says what
/// it must be, for the messages), or `None` when it is unset: the test is
/// then skipped, saying so on stderr.
///
/// # Panics
/// When `env_var` is unset and `AGENT_TESTS_REQUIRE_TOOLS=1`.
pub fn tool(env_var: &str, what: &str) -> Option<PathBuf> {
    match std::env::var_os(env_var) {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ if std::env::var(REQUIRE_TOOLS).as_deref() == Ok("1") => panic!(
            "{REQUIRE_TOOLS}=1 but {env_var} is not set: set {env_var}=... to {what} \
             (tests/tools/ has scripts that install it and print the export line)"
        ),
        _ => {
            eprintln!(
                "skipped: set {env_var}=... to {what} to run this test (tests/tools/ has \
                 scripts that install it and print the export line)"
            );
            None
        }
    }
}
