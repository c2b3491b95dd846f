//! `--check-config`: the configuration the flags and the environment
//! give, flag by flag with where each value came from, and the agents.

use std::fmt::Write as _;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory};

use super::{ServeArgs, task_categories};
use crate::registry::Registry;

/// What `--check-config` prints: one `flag = value  # source` line per flag
/// (the source is `default`, `env NAME` or `command line`), then one
/// `agent = ...` line per agent served. The idempotency store's URL is
/// written without its password.
pub(super) fn effective_config(
    args: &ServeArgs,
    matches: &ArgMatches,
    registry: &Registry,
) -> String {
    let mut out = String::from(
        "# The configuration these flags and this environment give; nothing was started.\n",
    );
    for arg in ServeArgs::command().get_arguments() {
        let id = arg.get_id().as_str();
        let Some(flag) = arg.get_long() else { continue };
        if matches!(id, "check_config" | "help" | "version") {
            continue;
        }
        let value = match matches.get_raw(id) {
            _ if id == "idempotency_store" => args.idempotency_store.to_string(),
            Some(values) => {
                let values: Vec<_> = values.map(|value| value.to_string_lossy()).collect();
                values.join(" ")
            }
            None => "(not set)".to_string(),
        };
        let source = match (matches.value_source(id), arg.get_env()) {
            (Some(ValueSource::CommandLine), _) => "command line".to_string(),
            (Some(ValueSource::EnvVariable), Some(env)) => format!("env {}", env.to_string_lossy()),
            _ => "default".to_string(),
        };
        let _ = writeln!(out, "{flag} = {value}  # {source}");
    }
    for agent in registry.agents() {
        let kind = if agent.is_sync { "sync" } else { "async" };
        let _ = writeln!(
            out,
            "agent = {} ({kind}: {})",
            agent.name,
            task_categories(agent)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::*;

    #[test]
    fn check_config_prints_each_flag_and_where_it_came_from() {
        let (args, matches) = ServeArgs::parse_args(
            [
                "agent-server",
                "serve",
                "agent",
                "--port",
                "8001",
                "--idempotency-store",
                "redis://:hunter2@redis.flyte:6379/0",
                "--check-config",
            ]
            .map(OsString::from),
        )
        .unwrap();
        assert!(args.check_config);
        let text = effective_config(&args, &matches, &Registry::builder().build().unwrap());
        assert!(text.contains("\nport = 8001  # command line\n"), "{text}");
        assert!(
            text.contains("\nprometheus-port = 9090  # default\n"),
            "{text}"
        );
        assert!(text.contains("\nhost = (not set)  # default\n"), "{text}");
        assert!(text.contains("\nidempotency-store = redis://"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        for arg in ServeArgs::command().get_arguments() {
            match arg.get_long() {
                Some("check-config") => assert!(!text.contains("check-config"), "{text}"),
                Some(flag) => assert!(text.contains(&format!("\n{flag} = ")), "{flag}: {text}"),
                None => {}
            }
        }
    }
}
