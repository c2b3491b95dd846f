//! Serves the test agents with the agent server's flags, for the interop
//! tests that drive it with the official Python Flyte client.

use std::sync::Arc;

use agent_core::server::ServeError;
use agent_tests::agents::{Calls, registry_builder};

#[tokio::main]
async fn main() -> Result<(), ServeError> {
    agent_core::serve_cli_with(registry_builder(Arc::new(Calls::default()))).await
}
