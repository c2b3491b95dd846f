use agent_core::prelude::*;

#[async_agent(task_type = "bigquery")]
#[derive(Default)]
pub struct BigQueryAgent;

fn main() {}
