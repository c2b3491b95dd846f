//! [`HttpClient`]: the HTTP client the chat completion and HTTP call agents
//! make their requests with.

use agent_core::AgentError;

/// An HTTP client built once, with the agent, or why it could not be (a TLS
/// backend that does not start): each call then fails saying so, where
/// building it at start-up would panic. Requests set their own timeouts.
#[derive(Debug, Clone)]
pub struct HttpClient(Result<reqwest::Client, String>);

impl Default for HttpClient {
    fn default() -> Self {
        HttpClient(
            reqwest::Client::builder()
                .build()
                .map_err(|e| AgentError::from(e).message().to_string()),
        )
    }
}

impl HttpClient {
    /// The client, or a `FAILED_PRECONDITION` saying why there is none.
    pub fn get(&self) -> Result<&reqwest::Client, AgentError> {
        self.0.as_ref().map_err(|e| {
            AgentError::failed_precondition(format!(
                "the agent's HTTP client could not be built ({e}); check the server's TLS \
                 setup (its root certificates), then restart it"
            ))
        })
    }
}
