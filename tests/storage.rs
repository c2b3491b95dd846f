//! Outputs and inputs beyond a few MiB, against a real S3-compatible server
//! (moto on a loopback port, see `agent_tests::moto`), through the Flyte 1
//! gRPC services: outputs over the inline limit land in
//! `<output_prefix>/outputs.pb` and are not sent, small ones are sent,
//! offloaded inputs are read, files are uploaded and read back, and the
//! server binary reads flytekit's storage settings from its environment.
//!
//! Skipped unless `MOTO_SERVER` names moto's server (`eval
//! "$(tests/tools/setup.sh)"`); `AGENT_TESTS_REQUIRE_TOOLS=1` makes that a
//! failure.

use std::sync::Arc;

use agent_core::literal::{FlyteFile, FromLiteral, IntoLiteral, LiteralMapBuilder};
use agent_core::proto::flyteidl::service::async_agent_service_client::AsyncAgentServiceClient;
use agent_core::proto::flyteidl::{admin, core};
use agent_core::server::AgentServer;
use agent_core::testing::{TestServer, task_template};
use agent_tests::agents::{Calls, registry};
use agent_tests::moto::Moto;
use agent_tests::server_process::ServerProcess;
use prost::Message;
use tonic::transport::Channel;

const BUCKET: &str = "flyte";

/// More than Propeller's gRPC client takes in one answer (4 MiB).
const BIG: i64 = 5 * 1024 * 1024;

/// moto with the bucket, and a server of the test agents whose storage is
/// moto; `None` when moto is not available (the test is skipped).
async fn start() -> Option<(Moto, TestServer)> {
    let moto = Moto::start().await?;
    moto.create_bucket(BUCKET).await;
    let agents = registry(Arc::new(Calls::default()));
    let server = TestServer::start_server(AgentServer::new(agents).storage(moto.storage())).await;
    Some((moto, server))
}

/// The output prefix of run `run`.
fn prefix(run: &str) -> String {
    format!("s3://{BUCKET}/runs/{run}")
}

fn category(task_type: &str) -> Option<admin::TaskCategory> {
    Some(admin::TaskCategory {
        name: task_type.to_owned(),
        version: 0,
    })
}

/// Creates a job of `task_type` with `inputs`, and polls it once, sending
/// `output_prefix` as Propeller does.
async fn create_and_get(
    client: &mut AsyncAgentServiceClient<Channel>,
    task_type: &str,
    inputs: core::LiteralMap,
    output_prefix: &str,
) -> admin::Resource {
    let created = client
        .create_task(admin::CreateTaskRequest {
            inputs: Some(inputs),
            template: Some(task_template(task_type, serde_json::Value::Null)),
            output_prefix: output_prefix.to_owned(),
            task_execution_metadata: None,
        })
        .await
        .unwrap()
        .into_inner();
    client
        .get_task(admin::GetTaskRequest {
            task_category: category(task_type),
            resource_meta: created.resource_meta,
            output_prefix: output_prefix.to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .resource
        .expect("a resource")
}

/// Runs the sync agent of `task_type` with `inputs`.
async fn execute(
    server: &TestServer,
    task_type: &str,
    inputs: core::LiteralMap,
    output_prefix: &str,
) -> Result<admin::Resource, tonic::Status> {
    use admin::execute_task_sync_request::Part;
    let header = admin::CreateRequestHeader {
        template: Some(task_template(task_type, serde_json::Value::Null)),
        output_prefix: output_prefix.to_owned(),
        ..Default::default()
    };
    let messages = [Part::Header(Box::new(header)), Part::Inputs(inputs)]
        .map(|part| admin::ExecuteTaskSyncRequest { part: Some(part) });
    let mut replies = server
        .sync_client()
        .execute_task_sync(futures::stream::iter(messages))
        .await?
        .into_inner();
    match replies.message().await?.and_then(|reply| reply.res) {
        Some(admin::execute_task_sync_response::Res::Header(header)) => {
            Ok(header.resource.expect("a resource"))
        }
        other => panic!("not a header: {other:?}"),
    }
}

fn bytes_input(bytes: i64) -> core::LiteralMap {
    LiteralMapBuilder::new()
        .with("bytes", bytes)
        .build()
        .unwrap()
}

/// The outputs written to `<output_prefix>/outputs.pb`.
async fn written_outputs(moto: &Moto, output_prefix: &str) -> core::LiteralMap {
    let bytes = moto
        .storage()
        .read(&format!("{output_prefix}/outputs.pb"))
        .await
        .unwrap();
    core::LiteralMap::decode(bytes).unwrap()
}

fn succeeded(resource: &admin::Resource) -> bool {
    resource.phase == core::task_execution::Phase::Succeeded as i32
}

#[tokio::test]
async fn large_outputs_of_a_job_are_written_to_the_output_prefix_and_not_sent() {
    let Some((moto, server)) = start().await else {
        return;
    };
    let output_prefix = prefix("get-large");
    let mut client = server.async_client();
    let resource = create_and_get(
        &mut client,
        "big_output_async",
        bytes_input(BIG),
        &output_prefix,
    )
    .await;
    assert!(succeeded(&resource), "{}", resource.message);
    assert_eq!(resource.outputs, None);
    let outputs = written_outputs(&moto, &output_prefix).await;
    let o0 = String::from_literal(&outputs.literals["o0"]).unwrap();
    assert_eq!(o0.len() as i64, BIG);
}

#[tokio::test]
async fn small_outputs_are_sent_and_nothing_is_written() {
    let Some((moto, server)) = start().await else {
        return;
    };
    let output_prefix = prefix("get-small");
    let mut client = server.async_client();
    let resource = create_and_get(
        &mut client,
        "big_output_async",
        bytes_input(10),
        &output_prefix,
    )
    .await;
    let outputs = resource.outputs.expect("inline outputs");
    assert_eq!(
        String::from_literal(&outputs.literals["o0"]).unwrap(),
        "x".repeat(10)
    );
    let missing = moto
        .storage()
        .read(&format!("{output_prefix}/outputs.pb"))
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
}

#[tokio::test]
async fn large_outputs_of_a_sync_run_are_written_to_the_output_prefix_and_not_sent() {
    let Some((moto, server)) = start().await else {
        return;
    };
    let output_prefix = prefix("sync-large");
    let resource = execute(&server, "big_output_sync", bytes_input(BIG), &output_prefix)
        .await
        .unwrap();
    assert!(succeeded(&resource), "{}", resource.message);
    assert_eq!(resource.outputs, None);
    let outputs = written_outputs(&moto, &output_prefix).await;
    assert_eq!(
        String::from_literal(&outputs.literals["o0"]).unwrap().len() as i64,
        BIG
    );
}

/// A literal offloaded to `uri`, as Propeller sends it.
fn offloaded(uri: &str) -> core::Literal {
    core::Literal {
        value: Some(core::literal::Value::OffloadedMetadata(
            core::LiteralOffloadedMetadata {
                uri: uri.to_owned(),
                size_bytes: 2,
                inferred_type: None,
            },
        )),
        ..Default::default()
    }
}

#[tokio::test]
async fn offloaded_inputs_are_read_before_the_agent_runs() {
    let Some((moto, server)) = start().await else {
        return;
    };
    let uri = format!("s3://{BUCKET}/inputs/x.pb");
    let seven = 7i64.into_literal().unwrap().encode_to_vec();
    moto.storage().write(&uri, seven.into()).await.unwrap();
    let inputs = LiteralMapBuilder::new()
        .with("x", offloaded(&uri))
        .build()
        .unwrap();
    let resource = execute(&server, "echo_sync", inputs, &prefix("offloaded"))
        .await
        .unwrap();
    let o0 = &resource.outputs.expect("outputs").literals["o0"];
    assert_eq!(i64::from_literal(o0).unwrap(), 8);

    let missing = format!("s3://{BUCKET}/inputs/missing.pb");
    let inputs = LiteralMapBuilder::new()
        .with("x", offloaded(&missing))
        .build()
        .unwrap();
    let status = execute(&server, "echo_sync", inputs, &prefix("offloaded-missing"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("input x"), "{}", status.message());
    assert!(status.message().contains(&missing), "{}", status.message());
}

#[tokio::test]
async fn a_file_input_is_read_and_a_file_output_uploaded() {
    let Some((moto, server)) = start().await else {
        return;
    };
    let input = format!("s3://{BUCKET}/inputs/hello.txt");
    moto.storage()
        .write(&input, "hello, flyte".into())
        .await
        .unwrap();
    let output_prefix = prefix("file-copy");
    let inputs = LiteralMapBuilder::new()
        .with("f", FlyteFile::new(&input))
        .build()
        .unwrap();
    let resource = execute(&server, "file_copy_sync", inputs, &output_prefix)
        .await
        .unwrap();
    let copy = FlyteFile::from_literal(&resource.outputs.expect("outputs").literals["o0"]).unwrap();
    assert_eq!(copy.uri, format!("{output_prefix}/copy.txt"));
    let text = moto.storage().scope(copy.read()).await.unwrap();
    assert_eq!(&text[..], b"HELLO, FLYTE");
}

#[tokio::test]
async fn the_server_binary_reads_flytekit_storage_settings_from_its_environment() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    moto.create_bucket(BUCKET).await;
    let settings = moto.settings();
    let envs: Vec<(&str, &str)> = settings
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    let server = ServerProcess::start(
        env!("CARGO_BIN_EXE_interop-agent-server").as_ref(),
        &["--max-inline-output-bytes", "1000"],
        &envs,
    );
    let mut client = AsyncAgentServiceClient::new(server.connect().await);

    let output_prefix = prefix("binary");
    let resource = create_and_get(
        &mut client,
        "big_output_async",
        bytes_input(5000),
        &output_prefix,
    )
    .await;
    assert!(succeeded(&resource), "{}", resource.message);
    assert_eq!(resource.outputs, None);
    let outputs = written_outputs(&moto, &output_prefix).await;
    assert_eq!(
        String::from_literal(&outputs.literals["o0"]).unwrap(),
        "x".repeat(5000)
    );
}
