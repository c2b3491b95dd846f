//! The server's logs, read from a real `interop-agent-server` process:
//! JSON lines carrying each call's task type, operation and task execution
//! id, and no secret value (nor the key sealing resource metadata)
//! anywhere, whatever the log level.

use agent_core::literal::LiteralMapBuilder;
use agent_core::proto::flyteidl::{admin, core};
use agent_core::proto::flyteidl2::{connector, core as core2, task};
use agent_core::testing::task_template;
use agent_tests::server_process::ServerProcess;
use tonic::transport::Channel;

const CONNECTION_SECRET: &str = "sk-connection-7f3a9";
const ENV_SECRET: &str = "env-secret-c41d2";
const FILE_SECRET: &str = "file-secret-e88b0";
const SEAL_KEY: &str = "seal-key-5d1e0-that-is-long-enough-to-seal";

/// Starts the test agent server with JSON logs at `log_level`, a secret in
/// the environment, one in a secrets directory, and a key sealing the
/// resource metadata.
fn start(log_level: &str, secrets_dir: &std::path::Path) -> ServerProcess {
    ServerProcess::start(
        env!("CARGO_BIN_EXE_interop-agent-server").as_ref(),
        &["--log-format", "json"],
        &[
            ("RUST_LOG", log_level),
            ("_FSEC_OPENAI_API_KEY", ENV_SECRET),
            (
                "FLYTE_SECRETS_DEFAULT_DIR",
                secrets_dir.to_str().expect("a UTF-8 temporary directory"),
            ),
            ("FLYTE_AGENT_SEAL_KEY", SEAL_KEY),
        ],
    )
}

fn secret_reader(group: &str, key: &str) -> core::TaskTemplate {
    task_template(
        "reads_secret",
        serde_json::json!({"group": group, "key": key}),
    )
}

/// A full session: Flyte 2 create/get/delete with connection secrets, and
/// sync runs reading a secret from the connection, the environment and a file.
async fn session(channel: Channel) {
    use agent_core::proto::flyteidl2::connector::async_connector_service_client::AsyncConnectorServiceClient;
    let mut client = AsyncConnectorServiceClient::new(channel);
    let connection = || {
        Some(core2::Connection {
            task_type: "echo_async".into(),
            secrets: [("api_key".to_string(), CONNECTION_SECRET.to_string())].into(),
            configs: Default::default(),
        })
    };
    let inputs = task::Inputs {
        literals: vec![task::NamedLiteral {
            name: "x".into(),
            value: Some(agent_core::IntoLiteral::into_literal(2).unwrap()),
        }],
        context: Vec::new(),
    };
    let execution = connector::TaskExecutionMetadata {
        task_execution_id: Some(core::TaskExecutionIdentifier {
            task_id: Some(core::Identifier {
                name: "logged.task".into(),
                ..Default::default()
            }),
            node_execution_id: Some(core::NodeExecutionIdentifier {
                node_id: "n3".into(),
                execution_id: Some(core::WorkflowExecutionIdentifier {
                    project: "proj".into(),
                    domain: "dev".into(),
                    name: "run-logged".into(),
                    org: String::new(),
                }),
            }),
            retry_attempt: 2,
        }),
        ..Default::default()
    };
    let created = client
        .create_task(connector::CreateTaskRequest {
            inputs: Some(inputs),
            template: Some(task_template("echo_async", serde_json::Value::Null)),
            task_execution_metadata: Some(execution),
            connection: connection(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let category = Some(connector::TaskCategory {
        name: "echo_async".into(),
        version: 0,
    });
    client
        .get_task(connector::GetTaskRequest {
            resource_meta: created.resource_meta.clone(),
            task_category: category.clone(),
            connection: connection(),
            ..Default::default()
        })
        .await
        .unwrap();
    client
        .delete_task(connector::DeleteTaskRequest {
            resource_meta: created.resource_meta,
            task_category: category,
            connection: connection(),
        })
        .await
        .unwrap();

    for (group, key, connection, expected) in [
        ("", "api_key", connection(), CONNECTION_SECRET),
        ("openai", "api_key", None, ENV_SECRET),
        ("vendor", "token", None, FILE_SECRET),
    ] {
        let created = client
            .create_task(connector::CreateTaskRequest {
                template: Some(secret_reader(group, key)),
                connection,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let resource = client
            .get_task(connector::GetTaskRequest {
                resource_meta: created.resource_meta,
                task_category: Some(connector::TaskCategory {
                    name: "reads_secret".into(),
                    version: 0,
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .resource
            .unwrap();
        let length: i64 = agent_core::FromLiteral::from_literal(
            resource.outputs.unwrap().literals[0]
                .value
                .as_ref()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(length as usize, expected.len(), "{group}/{key}");
    }

    let missing = client
        .create_task(connector::CreateTaskRequest {
            template: Some(secret_reader("nowhere", "nothing")),
            connection: connection(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::FailedPrecondition);
    assert!(!missing.message().contains(CONNECTION_SECRET));
}

fn secrets_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("agent-logs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("vendor")).unwrap();
    std::fs::write(dir.join("vendor/token"), FILE_SECRET).unwrap();
    dir
}

#[tokio::test]
async fn no_secret_reaches_the_logs_even_at_trace_level() {
    let dir = secrets_dir("trace");
    let server = start("trace", &dir);
    session(server.connect().await).await;
    let lines = server.stop().await;
    assert!(
        lines.len() > 20,
        "a trace-level session logs plenty: {lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line.contains("resource metadata is sealed")),
        "the seal key was read: {lines:?}"
    );
    for line in &lines {
        for secret in [CONNECTION_SECRET, ENV_SECRET, FILE_SECRET, SEAL_KEY] {
            assert!(!line.contains(secret), "a secret in the logs: {line}");
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn json_logs_carry_the_task_type_operation_and_execution_id() {
    let dir = secrets_dir("json");
    let server = start("info", &dir);
    let channel = server.connect().await;
    session(channel.clone()).await;
    use agent_core::proto::flyteidl::service::async_agent_service_client::AsyncAgentServiceClient;
    let mut client = AsyncAgentServiceClient::new(channel);
    client
        .create_task(admin::CreateTaskRequest {
            template: Some(task_template("echo_async", serde_json::Value::Null)),
            inputs: Some(LiteralMapBuilder::new().with("x", 1).build().unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
    let no_template = client
        .create_task(admin::CreateTaskRequest::default())
        .await
        .unwrap_err();
    let lines = server.stop().await;
    let records: Vec<serde_json::Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let create = records
        .iter()
        .find(|record| {
            record["fields"]["operation"] == "create"
                && record["fields"]["execution_id"] == "proj/dev/run-logged/n3/logged.task/2"
        })
        .unwrap_or_else(|| panic!("no create with its execution id: {lines:#?}"));
    assert_eq!(create["fields"]["task_type"], "echo_async");
    let refused = records
        .iter()
        .find(|record| record["fields"]["message"] == "refused")
        .unwrap_or_else(|| panic!("the request with no template is not logged: {lines:#?}"));
    assert_eq!(refused["level"], "WARN");
    assert_eq!(refused["fields"]["operation"], "create");
    assert_eq!(refused["fields"]["error"], no_template.message());
    // Successful polls are logged at debug only: Propeller polls every
    // running task.
    assert!(
        !records
            .iter()
            .any(|record| record["fields"]["operation"] == "get"),
        "{lines:#?}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
