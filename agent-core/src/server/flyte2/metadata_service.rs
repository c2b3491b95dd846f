//! `flyteidl2.connector.ConnectorMetadataService`: GetConnector and
//! ListConnectors. Every agent is listed, sync ones too: Flyte 2 reaches
//! them through `AsyncConnectorService`.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert;
use crate::Registry;
use crate::proto::flyteidl2::connector;
use crate::proto::flyteidl2::connector::connector_metadata_service_server::ConnectorMetadataService;
use crate::server::status;

/// Answers what connectors a registry holds, over Flyte 2.
pub(crate) struct ConnectorMetadataHandler {
    /// The answer to `ListConnectors`, built once.
    connectors: Vec<connector::Connector>,
    registry: Arc<Registry>,
}

impl ConnectorMetadataHandler {
    /// A handler for the agents of `registry`.
    pub(crate) fn new(registry: Arc<Registry>) -> Self {
        let connectors = registry.agents().iter().map(convert::connector).collect();
        ConnectorMetadataHandler {
            connectors,
            registry,
        }
    }
}

#[tonic::async_trait]
impl ConnectorMetadataService for ConnectorMetadataHandler {
    async fn get_connector(
        &self,
        request: Request<connector::GetConnectorRequest>,
    ) -> Result<Response<connector::GetConnectorResponse>, Status> {
        let name = request.into_inner().name;
        let agent = self
            .registry
            .agent(&name)
            .map_err(status::from_agent_error)?;
        Ok(Response::new(connector::GetConnectorResponse {
            connector: Some(convert::connector(agent)),
        }))
    }

    async fn list_connectors(
        &self,
        _request: Request<connector::ListConnectorsRequest>,
    ) -> Result<Response<connector::ListConnectorsResponse>, Status> {
        Ok(Response::new(connector::ListConnectorsResponse {
            connectors: self.connectors.clone(),
        }))
    }
}
