//! The `agent-server` binary, as the README's first command starts it: it
//! serves every example agent and stops cleanly on SIGTERM.

use std::process::{Command, Stdio};
use std::time::Duration;

use agent_core::proto::flyteidl::admin;
use agent_core::proto::flyteidl::service::agent_metadata_service_client::AgentMetadataServiceClient;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn serves_every_example_agent_and_stops_on_sigterm() {
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_agent-server"))
        .args(["serve", "agent", "--host", "127.0.0.1"])
        .args(["--port", &port.to_string()])
        .args(["--prometheus-port", &free_port().to_string()])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let mut client = None;
    for _ in 0..100 {
        if let Ok(connected) =
            AgentMetadataServiceClient::connect(format!("http://127.0.0.1:{port}")).await
        {
            client = Some(connected);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut client = client.expect("the server listens within 10 s");
    let agents = client
        .list_agents(admin::ListAgentsRequest {})
        .await
        .unwrap()
        .into_inner()
        .agents;
    let mut names: Vec<_> = agents.iter().map(|agent| agent.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["File Sensor Agent", "HTTP Call Agent", "Shell Job Agent"]);

    let terminated = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    for _ in 0..100 {
        if let Some(status) = server.try_wait().unwrap() {
            assert!(status.success(), "exit status after SIGTERM: {status}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill().unwrap();
    panic!("the server did not stop within 5 s of SIGTERM");
}
