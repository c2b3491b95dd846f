//! `flyteidl.service.AgentMetadataService`: GetAgent and ListAgents. Propeller
//! polls ListAgents every 10 s, so both answer from memory and never fail
//! but for an unknown name.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::Registry;
use crate::proto::flyteidl::admin;
use crate::proto::flyteidl::service::agent_metadata_service_server::AgentMetadataService;

/// Answers what agents a registry holds.
pub(crate) struct MetadataHandler {
    pub(crate) registry: Arc<Registry>,
}

#[tonic::async_trait]
impl AgentMetadataService for MetadataHandler {
    async fn get_agent(
        &self,
        request: Request<admin::GetAgentRequest>,
    ) -> Result<Response<admin::GetAgentResponse>, Status> {
        let name = request.into_inner().name;
        match self.registry.agent(&name) {
            Some(agent) => Ok(Response::new(admin::GetAgentResponse {
                agent: Some(agent.clone()),
            })),
            None => {
                let known: Vec<_> = self
                    .registry
                    .agents()
                    .iter()
                    .map(|agent| agent.name.as_str())
                    .collect();
                Err(Status::not_found(format!(
                    "no agent is named `{name}`; this server has: {}",
                    known.join(", ")
                )))
            }
        }
    }

    async fn list_agents(
        &self,
        _request: Request<admin::ListAgentsRequest>,
    ) -> Result<Response<admin::ListAgentsResponse>, Status> {
        Ok(Response::new(admin::ListAgentsResponse {
            agents: self.registry.agents().to_vec(),
        }))
    }
}
