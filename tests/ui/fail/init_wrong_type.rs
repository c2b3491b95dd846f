use agent_core::prelude::*;

pub struct ChatAgent {
    pub api_key: String,
}

impl ChatAgent {
    pub fn from_env() -> Result<Self, std::env::VarError> {
        Ok(ChatAgent { api_key: std::env::var("OPENAI_API_KEY")? })
    }
}

#[sync_agent(task_type = "chatgpt", init = Self::from_env)]
impl ChatAgent {
    pub async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().message(self.api_key.clone()))
    }
}

fn main() {}
