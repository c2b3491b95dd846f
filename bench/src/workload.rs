//! What each worker of a run sends, again and again, and how one round
//! of it is made: one unary call, one ExecuteTaskSync stream, or
//! Propeller's pattern for a task (create, polls, delete).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tonic::client::Grpc;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;
use tonic::{Request, Status};

use crate::codec::RawCodec;
use crate::recorder::Recorder;
use crate::requests::{Requests, Stamped, resource_meta};

/// How many GetTask polls a mixed round makes between its create and delete.
pub const MIXED_GETS: usize = 8;

/// The calls of a run, encoded.
#[derive(Debug)]
pub enum Workload {
    /// The same request every time (GetTask, DeleteTask, ListAgents).
    Fixed {
        /// The RPC.
        path: PathAndQuery,
        /// The encoded request.
        body: Bytes,
    },
    /// CreateTask, naming a fresh task attempt each time.
    Create {
        /// The RPC.
        path: PathAndQuery,
        /// The request, to stamp.
        body: Stamped,
    },
    /// ExecuteTaskSync, naming a fresh task attempt each time.
    Sync {
        /// The RPC.
        path: PathAndQuery,
        /// The header message, to stamp.
        header: Stamped,
        /// The inputs message.
        inputs: Bytes,
    },
    /// A fresh task's create, [`MIXED_GETS`] polls of its job, and its delete.
    Mixed {
        /// Encodes the get and delete of each job.
        requests: Requests,
        /// CreateTask.
        create_path: PathAndQuery,
        /// GetTask.
        get_path: PathAndQuery,
        /// DeleteTask.
        delete_path: PathAndQuery,
        /// The create request, to stamp.
        create: Stamped,
    },
}

/// A path from its text.
pub fn path(text: String) -> PathAndQuery {
    PathAndQuery::try_from(text).expect("gRPC paths are valid URI paths")
}

/// A request for `message`, carrying `deadline` (as `grpc-timeout`, which
/// the server enforces) when given.
fn request<T>(message: T, deadline: Option<Duration>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(deadline) = deadline {
        request.set_timeout(deadline);
    }
    request
}

/// Sends `body` to `path`, with `deadline` when given, and answers the
/// encoded answer.
pub async fn unary(
    grpc: &mut Grpc<Channel>,
    path: &PathAndQuery,
    body: Bytes,
    deadline: Option<Duration>,
) -> Result<Bytes, Status> {
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(format!("the connection is not ready: {e}")))?;
    grpc.unary(request(body, deadline), path.clone(), RawCodec)
        .await
        .map(tonic::Response::into_inner)
}

/// Sends the messages of a client stream to `path`, with `deadline` when
/// given, and reads every answer.
async fn streaming(
    grpc: &mut Grpc<Channel>,
    path: &PathAndQuery,
    messages: [Bytes; 2],
    deadline: Option<Duration>,
) -> Result<(), Status> {
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(format!("the connection is not ready: {e}")))?;
    let mut answers = grpc
        .streaming(
            request(tokio_stream::iter(messages), deadline),
            path.clone(),
            RawCodec,
        )
        .await?
        .into_inner();
    if answers.message().await?.is_none() {
        return Err(Status::internal("the stream ended without an answer"));
    }
    while answers.message().await?.is_some() {}
    Ok(())
}

impl Workload {
    /// Makes one round on `grpc`, each call with `deadline` when given,
    /// naming executions from `executions`, and records each call in
    /// `recorder`.
    pub async fn round(
        &self,
        grpc: &mut Grpc<Channel>,
        deadline: Option<Duration>,
        executions: &AtomicU64,
        recorder: &mut Recorder,
    ) {
        let fresh = || executions.fetch_add(1, Ordering::Relaxed);
        match self {
            Workload::Fixed { path, body } => {
                recorder
                    .time(unary(grpc, path, body.clone(), deadline))
                    .await;
            }
            Workload::Create { path, body } => {
                let body = body.stamp(fresh());
                recorder.time(unary(grpc, path, body, deadline)).await;
            }
            Workload::Sync {
                path,
                header,
                inputs,
            } => {
                let messages = [header.stamp(fresh()), inputs.clone()];
                recorder
                    .time(streaming(grpc, path, messages, deadline))
                    .await;
            }
            Workload::Mixed {
                requests,
                create_path,
                get_path,
                delete_path,
                create,
            } => {
                let answer = recorder
                    .time(unary(grpc, create_path, create.stamp(fresh()), deadline))
                    .await;
                let Some(answer) = answer else { return };
                let meta = match resource_meta(requests.protocol(), &answer) {
                    Ok(meta) => meta,
                    Err(error) => {
                        recorder.error(&format!("undecodable CreateTask answer: {error}"));
                        return;
                    }
                };
                let get = requests.get(&meta);
                for _ in 0..MIXED_GETS {
                    recorder
                        .time(unary(grpc, get_path, get.clone(), deadline))
                        .await;
                }
                recorder
                    .time(unary(grpc, delete_path, requests.delete(&meta), deadline))
                    .await;
            }
        }
    }
}

/// The first execution number of a run: the clock's nanoseconds, so that
/// runs against one server name different task attempts.
pub fn first_execution() -> Arc<AtomicU64> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64);
    Arc::new(AtomicU64::new(nanos))
}
