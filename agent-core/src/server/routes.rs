//! The gRPC routes of an agent server, built apart from any listener: the
//! services of both protocols, gRPC health and reflection.

use std::sync::Arc;

use tonic::service::{Routes, RoutesBuilder};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use super::metrics::Metrics;
use super::shared::Shared;
use super::{flyte1, flyte2, oversize, reflection};

/// Every service an agent server answers, ready to be served on any
/// listener (plain or TLS, behind any tower layer).
pub struct AgentRoutes {
    routes: Routes,
    health: HealthReporter,
    metrics: Metrics,
}

/// The names health checks ask about: every agent service of both protocols.
pub fn service_names() -> impl Iterator<Item = &'static str> {
    flyte1::SERVICE_NAMES
        .into_iter()
        .chain(flyte2::SERVICE_NAMES)
}

impl AgentRoutes {
    /// Routes to the agent services of `shared`, with health reporting every
    /// service `SERVING`, and reflection over both protocols (built on its
    /// first request).
    pub(crate) async fn new(shared: Arc<Shared>, max_message_bytes: usize) -> Self {
        let mut routes = RoutesBuilder::default();
        flyte1::add_services(&mut routes, &shared, max_message_bytes);
        flyte2::add_services(&mut routes, &shared, max_message_bytes);

        let (health, health_service) = tonic_health::server::health_reporter();
        for name in service_names() {
            health
                .set_service_status(name, ServingStatus::Serving)
                .await;
        }
        routes
            .add_service(oversize::fixed(health_service))
            .add_service(oversize::fixed(reflection::v1()))
            .add_service(oversize::fixed(reflection::v1alpha()));
        AgentRoutes {
            routes: routes.routes(),
            health,
            metrics: shared.metrics.clone(),
        }
    }

    /// The routes, for `tonic::transport::Server::add_routes` or an axum
    /// router.
    pub fn routes(&self) -> Routes {
        self.routes.clone()
    }

    /// The metrics the services record, to serve on `/metrics`.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Makes health checks answer `NOT_SERVING` for every service (and the
    /// server as a whole): a load balancer stops sending new requests.
    pub async fn set_not_serving(&self) {
        for name in service_names().chain([""]) {
            self.health
                .set_service_status(name, ServingStatus::NotServing)
                .await;
        }
    }
}
