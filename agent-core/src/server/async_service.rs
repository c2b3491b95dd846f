//! `flyteidl.service.AsyncAgentService`: CreateTask, GetTask, DeleteTask,
//! GetTaskMetrics and GetTaskLogs.

use std::sync::Arc;

use prost::Message;
use tonic::{Request, Response, Status};

use super::call::{ServerState, detached, requested_category, template_category};
use super::request_key;
use crate::proto::flyteidl::service::async_agent_service_server::AsyncAgentService;
use crate::proto::flyteidl::{admin, core};
use crate::{AgentError, Connection, LogsQuery, MetricsQuery, TaskContext, protobuf_struct};

/// Serves the async agents of a registry.
pub(crate) struct AsyncAgentHandler {
    pub(crate) state: Arc<ServerState>,
}

/// The field to fill when a request names no task type.
const CATEGORY_FIELD: &str = "task_category.name (or the deprecated task_type)";

#[tonic::async_trait]
impl AsyncAgentService for AsyncAgentHandler {
    async fn create_task(
        &self,
        request: Request<admin::CreateTaskRequest>,
    ) -> Result<Response<admin::CreateTaskResponse>, Status> {
        let request = request.into_inner();
        let category = template_category(request.template.as_ref());
        if let Some(inputs) = &request.inputs {
            self.state
                .metrics
                .record_input_size(&category.name, inputs.encoded_len());
        }
        let resource_meta = self
            .state
            .call(&category.name, "create", async {
                if request.template.is_none() {
                    return Err(AgentError::invalid_argument(
                        "CreateTaskRequest.template is missing: send the task template to create",
                    ));
                }
                let agent = self
                    .state
                    .async_agent(&category, "CreateTaskRequest.template.type")?;
                if !agent.idempotent() {
                    return agent.create(TaskContext::from(request)).await;
                }
                let key = request_key::create(&request);
                let task = TaskContext::from(request);
                let (guard, ttl) = (self.state.guard.clone(), self.state.answer_ttl);
                detached(async move { guard.once(&key, ttl, agent.create(task)).await }).await
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
        let category = requested_category(request.task_category.as_ref(), &request.task_type);
        let resource = self
            .state
            .call(&category.name, "get", async {
                let agent = self.state.async_agent(&category, CATEGORY_FIELD)?;
                agent
                    .get(&request.resource_meta, Connection::default())
                    .await?
                    .into_proto()
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
        let category = requested_category(request.task_category.as_ref(), &request.task_type);
        self.state
            .call(&category.name, "delete", async {
                let agent = self.state.async_agent(&category, CATEGORY_FIELD)?;
                let resource_meta = request.resource_meta;
                if !agent.idempotent() {
                    return agent.delete(&resource_meta, Connection::default()).await;
                }
                let key = request_key::delete(&category, &resource_meta);
                let (guard, ttl) = (self.state.guard.clone(), self.state.answer_ttl);
                detached(async move {
                    let delete = async {
                        agent.delete(&resource_meta, Connection::default()).await?;
                        Ok(Vec::new())
                    };
                    guard.once(&key, ttl, delete).await.map(drop)
                })
                .await
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
        let category = requested_category(request.task_category.as_ref(), &request.task_type);
        let results = self
            .state
            .call(&category.name, "get_metrics", async {
                let agent = self.state.async_agent(&category, CATEGORY_FIELD)?;
                let query = MetricsQuery {
                    queries: request.queries,
                    start_time: request.start_time.and_then(|t| t.try_into().ok()),
                    end_time: request.end_time.and_then(|t| t.try_into().ok()),
                    step: request.step.and_then(|d| d.try_into().ok()),
                };
                let results = agent.get_metrics(&request.resource_meta, query).await?;
                results
                    .into_iter()
                    .map(|result| match result.data {
                        serde_json::Value::Object(map) => Ok(core::ExecutionMetricResult {
                            metric: result.metric,
                            data: Some(protobuf_struct::json_object_to_struct(&map)),
                        }),
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
        let category = requested_category(request.task_category.as_ref(), &request.task_type);
        let logs = self
            .state
            .call(&category.name, "get_logs", async {
                let agent = self.state.async_agent(&category, CATEGORY_FIELD)?;
                let query = LogsQuery {
                    lines: request.lines,
                    token: request.token,
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
        let bodies = log_bodies(logs.lines, self.state.log_body_bytes)
            .into_iter()
            .map(|body| admin::GetTaskLogsResponse {
                part: Some(Part::Body(body)),
            });
        let messages: Vec<_> = std::iter::once(header).chain(bodies).map(Ok).collect();
        Ok(Response::new(futures::stream::iter(messages)))
    }
}

/// Splits log lines into bodies of about `body_bytes` of text each, so that
/// no message passes the size limit. Each line is sent as a structured line
/// and in the deprecated plain list, which older clients read.
fn log_bodies(lines: Vec<String>, body_bytes: usize) -> Vec<admin::GetTaskLogsResponseBody> {
    let mut bodies = Vec::new();
    let mut body = admin::GetTaskLogsResponseBody::default();
    let mut size = 0;
    for line in lines {
        if size > 0 && size + line.len() > body_bytes {
            bodies.push(std::mem::take(&mut body));
            size = 0;
        }
        size += line.len();
        body.structured_lines.push(admin::LogLine {
            message: line.clone(),
            ..Default::default()
        });
        #[allow(deprecated)]
        body.results.push(line);
    }
    if size > 0 || bodies.is_empty() {
        bodies.push(body);
    }
    bodies
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_split_into_bodies_under_the_size() {
        let lines: Vec<String> = (0..10).map(|i| format!("line {i:04}")).collect();
        let bodies = log_bodies(lines, 20);
        assert_eq!(bodies.len(), 5);
        assert!(bodies.iter().all(|body| body.structured_lines.len() == 2));
        assert_eq!(bodies[4].structured_lines[1].message, "line 0009");
    }

    #[test]
    fn no_lines_still_make_one_body() {
        assert_eq!(log_bodies(Vec::new(), 20).len(), 1);
    }
}
