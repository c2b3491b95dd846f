//! [`TaskContext`]: everything Propeller sends about a task when it asks an
//! agent to start it.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use crate::literal::{FromLiteral, read_input};
use crate::proto::flyteidl::{admin, core};
use crate::{AgentError, protobuf_struct};

/// The task an agent is asked to run: its template, inputs, output prefix and
/// execution metadata.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskContext {
    /// The task template: type, interface, `custom`, container, sql, config...
    pub template: core::TaskTemplate,
    /// The task's inputs.
    pub inputs: core::LiteralMap,
    /// Where outputs may be written (`<output_prefix>/outputs.pb`).
    pub output_prefix: String,
    /// Who is running the task: execution id, namespace, labels, attempt...
    pub execution: admin::TaskExecutionMetadata,
}

impl From<admin::CreateTaskRequest> for TaskContext {
    fn from(request: admin::CreateTaskRequest) -> Self {
        TaskContext {
            template: request.template.unwrap_or_default(),
            inputs: request.inputs.unwrap_or_default(),
            output_prefix: request.output_prefix,
            execution: request.task_execution_metadata.unwrap_or_default(),
        }
    }
}

impl TaskContext {
    /// The task an `ExecuteTaskSync` call describes in its header and inputs.
    pub fn from_sync_request(header: admin::CreateRequestHeader, inputs: core::LiteralMap) -> Self {
        TaskContext {
            template: header.template.unwrap_or_default(),
            inputs,
            output_prefix: header.output_prefix,
            execution: header.task_execution_metadata.unwrap_or_default(),
        }
    }

    /// A context for `template` with no inputs, for tests and local runs.
    pub fn new(template: core::TaskTemplate) -> Self {
        TaskContext {
            template,
            ..Default::default()
        }
    }

    /// Sets the inputs.
    pub fn with_inputs(mut self, inputs: core::LiteralMap) -> Self {
        self.inputs = inputs;
        self
    }

    /// Sets the output prefix.
    pub fn with_output_prefix(mut self, output_prefix: impl Into<String>) -> Self {
        self.output_prefix = output_prefix.into();
        self
    }

    /// Sets the task execution metadata.
    pub fn with_execution(mut self, execution: admin::TaskExecutionMetadata) -> Self {
        self.execution = execution;
        self
    }

    /// The task type, as the template names it.
    pub fn task_type(&self) -> &str {
        &self.template.r#type
    }

    /// The input `name` as a Rust value.
    ///
    /// Fails with `INVALID_ARGUMENT` naming the input when it is missing or of
    /// another type.
    pub fn input<T: FromLiteral>(&self, name: &str) -> Result<T, AgentError> {
        read_input(&self.inputs, name)
            .map_err(|e| AgentError::invalid_argument(format!("task inputs: {e}")))
    }

    /// The template's `custom` struct as a serde value: the task config a
    /// flytekit plugin writes in `get_custom`.
    pub fn custom<T: DeserializeOwned>(&self) -> Result<T, AgentError> {
        let json = self
            .template
            .custom
            .as_ref()
            .map(protobuf_struct::struct_to_json)
            .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
        serde_json::from_value(json)
            .map_err(|e| AgentError::invalid_argument(format!("template.custom: {e}")))
    }

    /// The SQL statement, for tasks that carry one (`template.sql`).
    pub fn sql(&self) -> Option<&core::Sql> {
        match &self.template.target {
            Some(core::task_template::Target::Sql(sql)) => Some(sql),
            _ => None,
        }
    }

    /// The container, for tasks that carry one (`template.container`).
    pub fn container(&self) -> Option<&core::Container> {
        match &self.template.target {
            Some(core::task_template::Target::Container(container)) => Some(container),
            _ => None,
        }
    }

    /// The template's string config (`template.config`).
    pub fn config(&self) -> &BTreeMap<String, String> {
        &self.template.config
    }

    /// The secrets the task asks for (`template.security_context.secrets`).
    pub fn secrets(&self) -> &[core::Secret] {
        self.template
            .security_context
            .as_ref()
            .map_or(&[], |security| security.secrets.as_slice())
    }

    /// The task execution id, which carries the retry attempt.
    pub fn task_execution_id(&self) -> Option<&core::TaskExecutionIdentifier> {
        self.execution.task_execution_id.as_ref()
    }

    /// The retry attempt, 0 for the first.
    pub fn attempt(&self) -> u32 {
        self.task_execution_id().map_or(0, |id| id.retry_attempt)
    }

    /// The Kubernetes namespace of the execution.
    pub fn namespace(&self) -> &str {
        &self.execution.namespace
    }

    /// The execution's labels.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.execution.labels
    }

    /// The environment variables set for the task.
    pub fn environment(&self) -> &BTreeMap<String, String> {
        &self.execution.environment_variables
    }
}
