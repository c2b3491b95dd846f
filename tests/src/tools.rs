//! Outside programs some tests need (a `redis-server`...), found through
//! environment variables: a machine without them skips those tests, unless
//! `AGENT_TESTS_REQUIRE_TOOLS=1` says that every test must run.
//! `eval "$(tests/tools/setup.sh)"` installs them and sets the variables.

use std::path::PathBuf;

/// The program the environment variable `env_var` names (`what` says what
/// it is, for messages), or `None` when it is unset: the test then returns
/// early, after saying on stderr how to run it.
///
/// # Panics
/// When `env_var` is unset and `AGENT_TESTS_REQUIRE_TOOLS=1`, or names no
/// file: a run that asked for every test cannot skip one.
pub fn tool(env_var: &str, what: &str) -> Option<PathBuf> {
    let Some(path) = std::env::var_os(env_var).filter(|path| !path.is_empty()) else {
        if std::env::var_os("AGENT_TESTS_REQUIRE_TOOLS").is_some_and(|required| required == "1") {
            panic!(
                "AGENT_TESTS_REQUIRE_TOOLS=1, but {env_var} is not set: set {env_var} to the \
                 path of {what}, or run `eval \"$(tests/tools/setup.sh)\"`"
            );
        }
        eprintln!(
            "skipped: set {env_var}=/path/to/{what} to run this test (`eval \"$(tests/tools/setup.sh)\"` \
             sets it)"
        );
        return None;
    };
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "{env_var}={}: no such file; set {env_var} to the path of {what}",
        path.display()
    );
    Some(path)
}
