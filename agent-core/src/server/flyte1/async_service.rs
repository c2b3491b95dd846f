//! `flyteidl.service.AsyncAgentService`: CreateTask, GetTask, DeleteTask,
//! GetTaskMetrics and GetTaskLogs. Each handler converts the request,
//! dispatches it, and converts the answer.

use std::sync::Arc;

use futures::future::BoxFuture;
use tonic::{Request, Response, Status};

use super::convert;
use crate::LogsQuery;
use crate::dispatch::{Dispatcher, Operation};
use crate::proto::flyteidl::admin;
use crate::proto::flyteidl::service::async_agent_service_server::AsyncAgentService;
use crate::server::shared::{Shared, metrics_query, refuse};

/// Serves the async agents of a registry over Flyte 1.
pub(crate) struct AsyncAgentHandler {
    pub(crate) shared: Arc<Shared>,
}

#[tonic::async_trait]
impl AsyncAgentService for AsyncAgentHandler {
    /// Not an `async fn`: its future would hold the request (most of a
    /// kilobyte) beside the task made of it, to the end of the call.
    fn create_task<'handler, 'call>(
        &'handler self,
        request: Request<admin::CreateTaskRequest>,
    ) -> BoxFuture<'call, Result<Response<admin::CreateTaskResponse>, Status>>
    where
        'handler: 'call,
        Self: 'call,
    {
        let task = convert::create_request(request.into_inner());
        Box::pin(async move {
            let task = task.map_err(refuse(Operation::Create))?;
            let resource_meta = self
                .shared
                .observe_start(task, Operation::Create, Dispatcher::create)
                .await?;
            let answer = admin::CreateTaskResponse { resource_meta };
            Ok(Response::new(answer))
        })
    }

    async fn get_task(
        &self,
        request: Request<admin::GetTaskRequest>,
    ) -> Result<Response<admin::GetTaskResponse>, Status> {
        let request = request.into_inner();
        #[allow(deprecated)]
        let job = convert::job(
            request.task_category,
            request.task_type,
            request.resource_meta,
            request.output_prefix,
        )
        .map_err(refuse(Operation::Get))?;
        let resource = self
            .shared
            .observe_job(job, Operation::Get, Dispatcher::get)
            .await?;
        let answer = admin::GetTaskResponse {
            resource: Some(convert::resource(resource)),
        };
        Ok(Response::new(answer))
    }

    async fn delete_task(
        &self,
        request: Request<admin::DeleteTaskRequest>,
    ) -> Result<Response<admin::DeleteTaskResponse>, Status> {
        let request = request.into_inner();
        #[allow(deprecated)]
        let job = convert::job(
            request.task_category,
            request.task_type,
            request.resource_meta,
            String::new(),
        )
        .map_err(refuse(Operation::Delete))?;
        self.shared
            .observe_job(job, Operation::Delete, Dispatcher::delete)
            .await?;
        Ok(Response::new(admin::DeleteTaskResponse {}))
    }

    async fn get_task_metrics(
        &self,
        request: Request<admin::GetTaskMetricsRequest>,
    ) -> Result<Response<admin::GetTaskMetricsResponse>, Status> {
        let request = request.into_inner();
        let query = metrics_query(
            request.queries,
            request.start_time,
            request.end_time,
            request.step,
        );
        #[allow(deprecated)]
        let job = convert::job(
            request.task_category,
            request.task_type,
            request.resource_meta,
            String::new(),
        )
        .map_err(refuse(Operation::GetMetrics))?;
        let results = self
            .shared
            .observe_job(job, Operation::GetMetrics, |dispatcher, job| {
                dispatcher.get_metrics(job, query)
            })
            .await?;
        let answer = admin::GetTaskMetricsResponse { results };
        Ok(Response::new(answer))
    }

    type GetTaskLogsStream =
        futures::stream::Iter<std::vec::IntoIter<Result<admin::GetTaskLogsResponse, Status>>>;

    async fn get_task_logs(
        &self,
        request: Request<admin::GetTaskLogsRequest>,
    ) -> Result<Response<Self::GetTaskLogsStream>, Status> {
        let request = request.into_inner();
        let query = LogsQuery {
            lines: request.lines,
            token: request.token,
        };
        #[allow(deprecated)]
        let job = convert::job(
            request.task_category,
            request.task_type,
            request.resource_meta,
            String::new(),
        )
        .map_err(refuse(Operation::GetLogs))?;
        let logs = self
            .shared
            .observe_job(job, Operation::GetLogs, |dispatcher, job| {
                dispatcher.get_logs(job, query)
            })
            .await?;
        use admin::get_task_logs_response::Part;
        let header = admin::GetTaskLogsResponse {
            part: Some(Part::Header(admin::GetTaskLogsResponseHeader {
                token: logs.next_token,
            })),
        };
        let bodies = convert::log_bodies(logs.lines, self.shared.log_body_bytes)
            .into_iter()
            .map(|body| admin::GetTaskLogsResponse {
                part: Some(Part::Body(body)),
            });
        let messages: Vec<_> = std::iter::once(header).chain(bodies).map(Ok).collect();
        Ok(Response::new(futures::stream::iter(messages)))
    }
}
