//! `flyteidl.service.SyncAgentService`: ExecuteTaskSync, a bidirectional
//! stream. The client sends a header (template, output prefix, execution
//! metadata), then the inputs; the server answers one header carrying the
//! resource and its outputs, which is all Propeller reads.

use std::sync::Arc;

use futures::StreamExt;
use futures::future::BoxFuture;
use tonic::{Request, Response, Status, Streaming};

use super::convert;
use crate::TaskContext;
use crate::dispatch::{Dispatcher, Operation};
use crate::proto::flyteidl::service::sync_agent_service_server::SyncAgentService;
use crate::proto::flyteidl::{admin, core};
use crate::server::shared::{Shared, refused};
use crate::server::status;

use admin::execute_task_sync_request::Part;

/// Serves the sync agents of a registry over Flyte 1.
pub(crate) struct SyncAgentHandler {
    pub(crate) shared: Arc<Shared>,
}

/// Reads the header and the inputs that follow it into the task they
/// describe. A stream that ends after the header, or whose second message is
/// empty, has no inputs. The header (most of a kilobyte, boxed by the
/// decoder) is made into the boxed task as soon as it arrives.
///
/// Messages are read with `next`, not `Streaming::message`: that is an
/// `async fn` around `next`, which moves each message (a header's size,
/// whatever it holds) through its own future twice over.
async fn read_task(
    stream: &mut Streaming<admin::ExecuteTaskSyncRequest>,
) -> Result<Box<TaskContext>, Status> {
    let header = match stream.next().await.transpose()? {
        Some(admin::ExecuteTaskSyncRequest {
            part: Some(Part::Header(header)),
        }) => header,
        Some(_) => {
            return Err(Status::invalid_argument(
                "ExecuteTaskSyncRequest: the first message must be a header \
                 (template, output_prefix), then the inputs",
            ));
        }
        None => {
            return Err(Status::invalid_argument(
                "ExecuteTaskSyncRequest: the stream ended before the header; \
                 send a header (template, output_prefix), then the inputs",
            ));
        }
    };
    let mut task = convert::sync_request(header, core::LiteralMap::default())
        .map_err(status::from_agent_error)?;
    task.inputs = match stream.next().await.transpose()? {
        Some(admin::ExecuteTaskSyncRequest {
            part: Some(Part::Inputs(inputs)),
        }) => inputs,
        None | Some(admin::ExecuteTaskSyncRequest { part: None }) => core::LiteralMap::default(),
        Some(admin::ExecuteTaskSyncRequest {
            part: Some(Part::Header(_)),
        }) => {
            return Err(Status::invalid_argument(
                "ExecuteTaskSyncRequest: a second header was sent; \
                 the message after the header carries the inputs",
            ));
        }
    };
    Ok(task)
}

#[tonic::async_trait]
impl SyncAgentService for SyncAgentHandler {
    type ExecuteTaskSyncStream =
        futures::stream::Once<std::future::Ready<Result<admin::ExecuteTaskSyncResponse, Status>>>;

    /// Not an `async fn`: its future would hold the request as well as
    /// the stream taken out of it, to the end of the call.
    fn execute_task_sync<'handler, 'call>(
        &'handler self,
        request: Request<Streaming<admin::ExecuteTaskSyncRequest>>,
    ) -> BoxFuture<'call, Result<Response<Self::ExecuteTaskSyncStream>, Status>>
    where
        'handler: 'call,
        Self: 'call,
    {
        let mut stream = request.into_inner();
        Box::pin(async move {
            let read_timeout = self.shared.read_timeout;
            let task = match tokio::time::timeout(read_timeout, read_task(&mut stream)).await {
                Ok(read) => read,
                Err(_) => Err(Status::deadline_exceeded(format!(
                    "ExecuteTaskSyncRequest: the header and inputs did not arrive within \
                     {read_timeout:?}; send both, then close the stream"
                ))),
            }
            .map_err(|status| refused(Operation::Execute, status))?;
            let resource = self
                .shared
                .observe_start(task, Operation::Execute, Dispatcher::execute)
                .await?;
            let response = admin::ExecuteTaskSyncResponse {
                res: Some(admin::execute_task_sync_response::Res::Header(
                    admin::ExecuteTaskSyncResponseHeader {
                        resource: Some(convert::resource(resource)),
                    },
                )),
            };
            Ok(Response::new(futures::stream::once(std::future::ready(
                Ok(response),
            ))))
        })
    }
}
