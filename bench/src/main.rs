//! `agent-bench`: load for any Flyte agent server, over Flyte 1 or Flyte 2.
//! Requests are encoded once; workers make them back to back on a few
//! HTTP/2 connections for a while; it prints requests per second, latency
//! percentiles and failures.

mod codec;
mod error;
mod load;
mod recorder;
mod report;
mod requests;
mod workload;

use std::io::{ErrorKind, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use tonic::client::Grpc;
use tonic::transport::{Channel, Endpoint};

use error::BenchError;
use report::Report;
use requests::{Protocol, Requests};
use workload::{Workload, path, unary};

/// The RPC a run makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Rpc {
    /// CreateTask, a fresh task attempt each time.
    Create,
    /// GetTask of one job a CreateTask started.
    Get,
    /// DeleteTask of one job a CreateTask started (repeats of one delete).
    Delete,
    /// ExecuteTaskSync (Flyte 1), a fresh task attempt each time.
    Sync,
    /// ListAgents (Flyte 1) or ListConnectors (Flyte 2).
    List,
    /// Per task, as Propeller: CreateTask, 8 GetTask, DeleteTask.
    Mixed,
}

/// Load a Flyte agent server with one RPC and report throughput and latency.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    /// The server, `HOST:PORT` or a URI.
    #[arg(long, default_value = "127.0.0.1:8000")]
    addr: String,
    /// The protocol to speak.
    #[arg(long, value_enum, default_value_t = Protocol::Flyte1)]
    protocol: Protocol,
    /// The RPC to make.
    #[arg(long, value_enum, default_value_t = Rpc::Get)]
    rpc: Rpc,
    /// Calls in flight at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    concurrency: u32,
    /// HTTP/2 connections the calls are spread over (at most one per call in flight).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    connections: u32,
    /// Seconds to run.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// The task type of the requests (default: `bench_sync` for `--rpc sync`,
    /// else `bench_async`, the agents of `bench-agent-server`).
    #[arg(long)]
    task_type: Option<String>,
    /// Send every call with this deadline, in seconds (the `grpc-timeout`
    /// header, which the server enforces), as Propeller does: 10 s unless
    /// its agent's `defaultTimeout` or `timeouts` say otherwise. By default
    /// calls carry none.
    #[arg(long, value_name = "SECONDS")]
    deadline: Option<f64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Instead of a run: call ListAgents every millisecond until it is
    /// answered, for at most this many seconds, then print the Unix time of
    /// the answer in nanoseconds (to time a server's start).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    probe_ready: Option<u64>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(output) => print(&output),
        Err(error) => {
            eprintln!("agent-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Prints `output` on stdout. A reader that stopped reading is no failure.
fn print(output: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{output}").and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != ErrorKind::BrokenPipe => {
            eprintln!("agent-bench: cannot write to stdout: {error}");
            ExitCode::FAILURE
        }
        _ => ExitCode::SUCCESS,
    }
}

/// Does what `args` ask and answers what to print.
async fn run(args: Args) -> Result<String, BenchError> {
    let endpoint = endpoint(&args.addr)?;
    if let Some(seconds) = args.probe_ready {
        return probe_ready(&endpoint, &args, seconds).await;
    }
    let duration = seconds("--duration", args.duration)?;
    let deadline = args
        .deadline
        .map(|deadline| seconds("--deadline", deadline))
        .transpose()?;
    if args.rpc == Rpc::Sync && args.protocol == Protocol::Flyte2 {
        return Err(BenchError::Usage(
            "--rpc sync: Flyte 2 has no sync service; a sync agent's task is run by \
             --rpc create on Flyte 2"
                .to_owned(),
        ));
    }
    let concurrency = args.concurrency as usize;
    let connections = (args.connections as usize).min(concurrency);
    let mut channels = Vec::with_capacity(connections);
    for _ in 0..connections {
        let channel = endpoint
            .connect()
            .await
            .map_err(|source| BenchError::Connect {
                addr: args.addr.clone(),
                source,
            })?;
        channels.push(channel);
    }
    let task_type = args.task_type.clone().unwrap_or_else(|| {
        match args.rpc {
            Rpc::Sync => "bench_sync",
            _ => "bench_async",
        }
        .to_owned()
    });
    let requests = Requests::new(args.protocol, &task_type);
    let workload = workload(args.rpc, requests, &channels[0], deadline).await?;
    let tally = load::run(
        &channels,
        concurrency,
        duration,
        Arc::new(workload),
        deadline,
    )
    .await;
    let report = Report::new(
        &flag_name(args.protocol),
        &flag_name(args.rpc),
        concurrency,
        connections,
        &tally,
    );
    Ok(if args.json {
        report.json()
    } else {
        report.text()
    })
}

/// The `value` of `flag` as a duration, when it is a number of seconds
/// above 0 and at most a day.
fn seconds(flag: &str, value: f64) -> Result<Duration, BenchError> {
    if value.is_finite() && value > 0.0 && value <= 86_400.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(BenchError::Usage(format!(
            "{flag} {value}: give a number of seconds above 0, at most 86400"
        )))
    }
}

/// The endpoint `addr` names: itself when it has a scheme, else `http://addr`.
fn endpoint(addr: &str) -> Result<Endpoint, BenchError> {
    let uri = if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("http://{addr}")
    };
    Endpoint::from_shared(uri.clone())
        .map(|endpoint| endpoint.connect_timeout(Duration::from_secs(5)))
        .map_err(|e| {
            BenchError::Usage(format!(
                "--addr {addr}: {uri} is not a URI ({e}); give HOST:PORT, as 127.0.0.1:8000"
            ))
        })
}

/// The encoded calls of `rpc`; GetTask and DeleteTask name a job a
/// CreateTask (with `deadline` when given) starts now.
async fn workload(
    rpc: Rpc,
    requests: Requests,
    channel: &Channel,
    deadline: Option<Duration>,
) -> Result<Workload, BenchError> {
    Ok(match rpc {
        Rpc::Create => Workload::Create {
            path: path(requests.create_path()),
            body: requests.create(),
        },
        Rpc::Get | Rpc::Delete => {
            let meta = start_job(&requests, channel, deadline).await?;
            let (rpc_path, body) = match rpc {
                Rpc::Get => (requests.get_path(), requests.get(&meta)),
                _ => (requests.delete_path(), requests.delete(&meta)),
            };
            Workload::Fixed {
                path: path(rpc_path),
                body,
            }
        }
        Rpc::Sync => {
            let (header, inputs) = requests.sync();
            Workload::Sync {
                path: path(Requests::sync_path()),
                header,
                inputs,
            }
        }
        Rpc::List => Workload::Fixed {
            path: path(requests.list_path()),
            body: requests.list(),
        },
        Rpc::Mixed => Workload::Mixed {
            create_path: path(requests.create_path()),
            get_path: path(requests.get_path()),
            delete_path: path(requests.delete_path()),
            create: requests.create(),
            requests,
        },
    })
}

/// Starts a job with one CreateTask (with `deadline` when given, and
/// given up after [`load::STALL_GRACE`] without it) and answers its
/// metadata.
async fn start_job(
    requests: &Requests,
    channel: &Channel,
    deadline: Option<Duration>,
) -> Result<Vec<u8>, BenchError> {
    let mut grpc = Grpc::new(channel.clone());
    let create = requests
        .create()
        .stamp(workload::first_execution().load(std::sync::atomic::Ordering::Relaxed));
    let waited = deadline.unwrap_or(load::STALL_GRACE);
    let create_path = path(requests.create_path());
    let answer = unary(&mut grpc, &create_path, create, deadline);
    let answer = tokio::time::timeout(waited, answer)
        .await
        .unwrap_or_else(|_| {
            Err(tonic::Status::deadline_exceeded(format!(
                "no answer within {} s",
                waited.as_secs_f64()
            )))
        })
        .map_err(|status| BenchError::Setup {
            call: "CreateTask",
            status,
        })?;
    requests::resource_meta(requests.protocol(), &answer).map_err(|e| BenchError::Setup {
        call: "CreateTask",
        status: tonic::Status::internal(format!("its answer does not decode: {e}")),
    })
}

/// Calls ListAgents (or ListConnectors) every millisecond until it is
/// answered, and answers the Unix time of the answer in nanoseconds; a
/// call still unanswered when the `seconds` are up is given up.
async fn probe_ready(endpoint: &Endpoint, args: &Args, seconds: u64) -> Result<String, BenchError> {
    let requests = Requests::new(args.protocol, "");
    let list_path = path(requests.list_path());
    let body = requests.list();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let endpoint = endpoint.clone().connect_timeout(Duration::from_millis(100));
    while Instant::now() < deadline {
        let answered = async {
            let channel = endpoint.connect().await.ok()?;
            let mut grpc = Grpc::new(channel);
            unary(&mut grpc, &list_path, body.clone(), None).await.ok()
        };
        let within = tokio::time::Instant::from_std(deadline);
        if let Ok(Some(_)) = tokio::time::timeout_at(within, answered).await {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            return Ok(now.as_nanos().to_string());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Err(BenchError::NotReady {
        addr: args.addr.clone(),
        seconds,
    })
}

/// A value as its flag spells it.
fn flag_name(value: impl clap::ValueEnum) -> String {
    value
        .to_possible_value()
        .map(|value| value.get_name().to_owned())
        .unwrap_or_default()
}
