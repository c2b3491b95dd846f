//! The SQL query agent through a real server over both protocols, and
//! through the local runner: real SQLite files, real CSV files.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agent_core::literal::{LiteralMapBuilder, StructuredDataset};
use agent_core::local::{LocalRunner, Progress};
use agent_core::proto::flyteidl::core::{self, Literal};
use agent_core::proto::flyteidl::{admin, core::task_execution::Phase};
use agent_core::proto::flyteidl2::{connector, task};
use agent_core::testing::{TestServer, task_template};
use agent_core::{FromLiteral, Registry, TaskContext};
use agent_examples::sql_query::{SqlQueryAgent, SqlQueryConfig};
use std::collections::BTreeMap;

/// A scratch directory holding a `shop.sqlite3` of three products and the
/// agent's jobs database.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let shop = rusqlite::Connection::open(dir.path().join("shop.sqlite3")).unwrap();
        shop.execute_batch(
            "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL, note TEXT);
             INSERT INTO products VALUES (1, 'pen', 1.5, NULL), (2, 'ink', 7.25, 'blue'),
                                         (3, 'pad', 3.0, NULL);",
        )
        .unwrap();
        Fixture { dir }
    }

    fn shop(&self) -> PathBuf {
        self.dir.path().join("shop.sqlite3")
    }

    fn config(&self) -> SqlQueryConfig {
        SqlQueryConfig::new(self.dir.path().join("jobs.sqlite3")).database(self.shop())
    }

    fn agent(&self) -> SqlQueryAgent {
        SqlQueryAgent::new(self.config()).unwrap()
    }

    async fn server(&self) -> TestServer {
        let registry = Registry::builder()
            .async_agent(self.agent())
            .build()
            .unwrap();
        TestServer::start(registry).await
    }

    fn output_prefix(&self) -> String {
        format!("file://{}", self.dir.path().join("outputs").display())
    }
}

fn template(statement: &str, custom: serde_json::Value) -> core::TaskTemplate {
    let mut template = task_template("sql_query", custom);
    template.target = Some(core::task_template::Target::Sql(core::Sql {
        statement: statement.into(),
        dialect: core::sql::Dialect::Ansi as i32,
    }));
    template
}

fn category() -> Option<admin::TaskCategory> {
    Some(admin::TaskCategory {
        name: "sql_query".into(),
        version: 0,
    })
}

/// A Flyte 1 client of one server.
struct Flyte1<'a> {
    server: &'a TestServer,
    output_prefix: String,
}

impl Flyte1<'_> {
    async fn create(
        &self,
        statement: &str,
        custom: serde_json::Value,
        inputs: LiteralMapBuilder,
    ) -> Result<Vec<u8>, tonic::Status> {
        let created = self
            .server
            .async_client()
            .create_task(admin::CreateTaskRequest {
                inputs: Some(inputs.build().unwrap()),
                template: Some(template(statement, custom)),
                output_prefix: self.output_prefix.clone(),
                task_execution_metadata: None,
            })
            .await?;
        Ok(created.into_inner().resource_meta)
    }

    async fn get(&self, resource_meta: &[u8]) -> admin::Resource {
        self.server
            .async_client()
            .get_task(admin::GetTaskRequest {
                task_category: category(),
                resource_meta: resource_meta.to_vec(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .resource
            .unwrap()
    }

    async fn delete(&self, resource_meta: &[u8]) {
        self.server
            .async_client()
            .delete_task(admin::DeleteTaskRequest {
                task_category: category(),
                resource_meta: resource_meta.to_vec(),
                ..Default::default()
            })
            .await
            .unwrap();
    }

    /// Polls until the job is neither queued nor running (10 s at most).
    async fn wait(&self, resource_meta: &[u8]) -> admin::Resource {
        for _ in 0..200 {
            let resource = self.get(resource_meta).await;
            if resource.phase != Phase::Running as i32 && resource.phase != Phase::Queued as i32 {
                return resource;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the job did not end in 10 s")
    }
}

fn flyte1<'a>(server: &'a TestServer, fixture: &Fixture) -> Flyte1<'a> {
    Flyte1 {
        server,
        output_prefix: fixture.output_prefix(),
    }
}

fn results(resource: &admin::Resource) -> &Literal {
    &resource.outputs.as_ref().expect("outputs").literals["results"]
}

type Row = BTreeMap<String, Literal>;

fn rows(resource: &admin::Resource) -> Vec<Row> {
    Vec::<Row>::from_literal(results(resource)).unwrap()
}

/// Counts forever: only an interrupt stops it.
const ENDLESS: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
                       SELECT count(*) FROM c";

#[tokio::test]
async fn a_query_answers_its_rows_inline_with_inputs_bound_by_name() {
    let fixture = Fixture::new();
    let server = fixture.server().await;
    let client = flyte1(&server, &fixture);
    let inputs = LiteralMapBuilder::new()
        .with("max_price", 5.0)
        .with("unused", "x");
    let meta = client
        .create(
            "SELECT id, name, price, note FROM products WHERE price < :max_price ORDER BY id",
            serde_json::Value::Null,
            inputs,
        )
        .await
        .unwrap();
    let job: serde_json::Value = serde_json::from_slice(&meta).unwrap();
    assert!(job["job_id"].is_i64(), "{job}");

    let resource = client.wait(&meta).await;
    assert_eq!(
        resource.phase,
        Phase::Succeeded as i32,
        "{}",
        resource.message
    );
    assert_eq!(resource.message, "2 rows");
    assert!(
        resource.log_links[0].uri.ends_with("jobs.sqlite3"),
        "{:?}",
        resource.log_links
    );
    let rows = rows(&resource);
    assert_eq!(rows.len(), 2);
    assert_eq!(i64::from_literal(&rows[0]["id"]).unwrap(), 1);
    assert_eq!(String::from_literal(&rows[0]["name"]).unwrap(), "pen");
    assert_eq!(f64::from_literal(&rows[1]["price"]).unwrap(), 3.0);
    assert_eq!(
        Option::<String>::from_literal(&rows[1]["note"]).unwrap(),
        None
    );
}

#[tokio::test]
async fn the_template_may_name_another_database() {
    let fixture = Fixture::new();
    let other = fixture.dir.path().join("other.sqlite3");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('from the other file');")
        .unwrap();
    let server = fixture.server().await;
    let client = flyte1(&server, &fixture);
    let meta = client
        .create(
            "SELECT v FROM t",
            serde_json::json!({ "database": other }),
            LiteralMapBuilder::new(),
        )
        .await
        .unwrap();
    let resource = client.wait(&meta).await;
    let rows = rows(&resource);
    assert_eq!(
        String::from_literal(&rows[0]["v"]).unwrap(),
        "from the other file"
    );

    let status = client
        .create(
            "SELECT 1",
            serde_json::json!({ "database": fixture.dir.path().join("missing.sqlite3") }),
            LiteralMapBuilder::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains("template.custom.database"),
        "{}",
        status.message()
    );
    assert!(
        !fixture.dir.path().join("missing.sqlite3").exists(),
        "a missing database is not created"
    );
}

#[tokio::test]
async fn a_statement_that_does_not_prepare_is_an_invalid_argument() {
    let fixture = Fixture::new();
    let server = fixture.server().await;
    let client = flyte1(&server, &fixture);
    for (statement, needle) in [
        ("SELEC 1", "syntax error"),
        ("SELECT * FROM nowhere", "no such table: nowhere"),
        ("SELECT :who", ":who names no task input"),
        ("SELECT 1; SELECT 2", "Multiple statements"),
    ] {
        let status = client
            .create(statement, serde_json::Value::Null, LiteralMapBuilder::new())
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{statement}");
        assert!(
            status.message().contains(needle),
            "{statement}: {}",
            status.message()
        );
    }
}

#[tokio::test]
async fn a_statement_failing_as_it_runs_fails_the_job_with_sqlites_message() {
    let fixture = Fixture::new();
    let server = fixture.server().await;
    let client = flyte1(&server, &fixture);
    let attach = format!(
        "ATTACH DATABASE '{}' AS other",
        fixture.dir.path().join("other.sqlite3").display()
    );
    for (statement, needle) in [
        (
            "INSERT INTO products (id, name) VALUES (1, 'again')",
            "UNIQUE constraint failed: products.id",
        ),
        (attach.as_str(), "too many attached databases"),
    ] {
        let meta = client
            .create(statement, serde_json::Value::Null, LiteralMapBuilder::new())
            .await
            .unwrap();
        let resource = client.wait(&meta).await;
        assert_eq!(resource.phase, Phase::Failed as i32, "{statement}");
        assert!(
            resource.message.contains(needle),
            "{statement}: {}",
            resource.message
        );
    }
    assert!(!fixture.dir.path().join("other.sqlite3").exists());
}

#[tokio::test]
async fn a_statement_with_no_columns_says_how_many_rows_it_changed() {
    let fixture = Fixture::new();
    let server = fixture.server().await;
    let client = flyte1(&server, &fixture);
    let meta = client
        .create(
            "UPDATE products SET note = :note WHERE price > 2",
            serde_json::Value::Null,
            LiteralMapBuilder::new().with("note", "dear"),
        )
        .await
        .unwrap();
    let resource = client.wait(&meta).await;
    assert_eq!(
        resource.phase,
        Phase::Succeeded as i32,
        "{}",
        resource.message
    );
    assert_eq!(resource.message, "2 rows changed");
    assert!(rows(&resource).is_empty());
}

#[tokio::test]
async fn large_results_are_written_as_a_csv_structured_dataset() {
    let fixture = Fixture::new();
    let server = fixture.server().await;
    let client = flyte1(&server, &fixture);
    let meta = client
        .create(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 500) \
             SELECT n, 'row ' || n AS label, NULL AS empty FROM c",
            serde_json::Value::Null,
            LiteralMapBuilder::new(),
        )
        .await
        .unwrap();
    let resource = client.wait(&meta).await;
    assert_eq!(
        resource.phase,
        Phase::Succeeded as i32,
        "{}",
        resource.message
    );
    let dataset = StructuredDataset::from_literal(results(&resource)).unwrap();
    assert_eq!(dataset.format, "csv");
    assert_eq!(dataset.uri, format!("{}/results", fixture.output_prefix()));
    let file = fixture.dir.path().join("outputs/results/.csv");
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 501);
    assert_eq!(lines[0], "n,label,empty");
    assert_eq!(lines[500], "500,row 500,");
    assert!(
        resource.message.starts_with("500 rows, written to "),
        "{}",
        resource.message
    );
    assert!(
        resource
            .log_links
            .iter()
            .any(|link| link.uri == dataset.uri)
    );
}

#[tokio::test]
async fn delete_interrupts_a_running_query_while_others_finish() {
    let fixture = Fixture::new();
    let server = fixture.server().await;
    let client = flyte1(&server, &fixture);
    let endless = client
        .create(ENDLESS, serde_json::Value::Null, LiteralMapBuilder::new())
        .await
        .unwrap();
    let quick: Vec<Vec<u8>> = futures::future::join_all((0..3).map(|n| {
        client.create(
            "SELECT :n AS n",
            serde_json::Value::Null,
            LiteralMapBuilder::new().with("n", n),
        )
    }))
    .await
    .into_iter()
    .map(Result::unwrap)
    .collect();
    for (n, meta) in quick.iter().enumerate() {
        let resource = client.wait(meta).await;
        assert_eq!(
            resource.phase,
            Phase::Succeeded as i32,
            "{}",
            resource.message
        );
        let n = i64::try_from(n).unwrap();
        assert_eq!(i64::from_literal(&rows(&resource)[0]["n"]).unwrap(), n);
    }
    assert_eq!(client.get(&endless).await.phase, Phase::Running as i32);

    client.delete(&endless).await;
    client.delete(&endless).await;
    let resource = client.wait(&endless).await;
    assert_eq!(resource.phase, Phase::Aborted as i32);
    assert_eq!(resource.message, "cancelled");
    // The statement was interrupted: nothing runs on, nothing is recorded later.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(client.get(&endless).await.phase, Phase::Aborted as i32);
}

/// Whether a connection may lock `path` exclusively at once: no statement
/// reads it.
fn may_lock(path: &Path) -> bool {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection.busy_timeout(Duration::ZERO).unwrap();
    connection.execute_batch("BEGIN EXCLUSIVE; COMMIT").is_ok()
}

/// Polls [`may_lock`] until it answers `lockable` (`within` at most).
async fn wait_lock(path: &Path, lockable: bool, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if may_lock(path) == lockable {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn delete_through_another_server_interrupts_the_statement_where_it_runs() {
    let fixture = Fixture::new();
    let first = fixture.server().await;
    let second = fixture.server().await;
    // Counts for minutes, reading the shop database all along (its shared
    // lock held), unless it is interrupted.
    let long = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
                WHERE x < 200000000) \
                SELECT count(*) FROM c WHERE x > (SELECT count(*) FROM products)";
    let meta = flyte1(&first, &fixture)
        .create(long, serde_json::Value::Null, LiteralMapBuilder::new())
        .await
        .unwrap();
    assert!(
        wait_lock(&fixture.shop(), false, Duration::from_secs(10)).await,
        "the statement did not start reading the shop database"
    );

    flyte1(&second, &fixture).delete(&meta).await;
    // The first server sees the job cancelled at its next heartbeat (5 s).
    assert!(
        wait_lock(&fixture.shop(), true, Duration::from_secs(15)).await,
        "the statement still runs on the first server 15 s after delete"
    );
    let resource = flyte1(&first, &fixture).get(&meta).await;
    assert_eq!(resource.phase, Phase::Aborted as i32);
    assert_eq!(resource.message, "cancelled");
}

#[tokio::test]
async fn jobs_live_in_the_jobs_database_not_in_one_server() {
    let fixture = Fixture::new();
    let first = fixture.server().await;
    let meta = flyte1(&first, &fixture)
        .create(
            "SELECT 40 + 2 AS answer",
            serde_json::Value::Null,
            LiteralMapBuilder::new(),
        )
        .await
        .unwrap();
    flyte1(&first, &fixture).wait(&meta).await;
    drop(first);

    let second = fixture.server().await;
    let resource = flyte1(&second, &fixture).get(&meta).await;
    assert_eq!(resource.phase, Phase::Succeeded as i32);
    assert_eq!(
        i64::from_literal(&rows(&resource)[0]["answer"]).unwrap(),
        42
    );

    let unknown = second
        .async_client()
        .get_task(admin::GetTaskRequest {
            task_category: category(),
            resource_meta: br#"{"job_id": 999999}"#.to_vec(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn flyte2_creates_polls_and_deletes_a_query() {
    let fixture = Fixture::new();
    let server = fixture.server().await;
    let mut client = server.connector_client();
    let create = |statement: &str| connector::CreateTaskRequest {
        inputs: Some(task::Inputs {
            literals: vec![task::NamedLiteral {
                name: "id".into(),
                value: Some(agent_core::IntoLiteral::into_literal(2).unwrap()),
            }],
            context: Vec::new(),
        }),
        template: Some(template(statement, serde_json::Value::Null)),
        output_prefix: fixture.output_prefix(),
        ..Default::default()
    };
    let category = || {
        Some(connector::TaskCategory {
            name: "sql_query".into(),
            version: 0,
        })
    };
    let meta = client
        .create_task(create("SELECT name FROM products WHERE id = :id"))
        .await
        .unwrap()
        .into_inner()
        .resource_meta;
    let resource = loop {
        let resource = client
            .get_task(connector::GetTaskRequest {
                task_category: category(),
                resource_meta: meta.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .resource
            .unwrap();
        if resource.phase == Phase::Succeeded as i32 {
            break resource;
        }
        assert!(
            [Phase::Queued as i32, Phase::Running as i32].contains(&resource.phase),
            "{resource:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let results = resource.outputs.unwrap().literals;
    assert_eq!(results[0].name, "results");
    let rows = Vec::<Row>::from_literal(results[0].value.as_ref().unwrap()).unwrap();
    assert_eq!(String::from_literal(&rows[0]["name"]).unwrap(), "ink");

    let endless = client
        .create_task(create(ENDLESS))
        .await
        .unwrap()
        .into_inner()
        .resource_meta;
    client
        .delete_task(connector::DeleteTaskRequest {
            task_category: category(),
            resource_meta: endless.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let resource = client
        .get_task(connector::GetTaskRequest {
            task_category: category(),
            resource_meta: endless,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .resource
        .unwrap();
    assert_eq!(resource.phase, Phase::Aborted as i32);
}

#[tokio::test]
async fn the_local_runner_runs_a_query_to_its_results() {
    let fixture = Fixture::new();
    let registry = Registry::builder()
        .async_agent(fixture.agent())
        .build()
        .unwrap();
    let runner = LocalRunner::new(registry)
        .poll_interval(Duration::from_millis(20))
        .timeout(Duration::from_secs(10))
        .progress(Progress::hidden());
    let task = TaskContext::new(template(
        "SELECT count(*) AS n, sum(price) AS total FROM products",
        serde_json::Value::Null,
    ));
    let outputs = runner.run(task).await.unwrap();
    let rows: Vec<Row> = outputs.get("results").unwrap();
    assert_eq!(i64::from_literal(&rows[0]["n"]).unwrap(), 3);
    assert_eq!(f64::from_literal(&rows[0]["total"]).unwrap(), 11.75);
}

#[tokio::test]
async fn with_no_database_configured_a_query_runs_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let agent = SqlQueryAgent::new(SqlQueryConfig::new(dir.path().join("jobs.sqlite3"))).unwrap();
    let registry = Registry::builder().async_agent(agent).build().unwrap();
    let runner = LocalRunner::new(registry)
        .poll_interval(Duration::from_millis(20))
        .timeout(Duration::from_secs(10))
        .progress(Progress::hidden());
    let task = TaskContext::new(template("SELECT 40 + 2 AS answer", serde_json::Value::Null));
    let rows: Vec<Row> = runner.run(task).await.unwrap().get("results").unwrap();
    assert_eq!(i64::from_literal(&rows[0]["answer"]).unwrap(), 42);
    assert_path_is_file(&dir.path().join("jobs.sqlite3"));
}

fn assert_path_is_file(path: &Path) {
    assert!(path.is_file(), "{} is not a file", path.display());
}

#[tokio::test]
async fn a_job_whose_server_stopped_is_a_retryable_failure() {
    let fixture = Fixture::new();
    let server = fixture.server().await;
    // A job some server started, then stopped running without a word.
    let jobs = rusqlite::Connection::open(fixture.dir.path().join("jobs.sqlite3")).unwrap();
    jobs.execute(
        "INSERT INTO jobs (state, database, statement, output_prefix, heartbeat_at) \
         VALUES ('running', ':memory:', 'SELECT 1', '', '2020-01-01T00:00:00.000Z')",
        [],
    )
    .unwrap();
    let meta = format!(r#"{{"job_id": {}}}"#, jobs.last_insert_rowid());
    let resource = flyte1(&server, &fixture).get(meta.as_bytes()).await;
    assert_eq!(resource.phase, Phase::RetryableFailed as i32);
    assert!(
        resource.message.contains("stopped before it ended"),
        "{}",
        resource.message
    );
}
