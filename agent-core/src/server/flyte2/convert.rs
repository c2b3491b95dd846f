//! Flyte 2 (`flyteidl2.connector`) messages to the core's types and back,
//! with the protocol's own rules: inputs and outputs as lists of named
//! literals, the `Connection` sent with create, get and delete, and no
//! deprecated fields.
//!
//! The template, literals, identifiers and log links are decoded straight
//! into the `flyteidl.core` types the core speaks (see `build.rs`).

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use crate::context::ExecutionMetadata;
use crate::dispatch::Job;
use crate::proto::flyteidl::core;
use crate::proto::flyteidl2::core::Connection as WireConnection;
use crate::proto::flyteidl2::{connector, logs::dataplane, task};
use crate::registry::AgentMetadata;
use crate::resource::ResourceParts;
use crate::server::shared::usable_template;
use crate::{AgentError, Connection, TaskCategory, TaskContext};

/// The task a `CreateTaskRequest` describes, boxed for the dispatcher.
///
/// Fails with `INVALID_ARGUMENT` when the template or its type is missing,
/// or an input is unnamed, empty or given twice.
pub(super) fn create_request(
    request: connector::CreateTaskRequest,
) -> Result<Box<TaskContext>, AgentError> {
    let template = usable_template(request.template, "CreateTaskRequest.template")?;
    Ok(Box::new(TaskContext {
        template,
        inputs: inputs(request.inputs.unwrap_or_default())?,
        output_prefix: request.output_prefix,
        execution: execution(request.task_execution_metadata.unwrap_or_default()),
        connection: connection(request.connection),
    }))
}

/// Named literals as the literal map the core reads.
fn inputs(inputs: task::Inputs) -> Result<core::LiteralMap, AgentError> {
    let mut literals = BTreeMap::new();
    for (index, input) in inputs.literals.into_iter().enumerate() {
        if input.name.is_empty() {
            return Err(AgentError::invalid_argument(format!(
                "CreateTaskRequest.inputs.literals[{index}].name is empty: name every input"
            )));
        }
        let Some(value) = input.value else {
            return Err(AgentError::invalid_argument(format!(
                "CreateTaskRequest.inputs: the input `{}` has no value",
                input.name
            )));
        };
        match literals.entry(input.name) {
            Entry::Vacant(free) => {
                free.insert(value);
            }
            Entry::Occupied(given) => {
                return Err(AgentError::invalid_argument(format!(
                    "CreateTaskRequest.inputs: the input `{}` is given twice",
                    given.key()
                )));
            }
        }
    }
    Ok(core::LiteralMap { literals })
}

fn execution(metadata: connector::TaskExecutionMetadata) -> ExecutionMetadata {
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
        overrides: None,
    }
}

fn connection(connection: Option<WireConnection>) -> Connection {
    connection.map_or_else(Connection::default, |connection| {
        Connection::new(connection.secrets, connection.configs)
    })
}

/// The job a get, delete, metrics or logs request names, with the output
/// prefix a get sends (where outputs too large to answer inline go).
///
/// Fails with `INVALID_ARGUMENT` when it names no task type.
pub(super) fn job(
    category: Option<connector::TaskCategory>,
    resource_meta: Vec<u8>,
    wire_connection: Option<WireConnection>,
    output_prefix: String,
) -> Result<Job, AgentError> {
    let category = category.unwrap_or_default();
    if category.name.is_empty() {
        return Err(AgentError::invalid_argument(
            "task_category.name is empty: name the task type the request is for",
        ));
    }
    Ok(Job {
        category: TaskCategory::new(category.name, category.version),
        resource_meta,
        connection: connection(wire_connection),
        output_prefix,
    })
}

/// A resource as Flyte 2 sends it: outputs as named literals, no `state`.
pub(super) fn resource(parts: ResourceParts) -> connector::Resource {
    connector::Resource {
        outputs: parts.outputs.map(task::Outputs::from),
        message: parts.message,
        log_links: parts.log_links.into_iter().map(Into::into).collect(),
        phase: parts.phase.to_proto() as i32,
        custom_info: parts.custom_info,
    }
}

/// A connector as `ListConnectors` shows it.
pub(super) fn connector(metadata: &AgentMetadata) -> connector::Connector {
    connector::Connector {
        name: metadata.name.clone(),
        supported_task_categories: metadata
            .task_categories
            .iter()
            .map(|category| connector::TaskCategory {
                name: category.name.clone(),
                version: category.version,
            })
            .collect(),
    }
}

/// Log lines in bodies of about `body_bytes` of text each, as structured
/// lines and in the deprecated plain list.
pub(super) fn log_bodies(
    lines: Vec<String>,
    body_bytes: usize,
) -> Vec<connector::GetTaskLogsResponseBody> {
    super::super::task_logs::chunks(lines, body_bytes)
        .into_iter()
        .map(|lines| connector::GetTaskLogsResponseBody {
            lines: lines
                .iter()
                .map(|line| dataplane::LogLine {
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

    fn named(name: &str, value: i64) -> task::NamedLiteral {
        task::NamedLiteral {
            name: name.into(),
            value: Some(crate::IntoLiteral::into_literal(value).unwrap()),
        }
    }

    #[test]
    fn named_inputs_become_a_map_and_duplicates_are_refused() {
        let map = inputs(task::Inputs {
            literals: vec![named("a", 1), named("b", 2)],
            context: Vec::new(),
        })
        .unwrap();
        assert_eq!(map.literals.len(), 2);
        let error = inputs(task::Inputs {
            literals: vec![named("a", 1), named("a", 2)],
            context: Vec::new(),
        })
        .unwrap_err();
        assert!(error.message().contains("`a` is given twice"), "{error}");
    }

    #[test]
    fn outputs_leave_as_named_literals() {
        let parts = Resource::succeeded()
            .output("o0", 1)
            .output("o1", "x")
            .into_parts()
            .unwrap();
        let wire = resource(parts);
        let names: Vec<_> = wire
            .outputs
            .unwrap()
            .literals
            .into_iter()
            .map(|named| named.name)
            .collect();
        assert_eq!(names, ["o0", "o1"]);
        assert_eq!(wire.phase, core::task_execution::Phase::Succeeded as i32);
    }

    #[test]
    fn a_connection_reaches_the_task() {
        let request = connector::CreateTaskRequest {
            template: Some(core::TaskTemplate {
                r#type: "chat".into(),
                ..Default::default()
            }),
            connection: Some(WireConnection {
                task_type: "chat".into(),
                secrets: [("api_key".to_string(), "sk".to_string())].into(),
                configs: [("region".to_string(), "eu".to_string())].into(),
            }),
            ..Default::default()
        };
        let task = create_request(request).unwrap();
        assert_eq!(task.connection.secret_value("api_key"), Some("sk"));
        assert_eq!(task.connection.config("region"), Some("eu"));
    }
}
