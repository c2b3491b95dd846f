//! Serving [`AgentRoutes`] on listeners: gRPC on one, `/metrics` on
//! another, until a shutdown that drains traffic first.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use futures::{Stream, StreamExt, TryStreamExt};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::ServerTlsConfig;
use tonic::transport::server::TcpIncoming;

use super::ServeError;
use super::batching::AnswersDue;
use super::lingering_close::LingeringClose;
use super::routes::AgentRoutes;

/// How often [`keep_a_timer_due`]'s timer fires.
const TIMER_TICK: Duration = Duration::from_secs(1);

/// How long accepting pauses after it failed for want of a resource.
const ACCEPT_PAUSE: Duration = Duration::from_secs(1);

/// How many calls one connection may have open at once (HTTP/2's
/// `SETTINGS_MAX_CONCURRENT_STREAMS`): a client opening more waits for one
/// to end, as gRPC clients do, so that one connection cannot hold memory
/// without bound. Propeller has some tens of calls open at once.
const MAX_CONCURRENT_STREAMS: u32 = 1000;

/// When a shutdown starts and how long it lasts.
pub(crate) struct Shutdown<F> {
    /// Resolves when the server should stop.
    pub(crate) signal: F,
    /// How long the server keeps serving, health answering `NOT_SERVING`.
    pub(crate) drain_delay: Duration,
    /// How long the requests in flight then get to finish.
    pub(crate) grace: Duration,
}

/// Serves `routes` on `grpc` (over TLS when `tls` is given), and their
/// metrics on `metrics` when given, until `shutdown.signal` resolves; then
/// reports `NOT_SERVING`, goes on serving for the drain delay, stops
/// accepting and lets the requests in flight finish, for the grace period
/// at most. Under load, a connection's answers are written in batches when
/// `batch_answers` (see [`batching`](super::batching)); a connection
/// closing waits for its peer to close too (see
/// [`lingering_close`](super::lingering_close)).
pub(crate) async fn serve(
    routes: AgentRoutes,
    grpc: TcpListener,
    metrics: Option<TcpListener>,
    tls: Option<ServerTlsConfig>,
    batch_answers: bool,
    shutdown: Shutdown<impl Future<Output = ()> + Send + 'static>,
) -> Result<(), ServeError> {
    let mut server =
        tonic::transport::Server::builder().max_concurrent_streams(MAX_CONCURRENT_STREAMS);
    if let Some(tls) = tls {
        server = server.tls_config(tls).map_err(ServeError::Tls)?;
    }
    let (stopping, stop_requested) = watch::channel(false);
    let signal = shutdown.signal;
    tokio::spawn(async move {
        signal.await;
        let _ = stopping.send(true);
    });
    let stopped = move || {
        let mut stop_requested = stop_requested.clone();
        async move {
            let _ = stop_requested.wait_for(|stop| *stop).await;
        }
    };

    let metrics_server = metrics.map(|listener| {
        let router = routes.metrics().router();
        let stopped = stopped();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(stopped)
                .await
        })
    });

    let drain_delay = shutdown.drain_delay;
    let grpc_routes = routes.routes();
    let grpc_stopped = {
        let stopped = stopped();
        async move {
            stopped.await;
            routes.set_not_serving().await;
            if !drain_delay.is_zero() {
                tracing::info!(?drain_delay, "shutting down: serving while traffic drains");
                tokio::time::sleep(drain_delay).await;
            }
            tracing::info!("shutting down: finishing the requests in flight");
        }
    };
    let answers_due = AnswersDue::new(batch_answers);
    let incoming =
        pause_on_accept_errors(TcpIncoming::from(grpc).with_nodelay(Some(true))).map_ok({
            let answers_due = answers_due.clone();
            move |connection| LingeringClose::new(answers_due.batch_writes(connection))
        });
    let serve = server
        .layer(answers_due.layer())
        .add_routes(grpc_routes)
        .serve_with_incoming_shutdown(incoming, grpc_stopped);
    let grace = shutdown.grace;
    let grace_over = {
        let stopped = stopped();
        async move {
            stopped.await;
            tokio::time::sleep(drain_delay + grace).await;
        }
    };
    let served = tokio::select! {
        served = serve => served,
        () = grace_over => {
            tracing::warn!(?grace, "requests or closing connections still open after the grace period: closing");
            Ok(())
        }
        never = keep_a_timer_due() => match never {},
    };

    if let Some(metrics_server) = metrics_server
        && let Ok(metrics_served) = metrics_server.await
    {
        metrics_served?;
    }
    Ok(served?)
}

/// `incoming` connections, without the errors of accepting them: one a
/// client caused (it reset the connection before it was accepted) is
/// passed over; any other (no file descriptor left, no memory) is logged,
/// and accepting pauses for [`ACCEPT_PAUSE`], where it would otherwise
/// fail again at once, in a loop, until a connection closes.
fn pause_on_accept_errors<T>(
    incoming: impl Stream<Item = io::Result<T>>,
) -> impl Stream<Item = io::Result<T>> {
    incoming.filter(|accepted| {
        let pause = match accepted {
            Ok(_) => None,
            Err(error) if is_a_clients_error(error) => {
                tracing::debug!(%error, "a connection closed before it was accepted");
                None
            }
            Err(error) => {
                tracing::warn!(%error, pause = ?ACCEPT_PAUSE, "cannot accept connections");
                Some(tokio::time::sleep(ACCEPT_PAUSE))
            }
        };
        let keep = accepted.is_ok();
        async move {
            if let Some(pause) = pause {
                pause.await;
            }
            keep
        }
    })
}

/// Whether accepting a connection failed because of its client.
fn is_a_clients_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    )
}

/// Keeps a timer of the runtime due within [`TIMER_TICK`], for as long as
/// it is polled (the server polls it beside serving).
///
/// Tokio wakes its driver (a write to an eventfd: a system call, and one
/// more turn of the driver) whenever a new timer is due before the wake it
/// already planned; with no timer pending, it planned none, so every new
/// timer wakes it. A call's timeouts (a sync run's read timeout, the
/// agent call's) are seconds away: with this timer due sooner, setting
/// them wakes nothing.
async fn keep_a_timer_due() -> Infallible {
    let mut tick = tokio::time::interval(TIMER_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
    }
}

/// Binds a TCP listener, with an error that names the address.
pub async fn bind(address: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(address)
        .await
        .map_err(|source| ServeError::Bind { address, source })
}

/// Opens the gRPC and metrics ports on `host`, or, when none is given, on
/// `[::]`, falling back to `0.0.0.0` where IPv6 is off.
pub(crate) async fn listen(
    host: Option<IpAddr>,
    grpc_port: u16,
    metrics_port: u16,
) -> Result<(TcpListener, TcpListener), ServeError> {
    let hosts = match host {
        Some(host) => vec![host],
        None => vec![
            IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        ],
    };
    let mut last_error = None;
    for host in hosts {
        let grpc = match bind(SocketAddr::new(host, grpc_port)).await {
            Ok(grpc) => grpc,
            Err(error) => {
                last_error = Some(error);
                continue;
            }
        };
        let metrics = bind(SocketAddr::new(host, metrics_port)).await?;
        return Ok((grpc, metrics));
    }
    Err(last_error.expect("at least one host was tried"))
}

/// Resolves on SIGTERM (what Kubernetes sends) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received Ctrl-C"),
        () = terminate => tracing::info!("received SIGTERM"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn accepting_pauses_after_running_out_of_a_resource_not_after_a_client_left() {
        let out_of_files = || io::Error::from_raw_os_error(24); // EMFILE
        let reset = || io::Error::from(io::ErrorKind::ConnectionAborted);
        let started = tokio::time::Instant::now();
        let accepted: Vec<u32> =
            pause_on_accept_errors(futures::stream::iter([Err(reset()), Ok(1)]))
                .map(Result::unwrap)
                .collect()
                .await;
        assert_eq!((accepted, started.elapsed()), (vec![1], Duration::ZERO));
        let accepted: Vec<u32> =
            pause_on_accept_errors(futures::stream::iter([Err(out_of_files()), Ok(2)]))
                .map(Result::unwrap)
                .collect()
                .await;
        assert_eq!((accepted, started.elapsed()), (vec![2], ACCEPT_PAUSE));
    }

    #[tokio::test(start_paused = true)]
    async fn the_timer_keeps_ticking() {
        let ticking = tokio::time::timeout(TIMER_TICK * 10, keep_a_timer_due()).await;
        assert!(ticking.is_err(), "it ticks on for as long as it is polled");
    }
}
