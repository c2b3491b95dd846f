//! `get_metrics` and `get_logs` present on one agent, absent on another,
//! which then answers UNIMPLEMENTED.

use agent_core::prelude::*;
use agent_core::{AsyncAgent, ErrorKind, LogsQuery, MetricResult, MetricsQuery, TaskLogs};

#[derive(Default)]
pub struct ObservedAgent;

#[async_agent(task_type = "observed")]
impl ObservedAgent {
    async fn create(&self, _task: TaskContext) -> Result<String, AgentError> {
        Ok("job-1".to_string())
    }

    async fn get(&self, _job: String) -> Result<Resource, AgentError> {
        Ok(Resource::running())
    }

    async fn delete(&self, _job: String) -> Result<(), AgentError> {
        Ok(())
    }

    async fn get_metrics(
        &self,
        job: String,
        query: MetricsQuery,
    ) -> Result<Vec<MetricResult>, AgentError> {
        Ok(vec![MetricResult {
            metric: format!("{job}:{}", query.queries.join(",")),
            data: serde_json::json!({}),
        }])
    }

    fn get_logs(&self, job: String, query: LogsQuery) -> Result<TaskLogs, AgentError> {
        Ok(TaskLogs {
            lines: vec![format!("{job} from {}", query.token)],
            next_token: String::new(),
        })
    }
}

#[derive(Default)]
pub struct QuietAgent;

#[async_agent(task_type = "quiet")]
impl QuietAgent {
    async fn create(&self, _task: TaskContext) -> Result<(), AgentError> {
        Ok(())
    }

    async fn get(&self, _job: ()) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    async fn delete(&self, _job: ()) -> Result<(), AgentError> {
        Ok(())
    }
}

#[tokio::main]
async fn main() {
    let query = MetricsQuery {
        queries: vec!["cpu".to_string()],
        ..Default::default()
    };
    let metrics = AsyncAgent::get_metrics(&ObservedAgent, "job-1".to_string(), query)
        .await
        .unwrap();
    assert_eq!(metrics[0].metric, "job-1:cpu");
    let query = LogsQuery {
        lines: 10,
        token: "start".to_string(),
    };
    let logs = AsyncAgent::get_logs(&ObservedAgent, "job-1".to_string(), query)
        .await
        .unwrap();
    assert_eq!(logs.lines, ["job-1 from start"]);

    let error = AsyncAgent::get_metrics(&QuietAgent, (), MetricsQuery::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unimplemented);
    let error = AsyncAgent::get_logs(&QuietAgent, (), LogsQuery::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unimplemented);
}
