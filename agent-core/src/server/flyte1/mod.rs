//! The Flyte 1 front door (`flyteidl.service`): `AsyncAgentService`,
//! `SyncAgentService` and `AgentMetadataService`, as FlytePropeller 1.x and
//! flytekit's clients call them.

mod async_service;
mod convert;
mod metadata_service;
#[cfg(test)]
mod properties;
mod sync_service;

use std::sync::Arc;

use tonic::service::RoutesBuilder;

use super::oversize;
use super::shared::Shared;
use crate::proto::flyteidl::service::{
    agent_metadata_service_server::AgentMetadataServiceServer,
    async_agent_service_server::AsyncAgentServiceServer,
    sync_agent_service_server::SyncAgentServiceServer,
};

/// The fully qualified names of the Flyte 1 services, as health checks name them.
pub const SERVICE_NAMES: [&str; 3] = [
    "flyteidl.service.AsyncAgentService",
    "flyteidl.service.SyncAgentService",
    "flyteidl.service.AgentMetadataService",
];

/// Adds the Flyte 1 services to `routes`, with `max_message_bytes` as the
/// limit of every message each way.
pub(crate) fn add_services(
    routes: &mut RoutesBuilder,
    shared: &Arc<Shared>,
    max_message_bytes: usize,
) {
    let async_service = AsyncAgentServiceServer::new(async_service::AsyncAgentHandler {
        shared: Arc::clone(shared),
    })
    .max_decoding_message_size(max_message_bytes)
    .max_encoding_message_size(max_message_bytes);
    let sync_service = SyncAgentServiceServer::new(sync_service::SyncAgentHandler {
        shared: Arc::clone(shared),
    })
    .max_decoding_message_size(max_message_bytes)
    .max_encoding_message_size(max_message_bytes);
    let registry = Arc::clone(shared.dispatcher.registry());
    let metadata_service =
        AgentMetadataServiceServer::new(metadata_service::AgentMetadataHandler::new(registry))
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes);
    routes
        .add_service(oversize::fixed(async_service))
        .add_service(oversize::fixed(sync_service))
        .add_service(oversize::fixed(metadata_service));
}
