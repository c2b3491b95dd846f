//! The task `create` and `run` start, built from their flags: a template
//! (read from `--template`, or made from the flags), the inputs, the output
//! prefix, and execution metadata naming a fresh execution, as Propeller
//! sends for each task attempt.

use std::path::Path;
use std::time::SystemTime;

use agent_core::TaskContext;
use agent_core::context::ExecutionMetadata;
use agent_core::proto::flyteidl::core::{self, TaskTemplate, TypedInterface, task_template};
use prost::Message;

use crate::TaskArgs;
use crate::error::CliError;
use crate::inputs;

/// The project of the executions agentctl names.
const PROJECT: &str = "agentctl";
/// The domain of the executions agentctl names.
const DOMAIN: &str = "development";

/// `flyteidl.admin.TaskSpec`, as `pyflyte serialize` and `package` write a
/// task: its template is field 1.
#[derive(Clone, PartialEq, prost::Message)]
struct TaskSpec {
    #[prost(message, optional, tag = "1")]
    template: Option<TaskTemplate>,
}

/// The task the flags describe.
pub fn from_args(args: &TaskArgs) -> Result<TaskContext, CliError> {
    let mut template = match &args.template {
        Some(path) => read_template(path)?,
        None => TaskTemplate::default(),
    };
    if let Some(task_type) = &args.task_type {
        template.r#type = task_type.clone();
    }
    if template.r#type.is_empty() {
        return Err(CliError::usage(
            "the template names no task type: pass --task-type",
        ));
    }
    if let Some(version) = args.version {
        template.task_type_version = version;
    }
    if let Some(custom) = &args.custom {
        template.custom = Some(inputs::custom(custom)?);
    }
    if let Some(statement) = &args.sql {
        template.target = Some(task_template::Target::Sql(core::Sql {
            statement: statement.clone(),
            dialect: core::sql::Dialect::Undefined as i32,
        }));
    }
    // Read once: `@FILE` may name a pipe, as `@/dev/stdin` does.
    let given = args
        .inputs
        .as_deref()
        .map(|argument| inputs::read_json("--inputs", argument))
        .transpose()?;
    let declared = match &args.template {
        Some(_) => template.interface.as_ref().and_then(|i| i.inputs.clone()),
        None => {
            let declared = inputs::declared_for(given.as_ref());
            if let Some(declared) = &declared {
                template.interface = Some(TypedInterface {
                    inputs: Some(declared.clone()),
                    outputs: None,
                });
            }
            declared
        }
    };
    let task_inputs = inputs::inputs(given.as_ref(), declared.as_ref())?;
    let execution = execution(&template.r#type);
    Ok(TaskContext::new(template)
        .with_inputs(task_inputs)
        .with_output_prefix(args.output_prefix.clone().unwrap_or_default())
        .with_execution(execution))
}

/// The template in the file `path`: a serialized `TaskTemplate`, or a
/// `TaskSpec` holding one.
fn read_template(path: &Path) -> Result<TaskTemplate, CliError> {
    let bytes = std::fs::read(path).map_err(|e| {
        CliError::usage(format!(
            "--template {}: cannot read it: {e}",
            path.display()
        ))
    })?;
    let as_template = TaskTemplate::decode(bytes.as_slice());
    if let Ok(template) = &as_template
        && !template.r#type.is_empty()
    {
        return Ok(template.clone());
    }
    if let Ok(TaskSpec {
        template: Some(template),
    }) = TaskSpec::decode(bytes.as_slice())
        && !template.r#type.is_empty()
    {
        return Ok(template);
    }
    as_template.map_err(|e| {
        CliError::usage(format!(
            "--template {}: not a serialized flyteidl.core.TaskTemplate (binary protobuf): {e}",
            path.display()
        ))
    })
}

/// Execution metadata naming an execution of its own, as Propeller names
/// each attempt: an agent may name its job after it, and a server's
/// idempotency guard tells two runs of one task apart by it.
fn execution(task_type: &str) -> ExecutionMetadata {
    let started = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let name = format!("agentctl-{started}-{}", std::process::id());
    ExecutionMetadata {
        task_execution_id: Some(core::TaskExecutionIdentifier {
            task_id: Some(core::Identifier {
                resource_type: core::ResourceType::Task as i32,
                project: PROJECT.into(),
                domain: DOMAIN.into(),
                name: task_type.into(),
                ..Default::default()
            }),
            node_execution_id: Some(core::NodeExecutionIdentifier {
                node_id: "n0".into(),
                execution_id: Some(core::WorkflowExecutionIdentifier {
                    project: PROJECT.into(),
                    domain: DOMAIN.into(),
                    name,
                    ..Default::default()
                }),
            }),
            retry_attempt: 0,
        }),
        namespace: format!("{PROJECT}-{DOMAIN}"),
        max_attempts: 1,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> TaskArgs {
        TaskArgs {
            task_type: Some("echo".into()),
            version: None,
            inputs: None,
            custom: None,
            sql: None,
            template: None,
            output_prefix: None,
        }
    }

    fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("agentctl-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn flags_make_the_template() {
        let task = from_args(&TaskArgs {
            version: Some(2),
            inputs: Some(r#"{"x": 3}"#.into()),
            custom: Some(r#"{"region": "eu"}"#.into()),
            sql: Some("select 1".into()),
            output_prefix: Some("file:///tmp/out".into()),
            ..args()
        })
        .unwrap();
        assert_eq!(
            task.task_category(),
            agent_core::TaskCategory::new("echo", 2)
        );
        assert_eq!(task.input::<i64>("x").unwrap(), 3);
        assert_eq!(task.sql().unwrap().statement, "select 1");
        assert_eq!(task.output_prefix, "file:///tmp/out");
        let interface = task.template.interface.unwrap();
        assert!(interface.inputs.unwrap().variables.contains_key("x"));
        assert!(task.template.custom.unwrap().fields.contains_key("region"));
    }

    #[test]
    fn each_task_names_an_execution_of_its_own() {
        let first = from_args(&args()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = from_args(&args()).unwrap();
        assert!(first.task_execution_id().is_some());
        assert_ne!(first.task_execution_id(), second.task_execution_id());
    }

    #[test]
    fn a_template_file_is_typed_and_its_flags_win() {
        let declared = inputs::declared_for(Some(&serde_json::json!({"when": 1.5})));
        let template = TaskTemplate {
            r#type: "timer".into(),
            task_type_version: 1,
            interface: Some(TypedInterface {
                inputs: declared,
                outputs: None,
            }),
            ..Default::default()
        };
        let path = temp_file("template.pb", &template.encode_to_vec());
        let from_file = |inputs: &str, task_type: Option<&str>| {
            from_args(&TaskArgs {
                task_type: task_type.map(Into::into),
                inputs: Some(inputs.into()),
                template: Some(path.clone()),
                ..args()
            })
        };
        let task = from_file(r#"{"when": 2}"#, None).unwrap();
        assert_eq!(
            task.task_category(),
            agent_core::TaskCategory::new("timer", 1)
        );
        // Declared FLOAT: the integer 2 is sent as a float.
        assert_eq!(task.input::<f64>("when").unwrap(), 2.0);
        assert!(task.input::<i64>("when").is_err());
        let error = from_file(r#"{"when": "soon"}"#, None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--inputs: input `when`: expected a number (the template declares FLOAT), got \"soon\""
        );
        assert_eq!(
            from_file(r#"{"when": 1}"#, Some("other"))
                .unwrap()
                .task_type(),
            "other"
        );

        let spec = TaskSpec {
            template: Some(template),
        };
        let spec_path = temp_file("spec.pb", &spec.encode_to_vec());
        let task = from_args(&TaskArgs {
            task_type: None,
            inputs: Some(r#"{"when": 1}"#.into()),
            template: Some(spec_path.clone()),
            ..args()
        })
        .unwrap();
        assert_eq!(task.task_type(), "timer");
        let garbage = temp_file("garbage.pb", b"\xff\xff\xff");
        let error = from_args(&TaskArgs {
            template: Some(garbage.clone()),
            ..args()
        })
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("not a serialized flyteidl.core.TaskTemplate"),
            "{error}"
        );
        for file in [path, spec_path, garbage] {
            std::fs::remove_file(file).unwrap();
        }
    }
}
