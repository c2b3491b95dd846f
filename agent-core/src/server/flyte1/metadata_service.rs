//! `flyteidl.service.AgentMetadataService`: GetAgent and ListAgents. Propeller
//! polls ListAgents every 10 s, so both answer from memory and never fail
//! but for an unknown name.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert;
use crate::Registry;
use crate::proto::flyteidl::admin;
use crate::proto::flyteidl::service::agent_metadata_service_server::AgentMetadataService;
use crate::server::status;

/// Answers what agents a registry holds, over Flyte 1.
pub(crate) struct AgentMetadataHandler {
    /// The answer to `ListAgents`, built once.
    agents: Vec<admin::Agent>,
    registry: Arc<Registry>,
}

impl AgentMetadataHandler {
    /// A handler for the agents of `registry`.
    pub(crate) fn new(registry: Arc<Registry>) -> Self {
        let agents = registry.agents().iter().map(convert::agent).collect();
        AgentMetadataHandler { agents, registry }
    }
}

#[tonic::async_trait]
impl AgentMetadataService for AgentMetadataHandler {
    async fn get_agent(
        &self,
        request: Request<admin::GetAgentRequest>,
    ) -> Result<Response<admin::GetAgentResponse>, Status> {
        let name = request.into_inner().name;
        let agent = self
            .registry
            .agent(&name)
            .map_err(status::from_agent_error)?;
        Ok(Response::new(admin::GetAgentResponse {
            agent: Some(convert::agent(agent)),
        }))
    }

    async fn list_agents(
        &self,
        _request: Request<admin::ListAgentsRequest>,
    ) -> Result<Response<admin::ListAgentsResponse>, Status> {
        Ok(Response::new(admin::ListAgentsResponse {
            agents: self.agents.clone(),
        }))
    }
}
