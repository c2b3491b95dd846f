//! The Flyte 2 calls (`flyteidl2.connector`): inputs and outputs as lists of
//! named literals, the `Connection` sent with create, get and delete, no
//! sync service and no deprecated fields. Templates and literals are the
//! Flyte 1 `core` types (see agent-core's `build.rs`).

use agent_core::context::ExecutionMetadata;
use agent_core::dispatch::Job;
use agent_core::proto::flyteidl::core::LiteralMap;
use agent_core::proto::flyteidl2::connector::{
    self, async_connector_service_client::AsyncConnectorServiceClient,
    connector_metadata_service_client::ConnectorMetadataServiceClient,
};
use agent_core::proto::flyteidl2::core as core2;
use agent_core::resource::ResourceParts;
use agent_core::{Connection, Phase, TaskCategory, TaskContext};
use tonic::transport::Channel;

use super::{AgentInfo, Failure, request};

/// ListConnectors.
pub(super) async fn list_agents(channel: Channel) -> Result<Vec<AgentInfo>, Failure> {
    let answer = ConnectorMetadataServiceClient::new(channel)
        .list_connectors(request(connector::ListConnectorsRequest {}))
        .await?
        .into_inner();
    Ok(answer.connectors.into_iter().map(agent).collect())
}

/// GetConnector.
pub(super) async fn get_agent(channel: Channel, name: &str) -> Result<AgentInfo, Failure> {
    let answer = ConnectorMetadataServiceClient::new(channel)
        .get_connector(request(connector::GetConnectorRequest {
            name: name.to_owned(),
        }))
        .await?
        .into_inner();
    answer
        .connector
        .map(agent)
        .ok_or_else(|| Failure::BadAnswer("the answer holds no connector".to_owned()))
}

/// CreateTask.
pub(super) async fn create(channel: Channel, task: &TaskContext) -> Result<Vec<u8>, Failure> {
    let answer = AsyncConnectorServiceClient::new(channel)
        .create_task(request(connector::CreateTaskRequest {
            inputs: Some(task.inputs.clone().into()),
            template: Some(task.template.clone()),
            output_prefix: task.output_prefix.clone(),
            task_execution_metadata: Some(execution(&task.execution)),
            connection: connection(&task.template.r#type, &task.connection),
        }))
        .await?
        .into_inner();
    Ok(answer.resource_meta)
}

/// GetTask.
pub(super) async fn get(
    channel: Channel,
    job: &Job,
    output_prefix: &str,
) -> Result<ResourceParts, Failure> {
    let answer = AsyncConnectorServiceClient::new(channel)
        .get_task(request(connector::GetTaskRequest {
            resource_meta: job.resource_meta.clone(),
            task_category: Some(category(&job.category)),
            output_prefix: output_prefix.to_owned(),
            connection: connection(&job.category.name, &job.connection),
        }))
        .await?
        .into_inner();
    answer
        .resource
        .map(resource)
        .ok_or_else(|| Failure::BadAnswer("the answer holds no resource".to_owned()))
}

/// DeleteTask.
pub(super) async fn delete(channel: Channel, job: &Job) -> Result<(), Failure> {
    AsyncConnectorServiceClient::new(channel)
        .delete_task(request(connector::DeleteTaskRequest {
            resource_meta: job.resource_meta.clone(),
            task_category: Some(category(&job.category)),
            connection: connection(&job.category.name, &job.connection),
        }))
        .await?;
    Ok(())
}

/// A connector as ListConnectors answers it: async, as every Flyte 2 connector is.
fn agent(connector: connector::Connector) -> AgentInfo {
    AgentInfo {
        name: connector.name,
        is_sync: false,
        task_categories: connector
            .supported_task_categories
            .into_iter()
            .map(|category| TaskCategory::new(category.name, category.version))
            .collect(),
    }
}

/// A category as Flyte 2 sends it.
fn category(category: &TaskCategory) -> connector::TaskCategory {
    connector::TaskCategory {
        name: category.name.clone(),
        version: category.version,
    }
}

/// The connection sent with a call, when there is one.
fn connection(task_type: &str, connection: &Connection) -> Option<core2::Connection> {
    if connection.is_empty() {
        return None;
    }
    let (secrets, configs) = connection.clone().into_parts();
    Some(core2::Connection {
        task_type: task_type.to_owned(),
        secrets,
        configs,
    })
}

/// A resource's parts, its named outputs as a literal map.
fn resource(resource: connector::Resource) -> ResourceParts {
    ResourceParts {
        phase: Phase::from_proto(resource.phase()),
        message: resource.message,
        log_links: resource.log_links.into_iter().map(Into::into).collect(),
        outputs: resource.outputs.map(|outputs| LiteralMap {
            literals: outputs
                .literals
                .into_iter()
                .filter_map(|named| Some((named.name, named.value?)))
                .collect(),
        }),
        outputs_uri: None,
        custom_info: resource.custom_info,
    }
}

/// The execution metadata as Flyte 2 sends it (it has no overrides).
fn execution(execution: &ExecutionMetadata) -> connector::TaskExecutionMetadata {
    let execution = execution.clone();
    connector::TaskExecutionMetadata {
        task_execution_id: execution.task_execution_id,
        namespace: execution.namespace,
        labels: execution.labels,
        annotations: execution.annotations,
        k8s_service_account: execution.k8s_service_account,
        environment_variables: execution.environment_variables,
        max_attempts: execution.max_attempts,
        interruptible: execution.interruptible,
        interruptible_failure_threshold: execution.interruptible_failure_threshold,
        identity: execution.identity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_core::literal::LiteralMapBuilder;

    #[test]
    fn named_outputs_become_a_literal_map() {
        let map = LiteralMapBuilder::new()
            .with("o0", 1)
            .with("o1", "x")
            .build()
            .unwrap();
        let wire = connector::Resource {
            outputs: Some(map.clone().into()),
            phase: agent_core::proto::flyteidl::core::task_execution::Phase::Succeeded as i32,
            ..Default::default()
        };
        let parts = resource(wire);
        assert_eq!(parts.phase, Phase::Succeeded);
        assert_eq!(parts.outputs, Some(map));
    }

    #[test]
    fn an_empty_connection_is_not_sent() {
        assert_eq!(connection("t", &Connection::default()), None);
        let sent = connection("t", &Connection::default().with_secret("k", "v")).unwrap();
        assert_eq!(sent.task_type, "t");
        assert_eq!(sent.secrets.get("k").map(String::as_str), Some("v"));
    }
}
