//! Compiles the Flyte agent protocol (`proto/`) with protox, a pure-Rust protobuf
//! compiler, so building needs no `protoc`. Writes the prost/tonic code (with
//! map fields as `BTreeMap`) and the encoded file descriptor set (served by
//! gRPC reflection) to `OUT_DIR`.

use std::{env, fs, path::PathBuf};

use protox::prost::Message;

const ROOT_PROTO: &str = "flyteidl/service/agent.proto";
const PROTO_DIR: &str = "proto";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_DIR}");
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);

    let descriptors = protox::compile([ROOT_PROTO], [PROTO_DIR])?;
    fs::write(
        out_dir.join("flyteidl_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        // Ordered maps encode the same message to the same bytes every
        // time, which idempotency keys rely on.
        .btree_map(".")
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
