//! Requests the tests send, and a server of the test agents.

use std::sync::Arc;

use agent_core::literal::LiteralMapBuilder;
use agent_core::proto::flyteidl::{admin, core};
use agent_core::server::ServerOptions;
use agent_core::testing::TestServer;
pub use agent_tests::agents::Calls;
use agent_tests::agents::registry;

/// A server of every test agent, with the counters of their calls.
pub async fn start() -> (TestServer, Arc<Calls>) {
    start_with(ServerOptions::default()).await
}

/// A server of every test agent with `options`, with the counters of their calls.
pub async fn start_with(options: ServerOptions) -> (TestServer, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let server = TestServer::start_with(registry(Arc::clone(&calls)), options).await;
    (server, calls)
}

/// A template of `task_type` at `version`.
pub fn template(task_type: &str, version: i32) -> core::TaskTemplate {
    core::TaskTemplate {
        r#type: task_type.to_string(),
        task_type_version: version,
        ..Default::default()
    }
}

/// The inputs `{x: x}`.
pub fn inputs(x: i64) -> core::LiteralMap {
    LiteralMapBuilder::new().with("x", x).build().unwrap()
}

/// Execution metadata of attempt `attempt` of node `n0` in execution `run`.
pub fn execution(run: &str, attempt: u32) -> admin::TaskExecutionMetadata {
    admin::TaskExecutionMetadata {
        task_execution_id: Some(core::TaskExecutionIdentifier {
            task_id: Some(core::Identifier {
                name: "my.task".into(),
                ..Default::default()
            }),
            node_execution_id: Some(core::NodeExecutionIdentifier {
                node_id: "n0".into(),
                execution_id: Some(core::WorkflowExecutionIdentifier {
                    project: "p".into(),
                    domain: "d".into(),
                    name: run.into(),
                    org: String::new(),
                }),
            }),
            retry_attempt: attempt,
        }),
        namespace: "p-d".into(),
        ..Default::default()
    }
}

/// A CreateTask request for `task_type` with input `x`, in execution `run`.
pub fn create_request(task_type: &str, x: i64, run: &str) -> admin::CreateTaskRequest {
    admin::CreateTaskRequest {
        inputs: Some(inputs(x)),
        template: Some(template(task_type, 0)),
        output_prefix: format!("s3://bucket/{run}"),
        task_execution_metadata: Some(execution(run, 0)),
    }
}

/// The category `name` at version 0.
pub fn category(name: &str) -> Option<admin::TaskCategory> {
    Some(admin::TaskCategory {
        name: name.to_string(),
        version: 0,
    })
}

/// A GetTask request for a job of `task_type` (version 0).
pub fn get_request(task_type: &str, resource_meta: Vec<u8>) -> admin::GetTaskRequest {
    admin::GetTaskRequest {
        task_category: category(task_type),
        resource_meta,
        ..Default::default()
    }
}

/// A DeleteTask request for a job of `task_type` (version 0).
pub fn delete_request(task_type: &str, resource_meta: Vec<u8>) -> admin::DeleteTaskRequest {
    admin::DeleteTaskRequest {
        task_category: category(task_type),
        resource_meta,
        ..Default::default()
    }
}

/// The integer output `name` of a resource.
pub fn int_output(resource: &admin::Resource, name: &str) -> i64 {
    let literal = &resource.outputs.as_ref().expect("outputs").literals[name];
    agent_core::FromLiteral::from_literal(literal).expect("an integer output")
}

/// Asserts that `status` has `code` and a message containing `fragment`.
#[track_caller]
pub fn assert_status(status: &tonic::Status, code: tonic::Code, fragment: &str) {
    assert_eq!(status.code(), code, "{}", status.message());
    assert!(
        status.message().contains(fragment),
        "{:?} does not mention {fragment:?}",
        status.message()
    );
}

/// The same requests in Flyte 2's messages (`flyteidl2.connector`).
pub mod flyte2 {
    use agent_core::proto::flyteidl2::{connector, task};

    use super::{execution, template};

    /// A Flyte 2 CreateTask request for `task_type` with input `x`, in execution `run`.
    pub fn create_request(task_type: &str, x: i64, run: &str) -> connector::CreateTaskRequest {
        let v1 = execution(run, 0);
        connector::CreateTaskRequest {
            inputs: Some(task::Inputs {
                literals: vec![task::NamedLiteral {
                    name: "x".into(),
                    value: Some(agent_core::IntoLiteral::into_literal(x).unwrap()),
                }],
                context: Vec::new(),
            }),
            template: Some(template(task_type, 0)),
            output_prefix: format!("s3://bucket/{run}"),
            task_execution_metadata: Some(connector::TaskExecutionMetadata {
                task_execution_id: v1.task_execution_id,
                namespace: v1.namespace,
                ..Default::default()
            }),
            connection: None,
        }
    }

    /// The category of `name`, at version 0.
    pub fn category(name: &str) -> Option<connector::TaskCategory> {
        Some(connector::TaskCategory {
            name: name.into(),
            version: 0,
        })
    }

    /// A Flyte 2 GetTask request for the job `resource_meta` of `task_type`.
    pub fn get_request(task_type: &str, resource_meta: Vec<u8>) -> connector::GetTaskRequest {
        connector::GetTaskRequest {
            task_category: category(task_type),
            resource_meta,
            ..Default::default()
        }
    }

    /// A Flyte 2 DeleteTask request for the job `resource_meta` of `task_type`.
    pub fn delete_request(task_type: &str, resource_meta: Vec<u8>) -> connector::DeleteTaskRequest {
        connector::DeleteTaskRequest {
            task_category: category(task_type),
            resource_meta,
            ..Default::default()
        }
    }

    /// The integer output `name` of a Flyte 2 resource.
    pub fn int_output(resource: &connector::Resource, name: &str) -> i64 {
        let outputs = resource.outputs.as_ref().expect("outputs");
        let named = outputs
            .literals
            .iter()
            .find(|named| named.name == name)
            .expect("the output");
        agent_core::FromLiteral::from_literal(named.value.as_ref().unwrap()).unwrap()
    }
}
