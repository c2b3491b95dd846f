//! The agents of a crate that renames `agent-core` register and serve.

// Links the crate under test, whose agents register themselves.
use agent_renamed_dependency_test as _;
use flyte_agents::literal::LiteralMapBuilder;
use flyte_agents::registry::RegisteredAgent;
use flyte_agents::{Connection, FromLiteral, Registry, TaskCategory, TaskContext};

#[tokio::test]
async fn agents_declared_through_a_renamed_crate_are_collected_and_run() {
    let registry = Registry::collected().unwrap();
    let Ok(RegisteredAgent::Async(agent)) = registry.get(&TaskCategory::new("renamed_async", 0))
    else {
        panic!("CountingAgent is not collected");
    };
    let task =
        TaskContext::default().with_inputs(LiteralMapBuilder::new().with("n", 41).build().unwrap());
    let metadata = agent.create(Box::new(task)).await.unwrap();
    let resource = agent
        .get(&metadata, Connection::default())
        .await
        .unwrap()
        .into_parts()
        .unwrap();
    let o0 = i64::from_literal(&resource.outputs.unwrap().literals["o0"]).unwrap();
    assert_eq!(o0, 42);
    agent
        .delete(&metadata, Connection::default())
        .await
        .unwrap();

    let Ok(RegisteredAgent::Sync(agent)) = registry.get(&TaskCategory::new("renamed_sync", 0))
    else {
        panic!("PingAgent is not collected");
    };
    let resource = agent
        .execute(Box::default())
        .await
        .unwrap()
        .into_parts()
        .unwrap();
    let o0 = String::from_literal(&resource.outputs.unwrap().literals["o0"]).unwrap();
    assert_eq!(o0, "pong");
}
