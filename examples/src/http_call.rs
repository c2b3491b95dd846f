//! A sync agent that calls an HTTP endpoint and answers its status and body.
//!
//! Inputs: `url` (string), and optionally `method` (string, `GET` by
//! default) and `body` (string). Outputs: `status` (integer) and `body`
//! (string). A 5xx answer is a retryable failure, a 4xx a failure.

use std::time::Duration;

use agent_core::prelude::*;

/// Calls HTTP endpoints.
#[derive(Debug, Clone)]
pub struct HttpCallAgent {
    client: reqwest::Client,
}

impl Default for HttpCallAgent {
    fn default() -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        HttpCallAgent { client }
    }
}

#[sync_agent(task_type = "http_call", name = "HTTP Call Agent")]
impl HttpCallAgent {
    /// Sends the request and answers the status and body.
    async fn execute(&self, task: TaskContext) -> Result<Resource, AgentError> {
        let url: String = task.input("url")?;
        let method: Option<String> = task.input("method").ok();
        let body: Option<String> = task.input("body").ok();
        let method = reqwest::Method::from_bytes(method.as_deref().unwrap_or("GET").as_bytes())
            .map_err(|e| AgentError::invalid_argument(format!("input `method`: {e}")))?;
        let mut request = self.client.request(method, &url);
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Ok(Resource::retryable_failure(format!("{url}: {e}"))),
        };
        let status = response.status();
        let text = response.text().await?;
        let resource = if status.is_server_error() {
            Resource::retryable_failure(format!("{url} answered {status}"))
        } else if status.is_client_error() {
            Resource::failed(format!("{url} answered {status}"))
        } else {
            Resource::succeeded()
        };
        Ok(resource
            .output("status", i64::from(status.as_u16()))
            .output("body", text))
    }
}
