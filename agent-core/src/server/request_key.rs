//! The keys idempotency guards file requests under: the task execution id
//! with its retry attempt when Propeller sends one, else a hash of what
//! identifies the request.

use std::hash::{DefaultHasher, Hash, Hasher};

use prost::Message;

use crate::TaskCategory;
use crate::proto::flyteidl::{admin, core};

/// The key of a `CreateTaskRequest`.
pub(crate) fn create(request: &admin::CreateTaskRequest) -> String {
    task_key(
        "create",
        request.template.as_ref(),
        request.task_execution_metadata.as_ref(),
        request.inputs.as_ref(),
        &request.output_prefix,
    )
}

/// The key of an `ExecuteTaskSync` call.
pub(crate) fn execute(header: &admin::CreateRequestHeader, inputs: &core::LiteralMap) -> String {
    task_key(
        "execute",
        header.template.as_ref(),
        header.task_execution_metadata.as_ref(),
        Some(inputs),
        &header.output_prefix,
    )
}

/// The key of a `DeleteTaskRequest`.
pub(crate) fn delete(category: &TaskCategory, resource_meta: &[u8]) -> String {
    let mut hasher = DefaultHasher::new();
    resource_meta.hash(&mut hasher);
    format!(
        "delete/{}/{}/{:016x}",
        category.name,
        category.version,
        hasher.finish()
    )
}

fn task_key(
    operation: &str,
    template: Option<&core::TaskTemplate>,
    execution: Option<&admin::TaskExecutionMetadata>,
    inputs: Option<&core::LiteralMap>,
    output_prefix: &str,
) -> String {
    let (task_type, version) =
        template.map_or(("", 0), |t| (t.r#type.as_str(), t.task_type_version));
    let prefix = format!("{operation}/{task_type}/{version}");
    if let Some(id) = execution.and_then(|e| e.task_execution_id.as_ref())
        && let Some(node) = &id.node_execution_id
    {
        let workflow = node.execution_id.clone().unwrap_or_default();
        let task = id.task_id.clone().unwrap_or_default();
        return format!(
            "{prefix}/{}/{}/{}/{}/{}/{}/{}/attempt-{}",
            workflow.org,
            workflow.project,
            workflow.domain,
            workflow.name,
            node.node_id,
            task.name,
            task.version,
            id.retry_attempt
        );
    }
    let mut hasher = DefaultHasher::new();
    template.map(Message::encode_to_vec).hash(&mut hasher);
    inputs.map(Message::encode_to_vec).hash(&mut hasher);
    output_prefix.hash(&mut hasher);
    format!("{prefix}/request-{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(attempt: u32, prefix: &str) -> admin::CreateTaskRequest {
        admin::CreateTaskRequest {
            template: Some(core::TaskTemplate {
                r#type: "bq".into(),
                ..Default::default()
            }),
            output_prefix: prefix.into(),
            task_execution_metadata: Some(admin::TaskExecutionMetadata {
                task_execution_id: Some(core::TaskExecutionIdentifier {
                    node_execution_id: Some(core::NodeExecutionIdentifier {
                        node_id: "n0".into(),
                        execution_id: Some(core::WorkflowExecutionIdentifier {
                            name: "run1".into(),
                            ..Default::default()
                        }),
                    }),
                    retry_attempt: attempt,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_retry_attempt_is_part_of_the_key() {
        assert_eq!(create(&request(0, "s3://a")), create(&request(0, "s3://b")));
        assert_ne!(create(&request(0, "s3://a")), create(&request(1, "s3://a")));
    }

    #[test]
    fn without_an_execution_id_the_request_is_hashed() {
        let mut first = request(0, "s3://a");
        first.task_execution_metadata = None;
        let mut second = first.clone();
        assert_eq!(create(&first), create(&second));
        second.output_prefix = "s3://b".into();
        assert_ne!(create(&first), create(&second));
    }
}
