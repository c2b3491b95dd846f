//! `flyteidl.service.SyncAgentService`: ExecuteTaskSync, a bidirectional
//! stream. The client sends a header (template, output prefix, execution
//! metadata), then the inputs; the server answers one header carrying the
//! resource and its outputs, which is all Propeller reads.

use std::sync::Arc;

use prost::Message;
use tonic::{Request, Response, Status, Streaming};

use super::call::ServerState;
use super::request_key;
use crate::proto::flyteidl::service::sync_agent_service_server::SyncAgentService;
use crate::proto::flyteidl::{admin, core};
use crate::registry::RegisteredAgent;
use crate::{AgentError, TaskContext};

use admin::execute_task_sync_request::Part;

/// Serves the sync agents of a registry.
pub(crate) struct SyncAgentHandler {
    pub(crate) state: Arc<ServerState>,
}

/// Reads the header and the inputs that follow it.
async fn read_request(
    stream: &mut Streaming<admin::ExecuteTaskSyncRequest>,
) -> Result<(admin::CreateRequestHeader, core::LiteralMap), AgentError> {
    let header = match stream.message().await {
        Ok(Some(admin::ExecuteTaskSyncRequest {
            part: Some(Part::Header(header)),
        })) => header,
        Ok(Some(_)) => {
            return Err(AgentError::invalid_argument(
                "ExecuteTaskSyncRequest: the first message must be a header \
                 (template, output_prefix), then the inputs",
            ));
        }
        Ok(None) => {
            return Err(AgentError::invalid_argument(
                "ExecuteTaskSyncRequest: the stream ended before the header; \
                 send a header (template, output_prefix), then the inputs",
            ));
        }
        Err(status) => return Err(AgentError::invalid_argument(status.message())),
    };
    let inputs = match stream.message().await {
        Ok(Some(admin::ExecuteTaskSyncRequest {
            part: Some(Part::Inputs(inputs)),
        })) => inputs,
        Ok(None) => core::LiteralMap::default(),
        Ok(Some(_)) => {
            return Err(AgentError::invalid_argument(
                "ExecuteTaskSyncRequest: the message after the header must carry the inputs",
            ));
        }
        Err(status) => return Err(AgentError::invalid_argument(status.message())),
    };
    Ok((header, inputs))
}

#[tonic::async_trait]
impl SyncAgentService for SyncAgentHandler {
    type ExecuteTaskSyncStream =
        futures::stream::Once<std::future::Ready<Result<admin::ExecuteTaskSyncResponse, Status>>>;

    async fn execute_task_sync(
        &self,
        request: Request<Streaming<admin::ExecuteTaskSyncRequest>>,
    ) -> Result<Response<Self::ExecuteTaskSyncStream>, Status> {
        let mut stream = request.into_inner();
        let request = read_request(&mut stream).await;
        let task_type = request
            .as_ref()
            .ok()
            .and_then(|(header, _)| header.template.as_ref())
            .map(|template| template.r#type.clone())
            .unwrap_or_default();
        if let Ok((_, inputs)) = &request {
            self.state
                .metrics
                .record_input_size(&task_type, inputs.encoded_len());
        }
        let encoded = self
            .state
            .call(&task_type, "do", async {
                let (header, inputs) = request?;
                let Some(template) = header.template.clone() else {
                    return Err(AgentError::invalid_argument(
                        "ExecuteTaskSyncRequest: header.template is missing: send the task template",
                    ));
                };
                let agent = match self.state.registry.find(
                    Some(&admin::TaskCategory {
                        name: template.r#type.clone(),
                        version: template.task_type_version,
                    }),
                    "",
                ) {
                    Ok(RegisteredAgent::Sync(agent)) => Arc::clone(agent),
                    Ok(RegisteredAgent::Async(agent)) => {
                        return Err(AgentError::invalid_argument(format!(
                            "task category {} is served by the async agent `{}`: \
                             call AsyncAgentService.CreateTask instead",
                            agent.task_category(),
                            agent.name()
                        )));
                    }
                    Err(unknown) => return Err(AgentError::not_found(unknown)),
                };
                let key = agent
                    .idempotent()
                    .then(|| request_key::execute(&header, &inputs));
                let task = TaskContext {
                    template,
                    inputs,
                    output_prefix: header.output_prefix,
                    execution: header.task_execution_metadata.unwrap_or_default(),
                };
                let execute = async {
                    let resource = agent.execute(task).await?.into_proto()?;
                    Ok(resource.encode_to_vec())
                };
                match key {
                    Some(key) => self.state.guard.once(&key, execute).await,
                    None => execute.await,
                }
            })
            .await?;
        let resource = admin::Resource::decode(encoded.as_slice())
            .map_err(|e| Status::internal(format!("stored sync result is corrupt: {e}")))?;
        let response = admin::ExecuteTaskSyncResponse {
            res: Some(admin::execute_task_sync_response::Res::Header(
                admin::ExecuteTaskSyncResponseHeader {
                    resource: Some(resource),
                },
            )),
        };
        Ok(Response::new(futures::stream::once(std::future::ready(
            Ok(response),
        ))))
    }
}
