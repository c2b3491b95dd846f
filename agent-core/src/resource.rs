//! [`Resource`]: the state of a job as an agent reports it, with its phase,
//! message, log links, outputs and custom info.

use prost::Message;
use prost::encoding::{
    WireType, encode_key, encode_varint, encoded_len_varint, int32, key_len, message, string,
};
use serde::Serialize;

use crate::guard::GuardedAnswer;
use crate::literal::{IntoLiteral, LiteralError, LiteralMapBuilder, encode_map, map_encoded_len};
use crate::proto::flyteidl::core;
use crate::{AgentError, protobuf_struct};

/// The phase of a job, as Flyte's `TaskExecution.Phase` names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Not known yet.
    #[default]
    Undefined,
    /// Accepted, waiting to start.
    Queued,
    /// Running.
    Running,
    /// Finished successfully: Propeller stops polling and reads the outputs.
    Succeeded,
    /// Stopped before it finished.
    Aborted,
    /// Failed for good: Propeller does not retry.
    Failed,
    /// Setting up.
    Initializing,
    /// Waiting for capacity on the outside system.
    WaitingForResources,
    /// Failed in a way a retry may fix (Propeller >= 1.16).
    RetryableFailed,
}

impl Phase {
    /// The `flyteidl.core.TaskExecution.Phase` value.
    pub fn to_proto(self) -> core::task_execution::Phase {
        use core::task_execution::Phase as P;
        match self {
            Phase::Undefined => P::Undefined,
            Phase::Queued => P::Queued,
            Phase::Running => P::Running,
            Phase::Succeeded => P::Succeeded,
            Phase::Aborted => P::Aborted,
            Phase::Failed => P::Failed,
            Phase::Initializing => P::Initializing,
            Phase::WaitingForResources => P::WaitingForResources,
            Phase::RetryableFailed => P::RetryableFailed,
        }
    }

    /// The phase of a `flyteidl.core.TaskExecution.Phase` value.
    pub fn from_proto(phase: core::task_execution::Phase) -> Self {
        use core::task_execution::Phase as P;
        match phase {
            P::Undefined => Phase::Undefined,
            P::Queued => Phase::Queued,
            P::Running => Phase::Running,
            P::Succeeded => Phase::Succeeded,
            P::Aborted => Phase::Aborted,
            P::Failed => Phase::Failed,
            P::Initializing => Phase::Initializing,
            P::WaitingForResources => Phase::WaitingForResources,
            P::RetryableFailed => Phase::RetryableFailed,
        }
    }

    /// Whether Propeller stops polling a job in this phase.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Phase::Succeeded | Phase::Failed | Phase::Aborted | Phase::RetryableFailed
        )
    }
}

/// Flyte's name of the phase: `SUCCEEDED`, `WAITING_FOR_RESOURCES`...
impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.to_proto().as_str_name())
    }
}

/// A link to a job's logs or console page, shown in the Flyte UI.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLink {
    /// The label shown in the UI.
    pub name: String,
    /// Where the link points.
    pub uri: String,
}

/// The state of a job: what `get` (async agents) and `execute` (sync agents)
/// answer.
///
/// ```
/// use agent_core::{Phase, Resource};
/// let done = Resource::succeeded().output("o0", 42).message("1 row");
/// assert_eq!(done.phase(), Phase::Succeeded);
/// let running = Resource::running().log_link("console", "https://example.com/jobs/7");
/// assert_eq!(running.phase(), Phase::Running);
/// ```
#[derive(Debug, Clone)]
pub struct Resource {
    phase: Phase,
    message: String,
    log_links: Vec<LogLink>,
    outputs: Option<LiteralMapBuilder>,
    custom_info: Option<Result<serde_json::Value, String>>,
}

impl Resource {
    /// A resource in `phase`, with nothing else set.
    pub fn new(phase: Phase) -> Self {
        Resource {
            phase,
            message: String::new(),
            log_links: Vec::new(),
            outputs: None,
            custom_info: None,
        }
    }

    /// The job finished successfully.
    pub fn succeeded() -> Self {
        Self::new(Phase::Succeeded)
    }

    /// The job is running.
    pub fn running() -> Self {
        Self::new(Phase::Running)
    }

    /// The job is accepted and waiting to start.
    pub fn queued() -> Self {
        Self::new(Phase::Queued)
    }

    /// The job failed for good; `message` tells the user why.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(Phase::Failed).message(message)
    }

    /// The job failed in a way a retry may fix; `message` tells the user why.
    pub fn retryable_failure(message: impl Into<String>) -> Self {
        Self::new(Phase::RetryableFailed).message(message)
    }

    /// Sets the message shown to the user.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Adds a link to the job's logs or console.
    pub fn log_link(mut self, name: impl Into<String>, uri: impl Into<String>) -> Self {
        self.log_links.push(LogLink {
            name: name.into(),
            uri: uri.into(),
        });
        self
    }

    /// Sets the output `name` to `value`, encoded as flytekit would. An
    /// encoding error is reported when the resource is sent.
    pub fn output(mut self, name: impl Into<String>, value: impl IntoLiteral) -> Self {
        self.outputs = Some(self.outputs.unwrap_or_default().with(name, value));
        self
    }

    /// Replaces all outputs with `outputs`.
    pub fn outputs(mut self, outputs: core::LiteralMap) -> Self {
        self.outputs = Some(LiteralMapBuilder::from(outputs));
        self
    }

    /// Attaches any serde value as the resource's `custom_info`. It must
    /// serialize to a JSON object; an error is reported when the resource is sent.
    pub fn custom_info(mut self, info: impl Serialize) -> Self {
        self.custom_info = Some(serde_json::to_value(info).map_err(|e| e.to_string()));
        self
    }

    /// The phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The message shown to the user.
    pub fn message_text(&self) -> &str {
        &self.message
    }

    /// The log links.
    pub fn log_links(&self) -> &[LogLink] {
        &self.log_links
    }

    /// Checks the outputs and custom info and hands the resource's parts
    /// over, for a protocol adapter to encode.
    ///
    /// Fails with `INTERNAL` when an output could not be encoded or the
    /// custom info is not a JSON object.
    pub fn into_parts(self) -> Result<ResourceParts, AgentError> {
        let outputs = self
            .outputs
            .map(LiteralMapBuilder::build)
            .transpose()
            .map_err(|e: LiteralError| AgentError::internal(format!("resource outputs: {e}")))?;
        let custom_info = match self.custom_info {
            None => None,
            Some(Ok(serde_json::Value::Object(map))) => {
                Some(protobuf_struct::json_object_to_struct(&map))
            }
            Some(Ok(other)) => {
                return Err(AgentError::internal(format!(
                    "resource custom_info must serialize to a JSON object, got {other}"
                )));
            }
            Some(Err(e)) => {
                return Err(AgentError::internal(format!("resource custom_info: {e}")));
            }
        };
        Ok(ResourceParts {
            phase: self.phase,
            message: self.message,
            log_links: self.log_links,
            outputs,
            custom_info,
            outputs_uri: None,
        })
    }
}

/// A [`Resource`] whose outputs and custom info are encoded: what protocol
/// adapters send, and what clients read back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceParts {
    /// The phase.
    pub phase: Phase,
    /// The message shown to the user.
    pub message: String,
    /// Links to the job's logs or console.
    pub log_links: Vec<LogLink>,
    /// The outputs, when the job produced them.
    pub outputs: Option<core::LiteralMap>,
    /// The custom info.
    pub custom_info: Option<prost_types::Struct>,
    /// Where the outputs were written (`<output_prefix>/outputs.pb`) when
    /// they were too large to answer inline; `outputs` is then `None`.
    pub outputs_uri: Option<String>,
}

impl ResourceParts {
    /// The parts as bytes, for a guard store or a job's metadata to keep:
    /// the bytes [`StoredResource`] reads them from, written field by field
    /// as prost writes that message, the outputs encoded in place rather
    /// than into a buffer of their own first (every sync run's result is
    /// stored so); the log links are written as `TaskLog`s.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let phase = self.phase.to_proto() as i32;
        let log_links: Vec<core::TaskLog> =
            self.log_links.iter().cloned().map(Into::into).collect();
        let outputs_len = self.outputs.as_ref().map(map_encoded_len);
        let phase_field_len = if phase == 0 {
            0
        } else {
            int32::encoded_len(1, &phase)
        };
        let message_field_len = if self.message.is_empty() {
            0
        } else {
            string::encoded_len(2, &self.message)
        };
        let outputs_field_len =
            outputs_len.map_or(0, |len| key_len(4) + encoded_len_varint(len as u64) + len);
        let custom_info = self.custom_info.as_ref();
        let outputs_uri = self.outputs_uri.as_ref();
        let mut bytes = Vec::with_capacity(
            phase_field_len
                + message_field_len
                + message::encoded_len_repeated(3, &log_links)
                + outputs_field_len
                + custom_info.map_or(0, |info| message::encoded_len(5, info))
                + outputs_uri.map_or(0, |uri| string::encoded_len(6, uri)),
        );
        if phase != 0 {
            int32::encode(1, &phase, &mut bytes);
        }
        if !self.message.is_empty() {
            string::encode(2, &self.message, &mut bytes);
        }
        message::encode_repeated(3, &log_links, &mut bytes);
        if let (Some(outputs), Some(len)) = (&self.outputs, outputs_len) {
            encode_key(4, WireType::LengthDelimited, &mut bytes);
            encode_varint(len as u64, &mut bytes);
            encode_map(outputs, &mut bytes);
        }
        if let Some(info) = custom_info {
            message::encode(5, info, &mut bytes);
        }
        if let Some(uri) = outputs_uri {
            string::encode(6, uri, &mut bytes);
        }
        bytes
    }

    /// The parts [`to_bytes`](Self::to_bytes) wrote.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, AgentError> {
        let corrupt = |e: &dyn std::fmt::Display| {
            AgentError::internal(format!("a stored result is corrupt: {e}"))
        };
        let mut stored = StoredResource::decode(bytes).map_err(|e| corrupt(&e))?;
        let phase = core::task_execution::Phase::try_from(stored.phase).map_err(|e| corrupt(&e))?;
        let outputs = stored
            .outputs
            .take()
            .map(|outputs| core::LiteralMap::decode(outputs.as_slice()))
            .transpose()
            .map_err(|e| corrupt(&e))?;
        Ok(ResourceParts {
            phase: Phase::from_proto(phase),
            message: stored.message,
            log_links: stored.log_links.into_iter().map(Into::into).collect(),
            outputs,
            custom_info: stored.custom_info,
            outputs_uri: stored.outputs_uri,
        })
    }
}

/// A sync run's result, kept by the guard so that a repeat of the run
/// answers it again.
impl GuardedAnswer for ResourceParts {
    fn to_stored(&self) -> Vec<u8> {
        self.to_bytes()
    }

    fn from_stored(stored: Vec<u8>) -> Result<Self, AgentError> {
        ResourceParts::from_bytes(&stored)
    }
}

/// How [`ResourceParts`] are kept in a guard store, as
/// [`ResourceParts::to_bytes`] writes them. The outputs are kept as the
/// encoded `LiteralMap`, the same bytes as a message field.
#[derive(Clone, PartialEq, prost::Message)]
struct StoredResource {
    #[prost(int32, tag = "1")]
    phase: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    log_links: Vec<core::TaskLog>,
    #[prost(bytes = "vec", optional, tag = "4")]
    outputs: Option<Vec<u8>>,
    #[prost(message, optional, tag = "5")]
    custom_info: Option<prost_types::Struct>,
    #[prost(string, optional, tag = "6")]
    outputs_uri: Option<String>,
}

impl From<LogLink> for core::TaskLog {
    fn from(link: LogLink) -> Self {
        core::TaskLog {
            uri: link.uri,
            name: link.name,
            ..Default::default()
        }
    }
}

impl From<core::TaskLog> for LogLink {
    fn from(log: core::TaskLog) -> Self {
        LogLink {
            name: log.name,
            uri: log.uri,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_round_trips_through_the_proto_enum() {
        let phases = [
            Phase::Undefined,
            Phase::Queued,
            Phase::Running,
            Phase::Succeeded,
            Phase::Aborted,
            Phase::Failed,
            Phase::Initializing,
            Phase::WaitingForResources,
            Phase::RetryableFailed,
        ];
        for phase in phases {
            assert_eq!(Phase::from_proto(phase.to_proto()), phase);
        }
    }

    #[test]
    fn builders_fill_links_outputs_and_custom_info() {
        #[derive(Serialize)]
        struct Info {
            job: u32,
        }
        let parts = Resource::running()
            .log_link("console", "http://x/1")
            .output("o0", 7_i64)
            .custom_info(Info { job: 1 })
            .into_parts()
            .unwrap();
        assert_eq!(parts.phase, Phase::Running);
        assert_eq!(parts.log_links[0].name, "console");
        assert!(parts.outputs.unwrap().literals.contains_key("o0"));
        assert!(parts.custom_info.unwrap().fields.contains_key("job"));
    }

    #[test]
    fn custom_info_that_is_not_an_object_is_an_error() {
        let error = Resource::succeeded()
            .custom_info(3)
            .into_parts()
            .unwrap_err();
        assert!(error.message().contains("JSON object"), "{error}");
    }

    /// Parts with every field set, offloaded, with the optional fields
    /// present but empty, and with none.
    fn stored_cases() -> [ResourceParts; 4] {
        let full = Resource::retryable_failure("flaky")
            .log_link("console", "http://x/1")
            .log_link("logs", "http://x/2")
            .output("o0", "text")
            .output("o1", 2)
            .custom_info(serde_json::json!({"attempt": 2}))
            .into_parts()
            .unwrap();
        let offloaded = ResourceParts {
            outputs: None,
            outputs_uri: Some("s3://b/run/outputs.pb".into()),
            ..full.clone()
        };
        let empty_but_present = ResourceParts {
            outputs: Some(core::LiteralMap::default()),
            custom_info: Some(prost_types::Struct::default()),
            outputs_uri: Some(String::new()),
            ..ResourceParts::default()
        };
        [full, offloaded, empty_but_present, ResourceParts::default()]
    }

    #[test]
    fn parts_round_trip_through_their_stored_bytes() {
        for parts in stored_cases() {
            let bytes = parts.to_bytes();
            assert_eq!(ResourceParts::from_bytes(&bytes).unwrap(), parts);
            assert_eq!(parts.to_stored(), bytes);
        }
        assert!(ResourceParts::from_bytes(b"\xff").is_err());
    }

    /// `parts` as the derived [`StoredResource`] encodes them.
    fn derived_bytes(parts: &ResourceParts) -> Vec<u8> {
        StoredResource {
            phase: parts.phase.to_proto() as i32,
            message: parts.message.clone(),
            log_links: parts.log_links.iter().cloned().map(Into::into).collect(),
            outputs: parts.outputs.as_ref().map(Message::encode_to_vec),
            custom_info: parts.custom_info.clone(),
            outputs_uri: parts.outputs_uri.clone(),
        }
        .encode_to_vec()
    }

    #[test]
    fn parts_are_stored_as_prost_writes_them() {
        for parts in stored_cases() {
            assert_eq!(parts.to_bytes(), derived_bytes(&parts), "{parts:?}");
        }
    }

    /// The stored form with its outputs as a message field, as answers
    /// stored in a shared guard store before were written.
    #[derive(Clone, PartialEq, prost::Message)]
    struct OutputsAsMessage {
        #[prost(int32, tag = "1")]
        phase: i32,
        #[prost(message, optional, tag = "4")]
        outputs: Option<core::LiteralMap>,
    }

    #[test]
    fn outputs_are_stored_as_the_message_field_stored_them() {
        let parts = Resource::succeeded()
            .output("o0", 1)
            .output("o1", "text")
            .into_parts()
            .unwrap();
        let as_message = OutputsAsMessage {
            phase: parts.phase.to_proto() as i32,
            outputs: parts.outputs.clone(),
        }
        .encode_to_vec();
        assert_eq!(parts.to_bytes(), as_message);
        assert_eq!(ResourceParts::from_bytes(&as_message).unwrap(), parts);
    }
}
