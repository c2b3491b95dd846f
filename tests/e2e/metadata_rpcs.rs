//! AgentMetadataService: ListAgents and GetAgent, and registry checks.

use std::collections::BTreeSet;

use agent_core::proto::flyteidl::admin;
use agent_core::{Registry, RegistryError};
use tonic::Code;

use crate::support::{assert_status, start};

#[tokio::test]
#[allow(deprecated)]
async fn list_agents_groups_categories_by_agent_name() {
    let (server, _) = start().await;
    let agents = server
        .agent_metadata_client()
        .list_agents(admin::ListAgentsRequest {})
        .await
        .unwrap()
        .into_inner()
        .agents;
    let echo = agents.iter().find(|a| a.name == "Echo Agent").unwrap();
    assert!(!echo.is_sync);
    let categories: BTreeSet<_> = echo
        .supported_task_categories
        .iter()
        .map(|c| (c.name.as_str(), c.version))
        .collect();
    assert_eq!(
        categories,
        BTreeSet::from([("echo_async", 0), ("echo_async", 1), ("slow_async", 0)])
    );
    assert!(
        echo.supported_task_types
            .contains(&"slow_async".to_string())
    );
    let sync = agents.iter().find(|a| a.name == "Echo Sync Agent").unwrap();
    assert!(sync.is_sync);
    assert_eq!(sync.supported_task_types, vec!["echo_sync".to_string()]);
}

#[tokio::test]
async fn get_agent_by_name_and_not_found_for_an_unknown_one() {
    let (server, _) = start().await;
    let mut client = server.agent_metadata_client();
    let agent = client
        .get_agent(admin::GetAgentRequest {
            name: "Echo Sync Agent".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .agent
        .unwrap();
    assert!(agent.is_sync);
    let status = client
        .get_agent(admin::GetAgentRequest {
            name: "Nobody".into(),
        })
        .await
        .unwrap_err();
    assert_status(&status, Code::NotFound, "Echo Sync Agent");
}

#[test]
fn a_duplicate_category_is_refused_naming_both_agents() {
    let calls = std::sync::Arc::new(agent_tests::agents::Calls::default());
    let registry = agent_tests::agents::registry_builder(calls)
        .async_agent(agent_tests::agents::FailingAgent)
        .build();
    let Err(error) = registry else {
        panic!("a duplicate category must be refused")
    };
    assert!(matches!(error, RegistryError::DuplicateCategory { .. }));
    let message = error.to_string();
    assert!(message.contains("fails (version 0)"), "{message}");
    assert!(
        message.contains("`FailingAgent` and `FailingAgent`"),
        "{message}"
    );
}

#[test]
fn an_empty_registry_builds() {
    assert!(Registry::builder().build().unwrap().is_empty());
}

#[test]
fn a_name_shared_by_a_sync_and_an_async_agent_is_refused() {
    use agent_core::prelude::*;

    #[derive(Default)]
    struct First;

    #[async_agent(task_type = "first", name = "Twin", register = false)]
    impl First {
        async fn create(&self, _task: TaskContext) -> Result<u32, AgentError> {
            Ok(1)
        }
        async fn get(&self, _job: u32) -> Result<Resource, AgentError> {
            Ok(Resource::succeeded())
        }
        async fn delete(&self, _job: u32) -> Result<(), AgentError> {
            Ok(())
        }
    }

    #[derive(Default)]
    struct Second;

    #[sync_agent(task_type = "second", name = "Twin", register = false)]
    impl Second {
        async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
            Ok(Resource::succeeded())
        }
    }

    let Err(error) = Registry::builder()
        .async_agent(First)
        .sync_agent(Second)
        .build()
    else {
        panic!("a name used by both kinds must be refused")
    };
    assert_eq!(
        error,
        RegistryError::NameUsedByBothKinds {
            name: "Twin".into()
        }
    );
}
