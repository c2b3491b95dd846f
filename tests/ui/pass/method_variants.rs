//! Agent methods written in less common ways: a raw identifier
//! (`r#create`), lifetime parameters (`fn get<'a>(&'a self, ..)`), and a
//! helper named like an optional method but shaped like a helper
//! (`get_metric`), which stays a helper.

use agent_core::prelude::*;
use agent_core::{AsyncAgent, Connection, ErrorKind, MetricsQuery};

#[derive(Default)]
pub struct VariantAgent {
    label: String,
}

#[async_agent(task_type = "variants")]
impl VariantAgent {
    async fn r#create(&self, _task: TaskContext) -> Result<u32, AgentError> {
        Ok(self.get_metric("jobs") as u32)
    }

    async fn get<'a>(&'a self, job: u32) -> Result<Resource, AgentError> {
        let label: &'a str = &self.label;
        Ok(Resource::succeeded().message(format!("{label}{job}")))
    }

    fn delete<'a>(&'a self, _job: u32) -> Result<(), AgentError> {
        Ok(())
    }

    /// A helper: not `get_metrics`, which takes the metadata and a query.
    fn get_metric(&self, _name: &str) -> f64 {
        7.0
    }
}

#[tokio::main]
async fn main() {
    let agent = VariantAgent {
        label: "job ".to_string(),
    };
    let job = AsyncAgent::create(&agent, TaskContext::default())
        .await
        .unwrap();
    let resource = AsyncAgent::get(&agent, job, Connection::default())
        .await
        .unwrap();
    assert_eq!(resource.message_text(), "job 7");
    AsyncAgent::delete(&agent, job, Connection::default())
        .await
        .unwrap();
    let error = AsyncAgent::get_metrics(&agent, job, MetricsQuery::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unimplemented);
}
