//! agentctl against a server of the example agents, as `agent-server`
//! serves them.

use agent_core::testing::TestServer;
use agent_examples::sql_query::SqlQueryConfig;

use crate::support::agentctl;

#[tokio::test(flavor = "multi_thread")]
async fn run_prints_the_answer_of_a_sql_query() {
    let dir = tempfile::tempdir().unwrap();
    let config = SqlQueryConfig::new(dir.path().join("jobs.sqlite3"));
    let registry = agent_examples::served_agents_with(config)
        .unwrap()
        .collected()
        .build()
        .unwrap();
    let server = TestServer::start(registry).await;
    let addr = server.address().to_string();
    let args = [
        "run",
        "--task-type",
        "sql_query",
        "--sql",
        "SELECT 40 + 2 AS answer",
        "--interval",
        "0.1",
    ];
    for protocol in ["flyte1", "flyte2"] {
        let mut with_protocol = vec!["--protocol", protocol];
        with_protocol.extend(args);
        let ran = agentctl(&addr, &with_protocol).await;
        assert_eq!(
            ran.json(),
            serde_json::json!({ "results": [{ "answer": 42 }] }),
            "{protocol}"
        );
    }
}
