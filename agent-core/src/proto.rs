//! The Flyte agent wire protocols, generated at build time from `proto/`.
//!
//! [`flyteidl`]: packages, messages, field names and numbers of `flyteidl`
//! 1.16: `flyteidl.core` (tasks, literals, identifiers...), `flyteidl.admin`
//! (the agent request and response messages) and `flyteidl.service` (the three
//! agent gRPC services, with their tonic clients and servers).
//!
//! [`flyteidl2`]: those of `flyteidl2` 2.0.53 that the connector protocol
//! reaches, `flyteidl2.connector` (the two connector gRPC services, with their
//! tonic clients and servers) and the packages it imports. The Flyte 2 core
//! messages an agent reads are wire-compatible supersets of the Flyte 1 ones,
//! so the Flyte 2 code uses the [`flyteidl::core`] types for them: a decoded
//! Flyte 2 `CreateTaskRequest` carries a [`flyteidl::core::TaskTemplate`] and
//! [`flyteidl::core::Literal`]s. The list, and what each loses of its Flyte 2
//! fields, is `SHARED_CORE_MESSAGES` in `build.rs`.

#![allow(missing_docs, clippy::all)]

/// The `flyteidl` (Flyte 1) protobuf packages.
pub mod flyteidl {
    /// `flyteidl.core`: task templates, literals, identifiers, execution phases.
    pub mod core {
        tonic::include_proto!("flyteidl.core");
    }
    /// `flyteidl.admin`: the agent request, response and metadata messages.
    pub mod admin {
        tonic::include_proto!("flyteidl.admin");
    }
    /// `flyteidl.service`: `AsyncAgentService`, `SyncAgentService` and
    /// `AgentMetadataService`, as tonic clients and servers.
    pub mod service {
        tonic::include_proto!("flyteidl.service");
    }
}

/// The `flyteidl2` (Flyte 2) protobuf packages the connector protocol reaches.
pub mod flyteidl2 {
    /// `flyteidl2.core`: the Flyte 2 core messages, except those generated as
    /// their [`flyteidl::core`](crate::proto::flyteidl::core) namesakes (`TaskTemplate`,
    /// `Literal`, `TaskExecution`...; see `SHARED_CORE_MESSAGES` in `build.rs`).
    pub mod core {
        tonic::include_proto!("flyteidl2.core");
    }
    /// `flyteidl2.common`: identifiers and list requests.
    pub mod common {
        tonic::include_proto!("flyteidl2.common");
    }
    /// `flyteidl2.task`: named inputs and outputs (`Inputs`, `Outputs`).
    pub mod task {
        tonic::include_proto!("flyteidl2.task");
    }
    /// `flyteidl2.logs`.
    pub mod logs {
        /// `flyteidl2.logs.dataplane`: log lines (`LogLine`).
        pub mod dataplane {
            tonic::include_proto!("flyteidl2.logs.dataplane");
        }
    }
    /// `flyteidl2.connector`: the connector request and response messages,
    /// and `AsyncConnectorService` and `ConnectorMetadataService` as tonic
    /// clients and servers.
    pub mod connector {
        tonic::include_proto!("flyteidl2.connector");
    }
}

/// A Flyte 1 literal map as Flyte 2 names its literals, in name order.
fn named_literals(map: flyteidl::core::LiteralMap) -> Vec<flyteidl2::task::NamedLiteral> {
    map.literals
        .into_iter()
        .map(|(name, value)| flyteidl2::task::NamedLiteral {
            name,
            value: Some(value),
        })
        .collect()
}

/// A task's inputs as a Flyte 2 `CreateTaskRequest` carries them, with no
/// context.
impl From<flyteidl::core::LiteralMap> for flyteidl2::task::Inputs {
    fn from(map: flyteidl::core::LiteralMap) -> Self {
        flyteidl2::task::Inputs {
            literals: named_literals(map),
            context: Vec::new(),
        }
    }
}

/// A task's outputs as a Flyte 2 `Resource` carries them, with no produced
/// artifacts.
impl From<flyteidl::core::LiteralMap> for flyteidl2::task::Outputs {
    fn from(map: flyteidl::core::LiteralMap) -> Self {
        flyteidl2::task::Outputs {
            literals: named_literals(map),
            produced_artifacts: Vec::new(),
        }
    }
}

/// The encoded `FileDescriptorSet` of every file in both protocols, as served
/// by gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/flyteidl_descriptor.bin"));

#[cfg(test)]
mod tests {
    //! Checks `SHARED_CORE_MESSAGES` (build.rs) against the descriptors: a
    //! Flyte 2 message read as its Flyte 1 namesake must agree on every field
    //! number both have (name, type, label, presence, oneof), recursively,
    //! and lose exactly what build.rs says.

    use std::collections::{BTreeSet, HashMap, HashSet};

    use prost::Message as _;
    use prost_types::{
        DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorSet,
    };

    use super::{FILE_DESCRIPTOR_SET, flyteidl, flyteidl2};

    include!(concat!(env!("OUT_DIR"), "/shared_core_messages.rs"));

    const FLYTE1_CORE: &str = ".flyteidl.core.";
    const FLYTE2_CORE: &str = ".flyteidl2.core.";

    /// Every message and enum of [`FILE_DESCRIPTOR_SET`], by full name
    /// (`.package.Outer.Inner`).
    struct Types {
        messages: HashMap<String, DescriptorProto>,
        enums: HashMap<String, EnumDescriptorProto>,
    }

    impl Types {
        fn load() -> Self {
            let set = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).unwrap();
            let mut types = Types {
                messages: HashMap::new(),
                enums: HashMap::new(),
            };
            for file in set.file {
                types.add(
                    &format!(".{}", file.package()),
                    file.message_type,
                    file.enum_type,
                );
            }
            types
        }

        fn add(
            &mut self,
            scope: &str,
            messages: Vec<DescriptorProto>,
            enums: Vec<EnumDescriptorProto>,
        ) {
            for e in enums {
                self.enums.insert(format!("{scope}.{}", e.name()), e);
            }
            for mut m in messages {
                let name = format!("{scope}.{}", m.name());
                self.add(
                    &name,
                    std::mem::take(&mut m.nested_type),
                    std::mem::take(&mut m.enum_type),
                );
                self.messages.insert(name, m);
            }
        }

        /// Checks that bytes of the Flyte 2 type `new` decode as the Flyte 1
        /// type `old`, adding to `losses` what `old` does not keep.
        fn read_as(
            &self,
            new: &str,
            old: &str,
            seen: &mut HashSet<String>,
            losses: &mut BTreeSet<String>,
        ) -> Result<(), String> {
            if !seen.insert(format!("{new} as {old}")) {
                return Ok(());
            }
            let short = new.strip_prefix(FLYTE2_CORE).unwrap_or(new);
            if let Some(new_enum) = self.enums.get(new) {
                let old_enum = self.enums.get(old).ok_or(format!("{new}: no enum {old}"))?;
                for value in &new_enum.value {
                    match old_enum.value.iter().find(|v| v.number == value.number) {
                        Some(v) if v.name == value.name => {}
                        Some(v) => {
                            return Err(format!(
                                "{short}.{}: named {} in {old}",
                                value.name(),
                                v.name()
                            ));
                        }
                        None => {
                            losses.insert(format!(
                                "{short}.{} = {}: read as a bare number",
                                value.name(),
                                value.number()
                            ));
                        }
                    }
                }
                return Ok(());
            }
            let new_msg = self
                .messages
                .get(new)
                .ok_or(format!("no message or enum {new}"))?;
            let old_msg = self
                .messages
                .get(old)
                .ok_or(format!("{new}: no message {old}"))?;
            for field in &new_msg.field {
                let Some(old_field) = old_msg.field.iter().find(|f| f.number == field.number)
                else {
                    losses.insert(format!("{short}.{} = {}", field.name(), field.number()));
                    continue;
                };
                let shape = |f: &FieldDescriptorProto, m: &DescriptorProto| {
                    let oneof = f
                        .oneof_index
                        .filter(|_| !f.proto3_optional())
                        .map(|i| m.oneof_decl[i as usize].name().to_owned());
                    (
                        f.name().to_owned(),
                        f.r#type(),
                        f.label(),
                        f.proto3_optional(),
                        oneof,
                    )
                };
                if shape(field, new_msg) != shape(old_field, old_msg) {
                    return Err(format!(
                        "{short}.{} = {}: {:?} in flyteidl2, {:?} in flyteidl",
                        field.name(),
                        field.number(),
                        shape(field, new_msg),
                        shape(old_field, old_msg),
                    ));
                }
                if field.type_name().is_empty() {
                    continue;
                }
                let is_map = |name: &str| {
                    self.messages
                        .get(name)
                        .is_some_and(|m| m.options.as_ref().is_some_and(|o| o.map_entry()))
                };
                match (is_map(field.type_name()), is_map(old_field.type_name())) {
                    (false, true) => {
                        losses.insert(format!(
                            "{short}.{} = {}: ordered list read as a map",
                            field.name(),
                            field.number()
                        ));
                    }
                    (true, false) => {
                        return Err(format!("{short}.{}: a map read as a list", field.name()));
                    }
                    _ => {}
                }
                self.read_as(field.type_name(), old_field.type_name(), seen, losses)?;
            }
            Ok(())
        }
    }

    /// The Flyte 1 name of a Flyte 2 core type (`.flyteidl2.core.TaskExecution.Phase`
    /// is `.flyteidl.core.TaskExecution.Phase`).
    fn flyte1_name(flyte2: &str) -> String {
        flyte2.replacen(FLYTE2_CORE, FLYTE1_CORE, 1)
    }

    /// Whether prost generates `name` as a Flyte 1 type: a shared message or a
    /// type nested in one.
    fn is_shared(name: &str) -> bool {
        SHARED_CORE_MESSAGES.iter().any(|(shared, _)| {
            let shared = format!("{FLYTE2_CORE}{shared}");
            name == shared || name.starts_with(&format!("{shared}."))
        })
    }

    #[test]
    fn shared_core_messages_are_wire_compatible_and_lose_what_build_rs_says() {
        let types = Types::load();
        for (name, documented) in SHARED_CORE_MESSAGES {
            let mut losses = BTreeSet::new();
            let new = format!("{FLYTE2_CORE}{name}");
            types
                .read_as(&new, &flyte1_name(&new), &mut HashSet::new(), &mut losses)
                .unwrap_or_else(|e| panic!("{name} is not wire-compatible: {e}"));
            let documented: BTreeSet<String> = documented.iter().map(|s| s.to_string()).collect();
            assert_eq!(losses, documented, "what {name} loses (build.rs lists it)");
        }
    }

    /// Every field of the generated Flyte 2 code whose type prost takes from
    /// `flyteidl::core` (a shared message or a type nested in one, such as
    /// `TaskExecution.Phase`) reads its bytes right.
    #[test]
    fn every_flyte1_type_in_the_flyte2_code_is_wire_compatible() {
        let types = Types::load();
        let mut checked = 0;
        for (name, message) in &types.messages {
            if !name.starts_with(".flyteidl2.") || is_shared(name) {
                continue;
            }
            for field in message.field.iter().filter(|f| is_shared(f.type_name())) {
                types
                    .read_as(
                        field.type_name(),
                        &flyte1_name(field.type_name()),
                        &mut HashSet::new(),
                        &mut BTreeSet::new(),
                    )
                    .unwrap_or_else(|e| panic!("{name}.{}: {e}", field.name()));
                checked += 1;
            }
        }
        assert!(checked > 0);
    }

    #[test]
    fn a_flyte2_create_request_carries_flyte1_core_types() {
        let template = flyteidl::core::TaskTemplate {
            r#type: "echo".into(),
            ..Default::default()
        };
        let literal = flyteidl::core::Literal {
            hash: "h".into(),
            ..Default::default()
        };
        let request = flyteidl2::connector::CreateTaskRequest {
            template: Some(template.clone()),
            inputs: Some(flyteidl2::task::Inputs {
                literals: vec![flyteidl2::task::NamedLiteral {
                    name: "x".into(),
                    value: Some(literal.clone()),
                }],
                context: vec![],
            }),
            ..Default::default()
        };
        let decoded =
            flyteidl2::connector::CreateTaskRequest::decode(request.encode_to_vec().as_slice())
                .unwrap();
        assert_eq!(decoded.template, Some(template));
        assert_eq!(decoded.inputs.unwrap().literals[0].value, Some(literal));
        let resource = flyteidl2::connector::Resource {
            phase: flyteidl::core::task_execution::Phase::Succeeded.into(),
            ..Default::default()
        };
        assert_eq!(
            resource.phase(),
            flyteidl::core::task_execution::Phase::Succeeded
        );
    }

    #[test]
    fn a_literal_map_becomes_named_literals_in_name_order() {
        let literal = |hash: &str| flyteidl::core::Literal {
            hash: hash.into(),
            ..Default::default()
        };
        let map = flyteidl::core::LiteralMap {
            literals: [
                ("b".to_string(), literal("2")),
                ("a".to_string(), literal("1")),
            ]
            .into(),
        };
        let named = |name: &str, hash: &str| flyteidl2::task::NamedLiteral {
            name: name.into(),
            value: Some(literal(hash)),
        };
        let inputs = flyteidl2::task::Inputs::from(map.clone());
        assert_eq!(inputs.literals, [named("a", "1"), named("b", "2")]);
        assert!(inputs.context.is_empty());
        let outputs = flyteidl2::task::Outputs::from(map);
        assert_eq!(outputs.literals, inputs.literals);
        assert!(outputs.produced_artifacts.is_empty());
    }
}
