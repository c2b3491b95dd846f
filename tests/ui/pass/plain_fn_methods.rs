//! Plain `fn` methods, async and sync agents alike, on both tokio runtime
//! flavours.

use std::sync::atomic::{AtomicU32, Ordering};

use agent_core::prelude::*;
use agent_core::{AsyncAgent, Connection, SyncAgent};

#[derive(Default)]
pub struct CounterAgent {
    started: AtomicU32,
}

#[async_agent(task_type = "counter")]
impl CounterAgent {
    fn create(&self, _task: TaskContext) -> Result<u32, AgentError> {
        Ok(self.started.fetch_add(1, Ordering::SeqCst) + 1)
    }

    fn get(&self, job: u32) -> Result<Resource, AgentError> {
        Ok(Resource::running().message(format!("job {job}")))
    }

    async fn delete(&self, _job: u32) -> Result<(), AgentError> {
        Ok(())
    }
}

#[derive(Default)]
pub struct SleepyAgent;

#[sync_agent(task_type = "sleepy")]
impl SleepyAgent {
    fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        std::thread::sleep(std::time::Duration::from_millis(1));
        Ok(Resource::succeeded())
    }
}

async fn exercise() {
    let agent = CounterAgent::default();
    let first = AsyncAgent::create(&agent, TaskContext::default())
        .await
        .unwrap();
    let second = AsyncAgent::create(&agent, TaskContext::default())
        .await
        .unwrap();
    assert_eq!((first, second), (1, 2));
    let resource = AsyncAgent::get(&agent, second, Connection::default())
        .await
        .unwrap();
    assert_eq!(resource.message_text(), "job 2");
    AsyncAgent::delete(&agent, second, Connection::default())
        .await
        .unwrap();
    let resource = SyncAgent::execute(&SleepyAgent, TaskContext::default())
        .await
        .unwrap();
    assert_eq!(resource.phase(), Phase::Succeeded);
}

fn main() {
    for runtime in [
        tokio::runtime::Builder::new_multi_thread().build().unwrap(),
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap(),
    ] {
        runtime.block_on(exercise());
    }
}
