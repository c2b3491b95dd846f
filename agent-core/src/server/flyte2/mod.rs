//! The Flyte 2 front door (`flyteidl2.connector`): `AsyncConnectorService`
//! and `ConnectorMetadataService`, as Flyte 2's Propeller and flyte-sdk's
//! clients call them.

mod async_service;
mod convert;
mod metadata_service;
#[cfg(test)]
mod properties;

use std::sync::Arc;

use tonic::service::RoutesBuilder;

use super::oversize;
use super::shared::Shared;
use crate::proto::flyteidl2::connector::{
    async_connector_service_server::AsyncConnectorServiceServer,
    connector_metadata_service_server::ConnectorMetadataServiceServer,
};

/// The fully qualified names of the Flyte 2 services, as health checks name them.
pub const SERVICE_NAMES: [&str; 2] = [
    "flyteidl2.connector.AsyncConnectorService",
    "flyteidl2.connector.ConnectorMetadataService",
];

/// Adds the Flyte 2 services to `routes`, with `max_message_bytes` as the
/// limit of every message each way.
pub(crate) fn add_services(
    routes: &mut RoutesBuilder,
    shared: &Arc<Shared>,
    max_message_bytes: usize,
) {
    let async_service = AsyncConnectorServiceServer::new(async_service::AsyncConnectorHandler {
        shared: Arc::clone(shared),
    })
    .max_decoding_message_size(max_message_bytes)
    .max_encoding_message_size(max_message_bytes);
    let registry = Arc::clone(shared.dispatcher.registry());
    let metadata_service = ConnectorMetadataServiceServer::new(
        metadata_service::ConnectorMetadataHandler::new(registry),
    )
    .max_decoding_message_size(max_message_bytes)
    .max_encoding_message_size(max_message_bytes);
    routes
        .add_service(oversize::fixed(async_service))
        .add_service(oversize::fixed(metadata_service));
}
