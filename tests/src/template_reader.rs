//! An agent that answers what it read of its task: the tests of the Python
//! task classes (`examples/python/`) send it the templates flytekit and
//! flyte-sdk write, and check that the Rust side reads each field the
//! Python side put there.

use agent_core::literal::json;
use agent_core::{AgentError, Registry, Resource, SyncAgent, TaskCategory, TaskContext};
use serde_json::{Value, json};

/// A sync agent of any task type whose output `report` is a JSON text
/// holding what it read: the task type, `sql` (statement and dialect
/// number, or null), `custom`, the inputs (as JSON values, read through
/// the template's interface), the outputs the interface declares, and the
/// secrets the template requests (`group`, `key`).
#[derive(Debug, Clone)]
pub struct TemplateReader {
    task_type: String,
}

impl TemplateReader {
    /// A reader serving `task_type`.
    pub fn new(task_type: impl Into<String>) -> Self {
        TemplateReader {
            task_type: task_type.into(),
        }
    }
}

impl SyncAgent for TemplateReader {
    fn task_category(&self) -> TaskCategory {
        TaskCategory::new(self.task_type.clone(), 0)
    }

    fn name(&self) -> String {
        format!("Template Reader ({})", self.task_type)
    }

    async fn execute(&self, task: TaskContext) -> Result<Resource, AgentError> {
        let sql = task
            .sql()
            .map(|sql| json!({"statement": sql.statement, "dialect": sql.dialect}));
        let custom: Value = task.custom()?;
        let inputs = json::outputs_to_json(&task.inputs)
            .map_err(|error| AgentError::invalid_argument(format!("inputs: {error}")))?;
        let mut outputs: Vec<&String> = task
            .template
            .interface
            .as_ref()
            .and_then(|interface| interface.outputs.as_ref())
            .map(|outputs| outputs.variables.keys().collect())
            .unwrap_or_default();
        outputs.sort();
        let secrets: Vec<Value> = task
            .secrets()
            .iter()
            .map(|secret| json!({"group": secret.group, "key": secret.key}))
            .collect();
        let report = json!({
            "task_type": task.template.r#type,
            "sql": sql,
            "custom": custom,
            "inputs": inputs,
            "outputs": outputs,
            "secrets": secrets,
        });
        Ok(Resource::succeeded().output("report", report.to_string()))
    }
}

/// Readers for the task types of the example agents, `sql_query` and
/// `chat_completion`.
pub fn registry() -> Registry {
    Registry::builder()
        .sync_agent(TemplateReader::new("sql_query"))
        .sync_agent(TemplateReader::new("chat_completion"))
        .build()
        .expect("two task types")
}
