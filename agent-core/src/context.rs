//! [`TaskContext`]: everything Propeller sends about a task when it asks an
//! agent to start it, whichever protocol it speaks.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use crate::literal::{FromLiteral, read_input};
use crate::proto::flyteidl::core;
use crate::secrets::SecretValue;
use crate::{AgentError, Connection, TaskCategory, protobuf_struct};

/// The task an agent is asked to run: its template, inputs, output prefix,
/// execution metadata and connection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskContext {
    /// The task template: type, interface, `custom`, container, sql, config...
    pub template: core::TaskTemplate,
    /// The task's inputs.
    pub inputs: core::LiteralMap,
    /// Where outputs may be written (`<output_prefix>/outputs.pb`).
    pub output_prefix: String,
    /// Who is running the task: execution id, namespace, labels, attempt...
    pub execution: ExecutionMetadata,
    /// The secrets and configs of the task's connection (Flyte 2; empty on
    /// Flyte 1).
    pub connection: Connection,
}

/// Who is running a task, as Propeller describes it: the task execution id
/// (with its retry attempt), namespace, labels, environment...
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecutionMetadata {
    /// The task execution id, which carries the retry attempt.
    pub task_execution_id: Option<core::TaskExecutionIdentifier>,
    /// The Kubernetes namespace of the execution.
    pub namespace: String,
    /// The execution's labels.
    pub labels: BTreeMap<String, String>,
    /// The execution's annotations.
    pub annotations: BTreeMap<String, String>,
    /// The Kubernetes service account the task runs as.
    pub k8s_service_account: String,
    /// The environment variables set for the task.
    pub environment_variables: BTreeMap<String, String>,
    /// How many attempts the task may make.
    pub max_attempts: i32,
    /// Whether the task may run on interruptible capacity.
    pub interruptible: bool,
    /// How many failures of interruptible attempts are tolerated.
    pub interruptible_failure_threshold: i32,
    /// The identity the execution runs as. Boxed, as are the overrides:
    /// each is hundreds of bytes, usually absent, and a task moves through
    /// several futures on its way to the agent.
    pub identity: Option<Box<core::Identity>>,
    /// Overrides of the task's node (Flyte 1 only).
    pub overrides: Option<Box<core::TaskNodeOverrides>>,
}

impl TaskContext {
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
    pub fn with_execution(mut self, execution: ExecutionMetadata) -> Self {
        self.execution = execution;
        self
    }

    /// Sets the connection.
    pub fn with_connection(mut self, connection: Connection) -> Self {
        self.connection = connection;
        self
    }

    /// The task type, as the template names it.
    pub fn task_type(&self) -> &str {
        &self.template.r#type
    }

    /// The task category the template names: its type and
    /// `task_type_version`, which pick the agent.
    pub fn task_category(&self) -> TaskCategory {
        TaskCategory::new(&self.template.r#type, self.template.task_type_version)
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

    /// The secrets the task's template asks for
    /// (`template.security_context.secrets`); read one with
    /// [`secret`](Self::secret).
    pub fn secrets(&self) -> &[core::Secret] {
        self.template
            .security_context
            .as_ref()
            .map_or(&[], |security| security.secrets.as_slice())
    }

    /// The secret `key` of `group` (`""` for none): the request's connection
    /// secret named `key`, else `_FSEC_<GROUP>_<KEY>`, else
    /// `/etc/secrets/<group>/<key>`, as flytekit looks secrets up. See
    /// [`Connection::secret`].
    pub fn secret(&self, group: &str, key: &str) -> Result<SecretValue, AgentError> {
        self.connection.secret(group, key)
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
