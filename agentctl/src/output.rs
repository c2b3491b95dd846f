//! What commands print on stdout: a table for people, JSON for programs.
//! Values are JSON values (`{"o0": 1}`), never protobuf dumps.

use std::io::{ErrorKind, IsTerminal, Write};

use agent_core::literal::json;
use agent_core::proto::flyteidl::core::LiteralMap;
use agent_core::resource::ResourceParts;
use comfy_table::Table;
use serde_json::{Value, json};

use crate::client::AgentInfo;
use crate::error::CliError;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns.
    Table,
    /// One JSON value.
    Json,
}

impl OutputFormat {
    /// `chosen`, or when none was: a table on a terminal, JSON elsewhere.
    pub fn resolve(chosen: Option<OutputFormat>) -> OutputFormat {
        chosen.unwrap_or_else(|| {
            if std::io::stdout().is_terminal() {
                OutputFormat::Table
            } else {
                OutputFormat::Json
            }
        })
    }
}

/// Prints `text` and a newline on stdout. A reader that stopped reading
/// (`agentctl list | head -1`) is no failure: it has what it wanted.
pub fn print(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != ErrorKind::BrokenPipe => {
            Err(CliError::Other(format!("cannot write to stdout: {error}")))
        }
        _ => Ok(()),
    }
}

/// The agents `list` shows: a table of one row per agent, or a JSON array.
pub fn agents(format: OutputFormat, agents: &[AgentInfo]) -> String {
    match format {
        OutputFormat::Json => Value::Array(agents.iter().map(agent_json).collect()).to_string(),
        OutputFormat::Table => {
            let mut table = table(["NAME", "KIND", "TASK CATEGORIES"]);
            for agent in agents {
                table.add_row([
                    agent.name.clone(),
                    kind(agent).to_owned(),
                    categories(agent),
                ]);
            }
            render(&table)
        }
    }
}

/// The agent `describe` shows.
pub fn agent(format: OutputFormat, agent: &AgentInfo) -> String {
    match format {
        OutputFormat::Json => agent_json(agent).to_string(),
        OutputFormat::Table => {
            let mut table = table(["FIELD", "VALUE"]);
            table.add_row(["name".to_owned(), agent.name.clone()]);
            table.add_row(["kind".to_owned(), kind(agent).to_owned()]);
            table.add_row(["task categories".to_owned(), categories(agent)]);
            render(&table)
        }
    }
}

/// The state `get` shows: phase, message, log links, outputs, custom info.
pub fn resource(format: OutputFormat, resource: &ResourceParts) -> Result<String, CliError> {
    let outputs = resource.outputs.as_ref().map(outputs_json).transpose()?;
    let custom_info = resource.custom_info.as_ref().map(json::from_struct);
    Ok(match format {
        OutputFormat::Json => json!({
            "phase": resource.phase.to_string(),
            "message": resource.message,
            "log_links": resource
                .log_links
                .iter()
                .map(|link| json!({"name": link.name, "uri": link.uri}))
                .collect::<Vec<_>>(),
            "outputs": outputs,
            "custom_info": custom_info,
        })
        .to_string(),
        OutputFormat::Table => {
            let mut table = table(["FIELD", "VALUE"]);
            table.add_row(["phase".to_owned(), resource.phase.to_string()]);
            table.add_row(["message".to_owned(), resource.message.clone()]);
            for link in &resource.log_links {
                table.add_row([format!("log: {}", link.name), link.uri.clone()]);
            }
            for (name, value) in outputs.iter().flatten() {
                table.add_row([format!("output: {name}"), value.to_string()]);
            }
            if let Some(info) = custom_info {
                table.add_row(["custom info".to_owned(), info.to_string()]);
            }
            render(&table)
        }
    })
}

/// The outputs `run` shows: `{"o0": 1}`, or a table of names and values.
pub fn outputs(format: OutputFormat, outputs: &LiteralMap) -> Result<String, CliError> {
    let values = outputs_json(outputs)?;
    Ok(match format {
        OutputFormat::Json => Value::Object(values).to_string(),
        OutputFormat::Table => {
            let mut table = table(["OUTPUT", "VALUE"]);
            for (name, value) in values {
                table.add_row([name, value.to_string()]);
            }
            render(&table)
        }
    })
}

/// The outputs as a JSON object, or the error that names the one that is not.
fn outputs_json(outputs: &LiteralMap) -> Result<serde_json::Map<String, Value>, CliError> {
    json::outputs_to_json(outputs)
        .map_err(|e| CliError::Other(format!("the outputs cannot be shown as JSON: {e}")))
}

/// An agent as `{"name", "kind", "task_categories"}`.
fn agent_json(agent: &AgentInfo) -> Value {
    json!({
        "name": agent.name,
        "kind": kind(agent),
        "task_categories": agent
            .task_categories
            .iter()
            .map(|category| json!({"name": category.name, "version": category.version}))
            .collect::<Vec<_>>(),
    })
}

/// `sync` or `async`.
fn kind(agent: &AgentInfo) -> &'static str {
    if agent.is_sync { "sync" } else { "async" }
}

/// `echo (v0), echo (v1)`.
fn categories(agent: &AgentInfo) -> String {
    agent
        .task_categories
        .iter()
        .map(|category| format!("{} (v{})", category.name, category.version))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A borderless table with `header`, as `kubectl get` prints.
fn table<const N: usize>(header: [&str; N]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(comfy_table::presets::NOTHING)
        .set_header(header);
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table
}

/// `table`'s lines, with no spaces at their ends.
fn render(table: &Table) -> String {
    table
        .lines()
        .map(|line| line.trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_core::literal::LiteralMapBuilder;
    use agent_core::{Phase, Resource, TaskCategory};

    fn echo() -> AgentInfo {
        AgentInfo {
            name: "Echo Agent".into(),
            is_sync: false,
            task_categories: vec![TaskCategory::new("echo", 0), TaskCategory::new("echo", 1)],
        }
    }

    #[test]
    fn agents_as_json_and_as_a_table() {
        let listed: Value = serde_json::from_str(&agents(OutputFormat::Json, &[echo()])).unwrap();
        assert_eq!(
            listed,
            json!([{
                "name": "Echo Agent", "kind": "async",
                "task_categories": [{"name": "echo", "version": 0}, {"name": "echo", "version": 1}],
            }])
        );
        let table = agents(OutputFormat::Table, &[echo()]);
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines[0].contains("NAME") && lines[0].contains("TASK CATEGORIES"),
            "{table}"
        );
        assert!(lines[1].contains("Echo Agent") && lines[1].contains("echo (v0), echo (v1)"));
    }

    #[test]
    fn outputs_are_json_values() {
        let map = LiteralMapBuilder::new()
            .with("o0", 1)
            .with("o1", vec!["a"])
            .build()
            .unwrap();
        assert_eq!(
            outputs(OutputFormat::Json, &map).unwrap(),
            r#"{"o0":1,"o1":["a"]}"#
        );
        let table = outputs(OutputFormat::Table, &map).unwrap();
        assert!(table.contains(r#"["a"]"#), "{table}");
    }

    #[test]
    fn a_resource_shows_every_part() {
        let parts = Resource::succeeded()
            .message("done")
            .log_link("console", "http://x/1")
            .output("o0", 2.5)
            .custom_info(json!({"rows": 3}))
            .into_parts()
            .unwrap();
        let shown: Value =
            serde_json::from_str(&resource(OutputFormat::Json, &parts).unwrap()).unwrap();
        assert_eq!(
            shown,
            json!({
                "phase": "SUCCEEDED", "message": "done",
                "log_links": [{"name": "console", "uri": "http://x/1"}],
                "outputs": {"o0": 2.5}, "custom_info": {"rows": 3},
            })
        );
        let running = ResourceParts {
            phase: Phase::Running,
            ..Default::default()
        };
        let table = resource(OutputFormat::Table, &running).unwrap();
        assert!(table.contains("RUNNING"), "{table}");
    }
}
