//! The requests a run sends, encoded once before it starts: a small task
//! (template, one input, execution metadata naming an attempt) as Propeller
//! sends it, over Flyte 1 or Flyte 2. Every create and sync run names a
//! fresh task attempt, so an idempotency guard starts a job for each, as it
//! does for Propeller's tasks: its execution name is stamped into the
//! encoded bytes per request.

use std::collections::BTreeMap;

use agent_core::literal::LiteralMapBuilder;
use agent_core::proto::flyteidl::core::{self, LiteralMap};
use agent_core::proto::flyteidl::{admin, service as service1};
use agent_core::proto::flyteidl2::connector;
use bytes::Bytes;
use prost::Message;

/// Which protocol the requests speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// `flyteidl.service`: AsyncAgentService, SyncAgentService, AgentMetadataService.
    Flyte1,
    /// `flyteidl2.connector`: AsyncConnectorService, ConnectorMetadataService.
    Flyte2,
}

/// The execution name of the requests before its counter: the 16 hex
/// digits that follow are stamped per request.
const EXECUTION_PREFIX: &str = "agent-bench-";
/// The digits the encoded template holds until stamped.
const PLACEHOLDER: &str = "0000000000000000";
/// The output prefix every request sends.
const OUTPUT_PREFIX: &str = "s3://agent-bench/outputs";

/// An encoded message holding a fixed-width execution name, stamped with a
/// fresh number per request: a copy of the bytes and 16 digits written.
#[derive(Debug, Clone)]
pub struct Stamped {
    bytes: Vec<u8>,
    digits_at: usize,
}

impl Stamped {
    /// `message`'s encoding, with the placeholder execution name found in it.
    fn new(message: &impl Message) -> Self {
        let bytes = message.encode_to_vec();
        let name = format!("{EXECUTION_PREFIX}{PLACEHOLDER}");
        let digits_at = bytes
            .windows(name.len())
            .position(|window| window == name.as_bytes())
            .map(|at| at + EXECUTION_PREFIX.len())
            .expect("the message holds the placeholder execution name");
        Stamped { bytes, digits_at }
    }

    /// The message naming execution `number` (16 lowercase hex digits).
    pub fn stamp(&self, number: u64) -> Bytes {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut bytes = self.bytes.clone();
        let digits = &mut bytes[self.digits_at..self.digits_at + PLACEHOLDER.len()];
        for (i, digit) in digits.iter_mut().enumerate() {
            *digit = HEX[((number >> (60 - 4 * i)) & 0xf) as usize];
        }
        Bytes::from(bytes)
    }
}

/// The gRPC path of `method` in `service`.
fn path(service: &str, method: &str) -> String {
    format!("/{service}/{method}")
}

/// Encodes the requests of one protocol for one task type.
#[derive(Debug, Clone)]
pub struct Requests {
    protocol: Protocol,
    task_type: String,
}

impl Requests {
    /// Requests over `protocol` for tasks of type `task_type` (version 0).
    pub fn new(protocol: Protocol, task_type: &str) -> Self {
        Requests {
            protocol,
            task_type: task_type.to_owned(),
        }
    }

    /// The protocol spoken.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The path of CreateTask.
    pub fn create_path(&self) -> String {
        match self.protocol {
            Protocol::Flyte1 => path(
                service1::async_agent_service_server::SERVICE_NAME,
                "CreateTask",
            ),
            Protocol::Flyte2 => path(
                connector::async_connector_service_server::SERVICE_NAME,
                "CreateTask",
            ),
        }
    }

    /// The path of GetTask.
    pub fn get_path(&self) -> String {
        match self.protocol {
            Protocol::Flyte1 => path(
                service1::async_agent_service_server::SERVICE_NAME,
                "GetTask",
            ),
            Protocol::Flyte2 => path(
                connector::async_connector_service_server::SERVICE_NAME,
                "GetTask",
            ),
        }
    }

    /// The path of DeleteTask.
    pub fn delete_path(&self) -> String {
        match self.protocol {
            Protocol::Flyte1 => path(
                service1::async_agent_service_server::SERVICE_NAME,
                "DeleteTask",
            ),
            Protocol::Flyte2 => path(
                connector::async_connector_service_server::SERVICE_NAME,
                "DeleteTask",
            ),
        }
    }

    /// The path of ListAgents (Flyte 1) or ListConnectors (Flyte 2).
    pub fn list_path(&self) -> String {
        match self.protocol {
            Protocol::Flyte1 => path(
                service1::agent_metadata_service_server::SERVICE_NAME,
                "ListAgents",
            ),
            Protocol::Flyte2 => path(
                connector::connector_metadata_service_server::SERVICE_NAME,
                "ListConnectors",
            ),
        }
    }

    /// The path of ExecuteTaskSync (Flyte 1 only: Flyte 2 has no sync service).
    pub fn sync_path() -> String {
        path(
            service1::sync_agent_service_server::SERVICE_NAME,
            "ExecuteTaskSync",
        )
    }

    /// A CreateTask request, to stamp with a fresh execution per request.
    pub fn create(&self) -> Stamped {
        match self.protocol {
            Protocol::Flyte1 => Stamped::new(&admin::CreateTaskRequest {
                inputs: Some(inputs()),
                template: Some(self.template()),
                output_prefix: OUTPUT_PREFIX.to_owned(),
                task_execution_metadata: Some(self.execution1()),
            }),
            Protocol::Flyte2 => Stamped::new(&connector::CreateTaskRequest {
                inputs: Some(inputs().into()),
                template: Some(self.template()),
                output_prefix: OUTPUT_PREFIX.to_owned(),
                task_execution_metadata: Some(self.execution2()),
                connection: None,
            }),
        }
    }

    /// A GetTask request for the job `resource_meta` names.
    pub fn get(&self, resource_meta: &[u8]) -> Bytes {
        let encoded = match self.protocol {
            Protocol::Flyte1 => {
                #[allow(deprecated)]
                let request = admin::GetTaskRequest {
                    task_type: self.task_type.clone(),
                    resource_meta: resource_meta.to_vec(),
                    task_category: Some(admin::TaskCategory {
                        name: self.task_type.clone(),
                        version: 0,
                    }),
                    output_prefix: OUTPUT_PREFIX.to_owned(),
                };
                request.encode_to_vec()
            }
            Protocol::Flyte2 => connector::GetTaskRequest {
                resource_meta: resource_meta.to_vec(),
                task_category: Some(self.category2()),
                output_prefix: OUTPUT_PREFIX.to_owned(),
                connection: None,
            }
            .encode_to_vec(),
        };
        Bytes::from(encoded)
    }

    /// A DeleteTask request for the job `resource_meta` names.
    pub fn delete(&self, resource_meta: &[u8]) -> Bytes {
        let encoded = match self.protocol {
            Protocol::Flyte1 => {
                #[allow(deprecated)]
                let request = admin::DeleteTaskRequest {
                    task_type: self.task_type.clone(),
                    resource_meta: resource_meta.to_vec(),
                    task_category: Some(admin::TaskCategory {
                        name: self.task_type.clone(),
                        version: 0,
                    }),
                };
                request.encode_to_vec()
            }
            Protocol::Flyte2 => connector::DeleteTaskRequest {
                resource_meta: resource_meta.to_vec(),
                task_category: Some(self.category2()),
                connection: None,
            }
            .encode_to_vec(),
        };
        Bytes::from(encoded)
    }

    /// A ListAgents or ListConnectors request.
    pub fn list(&self) -> Bytes {
        let encoded = match self.protocol {
            Protocol::Flyte1 => admin::ListAgentsRequest {}.encode_to_vec(),
            Protocol::Flyte2 => connector::ListConnectorsRequest::default().encode_to_vec(),
        };
        Bytes::from(encoded)
    }

    /// The two messages of an ExecuteTaskSync stream: the header, to stamp
    /// with a fresh execution per request, then the inputs.
    pub fn sync(&self) -> (Stamped, Bytes) {
        use admin::execute_task_sync_request::Part;
        let header = admin::ExecuteTaskSyncRequest {
            part: Some(Part::Header(Box::new(admin::CreateRequestHeader {
                template: Some(self.template()),
                output_prefix: OUTPUT_PREFIX.to_owned(),
                task_execution_metadata: Some(self.execution1()),
                max_dataset_size_bytes: 0,
            }))),
        };
        let inputs = admin::ExecuteTaskSyncRequest {
            part: Some(Part::Inputs(inputs())),
        };
        (Stamped::new(&header), Bytes::from(inputs.encode_to_vec()))
    }

    /// The task template: its id and type.
    fn template(&self) -> core::TaskTemplate {
        core::TaskTemplate {
            id: Some(core::Identifier {
                resource_type: core::ResourceType::Task as i32,
                project: "flytesnacks".to_owned(),
                domain: "development".to_owned(),
                name: "agent_bench.task".to_owned(),
                version: "v1".to_owned(),
                org: String::new(),
            }),
            r#type: self.task_type.clone(),
            ..Default::default()
        }
    }

    /// The attempt the requests name, its execution name the placeholder.
    fn execution_id(&self) -> core::TaskExecutionIdentifier {
        core::TaskExecutionIdentifier {
            task_id: self.template().id,
            node_execution_id: Some(core::NodeExecutionIdentifier {
                node_id: "n0".to_owned(),
                execution_id: Some(core::WorkflowExecutionIdentifier {
                    project: "flytesnacks".to_owned(),
                    domain: "development".to_owned(),
                    name: format!("{EXECUTION_PREFIX}{PLACEHOLDER}"),
                    org: String::new(),
                }),
            }),
            retry_attempt: 0,
        }
    }

    /// The Flyte 1 execution metadata.
    fn execution1(&self) -> admin::TaskExecutionMetadata {
        admin::TaskExecutionMetadata {
            task_execution_id: Some(self.execution_id()),
            namespace: "flytesnacks-development".to_owned(),
            labels: labels(),
            ..Default::default()
        }
    }

    /// The Flyte 2 execution metadata.
    fn execution2(&self) -> connector::TaskExecutionMetadata {
        connector::TaskExecutionMetadata {
            task_execution_id: Some(self.execution_id()),
            namespace: "flytesnacks-development".to_owned(),
            labels: labels(),
            ..Default::default()
        }
    }

    /// The Flyte 2 task category.
    fn category2(&self) -> connector::TaskCategory {
        connector::TaskCategory {
            name: self.task_type.clone(),
            version: 0,
        }
    }
}

/// The labels Propeller puts on a task's pod.
fn labels() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("project".to_owned(), "flytesnacks".to_owned()),
        ("domain".to_owned(), "development".to_owned()),
    ])
}

/// The inputs: `x = 1`.
fn inputs() -> LiteralMap {
    LiteralMapBuilder::new()
        .with("x", 1)
        .build()
        .expect("an integer is a literal")
}

/// The `resource_meta` a CreateTask answer holds.
pub fn resource_meta(protocol: Protocol, answer: &[u8]) -> Result<Vec<u8>, prost::DecodeError> {
    Ok(match protocol {
        Protocol::Flyte1 => admin::CreateTaskResponse::decode(answer)?.resource_meta,
        Protocol::Flyte2 => connector::CreateTaskResponse::decode(answer)?.resource_meta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamping_names_a_fresh_execution_and_keeps_the_message_valid() {
        let requests = Requests::new(Protocol::Flyte1, "bench_async");
        let stamped = requests.create();
        let decoded = admin::CreateTaskRequest::decode(stamped.stamp(0xabc)).unwrap();
        let name = decoded
            .task_execution_metadata
            .and_then(|m| m.task_execution_id)
            .and_then(|id| id.node_execution_id)
            .and_then(|node| node.execution_id)
            .map(|execution| execution.name)
            .unwrap();
        assert_eq!(name, "agent-bench-0000000000000abc");
        assert_eq!(decoded.template.unwrap().r#type, "bench_async");
    }

    #[test]
    fn flyte2_requests_decode_as_flyte2_messages() {
        let requests = Requests::new(Protocol::Flyte2, "t");
        let create =
            connector::CreateTaskRequest::decode(requests.create().stamp(u64::MAX)).unwrap();
        assert_eq!(create.inputs.unwrap().literals[0].name, "x");
        let get = connector::GetTaskRequest::decode(requests.get(b"{}")).unwrap();
        assert_eq!(get.resource_meta, b"{}");
        assert_eq!(get.task_category.unwrap().name, "t");
    }

    #[test]
    fn paths_name_the_services_of_the_protocol() {
        let one = Requests::new(Protocol::Flyte1, "t");
        assert_eq!(
            one.create_path(),
            "/flyteidl.service.AsyncAgentService/CreateTask"
        );
        assert_eq!(
            one.list_path(),
            "/flyteidl.service.AgentMetadataService/ListAgents"
        );
        let two = Requests::new(Protocol::Flyte2, "t");
        assert_eq!(
            two.list_path(),
            "/flyteidl2.connector.ConnectorMetadataService/ListConnectors"
        );
        assert_eq!(
            Requests::sync_path(),
            "/flyteidl.service.SyncAgentService/ExecuteTaskSync"
        );
    }
}
