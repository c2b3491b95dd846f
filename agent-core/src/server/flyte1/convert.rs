//! Flyte 1 (`flyteidl.admin`) messages to the core's types and back, with
//! the protocol's own rules: the deprecated `task_type` field that names a
//! category at version 0, the deprecated `state` beside `phase`, and the
//! deprecated `supported_task_types` list.

use crate::context::ExecutionMetadata;
use crate::dispatch::Job;
use crate::proto::flyteidl::{admin, core};
use crate::registry::AgentMetadata;
use crate::resource::ResourceParts;
use crate::server::shared::usable_template;
use crate::{AgentError, Connection, Phase, TaskCategory, TaskContext};

/// The task a `CreateTaskRequest` describes, boxed for the dispatcher.
///
/// Fails with `INVALID_ARGUMENT` when the template or its type is missing.
pub(super) fn create_request(
    request: admin::CreateTaskRequest,
) -> Result<Box<TaskContext>, AgentError> {
    let template = usable_template(request.template, "CreateTaskRequest.template")?;
    Ok(Box::new(TaskContext {
        template,
        inputs: request.inputs.unwrap_or_default(),
        output_prefix: request.output_prefix,
        execution: execution(request.task_execution_metadata.unwrap_or_default()),
        connection: Default::default(),
    }))
}

/// The task an `ExecuteTaskSync` call describes in its header and inputs,
/// boxed for the dispatcher.
///
/// Fails with `INVALID_ARGUMENT` when the template or its type is missing.
pub(super) fn sync_request(
    header: Box<admin::CreateRequestHeader>,
    inputs: core::LiteralMap,
) -> Result<Box<TaskContext>, AgentError> {
    let admin::CreateRequestHeader {
        template,
        output_prefix,
        task_execution_metadata,
        ..
    } = *header;
    let template = usable_template(template, "ExecuteTaskSyncRequest.header.template")?;
    Ok(Box::new(TaskContext {
        template,
        inputs,
        output_prefix,
        execution: execution(task_execution_metadata.unwrap_or_default()),
        connection: Default::default(),
    }))
}

fn execution(metadata: admin::TaskExecutionMetadata) -> ExecutionMetadata {
    ExecutionMetadata {
        task_execution_id: metadata.task_execution_id,
        namespace: metadata.namespace,
        labels: metadata.labels,
        annotations: metadata.annotations,
        k8s_service_account: metadata.k8s_service_account,
        environment_variables: metadata.environment_variables,
        max_attempts: metadata.max_attempts,
        interruptible: metadata.interruptible,
        interruptible_failure_threshold: metadata.interruptible_failure_threshold,
        identity: metadata.identity,
        overrides: metadata.overrides,
    }
}

/// The job a get, delete, metrics or logs request names; only a get sends
/// the output prefix (empty for the others).
///
/// Fails with `INVALID_ARGUMENT` when it names no task type.
pub(super) fn job(
    category: Option<admin::TaskCategory>,
    task_type: String,
    resource_meta: Vec<u8>,
    output_prefix: String,
) -> Result<Job, AgentError> {
    Ok(Job {
        category: requested_category(category, task_type)?,
        resource_meta,
        connection: Connection::default(),
        output_prefix,
    })
}

/// The category a get, delete, metrics or logs request names:
/// `task_category`, or the deprecated `task_type` string (version 0) when
/// the category is absent or empty.
///
/// Fails with `INVALID_ARGUMENT` when it names none.
fn requested_category(
    category: Option<admin::TaskCategory>,
    task_type: String,
) -> Result<TaskCategory, AgentError> {
    let category = match category {
        Some(category) if !category.name.is_empty() => {
            TaskCategory::new(category.name, category.version)
        }
        _ => TaskCategory::new(task_type, 0),
    };
    if category.name.is_empty() {
        return Err(AgentError::invalid_argument(
            "task_category.name (or the deprecated task_type) is empty: name the task type \
             the request is for",
        ));
    }
    Ok(category)
}

/// A resource as Flyte 1 sends it, with the phase in both `phase` and the
/// deprecated `state` that older propellers read.
pub(super) fn resource(parts: ResourceParts) -> admin::Resource {
    #[allow(deprecated)]
    admin::Resource {
        state: state(parts.phase) as i32,
        phase: parts.phase.to_proto() as i32,
        outputs: parts.outputs,
        message: parts.message,
        log_links: parts.log_links.into_iter().map(Into::into).collect(),
        custom_info: parts.custom_info,
        agent_error: None,
    }
}

/// The deprecated `flyteidl.admin.State` of `phase`.
fn state(phase: Phase) -> admin::State {
    match phase {
        Phase::Succeeded => admin::State::Succeeded,
        Phase::Running | Phase::Initializing => admin::State::Running,
        Phase::Queued | Phase::WaitingForResources | Phase::Undefined => admin::State::Pending,
        Phase::Failed | Phase::Aborted => admin::State::PermanentFailure,
        Phase::RetryableFailed => admin::State::RetryableFailure,
    }
}

/// An agent as `ListAgents` shows it: its categories, and its version-0
/// task types in the deprecated list that Propeller still reads.
pub(super) fn agent(metadata: &AgentMetadata) -> admin::Agent {
    let mut task_types: Vec<String> = Vec::new();
    for category in &metadata.task_categories {
        if category.version == 0 && !task_types.contains(&category.name) {
            task_types.push(category.name.clone());
        }
    }
    #[allow(deprecated)]
    admin::Agent {
        name: metadata.name.clone(),
        supported_task_types: task_types,
        is_sync: metadata.is_sync,
        supported_task_categories: metadata
            .task_categories
            .iter()
            .map(|category| admin::TaskCategory {
                name: category.name.clone(),
                version: category.version,
            })
            .collect(),
    }
}

/// Splits log lines into bodies of about `body_bytes` of text each, so that
/// no message passes the size limit. Each line is sent as a structured line
/// and in the deprecated plain list, which older clients read.
pub(super) fn log_bodies(
    lines: Vec<String>,
    body_bytes: usize,
) -> Vec<admin::GetTaskLogsResponseBody> {
    super::super::task_logs::chunks(lines, body_bytes)
        .into_iter()
        .map(|lines| admin::GetTaskLogsResponseBody {
            structured_lines: lines
                .iter()
                .map(|line| admin::LogLine {
                    message: line.clone(),
                    ..Default::default()
                })
                .collect(),
            #[allow(deprecated)]
            results: lines,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Resource;

    #[test]
    fn every_phase_has_its_deprecated_state() {
        use admin::State;
        let expected = [
            (Phase::Undefined, State::Pending),
            (Phase::Queued, State::Pending),
            (Phase::WaitingForResources, State::Pending),
            (Phase::Initializing, State::Running),
            (Phase::Running, State::Running),
            (Phase::Succeeded, State::Succeeded),
            (Phase::Failed, State::PermanentFailure),
            (Phase::Aborted, State::PermanentFailure),
            (Phase::RetryableFailed, State::RetryableFailure),
        ];
        for (phase, state) in expected {
            let wire = resource(Resource::new(phase).into_parts().unwrap());
            #[allow(deprecated)]
            let written = wire.state;
            assert_eq!(written, state as i32, "{phase:?}");
            assert_eq!(wire.phase, phase.to_proto() as i32);
        }
    }

    #[test]
    fn the_deprecated_task_type_names_version_zero() {
        let category = requested_category(None, "bq".into()).unwrap();
        assert_eq!(category, TaskCategory::new("bq", 0));
        let empty = admin::TaskCategory::default();
        assert_eq!(
            requested_category(Some(empty), "bq".into()).unwrap(),
            TaskCategory::new("bq", 0)
        );
        let error = requested_category(None, String::new()).unwrap_err();
        assert!(error.message().contains("task_category.name"), "{error}");
    }

    #[test]
    fn version_zero_types_are_listed_once_in_the_deprecated_list() {
        let metadata = AgentMetadata {
            name: "A".into(),
            is_sync: false,
            task_categories: vec![
                TaskCategory::new("bq", 0),
                TaskCategory::new("bq", 1),
                TaskCategory::new("sf", 0),
            ],
        };
        let agent = agent(&metadata);
        #[allow(deprecated)]
        let types = agent.supported_task_types;
        assert_eq!(types, ["bq", "sf"]);
        assert_eq!(agent.supported_task_categories.len(), 3);
    }
}
