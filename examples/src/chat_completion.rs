//! A sync agent in the mould of flytekit's OpenAI agent: it sends a prompt to
//! an OpenAI-compatible chat completions endpoint and answers the reply.
//!
//! - The template's `custom`: `{"model": "...", "base_url": "..."}`; the
//!   request goes to `POST {base_url}/chat/completions`, `base_url` being
//!   `https://api.openai.com/v1` unless given.
//! - The API key: the secret `api_key` of group `openai`: a Flyte 2
//!   connection secret `api_key`, else `_FSEC_OPENAI_API_KEY`, else the file
//!   `/etc/secrets/openai/api_key`. It is sent as a bearer token, and never
//!   logged nor put in an error.
//! - Input `prompt` (string), sent as the one user message; output `o0`
//!   (string), the first choice's message content.
//!
//! The endpoint's refusals are errors of the call: 401 and 403
//! `FAILED_PRECONDITION` (check the key), 429 `RESOURCE_EXHAUSTED` and 5xx or
//! an unreachable endpoint `UNAVAILABLE` (both worth retrying later), other
//! 4xx `INVALID_ARGUMENT` (a wrong model...), an answer that is not a chat
//! completion `INTERNAL`. Each names the endpoint, its status and the error
//! message it gave.

use std::time::Duration;

use agent_core::prelude::*;
use agent_core::secrets::SecretValue;
use reqwest::{StatusCode, Url};

use crate::http_client::HttpClient;

/// OpenAI's API, where requests go when the template names no `base_url`.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// How long one completion may take.
const TIMEOUT: Duration = Duration::from_secs(120);
/// How much of an endpoint's error message an error quotes.
const QUOTED_CHARS: usize = 500;

/// The template's `custom`, as the flytekit task class writes it.
#[derive(Debug, Deserialize)]
pub struct ChatTask {
    /// The model to ask.
    pub model: String,
    /// The API's base URL, up to `/chat/completions`.
    #[serde(default = "default_base_url")]
    pub base_url: String,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_string()
}

/// The part of a chat completion this agent reads.
#[derive(Debug, Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    message: Message,
}

#[derive(Debug, Deserialize)]
struct Message {
    content: Option<String>,
}

/// An OpenAI-style error answer: `{"error": {"message": "..."}}`.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    message: String,
}

/// Asks a chat completions endpoint.
#[derive(Debug, Clone, Default)]
pub struct ChatCompletionAgent {
    /// The client its requests go through.
    client: HttpClient,
}

/// `{base_url}/chat/completions`, checked.
fn endpoint(base_url: &str) -> Result<Url, AgentError> {
    let url = format!("{}/chat/completions", base_url.trim_end_matches('/'));
    let parsed = Url::parse(&url)
        .map_err(|e| AgentError::invalid_argument(format!("template.custom.base_url: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(AgentError::invalid_argument(format!(
            "template.custom.base_url: {base_url} is not an http(s) URL"
        )));
    }
    Ok(parsed)
}

/// `text` without the key, cut to a readable length.
fn scrub(text: &str, key: &SecretValue) -> String {
    let text = if key.expose().is_empty() {
        text.to_string()
    } else {
        text.replace(key.expose(), "<redacted>")
    };
    let mut quoted: String = text.trim().chars().take(QUOTED_CHARS).collect();
    if quoted.len() < text.trim().len() {
        quoted.push_str("...");
    }
    quoted
}

/// The error for an answer of `status` whose body is `body`.
fn refusal(url: &Url, status: StatusCode, body: &str, key: &SecretValue) -> AgentError {
    let said = serde_json::from_str::<ErrorBody>(body)
        .map(|body| body.error.message)
        .unwrap_or_else(|_| body.to_string());
    let message = format!("POST {url} answered {status}: {}", scrub(&said, key));
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => AgentError::failed_precondition(
            format!("{message}; check the secret `api_key` of group `openai`"),
        ),
        StatusCode::TOO_MANY_REQUESTS => {
            AgentError::resource_exhausted(format!("{message}; retry later"))
        }
        status if status.is_server_error() => AgentError::unavailable(message),
        _ => AgentError::invalid_argument(message),
    }
}

#[sync_agent(task_type = "chat_completion", name = "Chat Completion Agent")]
impl ChatCompletionAgent {
    /// Sends the prompt and answers the first choice's content.
    async fn execute(&self, task: TaskContext) -> Result<Resource, AgentError> {
        let ChatTask { model, base_url } = task.custom()?;
        let prompt: String = task.input("prompt")?;
        let url = endpoint(&base_url)?;
        let key = task.secret("openai", "api_key")?;
        let body = serde_json::json!({
            "model": model,
            "messages": [{ "role": "user", "content": prompt }],
        });
        let response = self
            .client
            .get()?
            .post(url.clone())
            .timeout(TIMEOUT)
            .bearer_auth(key.expose())
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                AgentError::unavailable(format!("POST {url}: {}", scrub(&e.to_string(), &key)))
            })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| AgentError::unavailable(format!("POST {url}: reading the answer: {e}")))?;
        if !status.is_success() {
            return Err(refusal(&url, status, &text, &key));
        }
        let completion: Completion = serde_json::from_str(&text).map_err(|e| {
            AgentError::internal(format!(
                "POST {url} answered {status} but not a chat completion ({e}): {}",
                scrub(&text, &key)
            ))
        })?;
        let content = completion
            .choices
            .into_iter()
            .next()
            .and_then(|choice| choice.message.content)
            .ok_or_else(|| {
                AgentError::internal(format!(
                    "POST {url} answered a chat completion with no choice or no content"
                ))
            })?;
        Ok(Resource::succeeded().output("o0", content))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_is_the_base_url_and_chat_completions() {
        assert_eq!(
            endpoint(DEFAULT_BASE_URL).unwrap().as_str(),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(
            endpoint("http://127.0.0.1:9/v1/").unwrap().as_str(),
            "http://127.0.0.1:9/v1/chat/completions"
        );
        assert!(endpoint("not a url").is_err());
        assert!(endpoint("file:///etc").is_err());
    }

    #[test]
    fn refusals_have_kinds_and_never_the_key() {
        let url = endpoint("http://localhost/v1").unwrap();
        let key = agent_core::Connection::default()
            .with_secret("api_key", "sk-secret")
            .secret("openai", "api_key")
            .unwrap();
        let body = r#"{"error": {"message": "Incorrect API key provided: sk-secret"}}"#;
        let error = refusal(&url, StatusCode::UNAUTHORIZED, body, &key);
        assert_eq!(error.kind(), agent_core::ErrorKind::FailedPrecondition);
        assert!(
            error
                .message()
                .contains("Incorrect API key provided: <redacted>")
        );
        assert!(!error.message().contains("sk-secret"));
        let kind = |status| refusal(&url, status, "", &key).kind();
        assert_eq!(
            kind(StatusCode::TOO_MANY_REQUESTS),
            agent_core::ErrorKind::ResourceExhausted
        );
        assert_eq!(
            kind(StatusCode::BAD_GATEWAY),
            agent_core::ErrorKind::Unavailable
        );
        assert_eq!(
            kind(StatusCode::NOT_FOUND),
            agent_core::ErrorKind::InvalidArgument
        );
    }
}
