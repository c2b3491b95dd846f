//! Property tests of the Flyte 2 request conversions: any bytes, and valid
//! requests with random edits, decoded as each request message and
//! converted, answer a task or job (read every way without a panic) or a
//! typed error naming the field.

use proptest::prelude::*;
use prost::Message;

use super::convert;
use crate::ErrorKind;
use crate::literal::properties::any_literal;
use crate::proto::flyteidl2::core::Connection;
use crate::proto::flyteidl2::{connector, task};
use crate::server::fuzz::{
    CASES, any_execution_id, any_template, full_inputs, full_template, read_task, wire_bytes,
};

fn create_seed() -> Vec<u8> {
    connector::CreateTaskRequest {
        inputs: Some(full_inputs().into()),
        template: Some(full_template()),
        output_prefix: "s3://bucket/run".into(),
        task_execution_metadata: Some(connector::TaskExecutionMetadata {
            namespace: "p-d".into(),
            labels: [("team".to_owned(), "data".to_owned())].into(),
            ..Default::default()
        }),
        connection: Some(connection()),
    }
    .encode_to_vec()
}

fn connection() -> Connection {
    Connection {
        task_type: "bigquery".into(),
        secrets: [("api_key".to_owned(), "sk".to_owned())].into(),
        configs: [("region".to_owned(), "eu".to_owned())].into(),
    }
}

fn get_seed() -> Vec<u8> {
    connector::GetTaskRequest {
        task_category: Some(connector::TaskCategory {
            name: "bigquery".into(),
            version: 1,
        }),
        resource_meta: br#"{"job":"j1"}"#.to_vec(),
        output_prefix: "s3://bucket/run".into(),
        connection: Some(connection()),
    }
    .encode_to_vec()
}

/// Any create request, built field by field: inputs maybe unnamed,
/// valueless or given twice.
fn any_create_request() -> impl Strategy<Value = connector::CreateTaskRequest> {
    let named = (
        prop_oneof![Just(String::new()), Just("x".to_owned()), ".{0,3}"],
        proptest::option::of(any_literal()),
    )
        .prop_map(|(name, value)| task::NamedLiteral { name, value });
    (
        proptest::option::of(any_template()),
        proptest::option::of(proptest::collection::vec(named, 0..4)),
        ".{0,8}",
        any_execution_id(),
        proptest::option::of(proptest::collection::btree_map(".{0,3}", ".{0,3}", 0..3)),
    )
        .prop_map(
            |(template, inputs, output_prefix, task_execution_id, secrets)| {
                connector::CreateTaskRequest {
                    template,
                    inputs: inputs.map(|literals| task::Inputs {
                        literals,
                        context: Vec::new(),
                    }),
                    output_prefix,
                    task_execution_metadata: Some(connector::TaskExecutionMetadata {
                        task_execution_id,
                        ..Default::default()
                    }),
                    connection: secrets.map(|secrets| Connection {
                        secrets: secrets.into_iter().collect(),
                        ..Default::default()
                    }),
                }
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
        if let Ok(request) = connector::CreateTaskRequest::decode(bytes.as_slice()) {
            match convert::create_request(request) {
                Ok(task) => {
                    read_task(&task);
                    let _ = task.connection.secret_value("api_key");
                }
                Err(error) => refused(&error)?,
            }
        }
    }

    #[test]
    fn any_create_request_converts_or_is_refused(request in any_create_request()) {
        match convert::create_request(request) {
            Ok(task) => read_task(&task),
            Err(error) => refused(&error)?,
        }
    }

    #[test]
    fn get_and_delete_requests_name_a_job_or_are_refused(bytes in wire_bytes(get_seed())) {
        if let Ok(request) = connector::GetTaskRequest::decode(bytes.as_slice()) {
            match convert::job(
                request.task_category,
                request.resource_meta,
                request.connection,
                request.output_prefix,
            ) {
                Ok(job) => prop_assert!(!job.category.name.is_empty()),
                Err(error) => refused(&error)?,
            }
        }
        if let Ok(request) = connector::DeleteTaskRequest::decode(bytes.as_slice()) {
            let converted = convert::job(
                request.task_category,
                request.resource_meta,
                request.connection,
                String::new(),
            );
            if let Err(error) = converted {
                refused(&error)?;
            }
        }
    }
}
