//! A sync agent that calls an HTTP endpoint and answers its status and body.
//!
//! Inputs: `url` (string), and optionally `method` (string, `GET` by
//! default) and `body` (string); an input of another type is refused with
//! `INVALID_ARGUMENT`. Outputs: `status` (integer) and `body` (string). A
//! 5xx answer, an unreachable endpoint or a call over 30 s is a retryable
//! failure, a 4xx a failure.

use std::time::Duration;

use agent_core::prelude::*;

use crate::http_client::HttpClient;

/// How long one call may take, from connecting to the end of the answer.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Calls HTTP endpoints.
#[derive(Debug, Clone, Default)]
pub struct HttpCallAgent {
    /// The client its requests go through.
    client: HttpClient,
}

/// The optional string input `name`: `None` when the task has no such input
/// (or it is `None`), `INVALID_ARGUMENT` naming it when it is not a string.
fn optional_input(task: &TaskContext, name: &str) -> Result<Option<String>, AgentError> {
    if task.inputs.literals.contains_key(name) {
        task.input(name)
    } else {
        Ok(None)
    }
}

#[sync_agent(task_type = "http_call", name = "HTTP Call Agent")]
impl HttpCallAgent {
    /// Sends the request and answers the status and body.
    async fn execute(&self, task: TaskContext) -> Result<Resource, AgentError> {
        let url: String = task.input("url")?;
        let method = optional_input(&task, "method")?;
        let body = optional_input(&task, "body")?;
        let method = reqwest::Method::from_bytes(method.as_deref().unwrap_or("GET").as_bytes())
            .map_err(|e| AgentError::invalid_argument(format!("input `method`: {e}")))?;
        let mut request = self.client.get()?.request(method, &url).timeout(TIMEOUT);
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Ok(Resource::retryable_failure(format!("{url}: {e}"))),
        };
        let status = response.status();
        let text = match response.text().await {
            Ok(text) => text,
            Err(e) => {
                return Ok(Resource::retryable_failure(format!(
                    "{url}: reading the answer: {e}"
                )));
            }
        };
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
