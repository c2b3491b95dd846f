//! `flyteidl.service.AsyncAgentService`: CreateTask, GetTask, DeleteTask,
//! GetTaskMetrics and GetTaskLogs.

use std::sync::Arc;

use prost::Message;
use tonic::{Request, Response, Status};

use super::call::ServerState;
use super::request_key;
use crate::proto::flyteidl::admin;
use crate::proto::flyteidl::service::async_agent_service_server::AsyncAgentService;
use crate::registry::RegisteredAgent;
use crate::{AgentError, DynAsyncAgent, LogsQuery, MetricsQuery, TaskContext, protobuf_struct};

/// Serves the async agents of a registry.
pub(crate) struct AsyncAgentHandler {
    pub(crate) state: Arc<ServerState>,
}

impl AsyncAgentHandler {
    fn async_agent(
        &self,
        category: Option<&admin::TaskCategory>,
        task_type: &str,
    ) -> Result<Arc<dyn DynAsyncAgent>, AgentError> {
        match self.state.registry.find(category, task_type) {
            Ok(RegisteredAgent::Async(agent)) => Ok(Arc::clone(agent)),
            Ok(RegisteredAgent::Sync(agent)) => Err(AgentError::invalid_argument(format!(
                "task category {} is served by the sync agent `{}`: \
                 call SyncAgentService.ExecuteTaskSync instead",
                agent.task_category(),
                agent.name()
            ))),
            Err(unknown) => Err(AgentError::not_found(unknown)),
        }
    }
}

/// The task type a request names, for metrics and logs.
#[allow(deprecated)]
fn named_task_type<'a>(category: Option<&'a admin::TaskCategory>, task_type: &'a str) -> &'a str {
    match category {
        Some(category) if !category.name.is_empty() => &category.name,
        _ => task_type,
    }
}

#[tonic::async_trait]
impl AsyncAgentService for AsyncAgentHandler {
    async fn create_task(
        &self,
        request: Request<admin::CreateTaskRequest>,
    ) -> Result<Response<admin::CreateTaskResponse>, Status> {
        let request = request.into_inner();
        let task_type = request
            .template
            .as_ref()
            .map(|template| template.r#type.clone())
            .unwrap_or_default();
        if let Some(inputs) = &request.inputs {
            self.state
                .metrics
                .record_input_size(&task_type, inputs.encoded_len());
        }
        let resource_meta = self
            .state
            .call(&task_type, "create", async {
                let Some(template) = request.template.as_ref() else {
                    return Err(AgentError::invalid_argument(
                        "CreateTaskRequest.template is missing: send the task template to create",
                    ));
                };
                let category = admin::TaskCategory {
                    name: template.r#type.clone(),
                    version: template.task_type_version,
                };
                let agent = self.async_agent(Some(&category), "")?;
                let key = agent.idempotent().then(|| request_key::create(&request));
                let task = TaskContext {
                    template: template.clone(),
                    inputs: request.inputs.clone().unwrap_or_default(),
                    output_prefix: request.output_prefix.clone(),
                    execution: request.task_execution_metadata.clone().unwrap_or_default(),
                };
                match key {
                    Some(key) => self.state.guard.once(&key, agent.create(task)).await,
                    None => agent.create(task).await,
                }
            })
            .await?;
        Ok(Response::new(admin::CreateTaskResponse { resource_meta }))
    }

    async fn get_task(
        &self,
        request: Request<admin::GetTaskRequest>,
    ) -> Result<Response<admin::GetTaskResponse>, Status> {
        let request = request.into_inner();
        #[allow(deprecated)]
        let task_type = named_task_type(request.task_category.as_ref(), &request.task_type);
        let resource = self
            .state
            .call(task_type, "get", async {
                #[allow(deprecated)]
                let agent = self.async_agent(request.task_category.as_ref(), &request.task_type)?;
                agent.get(&request.resource_meta).await?.into_proto()
            })
            .await?;
        Ok(Response::new(admin::GetTaskResponse {
            resource: Some(resource),
        }))
    }

    async fn delete_task(
        &self,
        request: Request<admin::DeleteTaskRequest>,
    ) -> Result<Response<admin::DeleteTaskResponse>, Status> {
        let request = request.into_inner();
        #[allow(deprecated)]
        let task_type = named_task_type(request.task_category.as_ref(), &request.task_type);
        self.state
            .call(task_type, "delete", async {
                #[allow(deprecated)]
                let agent = self.async_agent(request.task_category.as_ref(), &request.task_type)?;
                let delete = async {
                    agent.delete(&request.resource_meta).await?;
                    Ok(Vec::new())
                };
                if agent.idempotent() {
                    let key = request_key::delete(&agent.task_category(), &request.resource_meta);
                    self.state.guard.once(&key, delete).await
                } else {
                    delete.await
                }
            })
            .await?;
        Ok(Response::new(admin::DeleteTaskResponse {}))
    }

    async fn get_task_metrics(
        &self,
        request: Request<admin::GetTaskMetricsRequest>,
    ) -> Result<Response<admin::GetTaskMetricsResponse>, Status> {
        let request = request.into_inner();
        #[allow(deprecated)]
        let task_type = named_task_type(request.task_category.as_ref(), &request.task_type);
        let results = self
            .state
            .call(task_type, "get_metrics", async {
                #[allow(deprecated)]
                let agent = self.async_agent(request.task_category.as_ref(), &request.task_type)?;
                let query = MetricsQuery {
                    queries: request.queries.clone(),
                    start_time: request.start_time.and_then(|t| t.try_into().ok()),
                    end_time: request.end_time.and_then(|t| t.try_into().ok()),
                    step: request.step.and_then(|d| d.try_into().ok()),
                };
                let results = agent.get_metrics(&request.resource_meta, query).await?;
                results
                    .into_iter()
                    .map(|result| match result.data {
                        serde_json::Value::Object(map) => {
                            Ok(crate::proto::flyteidl::core::ExecutionMetricResult {
                                metric: result.metric,
                                data: Some(protobuf_struct::json_object_to_struct(&map)),
                            })
                        }
                        other => Err(AgentError::internal(format!(
                            "metric `{}`: data must be a JSON object, got {other}",
                            result.metric
                        ))),
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        Ok(Response::new(admin::GetTaskMetricsResponse { results }))
    }

    type GetTaskLogsStream =
        futures::stream::Iter<std::vec::IntoIter<Result<admin::GetTaskLogsResponse, Status>>>;

    async fn get_task_logs(
        &self,
        request: Request<admin::GetTaskLogsRequest>,
    ) -> Result<Response<Self::GetTaskLogsStream>, Status> {
        let request = request.into_inner();
        #[allow(deprecated)]
        let task_type = named_task_type(request.task_category.as_ref(), &request.task_type);
        let logs = self
            .state
            .call(task_type, "get_logs", async {
                #[allow(deprecated)]
                let agent = self.async_agent(request.task_category.as_ref(), &request.task_type)?;
                let query = LogsQuery {
                    lines: request.lines,
                    token: request.token.clone(),
                };
                agent.get_logs(&request.resource_meta, query).await
            })
            .await?;
        use admin::get_task_logs_response::Part;
        let header = admin::GetTaskLogsResponse {
            part: Some(Part::Header(admin::GetTaskLogsResponseHeader {
                token: logs.next_token,
            })),
        };
        #[allow(deprecated)]
        let body = admin::GetTaskLogsResponse {
            part: Some(Part::Body(admin::GetTaskLogsResponseBody {
                structured_lines: logs
                    .lines
                    .iter()
                    .map(|line| admin::LogLine {
                        message: line.clone(),
                        ..Default::default()
                    })
                    .collect(),
                results: logs.lines,
            })),
        };
        Ok(Response::new(futures::stream::iter(vec![
            Ok(header),
            Ok(body),
        ])))
    }
}
