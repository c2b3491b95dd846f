//! `baseline-server`: the Flyte 1 and Flyte 2 agent services on bare tonic,
//! answering constants (no registry, no guard, no metrics, no logs): what
//! serving these RPCs costs before any framework, for benchmarks to compare
//! an agent server against. It answers as `bench-agent-server`'s agents do:
//! `bench_async` (a job id, then SUCCEEDED with `o0 = 1`) and `bench_sync`.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use agent_core::literal::LiteralMapBuilder;
use agent_core::proto::flyteidl::admin;
use agent_core::proto::flyteidl::core::LiteralMap;
use agent_core::proto::flyteidl::core::task_execution::Phase;
use agent_core::proto::flyteidl::service::{
    agent_metadata_service_server::{AgentMetadataService, AgentMetadataServiceServer},
    async_agent_service_server::{AsyncAgentService, AsyncAgentServiceServer},
    sync_agent_service_server::{SyncAgentService, SyncAgentServiceServer},
};
use agent_core::proto::flyteidl2::connector::{
    self,
    async_connector_service_server::{AsyncConnectorService, AsyncConnectorServiceServer},
    connector_metadata_service_server::{ConnectorMetadataService, ConnectorMetadataServiceServer},
};
use agent_core::proto::flyteidl2::task;
use clap::Parser;
use futures::{StreamExt, stream};
use tonic::{Request, Response, Status, Streaming};

/// The metadata every CreateTask answers.
const RESOURCE_META: &[u8] = br#"{"job_id":0}"#;

/// Serve the agent services of Flyte 1 and Flyte 2 on bare tonic, answering
/// constants: the baseline `bench/run.sh` measures an agent server against.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V6(Ipv6Addr::UNSPECIFIED))]
    host: IpAddr,
    /// gRPC port.
    #[arg(long, default_value_t = 8000)]
    port: u16,
}

/// The answers, built once.
#[derive(Clone)]
struct Answers {
    /// `o0 = 1`.
    outputs: LiteralMap,
}

impl Answers {
    fn new() -> Self {
        Answers {
            outputs: LiteralMapBuilder::new()
                .with("o0", 1)
                .build()
                .expect("an integer is a literal"),
        }
    }

    /// A succeeded Flyte 1 resource with the outputs.
    fn resource1(&self) -> admin::Resource {
        #[allow(deprecated)]
        admin::Resource {
            state: admin::State::Succeeded as i32,
            outputs: Some(self.outputs.clone()),
            phase: Phase::Succeeded as i32,
            ..Default::default()
        }
    }

    /// A succeeded Flyte 2 resource with the outputs.
    fn resource2(&self) -> connector::Resource {
        connector::Resource {
            outputs: Some(task::Outputs {
                literals: self
                    .outputs
                    .literals
                    .iter()
                    .map(|(name, value)| task::NamedLiteral {
                        name: name.clone(),
                        value: Some(value.clone()),
                    })
                    .collect(),
                produced_artifacts: Vec::new(),
            }),
            phase: Phase::Succeeded as i32,
            ..Default::default()
        }
    }
}

/// The agents listed: `(name, task type, is_sync)`.
const AGENTS: [(&str, &str, bool); 2] = [
    ("Bench Async Agent", "bench_async", false),
    ("Bench Sync Agent", "bench_sync", true),
];

fn agent1((name, task_type, is_sync): (&str, &str, bool)) -> admin::Agent {
    #[allow(deprecated)]
    admin::Agent {
        name: name.to_owned(),
        supported_task_types: vec![task_type.to_owned()],
        is_sync,
        supported_task_categories: vec![admin::TaskCategory {
            name: task_type.to_owned(),
            version: 0,
        }],
    }
}

fn agent2((name, task_type, _): (&str, &str, bool)) -> connector::Connector {
    connector::Connector {
        name: name.to_owned(),
        supported_task_categories: vec![connector::TaskCategory {
            name: task_type.to_owned(),
            version: 0,
        }],
    }
}

type Stream<T> = stream::Iter<std::vec::IntoIter<Result<T, Status>>>;

#[tonic::async_trait]
impl AsyncAgentService for Answers {
    async fn create_task(
        &self,
        _request: Request<admin::CreateTaskRequest>,
    ) -> Result<Response<admin::CreateTaskResponse>, Status> {
        Ok(Response::new(admin::CreateTaskResponse {
            resource_meta: RESOURCE_META.to_vec(),
        }))
    }

    async fn get_task(
        &self,
        _request: Request<admin::GetTaskRequest>,
    ) -> Result<Response<admin::GetTaskResponse>, Status> {
        Ok(Response::new(admin::GetTaskResponse {
            resource: Some(self.resource1()),
        }))
    }

    async fn delete_task(
        &self,
        _request: Request<admin::DeleteTaskRequest>,
    ) -> Result<Response<admin::DeleteTaskResponse>, Status> {
        Ok(Response::new(admin::DeleteTaskResponse {}))
    }

    async fn get_task_metrics(
        &self,
        _request: Request<admin::GetTaskMetricsRequest>,
    ) -> Result<Response<admin::GetTaskMetricsResponse>, Status> {
        Ok(Response::new(admin::GetTaskMetricsResponse::default()))
    }

    type GetTaskLogsStream = Stream<admin::GetTaskLogsResponse>;

    async fn get_task_logs(
        &self,
        _request: Request<admin::GetTaskLogsRequest>,
    ) -> Result<Response<Self::GetTaskLogsStream>, Status> {
        Ok(Response::new(stream::iter(Vec::new())))
    }
}

#[tonic::async_trait]
impl SyncAgentService for Answers {
    type ExecuteTaskSyncStream = Stream<admin::ExecuteTaskSyncResponse>;

    async fn execute_task_sync(
        &self,
        request: Request<Streaming<admin::ExecuteTaskSyncRequest>>,
    ) -> Result<Response<Self::ExecuteTaskSyncStream>, Status> {
        let mut messages = request.into_inner();
        // The header, then the inputs, read as the agent server reads them.
        messages.next().await.transpose()?;
        messages.next().await.transpose()?;
        let answer = admin::ExecuteTaskSyncResponse {
            res: Some(admin::execute_task_sync_response::Res::Header(
                admin::ExecuteTaskSyncResponseHeader {
                    resource: Some(self.resource1()),
                },
            )),
        };
        Ok(Response::new(stream::iter(vec![Ok(answer)])))
    }
}

#[tonic::async_trait]
impl AgentMetadataService for Answers {
    async fn get_agent(
        &self,
        request: Request<admin::GetAgentRequest>,
    ) -> Result<Response<admin::GetAgentResponse>, Status> {
        let name = request.into_inner().name;
        let agent = AGENTS
            .into_iter()
            .find(|agent| agent.0 == name)
            .ok_or_else(|| Status::not_found(format!("no agent named {name}")))?;
        Ok(Response::new(admin::GetAgentResponse {
            agent: Some(agent1(agent)),
        }))
    }

    async fn list_agents(
        &self,
        _request: Request<admin::ListAgentsRequest>,
    ) -> Result<Response<admin::ListAgentsResponse>, Status> {
        Ok(Response::new(admin::ListAgentsResponse {
            agents: AGENTS.into_iter().map(agent1).collect(),
        }))
    }
}

#[tonic::async_trait]
impl AsyncConnectorService for Answers {
    async fn create_task(
        &self,
        _request: Request<connector::CreateTaskRequest>,
    ) -> Result<Response<connector::CreateTaskResponse>, Status> {
        Ok(Response::new(connector::CreateTaskResponse {
            resource_meta: RESOURCE_META.to_vec(),
        }))
    }

    async fn get_task(
        &self,
        _request: Request<connector::GetTaskRequest>,
    ) -> Result<Response<connector::GetTaskResponse>, Status> {
        Ok(Response::new(connector::GetTaskResponse {
            resource: Some(self.resource2()),
        }))
    }

    async fn delete_task(
        &self,
        _request: Request<connector::DeleteTaskRequest>,
    ) -> Result<Response<connector::DeleteTaskResponse>, Status> {
        Ok(Response::new(connector::DeleteTaskResponse {}))
    }

    async fn get_task_metrics(
        &self,
        _request: Request<connector::GetTaskMetricsRequest>,
    ) -> Result<Response<connector::GetTaskMetricsResponse>, Status> {
        Ok(Response::new(connector::GetTaskMetricsResponse::default()))
    }

    type GetTaskLogsStream = Stream<connector::GetTaskLogsResponse>;

    async fn get_task_logs(
        &self,
        _request: Request<connector::GetTaskLogsRequest>,
    ) -> Result<Response<Self::GetTaskLogsStream>, Status> {
        Ok(Response::new(stream::iter(Vec::new())))
    }
}

#[tonic::async_trait]
impl ConnectorMetadataService for Answers {
    async fn get_connector(
        &self,
        request: Request<connector::GetConnectorRequest>,
    ) -> Result<Response<connector::GetConnectorResponse>, Status> {
        let name = request.into_inner().name;
        let agent = AGENTS
            .into_iter()
            .find(|agent| agent.0 == name)
            .ok_or_else(|| Status::not_found(format!("no connector named {name}")))?;
        Ok(Response::new(connector::GetConnectorResponse {
            connector: Some(agent2(agent)),
        }))
    }

    async fn list_connectors(
        &self,
        _request: Request<connector::ListConnectorsRequest>,
    ) -> Result<Response<connector::ListConnectorsResponse>, Status> {
        Ok(Response::new(connector::ListConnectorsResponse {
            connectors: AGENTS.into_iter().map(agent2).collect(),
        }))
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let address = SocketAddr::new(args.host, args.port);
    let answers = Answers::new();
    let served = tonic::transport::Server::builder()
        .tcp_nodelay(true)
        .add_service(AsyncAgentServiceServer::new(answers.clone()))
        .add_service(SyncAgentServiceServer::new(answers.clone()))
        .add_service(AgentMetadataServiceServer::new(answers.clone()))
        .add_service(AsyncConnectorServiceServer::new(answers.clone()))
        .add_service(ConnectorMetadataServiceServer::new(answers))
        .serve(address)
        .await;
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("baseline-server: cannot serve on {address}: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
