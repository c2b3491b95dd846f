//! What the adapters' property tests feed them: any bytes, the encoding of
//! a full, valid request with a few random edits (mostly a byte changed;
//! sometimes one inserted or removed, or the rest cut off), and arbitrary
//! messages built field by field. And what they do with a request that
//! converts: read the task every way an agent can.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::TaskContext;
use crate::guard::key;
use crate::literal::properties::{any_json, read_every_way};
use crate::literal::{IntoLiteral, LiteralMapBuilder};
use crate::proto::flyteidl::core;

/// Cases each adapter property runs.
pub(crate) const CASES: u32 = 256;

/// Any bytes, or `seed` with a few random edits.
pub(crate) fn wire_bytes(seed: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => vec(any::<u8>(), 0..192),
        3 => vec((any::<Index>(), 0u8..10, any::<u8>()), 1..3)
            .prop_map(move |edits| edited(&seed, &edits)),
    ]
}

/// `seed` with `edits` applied: (where, what, a byte).
fn edited(seed: &[u8], edits: &[(Index, u8, u8)]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for (at, kind, byte) in edits {
        if bytes.is_empty() {
            break;
        }
        let at = at.index(bytes.len());
        match kind {
            0 => bytes.insert(at, *byte),
            1 => {
                bytes.remove(at);
            }
            2 => bytes.truncate(at),
            // Within ASCII, so that a string mostly stays UTF-8 and decodes.
            _ => bytes[at] ^= (byte & 0x3f) | 1,
        }
    }
    bytes
}

/// Any template: a task type (maybe empty), a version, a `custom` struct,
/// a config, SQL or a container.
pub(crate) fn any_template() -> impl Strategy<Value = core::TaskTemplate> {
    (
        prop_oneof![Just(String::new()), "[a-z_]{1,8}", ".{0,6}"],
        any::<i32>(),
        proptest::option::of(any_json()),
        btree_map(".{0,4}", ".{0,4}", 0..3),
        prop_oneof![
            Just(None),
            (".{0,8}", any::<i32>()).prop_map(|(statement, dialect)| Some(
                core::task_template::Target::Sql(core::Sql { statement, dialect })
            )),
            vec(".{0,6}", 0..3).prop_map(|args| Some(core::task_template::Target::Container(
                Box::new(core::Container {
                    args,
                    ..Default::default()
                })
            ))),
        ],
    )
        .prop_map(
            |(r#type, task_type_version, custom, config, target)| core::TaskTemplate {
                r#type,
                task_type_version,
                custom: custom
                    .as_ref()
                    .and_then(serde_json::Value::as_object)
                    .map(crate::literal::json::to_struct),
                config: config.into_iter().collect(),
                target,
                ..Default::default()
            },
        )
}

/// Any task execution id, its strings and attempt arbitrary.
pub(crate) fn any_execution_id() -> impl Strategy<Value = Option<core::TaskExecutionIdentifier>> {
    proptest::option::of(
        (".{0,6}", ".{0,6}", any::<u32>()).prop_map(|(name, node, attempt)| {
            core::TaskExecutionIdentifier {
                task_id: Some(core::Identifier {
                    name,
                    ..Default::default()
                }),
                node_execution_id: Some(core::NodeExecutionIdentifier {
                    node_id: node,
                    execution_id: None,
                }),
                retry_attempt: attempt,
            }
        }),
    )
}

/// A template using every part an agent reads: a `custom` struct, a
/// config, SQL, an interface.
pub(crate) fn full_template() -> core::TaskTemplate {
    let custom = serde_json::json!({"query": "select 1", "limit": 10, "tags": ["a", "b"]});
    core::TaskTemplate {
        r#type: "bigquery".into(),
        task_type_version: 1,
        custom: custom.as_object().map(crate::literal::json::to_struct),
        config: [("region".to_owned(), "eu".to_owned())].into(),
        target: Some(core::task_template::Target::Sql(core::Sql {
            statement: "select 1".into(),
            dialect: 1,
        })),
        ..Default::default()
    }
}

/// Inputs of several kinds: an integer, a string, a list, a map, a
/// datetime, a dataclass.
pub(crate) fn full_inputs() -> core::LiteralMap {
    LiteralMapBuilder::new()
        .with("x", 42)
        .with("name", "q")
        .with("xs", vec![1.5, 2.5])
        .with(
            "m",
            std::collections::BTreeMap::from([("k".to_owned(), true)]),
        )
        .with("when", std::time::Duration::from_secs(90))
        .with(
            "dc",
            crate::literal::Dataclass(serde_json::json!({"a": 1, "b": [true, null]})),
        )
        .with("none", None::<i64>.into_literal().expect("a none literal"))
        .build()
        .expect("valid inputs")
}

/// Reads `task` every way an agent (and the guard) can; each read answers
/// a value or an error.
pub(crate) fn read_task(task: &TaskContext) {
    let _ = task.task_category();
    let _ = task.custom::<serde_json::Value>();
    let _ = task.custom::<std::collections::BTreeMap<String, i64>>();
    let _ = (task.sql(), task.container(), task.config(), task.secrets());
    let _ = (
        task.attempt(),
        task.namespace(),
        task.labels(),
        task.environment(),
    );
    let _ = key::create(task);
    let _ = key::execute(task);
    for (name, literal) in &task.inputs.literals {
        read_every_way(literal);
        let _ = task.input::<i64>(name);
    }
}
