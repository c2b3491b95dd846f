//! Property tests of the Flyte 1 request conversions: any bytes, and valid
//! requests with random edits, decoded as each request message and
//! converted, answer a task (read every way without a panic) or a typed
//! error naming the field.

use proptest::prelude::*;
use prost::Message;

use super::convert;
use crate::ErrorKind;
use crate::literal::properties::any_literal;
use crate::proto::flyteidl::{admin, core};
use crate::server::fuzz::{
    CASES, any_execution_id, any_template, full_inputs, full_template, read_task, wire_bytes,
};

fn execution() -> admin::TaskExecutionMetadata {
    admin::TaskExecutionMetadata {
        task_execution_id: Some(core::TaskExecutionIdentifier {
            task_id: Some(core::Identifier {
                name: "t".into(),
                ..Default::default()
            }),
            node_execution_id: Some(core::NodeExecutionIdentifier {
                node_id: "n0".into(),
                execution_id: Some(core::WorkflowExecutionIdentifier {
                    project: "p".into(),
                    domain: "d".into(),
                    name: "run".into(),
                    org: String::new(),
                }),
            }),
            retry_attempt: 2,
        }),
        namespace: "p-d".into(),
        labels: [("team".to_owned(), "data".to_owned())].into(),
        ..Default::default()
    }
}

fn create_seed() -> Vec<u8> {
    admin::CreateTaskRequest {
        inputs: Some(full_inputs()),
        template: Some(full_template()),
        output_prefix: "s3://bucket/run".into(),
        task_execution_metadata: Some(execution()),
    }
    .encode_to_vec()
}

fn sync_seed() -> Vec<u8> {
    admin::ExecuteTaskSyncRequest {
        part: Some(admin::execute_task_sync_request::Part::Header(Box::new(
            admin::CreateRequestHeader {
                template: Some(full_template()),
                output_prefix: "s3://bucket/run".into(),
                task_execution_metadata: Some(execution()),
                max_dataset_size_bytes: 0,
            },
        ))),
    }
    .encode_to_vec()
}

#[allow(deprecated)]
fn get_seed() -> Vec<u8> {
    admin::GetTaskRequest {
        task_type: "bigquery".into(),
        resource_meta: br#"{"job":"j1"}"#.to_vec(),
        task_category: Some(admin::TaskCategory {
            name: "bigquery".into(),
            version: 1,
        }),
        output_prefix: "s3://bucket/run".into(),
    }
    .encode_to_vec()
}

/// Any create request, built field by field.
fn any_create_request() -> impl Strategy<Value = admin::CreateTaskRequest> {
    (
        proptest::option::of(any_template()),
        proptest::option::of(proptest::collection::btree_map(
            ".{0,3}",
            any_literal(),
            0..4,
        )),
        ".{0,8}",
        proptest::option::of(any_execution_id()),
    )
        .prop_map(
            |(template, inputs, output_prefix, execution)| admin::CreateTaskRequest {
                template,
                inputs: inputs.map(|literals| core::LiteralMap {
                    literals: literals.into_iter().collect(),
                }),
                output_prefix,
                task_execution_metadata: execution.map(|task_execution_id| {
                    admin::TaskExecutionMetadata {
                        task_execution_id,
                        ..Default::default()
                    }
                }),
            },
        )
}

/// A refusal is `INVALID_ARGUMENT` with a message.
fn refused(error: &crate::AgentError) -> Result<(), TestCaseError> {
    prop_assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    prop_assert!(!error.message().is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn create_requests_convert_or_are_refused(bytes in wire_bytes(create_seed())) {
        if let Ok(request) = admin::CreateTaskRequest::decode(bytes.as_slice()) {
            match convert::create_request(request) {
                Ok(task) => read_task(&task),
                Err(error) => refused(&error)?,
            }
        }
    }

    #[test]
    fn any_create_request_converts_or_is_refused(request in any_create_request()) {
        let header = Box::new(admin::CreateRequestHeader {
            template: request.template.clone(),
            output_prefix: request.output_prefix.clone(),
            task_execution_metadata: request.task_execution_metadata.clone(),
            max_dataset_size_bytes: 0,
        });
        let inputs = request.inputs.clone().unwrap_or_default();
        let converted = convert::create_request(request);
        match &converted {
            Ok(task) => read_task(task),
            Err(error) => refused(error)?,
        }
        let synced = convert::sync_request(header, inputs);
        prop_assert_eq!(synced.is_ok(), converted.is_ok());
    }

    #[test]
    fn sync_requests_convert_or_are_refused(
        header in wire_bytes(sync_seed()),
        inputs in wire_bytes(full_inputs().encode_to_vec()),
    ) {
        let header = admin::ExecuteTaskSyncRequest::decode(header.as_slice());
        let inputs = core::LiteralMap::decode(inputs.as_slice());
        if let (Ok(header), Ok(inputs)) = (header, inputs) {
            let header = match header.part {
                Some(admin::execute_task_sync_request::Part::Header(header)) => header,
                _ => Box::default(),
            };
            match convert::sync_request(header, inputs) {
                Ok(task) => read_task(&task),
                Err(error) => refused(&error)?,
            }
        }
    }

    #[test]
    #[allow(deprecated)]
    fn get_and_delete_requests_name_a_job_or_are_refused(bytes in wire_bytes(get_seed())) {
        if let Ok(request) = admin::GetTaskRequest::decode(bytes.as_slice()) {
            match convert::job(
                request.task_category,
                request.task_type,
                request.resource_meta,
                request.output_prefix,
            ) {
                Ok(job) => prop_assert!(!job.category.name.is_empty()),
                Err(error) => refused(&error)?,
            }
        }
        if let Ok(request) = admin::DeleteTaskRequest::decode(bytes.as_slice()) {
            let converted = convert::job(
                request.task_category,
                request.task_type,
                request.resource_meta,
                String::new(),
            );
            if let Err(error) = converted {
                refused(&error)?;
            }
        }
    }
}
