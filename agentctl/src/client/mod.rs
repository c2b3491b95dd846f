//! [`Client`]: the calls Propeller makes to an agent server, over either
//! protocol, in agent-core's own types: a task is a [`TaskContext`], a
//! started job a [`Job`], its state [`ResourceParts`]. Each protocol is a
//! file of conversions beside this one, as the server's adapters are.

mod flyte1;
mod flyte2;

use std::fmt;
use std::time::Duration;

use agent_core::dispatch::Job;
use agent_core::resource::ResourceParts;
use agent_core::{TaskCategory, TaskContext};
use tonic::transport::Channel;

use crate::error::CliError;

/// How long a server may take to answer a call before agentctl gives up
/// (the call's gRPC deadline), for every call but ExecuteTaskSync, which
/// `run --timeout` bounds.
const CALL_TIMEOUT_SECS: u64 = 60;

/// The protocol asked for on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProtocolChoice {
    /// Flyte 1: `flyteidl.service`, as flytekit's agents and Propeller 1.x speak it.
    Flyte1,
    /// Flyte 2: `flyteidl2.connector`, as flyte-sdk's connectors speak it.
    Flyte2,
    /// Whichever the server's metadata service answers: Flyte 1 first,
    /// Flyte 2 when Flyte 1 answers UNIMPLEMENTED.
    Auto,
}

/// A protocol spoken with a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `flyteidl.service`.
    Flyte1,
    /// `flyteidl2.connector`.
    Flyte2,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Flyte1 => "Flyte 1",
            Protocol::Flyte2 => "Flyte 2",
        })
    }
}

/// An agent as a server's metadata service lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentInfo {
    /// Its name.
    pub name: String,
    /// Whether it runs tasks in one call (ExecuteTaskSync). Always false on
    /// Flyte 2, which has no sync service.
    pub is_sync: bool,
    /// The task categories it serves.
    pub task_categories: Vec<TaskCategory>,
}

/// The calls of the protocols, to name one in an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    ListAgents,
    GetAgent,
    CreateTask,
    GetTask,
    DeleteTask,
    ExecuteTaskSync,
}

impl Call {
    /// The deadline agentctl gives the call, in seconds: the one
    /// [`request`] sets, which ExecuteTaskSync is sent without.
    fn deadline_secs(self) -> Option<u64> {
        match self {
            Call::ExecuteTaskSync => None,
            _ => Some(CALL_TIMEOUT_SECS),
        }
    }

    /// The call as `Service.Method` in `protocol`.
    fn name(self, protocol: Protocol) -> &'static str {
        match (protocol, self) {
            (Protocol::Flyte1, Call::ListAgents) => "AgentMetadataService.ListAgents",
            (Protocol::Flyte1, Call::GetAgent) => "AgentMetadataService.GetAgent",
            (Protocol::Flyte1, Call::CreateTask) => "AsyncAgentService.CreateTask",
            (Protocol::Flyte1, Call::GetTask) => "AsyncAgentService.GetTask",
            (Protocol::Flyte1, Call::DeleteTask) => "AsyncAgentService.DeleteTask",
            (_, Call::ExecuteTaskSync) => "SyncAgentService.ExecuteTaskSync",
            (Protocol::Flyte2, Call::ListAgents) => "ConnectorMetadataService.ListConnectors",
            (Protocol::Flyte2, Call::GetAgent) => "ConnectorMetadataService.GetConnector",
            (Protocol::Flyte2, Call::CreateTask) => "AsyncConnectorService.CreateTask",
            (Protocol::Flyte2, Call::GetTask) => "AsyncConnectorService.GetTask",
            (Protocol::Flyte2, Call::DeleteTask) => "AsyncConnectorService.DeleteTask",
        }
    }
}

/// Why a call of a protocol failed.
#[derive(Debug)]
enum Failure {
    /// The server answered an error status (or could not be reached).
    Status(tonic::Status),
    /// The server answered what the protocol does not allow.
    BadAnswer(String),
}

impl From<tonic::Status> for Failure {
    fn from(status: tonic::Status) -> Self {
        Failure::Status(status)
    }
}

/// `message` as a request that gives up after [`CALL_TIMEOUT_SECS`].
fn request<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(Duration::from_secs(CALL_TIMEOUT_SECS));
    request
}

/// A client of one agent server, speaking one protocol.
pub struct Client {
    server: String,
    tls: bool,
    protocol: Protocol,
    channel: Channel,
    agents: Option<Vec<AgentInfo>>,
}

impl Client {
    /// A client of the server `server` (as the user named it) reached by
    /// `channel`, speaking the protocol `choice` names; `auto` lists the
    /// server's agents with Flyte 1, then Flyte 2 if Flyte 1 answers
    /// UNIMPLEMENTED, and keeps the list.
    pub async fn connect(
        server: String,
        channel: Channel,
        tls: bool,
        choice: ProtocolChoice,
    ) -> Result<Self, CliError> {
        let protocol = match choice {
            ProtocolChoice::Flyte1 | ProtocolChoice::Auto => Protocol::Flyte1,
            ProtocolChoice::Flyte2 => Protocol::Flyte2,
        };
        let mut client = Client {
            server,
            tls,
            protocol,
            channel,
            agents: None,
        };
        if choice == ProtocolChoice::Auto {
            client.probe().await?;
        }
        Ok(client)
    }

    /// Finds the protocol the server speaks by listing its agents.
    async fn probe(&mut self) -> Result<(), CliError> {
        for protocol in [Protocol::Flyte1, Protocol::Flyte2] {
            self.protocol = protocol;
            match self.fetch_agents().await {
                Ok(agents) => {
                    self.agents = Some(agents);
                    return Ok(());
                }
                Err(Failure::Status(status)) if status.code() == tonic::Code::Unimplemented => {}
                Err(failure) => return Err(self.error(Call::ListAgents, failure)),
            }
        }
        Err(CliError::NoProtocol {
            server: self.server.clone(),
        })
    }

    async fn fetch_agents(&self) -> Result<Vec<AgentInfo>, Failure> {
        match self.protocol {
            Protocol::Flyte1 => flyte1::list_agents(self.channel.clone()).await,
            Protocol::Flyte2 => flyte2::list_agents(self.channel.clone()).await,
        }
    }

    /// The error of `call` failing with `failure`.
    fn error(&self, call: Call, failure: Failure) -> CliError {
        let rpc = call.name(self.protocol);
        match failure {
            Failure::Status(status) => CliError::Rpc {
                server: self.server.clone(),
                protocol: self.protocol,
                rpc,
                status,
                tls: self.tls,
                deadline_secs: call.deadline_secs(),
            },
            Failure::BadAnswer(message) => CliError::BadAnswer {
                server: self.server.clone(),
                rpc,
                message,
            },
        }
    }

    /// The server's agents (ListAgents, or ListConnectors on Flyte 2).
    pub async fn list_agents(&mut self) -> Result<Vec<AgentInfo>, CliError> {
        if let Some(agents) = &self.agents {
            return Ok(agents.clone());
        }
        let agents = self
            .fetch_agents()
            .await
            .map_err(|failure| self.error(Call::ListAgents, failure))?;
        self.agents = Some(agents.clone());
        Ok(agents)
    }

    /// The agent named `name` (GetAgent, or GetConnector on Flyte 2).
    pub async fn get_agent(&self, name: &str) -> Result<AgentInfo, CliError> {
        let channel = self.channel.clone();
        let answer = match self.protocol {
            Protocol::Flyte1 => flyte1::get_agent(channel, name).await,
            Protocol::Flyte2 => flyte2::get_agent(channel, name).await,
        };
        answer.map_err(|failure| self.error(Call::GetAgent, failure))
    }

    /// Whether Propeller would run a task of `category` in one
    /// ExecuteTaskSync call: only on Flyte 1, for an agent ListAgents says
    /// is sync. A server with no metadata service has only async agents.
    pub async fn is_sync(&mut self, category: &TaskCategory) -> Result<bool, CliError> {
        if self.protocol == Protocol::Flyte2 {
            return Ok(false);
        }
        let agents = match self.list_agents().await {
            Ok(agents) => agents,
            Err(CliError::Rpc { status, .. }) if status.code() == tonic::Code::Unimplemented => {
                return Ok(false);
            }
            Err(error) => return Err(error),
        };
        Ok(agents
            .iter()
            .any(|agent| agent.is_sync && agent.task_categories.contains(category)))
    }

    /// Starts `task`'s job (CreateTask) and answers its resource metadata.
    pub async fn create(&self, task: &TaskContext) -> Result<Vec<u8>, CliError> {
        let channel = self.channel.clone();
        let answer = match self.protocol {
            Protocol::Flyte1 => flyte1::create(channel, task).await,
            Protocol::Flyte2 => flyte2::create(channel, task).await,
        };
        answer.map_err(|failure| self.error(Call::CreateTask, failure))
    }

    /// Reports `job` (GetTask); `output_prefix` is the one it was created with.
    pub async fn get(&self, job: &Job, output_prefix: &str) -> Result<ResourceParts, CliError> {
        let channel = self.channel.clone();
        let answer = match self.protocol {
            Protocol::Flyte1 => flyte1::get(channel, job, output_prefix).await,
            Protocol::Flyte2 => flyte2::get(channel, job, output_prefix).await,
        };
        answer.map_err(|failure| self.error(Call::GetTask, failure))
    }

    /// Stops `job` (DeleteTask).
    pub async fn delete(&self, job: &Job) -> Result<(), CliError> {
        let channel = self.channel.clone();
        let answer = match self.protocol {
            Protocol::Flyte1 => flyte1::delete(channel, job).await,
            Protocol::Flyte2 => flyte2::delete(channel, job).await,
        };
        answer.map_err(|failure| self.error(Call::DeleteTask, failure))
    }

    /// Runs `task` with its sync agent in one ExecuteTaskSync call (Flyte 1
    /// only): sends the header, then the inputs, and reads one answer, as
    /// Propeller does.
    pub async fn execute(&self, task: &TaskContext) -> Result<ResourceParts, CliError> {
        flyte1::execute(self.channel.clone(), task)
            .await
            .map_err(|failure| self.error(Call::ExecuteTaskSync, failure))
    }
}
