//! The command line of an agent server, with the flags of
//! `pyflyte serve agent`, so a binary drops into the `flyteconnector` Helm
//! chart unchanged.
//!
//! - `serve`: serving with the process's flags, the binary's `main`;
//! - `check_config`: what `--check-config` prints.

mod check_config;
mod serve;

use std::ffi::OsString;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};

use super::{ServerOptions, TlsFiles};
use crate::guard::{GuardLimits, OnStoreFailure, StoreLocation};
use crate::limits::CallLimits;
use crate::registry::AgentMetadata;
use crate::seal::{Seal, SealError, SealKey};

pub use serve::{serve_cli, serve_cli_with};

/// The gRPC port of `pyflyte serve agent` and flyte-sdk's connector server.
pub const DEFAULT_PORT: u16 = 8000;

/// The `/metrics` port of `pyflyte serve agent`.
pub const DEFAULT_PROMETHEUS_PORT: u16 = 9090;

/// The environment variable that may hold the sealing key itself (never a
/// flag, so that the key stays out of process listings).
pub const SEAL_KEY_ENV: &str = "FLYTE_AGENT_SEAL_KEY";

pub use super::logging::LogFormat;

/// Flags of an agent server. Each may also be set by an environment variable.
/// Defaults are those of [`ServerOptions::default`].
#[derive(Debug, Clone, Parser)]
#[command(
    about = "Serve Flyte agents over gRPC: Flyte 1 (AsyncAgentService, SyncAgentService, \
             AgentMetadataService) and Flyte 2 (AsyncConnectorService, ConnectorMetadataService) \
             on one port",
    long_about = None,
    version
)]
pub struct ServeArgs {
    /// Address to listen on. By default every interface, IPv6 and IPv4
    /// (`[::]`, as flytekit and flyte-sdk listen), or every IPv4 interface
    /// where IPv6 is off.
    #[arg(long, env = "FLYTE_AGENT_HOST")]
    pub host: Option<IpAddr>,
    /// gRPC port for the agent services.
    #[arg(long, env = "FLYTE_AGENT_PORT", default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Port of the Prometheus `/metrics` endpoint.
    #[arg(
        long,
        alias = "prometheus_port",
        env = "FLYTE_AGENT_PROMETHEUS_PORT",
        default_value_t = DEFAULT_PROMETHEUS_PORT
    )]
    pub prometheus_port: u16,
    /// Number of agent calls run at once, over every agent; more wait their turn.
    #[arg(long, env = "FLYTE_AGENT_WORKER", default_value_t = ServerOptions::default().limits.workers as u32,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub worker: u32,
    /// Number of calls of one agent (task category) run at once, so that one
    /// slow agent cannot take every worker (default: as many as --worker).
    #[arg(long, env = "FLYTE_AGENT_AGENT_CONCURRENCY",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub agent_concurrency: Option<u32>,
    /// Number of calls that may wait for a worker; more are answered
    /// RESOURCE_EXHAUSTED at once.
    #[arg(long, env = "FLYTE_AGENT_MAX_WAITING_CALLS", default_value_t = ServerOptions::default().limits.max_waiting)]
    pub max_waiting_calls: usize,
    /// Seconds one agent call may run; past it the call is answered
    /// DEADLINE_EXCEEDED and its worker freed.
    #[arg(long, env = "FLYTE_AGENT_CALL_TIMEOUT", default_value_t = ServerOptions::default().limits.call_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub call_timeout: u64,
    /// Shut down after this many seconds (for testing), as `pyflyte serve agent --timeout`.
    #[arg(long, env = "FLYTE_AGENT_TIMEOUT")]
    pub timeout: Option<u64>,
    /// Python modules to load agents from, as flyte-sdk's connector server
    /// takes them. Accepted and ignored: agents are compiled into this binary.
    #[arg(long, num_args = 1.., value_name = "MODULE")]
    pub modules: Vec<String>,
    /// Prefix of every metric name (flytekit 1.16 and flyte-sdk write
    /// `flyte_connector_`; older flytekit `flyte_agent_`).
    #[arg(long, env = "FLYTE_AGENT_METRICS_PREFIX", default_value_t = ServerOptions::default().metrics_prefix)]
    pub metrics_prefix: String,
    /// Largest gRPC message accepted or sent, in bytes.
    #[arg(long, env = "FLYTE_AGENT_MAX_MESSAGE_BYTES", default_value_t = ServerOptions::default().max_message_bytes)]
    pub max_message_bytes: usize,
    /// Largest encoded outputs answered inline, in bytes; larger ones are
    /// written to `<output_prefix>/outputs.pb`, where Propeller reads them
    /// (its gRPC client refuses answers over 4 MiB).
    #[arg(long, env = "FLYTE_AGENT_MAX_INLINE_OUTPUT_BYTES", default_value_t = ServerOptions::default().max_inline_output_bytes)]
    pub max_inline_output_bytes: usize,
    /// How long a create's or delete's answer is reused for a repeated
    /// request, in seconds (at most a year).
    #[arg(long, env = "FLYTE_AGENT_IDEMPOTENCY_TTL", default_value_t = ServerOptions::default().idempotency_ttl.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub idempotency_ttl: u64,
    /// How many idempotency answers are kept at most.
    #[arg(long, env = "FLYTE_AGENT_IDEMPOTENCY_CAPACITY", default_value_t = ServerOptions::default().idempotency_limits.capacity as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idempotency_capacity: u64,
    /// How many bytes of idempotency answers are kept at most.
    #[arg(long, env = "FLYTE_AGENT_IDEMPOTENCY_MAX_BYTES", default_value_t = ServerOptions::default().idempotency_limits.max_bytes)]
    pub idempotency_max_bytes: usize,
    /// Where idempotency answers are kept: `memory` (this process only), or
    /// a Redis every replica shares, `redis://[[USER]:PASSWORD@]HOST:PORT[/DB]`
    /// (needed when Propeller round-robins over several replicas).
    #[arg(long, env = "FLYTE_AGENT_IDEMPOTENCY_STORE", value_name = "memory|redis://HOST:PORT[/DB]",
          default_value_t = StoreLocation::Memory, hide_env_values = true)]
    pub idempotency_store: StoreLocation,
    /// What a create, delete or sync run does when the idempotency store
    /// fails (Redis down): `closed` answers UNAVAILABLE and runs nothing
    /// unguarded; `open` runs it unguarded, with a warning, so a request
    /// repeated meanwhile may start a second job.
    #[arg(long, env = "FLYTE_AGENT_IDEMPOTENCY_STORE_FAILURE", value_name = "closed|open",
          default_value_t = ServerOptions::default().idempotency_store_failure)]
    pub idempotency_store_failure: OnStoreFailure,
    /// Seconds a sync call may take to send its header and inputs.
    #[arg(long, env = "FLYTE_AGENT_READ_TIMEOUT", default_value_t = ServerOptions::default().read_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub read_timeout: u64,
    /// Whether, under load, a connection's answers are written in batches:
    /// less CPU per request and a lower median latency, a longer tail.
    /// `false` writes each answer at once, for more CPU per request.
    #[arg(long, env = "FLYTE_AGENT_BATCH_ANSWERS", value_name = "true|false",
          default_value_t = ServerOptions::default().batch_answers, action = clap::ArgAction::Set)]
    pub batch_answers: bool,
    /// Seconds a shutdown keeps serving, with health checks answering
    /// NOT_SERVING, before it stops accepting (give Kubernetes time to take
    /// the pod out of its Service).
    #[arg(long, env = "FLYTE_AGENT_DRAIN_DELAY", default_value_t = ServerOptions::default().drain_delay.as_secs())]
    pub drain_delay: u64,
    /// The server's TLS certificate chain (PEM): serve gRPC over TLS.
    /// Needs --tls-key.
    #[arg(
        long,
        env = "FLYTE_AGENT_TLS_CERT",
        requires = "tls_key",
        value_name = "FILE"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The server's TLS private key (PEM). Needs --tls-cert.
    #[arg(
        long,
        env = "FLYTE_AGENT_TLS_KEY",
        requires = "tls_cert",
        value_name = "FILE"
    )]
    pub tls_key: Option<PathBuf>,
    /// A CA certificate (PEM) that client certificates must chain to:
    /// mutual TLS, a client without such a certificate is refused. Needs
    /// --tls-cert and --tls-key.
    #[arg(
        long,
        env = "FLYTE_AGENT_TLS_CLIENT_CA",
        requires = "tls_cert",
        value_name = "FILE"
    )]
    pub tls_client_ca: Option<PathBuf>,
    /// How logs are written to stderr: `text` for people, `json` (one object
    /// per line, with the call's span fields) for log pipelines.
    #[arg(long, env = "FLYTE_AGENT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// A file holding the key (32 bytes at least) that seals every
    /// resource_meta handed out with an HMAC-SHA256 tag; metadata that comes
    /// back changed or unsealed is refused. The env var FLYTE_AGENT_SEAL_KEY
    /// may hold the key itself instead. Off by default.
    #[arg(long, env = "FLYTE_AGENT_SEAL_KEY_FILE", value_name = "FILE")]
    pub seal_key_file: Option<PathBuf>,
    /// Files holding keys rotated out: metadata they sealed is still
    /// accepted, nothing new is sealed with them. Repeat the flag or give a
    /// comma-separated list.
    #[arg(
        long,
        env = "FLYTE_AGENT_SEAL_PREVIOUS_KEY_FILE",
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub seal_previous_key_file: Vec<PathBuf>,
    /// Seconds a shutdown waits for the requests in flight.
    #[arg(long, env = "FLYTE_AGENT_SHUTDOWN_GRACE", default_value_t = ServerOptions::default().shutdown_grace.as_secs())]
    pub shutdown_grace: u64,
    /// Check the flags, the environment and the agents, print the
    /// configuration they give (each flag's value and where it came from),
    /// and exit without serving: exit status 0 when the server would start
    /// with them, 2 for a wrong flag, 1 for agents that cannot be served
    /// together, or TLS files or sealing keys that cannot be read or used.
    #[arg(long)]
    pub check_config: bool,
}

impl ServeArgs {
    /// Parses the process's arguments. A leading `serve agent` or
    /// `serve connector` (the Helm chart's `pyflyte serve agent`) is skipped.
    pub fn from_env() -> Self {
        Self::parse_args(std::env::args_os())
            .unwrap_or_else(|error| error.exit())
            .0
    }

    /// Parses `args` (the program's name first), skipping a leading
    /// `serve agent` or `serve connector`, and answers the matches too,
    /// which say where each value came from. Refuses the same port for
    /// gRPC and metrics.
    fn parse_args(
        args: impl IntoIterator<Item = OsString>,
    ) -> Result<(Self, ArgMatches), clap::Error> {
        let mut command = Self::command();
        let matches = command.try_get_matches_from_mut(without_serve_words(args))?;
        let parsed =
            Self::from_arg_matches(&matches).map_err(|error| error.format(&mut command))?;
        if parsed.port == parsed.prometheus_port && parsed.port != 0 {
            return Err(command.error(
                ErrorKind::ArgumentConflict,
                format!(
                    "--port and --prometheus-port are both {}: give gRPC and metrics different ports",
                    parsed.port
                ),
            ));
        }
        Ok((parsed, matches))
    }

    /// The server options these flags set.
    pub fn options(&self) -> ServerOptions {
        ServerOptions {
            limits: CallLimits {
                workers: self.worker as usize,
                per_agent: self.agent_concurrency.unwrap_or(self.worker) as usize,
                max_waiting: self.max_waiting_calls,
                call_timeout: Duration::from_secs(self.call_timeout),
            },
            metrics_prefix: self.metrics_prefix.clone(),
            max_message_bytes: self.max_message_bytes,
            max_inline_output_bytes: self.max_inline_output_bytes,
            idempotency_ttl: Duration::from_secs(self.idempotency_ttl),
            idempotency_limits: GuardLimits {
                capacity: usize::try_from(self.idempotency_capacity).unwrap_or(usize::MAX),
                max_bytes: self.idempotency_max_bytes,
            },
            idempotency_store: self.idempotency_store.clone(),
            idempotency_store_failure: self.idempotency_store_failure,
            read_timeout: Duration::from_secs(self.read_timeout),
            batch_answers: self.batch_answers,
            drain_delay: Duration::from_secs(self.drain_delay),
            shutdown_grace: Duration::from_secs(self.shutdown_grace),
            tls: self.tls_files(),
        }
    }

    /// The seal the flags and [`SEAL_KEY_ENV`] configure: none unless a key
    /// is given.
    ///
    /// Fails when a key file cannot be read, a key is too short, both a key
    /// file and [`SEAL_KEY_ENV`] are set, or previous keys come without a
    /// current one.
    pub fn seal(&self) -> Result<Option<Seal>, SealError> {
        self.seal_with(std::env::var(SEAL_KEY_ENV).ok())
    }

    /// [`Self::seal`], with `env_key` as the value of [`SEAL_KEY_ENV`].
    fn seal_with(&self, env_key: Option<String>) -> Result<Option<Seal>, SealError> {
        let current = match (&self.seal_key_file, env_key) {
            (Some(_), Some(_)) => {
                return Err(SealError::Config(format!(
                    "both --seal-key-file and {SEAL_KEY_ENV} are set: set one"
                )));
            }
            (Some(path), None) => SealKey::from_file(path)?,
            (None, Some(text)) => SealKey::from_text(&text, SEAL_KEY_ENV)?,
            (None, None) if self.seal_previous_key_file.is_empty() => return Ok(None),
            (None, None) => {
                return Err(SealError::Config(format!(
                    "--seal-previous-key-file only opens old metadata: give the current key \
                     with --seal-key-file or {SEAL_KEY_ENV}"
                )));
            }
        };
        let previous = self
            .seal_previous_key_file
            .iter()
            .map(|path| SealKey::from_file(path))
            .collect::<Result<Vec<_>, _>>()?;
        tracing::info!(
            key_id = current.id(),
            previous_keys = previous.len(),
            "resource metadata is sealed"
        );
        Ok(Some(Seal::new(current).previous(previous)))
    }

    /// The TLS files the flags name, when TLS is asked for.
    fn tls_files(&self) -> Option<TlsFiles> {
        Some(TlsFiles {
            cert: self.tls_cert.clone()?,
            key: self.tls_key.clone()?,
            client_ca: self.tls_client_ca.clone(),
        })
    }
}

fn without_serve_words(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    if args.get(1).is_some_and(|word| word == "serve") {
        args.remove(1);
        if args
            .get(1)
            .is_some_and(|word| word == "agent" || word == "connector")
        {
            args.remove(1);
        }
    }
    args
}

/// The task categories `agent` serves, as `name (version N)` separated by
/// commas: how the start-up log and `--check-config` name them.
fn task_categories(agent: &AgentMetadata) -> String {
    let categories: Vec<String> = agent
        .task_categories
        .iter()
        .map(ToString::to_string)
        .collect();
    categories.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> ServeArgs {
        ServeArgs::parse_from(without_serve_words(args.iter().map(OsString::from)))
    }

    #[test]
    fn pyflyte_style_arguments_are_accepted() {
        let args = parse(&[
            "agent-server",
            "serve",
            "agent",
            "--port",
            "8001",
            "--prometheus_port",
            "9191",
        ]);
        assert_eq!(args.port, 8001);
        assert_eq!(args.prometheus_port, 9191);
        assert_eq!(args.worker, 10);
        assert_eq!(args.host, None);
        assert_eq!(args.metrics_prefix, "flyte_connector_");
        assert_eq!(args.max_inline_output_bytes, 2 * 1024 * 1024);
    }

    #[test]
    fn the_inline_output_limit_is_a_flag() {
        let args = parse(&["agent-server", "--max-inline-output-bytes", "1000"]);
        assert_eq!(args.options().max_inline_output_bytes, 1000);
    }

    #[test]
    fn flyte_sdk_style_arguments_are_accepted() {
        let args = parse(&[
            "agent-server",
            "--port",
            "8002",
            "--modules",
            "my_connectors.bigquery",
            "my_connectors.chat",
        ]);
        assert_eq!(args.port, 8002);
        assert_eq!(args.modules.len(), 2);
    }

    #[test]
    fn the_idempotency_store_is_memory_and_closed_by_default() {
        let options = parse(&["agent-server"]).options();
        assert_eq!(options.idempotency_store, StoreLocation::Memory);
        assert_eq!(options.idempotency_store_failure, OnStoreFailure::Closed);
    }

    #[test]
    fn answers_are_batched_unless_told_otherwise() {
        assert!(parse(&["agent-server"]).options().batch_answers);
        let unbatched = parse(&["agent-server", "--batch-answers", "false"]);
        assert!(!unbatched.options().batch_answers);
        let error = ServeArgs::try_parse_from(["agent-server", "--batch-answers", "sometimes"])
            .unwrap_err();
        assert!(error.to_string().contains("--batch-answers"), "{error}");
    }

    #[test]
    fn a_redis_store_and_the_open_mode_are_read() {
        let options = parse(&[
            "agent-server",
            "--idempotency-store",
            "redis://:pw@redis.flyte:6379/2",
            "--idempotency-store-failure",
            "open",
        ])
        .options();
        assert_eq!(
            options.idempotency_store,
            "redis://:pw@redis.flyte:6379/2".parse().unwrap()
        );
        assert_eq!(options.idempotency_store_failure, OnStoreFailure::Open);
    }

    #[test]
    fn a_wrong_store_url_is_an_error_naming_the_flag() {
        for (flag, value) in [
            ("--idempotency-store", "redis:/redis.flyte"),
            ("--idempotency-store", "rediss://redis.flyte:6379"),
            ("--idempotency-store-failure", "sometimes"),
        ] {
            let error = ServeArgs::try_parse_from(["agent-server", flag, value]).unwrap_err();
            let message = error.to_string();
            assert!(message.contains(flag), "{message}");
        }
    }

    #[test]
    fn the_same_port_for_grpc_and_metrics_is_refused() {
        let error = ServeArgs::parse_args(["agent-server", "--port", "9090"].map(OsString::from))
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ArgumentConflict);
        assert!(error.to_string().contains("--prometheus-port"), "{error}");
    }

    #[test]
    fn sealing_is_off_unless_a_key_is_given() {
        assert!(parse(&["agent-server"]).seal_with(None).unwrap().is_none());
        let key = "k".repeat(40);
        assert!(
            parse(&["agent-server"])
                .seal_with(Some(key))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn seal_keys_come_from_files_with_previous_ones_for_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, key: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, key).unwrap();
            path.display().to_string()
        };
        let current = file("current", &"c".repeat(40));
        let old = file("old", &"o".repeat(40));
        let older = file("older", &"p".repeat(40));
        let args = parse(&[
            "agent-server",
            "--seal-key-file",
            &current,
            "--seal-previous-key-file",
            &format!("{old},{older}"),
        ]);
        assert_eq!(args.seal_previous_key_file.len(), 2);
        assert!(args.seal_with(None).unwrap().is_some());

        let both = args.seal_with(Some("e".repeat(40))).unwrap_err();
        assert!(both.to_string().contains("set one"), "{both}");
        let alone = parse(&["agent-server", "--seal-previous-key-file", &old]);
        let error = alone.seal_with(None).unwrap_err();
        assert!(error.to_string().contains("--seal-key-file"), "{error}");
        let short = file("short", "tiny");
        let error = parse(&["agent-server", "--seal-key-file", &short])
            .seal_with(None)
            .unwrap_err();
        assert!(error.to_string().contains("32 are needed"), "{error}");
    }

    #[test]
    fn a_zero_worker_count_is_refused() {
        let error = ServeArgs::try_parse_from(["agent-server", "--worker", "0"]).unwrap_err();
        assert!(error.to_string().contains("--worker"), "{error}");
    }
}
