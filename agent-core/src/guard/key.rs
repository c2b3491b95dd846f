//! The keys idempotency guards file requests under: the task execution id
//! with its retry attempt when Propeller sends one, else a hash of what
//! identifies the request.
//!
//! Keys must be equal for equal requests in every process that shares a
//! guard store: messages are hashed in their protobuf encoding (maps are
//! ordered, so it is deterministic) with FNV-1a, whose result is fixed.

use std::fmt::Write;

use prost::Message;

use crate::proto::flyteidl::core;
use crate::{TaskCategory, TaskContext};

/// The key of a create: starting `task`'s job.
pub(crate) fn create(task: &TaskContext) -> String {
    task_key("create", task)
}

/// The key of an execute: running `task` in one call.
pub(crate) fn execute(task: &TaskContext) -> String {
    task_key("execute", task)
}

/// The key of a delete of the job `resource_meta` names.
pub(crate) fn delete(category: &TaskCategory, resource_meta: &[u8]) -> String {
    let hash = fnv1a(&[resource_meta]);
    written("delete", 64, |key| {
        key.field(&category.name);
        key.field(itoa::Buffer::new().format(category.version));
        // A field of the hash alone, written without a string of its own.
        key.field("");
        let _ = write!(key, "{hash:016x}");
    })
}

/// The 64-bit FNV-1a hash of `parts`, each prefixed by its length so that
/// different splits of the same bytes hash apart.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET_BASIS;
    for part in parts {
        for byte in (part.len() as u64).to_le_bytes().iter().chain(part.iter()) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}

fn task_key(operation: &str, task: &TaskContext) -> String {
    let template = &task.template;
    let attempt = task
        .execution
        .task_execution_id
        .as_ref()
        .and_then(|id| Some((id, id.node_execution_id.as_ref()?)));
    let request_hash = attempt.is_none().then(|| {
        let template = template.encode_to_vec();
        let inputs = task.inputs.encode_to_vec();
        fnv1a(&[&template, &inputs, task.output_prefix.as_bytes()])
    });
    // Sized for a typical key: creates are keyed on every call.
    written(operation, 192, |key| {
        key.field(&template.r#type);
        key.field(itoa::Buffer::new().format(template.task_type_version));
        if let Some((id, node)) = attempt {
            let workflow = node.execution_id.as_ref();
            let workflow_field =
                |field: fn(&core::WorkflowExecutionIdentifier) -> &str| workflow.map_or("", field);
            let task_field =
                |field: fn(&core::Identifier) -> &str| id.task_id.as_ref().map_or("", field);
            for field in [
                workflow_field(|w| &w.org),
                workflow_field(|w| &w.project),
                workflow_field(|w| &w.domain),
                workflow_field(|w| &w.name),
                &node.node_id,
                task_field(|t| &t.name),
                task_field(|t| &t.version),
            ] {
                key.field(field);
            }
            key.field("attempt-");
            let _ = key.write_str(itoa::Buffer::new().format(id.retry_attempt));
        }
        if let Some(hash) = request_hash {
            key.field("request-");
            let _ = write!(key, "{hash:016x}");
        }
    })
}

/// The key `write` writes after `operation`, into a buffer of `capacity`:
/// its fields as they are, unless one holds a `/` or a `%`, which one pass
/// over the key tells (Flyte's names hold neither). Then it is written
/// again with those escaped, `%2F` and `%25`, so that no two lists of
/// fields make one key.
fn written(operation: &str, capacity: usize, write: impl Fn(&mut KeyWriter)) -> String {
    let mut plain = KeyWriter::new(operation, capacity, false);
    write(&mut plain);
    // A count, not a search: with no early exit the compiler checks many
    // bytes at once.
    let special = plain
        .key
        .bytes()
        .filter(|&byte| (byte == b'/') | (byte == b'%'))
        .count();
    if special == plain.separators {
        return plain.key;
    }
    let mut escaped = KeyWriter::new(operation, capacity, true);
    write(&mut escaped);
    escaped.key
}

/// A key being written: the operation, then fields, each after a `/`.
struct KeyWriter {
    key: String,
    /// How many `/` it wrote between fields.
    separators: usize,
    /// Whether a `/` or `%` in a field is written escaped.
    escaping: bool,
}

impl KeyWriter {
    fn new(operation: &str, capacity: usize, escaping: bool) -> Self {
        let mut key = String::with_capacity(capacity);
        key.push_str(operation);
        KeyWriter {
            key,
            separators: 0,
            escaping,
        }
    }

    /// Begins a field with `text`; what is written next (through
    /// [`Write`]) goes on with it.
    fn field(&mut self, text: &str) {
        self.key.push('/');
        self.separators += 1;
        let _ = self.write_str(text);
    }
}

/// Writes into the current field.
impl Write for KeyWriter {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        if !self.escaping {
            self.key.push_str(text);
            return Ok(());
        }
        for c in text.chars() {
            match c {
                '/' => self.key.push_str("%2F"),
                '%' => self.key.push_str("%25"),
                c => self.key.push(c),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::context::ExecutionMetadata;
    use crate::proto::flyteidl::core;

    fn request(attempt: u32, prefix: &str) -> TaskContext {
        TaskContext {
            template: core::TaskTemplate {
                r#type: "bq".into(),
                ..Default::default()
            },
            output_prefix: prefix.into(),
            execution: ExecutionMetadata {
                task_execution_id: Some(core::TaskExecutionIdentifier {
                    node_execution_id: Some(core::NodeExecutionIdentifier {
                        node_id: "n0".into(),
                        execution_id: Some(core::WorkflowExecutionIdentifier {
                            name: "run1".into(),
                            ..Default::default()
                        }),
                    }),
                    retry_attempt: attempt,
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn a_key_names_the_task_attempt_in_a_fixed_form() {
        // Replicas of different versions share keys through one store.
        let mut task = request(2, "s3://a");
        task.template.task_type_version = 1;
        assert_eq!(create(&task), "create/bq/1////run1/n0///attempt-2");
        let category = TaskCategory {
            name: "bq".into(),
            version: 1,
        };
        assert_eq!(delete(&category, b""), "delete/bq/1/a8c7f832281a39c5");
    }

    #[test]
    fn fields_that_hold_a_separator_make_keys_of_their_own() {
        let with = |project: &str, domain: &str| {
            let mut task = request(0, "s3://a");
            let id = task.execution.task_execution_id.as_mut().unwrap();
            let workflow = id
                .node_execution_id
                .as_mut()
                .unwrap()
                .execution_id
                .as_mut()
                .unwrap();
            workflow.project = project.into();
            workflow.domain = domain.into();
            create(&task)
        };
        assert_ne!(with("p/d", "x"), with("p", "d/x"));
        assert_ne!(with("p%2Fd", "x"), with("p/d", "x"));
        assert_eq!(
            with("p/d%", "x"),
            "create/bq/0//p%2Fd%25/x/run1/n0///attempt-0"
        );
        let category = |name: &str, version| TaskCategory {
            name: name.into(),
            version,
        };
        assert_ne!(
            delete(&category("a/1", 2), b""),
            delete(&category("a", 1), b"")
        );
    }

    #[test]
    fn the_retry_attempt_is_part_of_the_key() {
        assert_eq!(create(&request(0, "s3://a")), create(&request(0, "s3://b")));
        assert_ne!(create(&request(0, "s3://a")), create(&request(1, "s3://a")));
    }

    #[test]
    fn without_an_execution_id_equal_requests_hash_alike() {
        let mut first = request(0, "s3://a");
        first.execution.task_execution_id = None;
        first.inputs = crate::literal::LiteralMapBuilder::new()
            .with("a", 1)
            .with("b", "two")
            .with("c", 3.0)
            .with("d", true)
            .build()
            .unwrap();
        let keys: Vec<String> = (0..10)
            .map(|_| {
                let mut decoded = first.clone();
                decoded.inputs =
                    core::LiteralMap::decode(first.inputs.encode_to_vec().as_slice()).unwrap();
                create(&decoded)
            })
            .collect();
        assert!(keys.iter().all(|key| key == &keys[0]), "{keys:?}");

        let mut second = first.clone();
        second.output_prefix = "s3://b".into();
        assert_ne!(create(&first), create(&second));
    }

    #[test]
    fn the_hash_is_fixed() {
        // FNV-1a must not change between builds: replicas share keys.
        assert_eq!(fnv1a(&[b""]), 0xa8c7_f832_281a_39c5);
        assert_ne!(fnv1a(&[b"ab", b"c"]), fnv1a(&[b"a", b"bc"]));
    }
}
