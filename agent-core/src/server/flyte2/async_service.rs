//! `flyteidl2.connector.AsyncConnectorService`: CreateTask, GetTask,
//! DeleteTask, GetTaskMetrics and GetTaskLogs. Flyte 2 has no sync service:
//! a sync agent's CreateTask runs it, and its GetTask answers the result.

use std::sync::Arc;

use futures::future::BoxFuture;
use tonic::{Request, Response, Status};

use super::convert;
use crate::LogsQuery;
use crate::dispatch::{Dispatcher, Operation};
use crate::proto::flyteidl2::connector;
use crate::proto::flyteidl2::connector::async_connector_service_server::AsyncConnectorService;
use crate::server::shared::{Shared, metrics_query, refuse};

/// Serves every agent of a registry as a Flyte 2 connector.
pub(crate) struct AsyncConnectorHandler {
    pub(crate) shared: Arc<Shared>,
}

#[tonic::async_trait]
impl AsyncConnectorService for AsyncConnectorHandler {
    /// Not an `async fn`: its future would hold the request (most of a
    /// kilobyte) beside the task made of it, to the end of the call.
    fn create_task<'handler, 'call>(
        &'handler self,
        request: Request<connector::CreateTaskRequest>,
    ) -> BoxFuture<'call, Result<Response<connector::CreateTaskResponse>, Status>>
    where
        'handler: 'call,
        Self: 'call,
    {
        let task = convert::create_request(request.into_inner());
        Box::pin(async move {
            let task = task.map_err(refuse(Operation::Create))?;
            // Looked up once: for the operation the call is observed as,
            // and for the dispatcher.
            let found = self.shared.dispatcher.registry().serving(&task.template);
            let operation = match &found {
                Ok((_, agent)) if agent.is_sync() => Operation::Execute,
                _ => Operation::Create,
            };
            let resource_meta = self
                .shared
                .observe_start(task, operation, |dispatcher, task| {
                    dispatcher.submit_found(found, task)
                })
                .await?;
            let answer = connector::CreateTaskResponse { resource_meta };
            Ok(Response::new(answer))
        })
    }

    async fn get_task(
        &self,
        request: Request<connector::GetTaskRequest>,
    ) -> Result<Response<connector::GetTaskResponse>, Status> {
        let request = request.into_inner();
        let job = convert::job(
            request.task_category,
            request.resource_meta,
            request.connection,
            request.output_prefix,
        )
        .map_err(refuse(Operation::Get))?;
        let resource = self
            .shared
            .observe_job(job, Operation::Get, Dispatcher::get)
            .await?;
        let answer = connector::GetTaskResponse {
            resource: Some(convert::resource(resource)),
        };
        Ok(Response::new(answer))
    }

    async fn delete_task(
        &self,
        request: Request<connector::DeleteTaskRequest>,
    ) -> Result<Response<connector::DeleteTaskResponse>, Status> {
        let request = request.into_inner();
        let job = convert::job(
            request.task_category,
            request.resource_meta,
            request.connection,
            String::new(),
        )
        .map_err(refuse(Operation::Delete))?;
        self.shared
            .observe_job(job, Operation::Delete, Dispatcher::delete)
            .await?;
        Ok(Response::new(connector::DeleteTaskResponse {}))
    }

    async fn get_task_metrics(
        &self,
        request: Request<connector::GetTaskMetricsRequest>,
    ) -> Result<Response<connector::GetTaskMetricsResponse>, Status> {
        let request = request.into_inner();
        let query = metrics_query(
            request.queries,
            request.start_time,
            request.end_time,
            request.step,
        );
        let job = convert::job(
            request.task_category,
            request.resource_meta,
            None,
            String::new(),
        )
        .map_err(refuse(Operation::GetMetrics))?;
        let results = self
            .shared
            .observe_job(job, Operation::GetMetrics, |dispatcher, job| {
                dispatcher.get_metrics(job, query)
            })
            .await?;
        let answer = connector::GetTaskMetricsResponse { results };
        Ok(Response::new(answer))
    }

    type GetTaskLogsStream =
        futures::stream::Iter<std::vec::IntoIter<Result<connector::GetTaskLogsResponse, Status>>>;

    async fn get_task_logs(
        &self,
        request: Request<connector::GetTaskLogsRequest>,
    ) -> Result<Response<Self::GetTaskLogsStream>, Status> {
        let request = request.into_inner();
        let query = LogsQuery {
            lines: request.lines,
            token: request.token,
        };
        let job = convert::job(
            request.task_category,
            request.resource_meta,
            None,
            String::new(),
        )
        .map_err(refuse(Operation::GetLogs))?;
        let logs = self
            .shared
            .observe_job(job, Operation::GetLogs, |dispatcher, job| {
                dispatcher.get_logs(job, query)
            })
            .await?;
        use connector::get_task_logs_response::Part;
        let header = connector::GetTaskLogsResponse {
            part: Some(Part::Header(connector::GetTaskLogsResponseHeader {
                token: logs.next_token,
            })),
        };
        let bodies = convert::log_bodies(logs.lines, self.shared.log_body_bytes)
            .into_iter()
            .map(|body| connector::GetTaskLogsResponse {
                part: Some(Part::Body(body)),
            });
        let messages: Vec<_> = std::iter::once(header).chain(bodies).map(Ok).collect();
        Ok(Response::new(futures::stream::iter(messages)))
    }
}
