//! The Flyte agent wire protocol, generated at build time from `proto/`.
//!
//! Packages, messages, field names and numbers are those of `flyteidl` 1.16:
//! `flyteidl.core` (tasks, literals, identifiers...), `flyteidl.admin` (the
//! agent request and response messages) and `flyteidl.service` (the three
//! agent gRPC services, with their tonic clients and servers).

#![allow(missing_docs, clippy::all)]

/// The `flyteidl` protobuf packages.
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

/// The encoded `FileDescriptorSet` of every file in the protocol, as served by
/// gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/flyteidl_descriptor.bin"));
