//! Compiles the Flyte agent protocols (`proto/`) with protox, a pure-Rust
//! protobuf compiler, so building needs no `protoc`: Flyte 1 (`flyteidl` 1.16,
//! the agent services) and Flyte 2 (`flyteidl2` 2.0.53, the connector
//! services). Writes to `OUT_DIR` the prost/tonic code (with map fields as
//! `BTreeMap`), the encoded file descriptor set of both protocols (served by
//! gRPC reflection) and `SHARED_CORE_MESSAGES` as Rust (read by the tests in
//! `src/proto.rs`).

use std::{env, fmt::Write as _, fs, path::PathBuf};

const ROOT_PROTOS: &[&str] = &[
    "flyteidl/service/agent.proto",
    "flyteidl2/connector/service.proto",
];
const PROTO_DIR: &str = "proto";

/// The `flyteidl2.core` messages for which the Flyte 2 code uses the
/// `flyteidl.core` Rust type of the same name (prost's `extern_path`, which
/// covers their nested types too, such as `TaskExecution.Phase`). A decoded
/// Flyte 2 request then carries the Flyte 1 template and literals, with no
/// conversion.
///
/// Each Flyte 2 message is a wire-compatible superset of its Flyte 1
/// namesake. Beside each: what decoding it as the Flyte 1 type loses, through
/// every message it reaches. The tests in `src/proto.rs` check both.
const SHARED_CORE_MESSAGES: &[(&str, &[&str])] = &[
    (
        "TaskTemplate",
        &[
            "DataLoadingConfig.file_input_layout = 6",
            "GPUAccelerator.accelerator_model = 5",
            "GPUAccelerator.device_class = 4",
            "Granularity.WEEK = 5: read as a bare number",
            "RetryStrategy.backoff = 6",
            "TaskMetadata.cache_max_age = 24",
            "TaskMetadata.code_bundle_uri = 21",
            "TaskMetadata.debuggable = 17",
            "TaskMetadata.image_build_run = 19",
            "TaskMetadata.is_entrypoint = 20",
            "TaskMetadata.log_links = 18",
            "TaskMetadata.produces_artifacts = 23",
            "TaskMetadata.timeouts = 22",
            "TaskTemplate.reuse_policy = 19",
            "TaskTemplate.worker_kind = 20",
            "TimePartition.key = 3",
            // `repeated VariableEntry` in Flyte 2, `map<string, Variable>` in
            // Flyte 1: the same bytes, but the variables' order is lost.
            "VariableMap.variables = 1: ordered list read as a map",
        ],
    ),
    ("Literal", &["Literal.artifact_id = 9"]),
    ("LiteralMap", &["Literal.artifact_id = 9"]),
    ("LiteralType", &[]),
    ("TaskExecutionIdentifier", &[]),
    ("Identity", &[]),
    (
        "TaskLog",
        &[
            "TaskLog.icon_uri = 9",
            "TaskLog.link_type = 7",
            "TaskLog.ready = 8",
        ],
    ),
    ("ExecutionMetricResult", &[]),
    ("KeyValuePair", &[]),
    ("TaskExecution", &[]),
];

/// Fields held in a `Box`: large messages a request usually leaves out or
/// that the server does not read, so that a template (and every task and
/// request holding one) is a third of a kilobyte, not 1.2 KB, where it is
/// moved from the request to the agent; and the header of a sync run's
/// stream, so that each of its messages (the inputs after the header too)
/// is a few bytes, not the header's 800, as the stream moves it along.
const BOXED_FIELDS: &[&str] = &[
    ".flyteidl.core.TaskTemplate.metadata",
    ".flyteidl.core.TaskTemplate.security_context",
    ".flyteidl.core.TaskTemplate.extended_resources",
    ".flyteidl.core.TaskTemplate.target.container",
    ".flyteidl.core.TaskTemplate.target.k8s_pod",
    ".flyteidl.admin.TaskExecutionMetadata.identity",
    ".flyteidl.admin.TaskExecutionMetadata.overrides",
    ".flyteidl2.connector.TaskExecutionMetadata.identity",
    ".flyteidl.admin.ExecuteTaskSyncRequest.part.header",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_DIR}");
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);

    let mut compiler = protox::Compiler::new([PROTO_DIR])?;
    compiler.include_source_info(true).include_imports(true);
    compiler.open_files(ROOT_PROTOS)?;
    // Encoded by protox itself, which keeps custom options (prost would drop them).
    fs::write(
        out_dir.join("flyteidl_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    let mut shared = String::from(
        "// Written by build.rs from its SHARED_CORE_MESSAGES.\n\
         const SHARED_CORE_MESSAGES: &[(&str, &[&str])] = &[\n",
    );
    for (name, losses) in SHARED_CORE_MESSAGES {
        writeln!(shared, "    ({name:?}, &{losses:?}),")?;
    }
    shared.push_str("];\n");
    fs::write(out_dir.join("shared_core_messages.rs"), shared)?;

    let mut config = tonic_prost_build::configure()
        // Ordered maps encode the same message to the same bytes every
        // time, which idempotency keys rely on.
        .btree_map(".")
        .build_client(true)
        .build_server(true);
    for path in BOXED_FIELDS {
        config = config.boxed(path);
    }
    for (name, _) in SHARED_CORE_MESSAGES {
        config = config.extern_path(
            format!(".flyteidl2.core.{name}"),
            format!("crate::proto::flyteidl::core::{name}"),
        );
    }
    config.compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}
