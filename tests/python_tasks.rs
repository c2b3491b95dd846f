//! The Python task classes of `examples/python/`, serialized by the real
//! SDKs (flytekit 1.16 and flyte-sdk 2, `examples/python/serialize.py`) and
//! sent to our server as Propeller sends them: the Rust side reads each
//! field the Python side writes (the template's `sql.statement`, `custom`,
//! the interface, the requested secret), over Flyte 1 and Flyte 2.
//!
//! Needs `FLYTEKIT_PYTHON` and `FLYTE_SDK_PYTHON` (`eval "$(tests/tools/setup.sh)"`);
//! without them the tests are skipped, saying so.

use agent_core::FromLiteral;
use agent_core::literal::LiteralMapBuilder;
use agent_core::proto::flyteidl::{admin, core};
use agent_core::proto::flyteidl2::connector;
use agent_core::testing::TestServer;
use agent_tests::sdk_templates::{CHAT_MODEL, NAMES, SQL_STATEMENT, Sdk, SdkTemplates};
use agent_tests::template_reader;
use agent_tests::tools::tool;
use serde_json::{Value, json};

/// The database and the base URL the templates name: the reader opens
/// and calls nothing.
const DATABASE: &str = "/data/orders.db";
const BASE_URL: &str = "http://127.0.0.1:9/v1";

/// The inputs each template is sent with.
fn inputs(name: &str) -> core::LiteralMap {
    let builder = LiteralMapBuilder::new();
    let builder = match name {
        "sql_query" => builder.with("x", 41).with("name", "flyte"),
        "chat_completion" => builder.with("prompt", "Say hello"),
        _ => builder,
    };
    builder.build().unwrap()
}

/// What the reader should report for template `name`.
fn expected_report(name: &str) -> Value {
    let sql = |statement: &str| json!({"statement": statement, "dialect": core::sql::Dialect::Ansi as i32});
    match name {
        "sql_query" => json!({
            "task_type": "sql_query",
            "sql": sql(SQL_STATEMENT),
            "custom": {"database": DATABASE},
            "inputs": {"x": 41, "name": "flyte"},
            "outputs": ["results"],
            "secrets": [],
        }),
        "sql_query_default_database" => json!({
            "task_type": "sql_query",
            "sql": sql("SELECT 1 AS one"),
            "custom": {},
            "inputs": {},
            "outputs": ["results"],
            "secrets": [],
        }),
        "chat_completion" => json!({
            "task_type": "chat_completion",
            "sql": null,
            "custom": {"model": CHAT_MODEL, "base_url": BASE_URL},
            "inputs": {"prompt": "Say hello"},
            "outputs": ["o0"],
            "secrets": [{"group": "openai", "key": "api_key"}],
        }),
        _ => unreachable!("{name}"),
    }
}

fn report(literal: &core::Literal) -> Value {
    serde_json::from_str(&String::from_literal(literal).unwrap()).unwrap()
}

/// Runs `template` through Flyte 1's `ExecuteTaskSync` and answers the report.
async fn report_over_flyte1(
    server: &TestServer,
    template: core::TaskTemplate,
    inputs: core::LiteralMap,
) -> Value {
    use admin::execute_task_sync_request::Part;
    let messages = [
        admin::ExecuteTaskSyncRequest {
            part: Some(Part::Header(Box::new(admin::CreateRequestHeader {
                template: Some(template),
                output_prefix: "s3://bucket/run".into(),
                ..Default::default()
            }))),
        },
        admin::ExecuteTaskSyncRequest {
            part: Some(Part::Inputs(inputs)),
        },
    ];
    let reply = server
        .sync_client()
        .execute_task_sync(futures::stream::iter(messages))
        .await
        .unwrap()
        .into_inner()
        .message()
        .await
        .unwrap()
        .expect("a reply");
    let Some(admin::execute_task_sync_response::Res::Header(header)) = reply.res else {
        panic!("a header reply, got {:?}", reply.res);
    };
    let resource = header.resource.expect("a resource");
    assert_eq!(
        resource.phase,
        core::task_execution::Phase::Succeeded as i32
    );
    report(&resource.outputs.expect("outputs").literals["report"])
}

/// Runs `template` through Flyte 2's `CreateTask` and `GetTask` and
/// answers the report.
async fn report_over_flyte2(
    server: &TestServer,
    template: core::TaskTemplate,
    inputs: core::LiteralMap,
) -> Value {
    let task_type = template.r#type.clone();
    let mut client = server.connector_client();
    let created = client
        .create_task(connector::CreateTaskRequest {
            inputs: Some(inputs.into()),
            template: Some(template),
            output_prefix: "s3://bucket/run".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let resource = client
        .get_task(connector::GetTaskRequest {
            task_category: Some(connector::TaskCategory {
                name: task_type,
                version: 0,
            }),
            resource_meta: created.resource_meta,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .resource
        .expect("a resource");
    assert_eq!(
        resource.phase,
        core::task_execution::Phase::Succeeded as i32
    );
    let outputs = resource.outputs.expect("outputs");
    let named = outputs
        .literals
        .iter()
        .find(|named| named.name == "report")
        .expect("report");
    report(named.value.as_ref().unwrap())
}

#[tokio::test]
async fn flytekit_templates_are_read_as_flytekit_writes_them() {
    let Some(python) = tool("FLYTEKIT_PYTHON", "a Python with flytekit 1.16") else {
        return;
    };
    let templates = SdkTemplates::serialize(&python, Sdk::Flytekit, DATABASE, BASE_URL);
    let server = TestServer::start(template_reader::registry()).await;
    for name in NAMES {
        let report = report_over_flyte1(&server, templates.template(name), inputs(name)).await;
        assert_eq!(report, expected_report(name), "{name} over Flyte 1");
        let report = report_over_flyte2(&server, templates.template(name), inputs(name)).await;
        assert_eq!(report, expected_report(name), "{name} over Flyte 2");
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn flyte_sdk_templates_are_read_as_flyte_sdk_writes_them() {
    let Some(python) = tool(
        "FLYTE_SDK_PYTHON",
        "a Python with flyte-sdk 2 (the flyte package)",
    ) else {
        return;
    };
    let templates = SdkTemplates::serialize(&python, Sdk::FlyteSdk, DATABASE, BASE_URL);
    let server = TestServer::start(template_reader::registry()).await;
    for name in NAMES {
        let report = report_over_flyte2(&server, templates.template(name), inputs(name)).await;
        assert_eq!(report, expected_report(name), "{name} over Flyte 2");
    }
    server.shutdown().await.unwrap();
}
