//! The Flyte 1 calls (`flyteidl.service`), as Propeller 1.16 makes them:
//! the deprecated `task_type` sent beside `task_category`, a resource's phase
//! read from the deprecated `state` when `phase` is unset, and the
//! deprecated `supported_task_types` read beside the categories.

use agent_core::context::ExecutionMetadata;
use agent_core::dispatch::Job;
use agent_core::proto::flyteidl::service::{
    agent_metadata_service_client::AgentMetadataServiceClient,
    async_agent_service_client::AsyncAgentServiceClient,
    sync_agent_service_client::SyncAgentServiceClient,
};
use agent_core::proto::flyteidl::{admin, core};
use agent_core::resource::ResourceParts;
use agent_core::{Phase, TaskCategory, TaskContext};
use tonic::transport::Channel;

use super::{AgentInfo, Failure, request};

/// ListAgents.
pub(super) async fn list_agents(channel: Channel) -> Result<Vec<AgentInfo>, Failure> {
    let answer = AgentMetadataServiceClient::new(channel)
        .list_agents(request(admin::ListAgentsRequest {}))
        .await?
        .into_inner();
    Ok(answer.agents.into_iter().map(agent).collect())
}

/// GetAgent.
pub(super) async fn get_agent(channel: Channel, name: &str) -> Result<AgentInfo, Failure> {
    let answer = AgentMetadataServiceClient::new(channel)
        .get_agent(request(admin::GetAgentRequest {
            name: name.to_owned(),
        }))
        .await?
        .into_inner();
    answer
        .agent
        .map(agent)
        .ok_or_else(|| Failure::BadAnswer("the answer holds no agent".to_owned()))
}

/// CreateTask.
pub(super) async fn create(channel: Channel, task: &TaskContext) -> Result<Vec<u8>, Failure> {
    let answer = AsyncAgentServiceClient::new(channel)
        .create_task(request(admin::CreateTaskRequest {
            inputs: Some(task.inputs.clone()),
            template: Some(task.template.clone()),
            output_prefix: task.output_prefix.clone(),
            task_execution_metadata: Some(execution(&task.execution)),
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
    #[allow(deprecated)]
    let message = admin::GetTaskRequest {
        task_type: job.category.name.clone(),
        resource_meta: job.resource_meta.clone(),
        task_category: Some(category(&job.category)),
        output_prefix: output_prefix.to_owned(),
    };
    let answer = AsyncAgentServiceClient::new(channel)
        .get_task(request(message))
        .await?
        .into_inner();
    answer
        .resource
        .map(resource)
        .ok_or_else(|| Failure::BadAnswer("the answer holds no resource".to_owned()))
}

/// DeleteTask.
pub(super) async fn delete(channel: Channel, job: &Job) -> Result<(), Failure> {
    #[allow(deprecated)]
    let message = admin::DeleteTaskRequest {
        task_type: job.category.name.clone(),
        resource_meta: job.resource_meta.clone(),
        task_category: Some(category(&job.category)),
    };
    AsyncAgentServiceClient::new(channel)
        .delete_task(request(message))
        .await?;
    Ok(())
}

/// ExecuteTaskSync: the header, then the inputs, then one answer read.
pub(super) async fn execute(
    channel: Channel,
    task: &TaskContext,
) -> Result<ResourceParts, Failure> {
    use admin::execute_task_sync_request::Part;
    use admin::execute_task_sync_response::Res;
    let header = admin::ExecuteTaskSyncRequest {
        part: Some(Part::Header(Box::new(admin::CreateRequestHeader {
            template: Some(task.template.clone()),
            output_prefix: task.output_prefix.clone(),
            task_execution_metadata: Some(execution(&task.execution)),
            max_dataset_size_bytes: 0,
        }))),
    };
    let inputs = admin::ExecuteTaskSyncRequest {
        part: Some(Part::Inputs(task.inputs.clone())),
    };
    let mut answers = SyncAgentServiceClient::new(channel)
        .execute_task_sync(tokio_stream::iter([header, inputs]))
        .await?
        .into_inner();
    let first = answers.message().await?.ok_or_else(|| {
        Failure::BadAnswer("the server ended the stream without an answer".to_owned())
    })?;
    match first.res {
        Some(Res::Header(admin::ExecuteTaskSyncResponseHeader {
            resource: Some(found),
        })) => Ok(resource(found)),
        Some(Res::Header(_)) => Err(Failure::BadAnswer(
            "the answer's header holds no resource".to_owned(),
        )),
        Some(Res::Outputs(_)) | None => Err(Failure::BadAnswer(
            "the first answer is not a header with the resource, which Propeller reads".to_owned(),
        )),
    }
}

/// An agent as ListAgents answers it: its categories, and the version-0
/// task types of the deprecated list that are not among them.
fn agent(agent: admin::Agent) -> AgentInfo {
    let mut task_categories: Vec<TaskCategory> = agent
        .supported_task_categories
        .into_iter()
        .map(|category| TaskCategory::new(category.name, category.version))
        .collect();
    #[allow(deprecated)]
    for task_type in agent.supported_task_types {
        let category = TaskCategory::new(task_type, 0);
        if !task_categories.contains(&category) {
            task_categories.push(category);
        }
    }
    AgentInfo {
        name: agent.name,
        is_sync: agent.is_sync,
        task_categories,
    }
}

/// A category as Flyte 1 sends it.
fn category(category: &TaskCategory) -> admin::TaskCategory {
    admin::TaskCategory {
        name: category.name.clone(),
        version: category.version,
    }
}

/// A resource's parts. Its phase is `phase`, or when that is unset, the
/// deprecated `state`, whose zero value is a retryable failure: Propeller
/// reads them so.
fn resource(resource: admin::Resource) -> ResourceParts {
    let phase = match resource.phase() {
        core::task_execution::Phase::Undefined =>
        {
            #[allow(deprecated)]
            match resource.state() {
                admin::State::RetryableFailure => Phase::RetryableFailed,
                admin::State::PermanentFailure => Phase::Failed,
                admin::State::Pending => Phase::Queued,
                admin::State::Running => Phase::Running,
                admin::State::Succeeded => Phase::Succeeded,
            }
        }
        phase => Phase::from_proto(phase),
    };
    ResourceParts {
        phase,
        message: resource.message,
        log_links: resource.log_links.into_iter().map(Into::into).collect(),
        outputs: resource.outputs,
        outputs_uri: None,
        custom_info: resource.custom_info,
    }
}

/// The execution metadata as Flyte 1 sends it.
fn execution(execution: &ExecutionMetadata) -> admin::TaskExecutionMetadata {
    let execution = execution.clone();
    admin::TaskExecutionMetadata {
        task_execution_id: execution.task_execution_id,
        namespace: execution.namespace,
        labels: execution.labels,
        annotations: execution.annotations,
        k8s_service_account: execution.k8s_service_account,
        environment_variables: execution.environment_variables,
        max_attempts: execution.max_attempts,
        interruptible: execution.interruptible,
        interruptible_failure_threshold: execution.interruptible_failure_threshold,
        overrides: execution.overrides,
        identity: execution.identity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unset_phase_is_read_from_the_deprecated_state() {
        #[allow(deprecated)]
        let old = admin::Resource {
            state: admin::State::Succeeded as i32,
            ..Default::default()
        };
        assert_eq!(resource(old).phase, Phase::Succeeded);
        assert_eq!(
            resource(admin::Resource::default()).phase,
            Phase::RetryableFailed
        );
        #[allow(deprecated)]
        let both = admin::Resource {
            state: admin::State::Running as i32,
            phase: core::task_execution::Phase::Failed as i32,
            ..Default::default()
        };
        assert_eq!(resource(both).phase, Phase::Failed);
    }

    #[test]
    fn deprecated_task_types_are_categories_at_version_zero() {
        #[allow(deprecated)]
        let listed = agent(admin::Agent {
            name: "A".into(),
            supported_task_types: vec!["old".into(), "both".into()],
            is_sync: true,
            supported_task_categories: vec![
                admin::TaskCategory {
                    name: "both".into(),
                    version: 0,
                },
                admin::TaskCategory {
                    name: "new".into(),
                    version: 2,
                },
            ],
        });
        assert_eq!(
            listed.task_categories,
            [
                TaskCategory::new("both", 0),
                TaskCategory::new("new", 2),
                TaskCategory::new("old", 0)
            ]
        );
        assert!(listed.is_sync);
    }
}
