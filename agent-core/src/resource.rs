//! [`Resource`]: the state of a job as an agent reports it, with its phase,
//! message, log links, outputs and custom info.

use serde::Serialize;

use crate::literal::{IntoLiteral, LiteralError, LiteralMapBuilder};
use crate::proto::flyteidl::{admin, core};
use crate::{AgentError, protobuf_struct};

/// The phase of a job, as Flyte's `TaskExecution.Phase` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Not known yet.
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

    /// The deprecated `flyteidl.admin.State` that older propellers read.
    pub fn to_state(self) -> admin::State {
        match self {
            Phase::Succeeded => admin::State::Succeeded,
            Phase::Running | Phase::Initializing => admin::State::Running,
            Phase::Queued | Phase::WaitingForResources | Phase::Undefined => admin::State::Pending,
            Phase::Failed | Phase::Aborted => admin::State::PermanentFailure,
            Phase::RetryableFailed => admin::State::RetryableFailure,
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

    /// Encodes the resource for the wire, with the phase in both `phase` and
    /// the deprecated `state`.
    pub fn into_proto(self) -> Result<admin::Resource, AgentError> {
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
        #[allow(deprecated)]
        Ok(admin::Resource {
            state: self.phase.to_state() as i32,
            phase: self.phase.to_proto() as i32,
            outputs,
            message: self.message,
            log_links: self
                .log_links
                .into_iter()
                .map(|link| core::TaskLog {
                    uri: link.uri,
                    name: link.name,
                    ..Default::default()
                })
                .collect(),
            custom_info,
            agent_error: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_goes_to_both_phase_and_state() {
        let wire = Resource::succeeded().into_proto().unwrap();
        assert_eq!(wire.phase, core::task_execution::Phase::Succeeded as i32);
        #[allow(deprecated)]
        let state = wire.state;
        assert_eq!(state, admin::State::Succeeded as i32);

        let wire = Resource::retryable_failure("flaky").into_proto().unwrap();
        assert_eq!(
            wire.phase,
            core::task_execution::Phase::RetryableFailed as i32
        );
        assert_eq!(wire.message, "flaky");
    }

    #[test]
    fn every_phase_has_its_deprecated_state() {
        use admin::State;
        let expected = [
            (Phase::Undefined, State::Pending),
            (Phase::Queued, State::Pending),
            (Phase::WaitingForResources, State::Pending),
            (Phase::Initializing, State::Running),
            (Phase::Running, State::Running),
            (Phase::Succeeded, State::Succeeded),
            (Phase::Failed, State::PermanentFailure),
            (Phase::Aborted, State::PermanentFailure),
            (Phase::RetryableFailed, State::RetryableFailure),
        ];
        for (phase, state) in expected {
            let wire = Resource::new(phase).into_proto().unwrap();
            #[allow(deprecated)]
            let written = wire.state;
            assert_eq!(written, state as i32, "{phase:?}");
            assert_eq!(wire.phase, phase.to_proto() as i32);
            assert_eq!(Phase::from_proto(phase.to_proto()), phase);
        }
    }

    #[test]
    fn builders_fill_links_outputs_and_custom_info() {
        #[derive(Serialize)]
        struct Info {
            job: u32,
        }
        let wire = Resource::running()
            .log_link("console", "http://x/1")
            .output("o0", 7_i64)
            .custom_info(Info { job: 1 })
            .into_proto()
            .unwrap();
        assert_eq!(wire.log_links[0].name, "console");
        assert!(wire.outputs.unwrap().literals.contains_key("o0"));
        assert!(wire.custom_info.unwrap().fields.contains_key("job"));
    }

    #[test]
    fn custom_info_that_is_not_an_object_is_an_error() {
        let error = Resource::succeeded()
            .custom_info(3)
            .into_proto()
            .unwrap_err();
        assert!(error.message().contains("JSON object"), "{error}");
    }
}
