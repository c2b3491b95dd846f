//! Load: 1,000 sessions at once against one real server on a loopback
//! socket, over ten connections, both protocols, every kind of RPC. Each
//! session starts with a call that holds its agent until all 1,000 are in
//! flight together, then goes on with gets, deletes, sync runs and lists;
//! every answer is checked.

use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_core::literal::LiteralMapBuilder;
use agent_core::proto::flyteidl::service::{
    agent_metadata_service_client::AgentMetadataServiceClient,
    async_agent_service_client::AsyncAgentServiceClient,
    sync_agent_service_client::SyncAgentServiceClient,
};
use agent_core::proto::flyteidl::{admin, core};
use agent_core::proto::flyteidl2::connector::{
    self, async_connector_service_client::AsyncConnectorServiceClient,
    connector_metadata_service_client::ConnectorMetadataServiceClient,
};
use agent_core::proto::flyteidl2::task;
use agent_core::server::ServerOptions;
use agent_core::testing::TestServer;
use agent_core::{FromLiteral, IntoLiteral};
use agent_tests::agents::{Calls, registry};
use tonic::transport::{Channel, Endpoint};

/// Sessions run at once.
const SESSIONS: usize = 1000;

/// Connections they share (a server lets 200 streams at most run on one).
const CONNECTIONS: usize = 10;

/// How long each session's first call holds its agent at most, waiting
/// for the others.
const HOLD: Duration = Duration::from_secs(10);

/// How long the whole run may take.
const TIME_LIMIT: Duration = Duration::from_secs(20);

/// What one session found wrong.
type Failure = String;

/// The inputs `{x, ms, until}`: hold `ms` at most, until every session's
/// first call is in flight.
fn inputs(x: i64, ms: u64) -> core::LiteralMap {
    LiteralMapBuilder::new()
        .with("x", x)
        .with("ms", ms)
        .with("until", SESSIONS)
        .build()
        .expect("valid inputs")
}

fn template(task_type: &str) -> core::TaskTemplate {
    core::TaskTemplate {
        r#type: task_type.into(),
        ..Default::default()
    }
}

/// Attempt 0 of node `n0` in execution `run`: each session its own, so the
/// idempotency guard runs each create.
fn execution_id(run: &str) -> core::TaskExecutionIdentifier {
    core::TaskExecutionIdentifier {
        task_id: Some(core::Identifier {
            name: "load.task".into(),
            ..Default::default()
        }),
        node_execution_id: Some(core::NodeExecutionIdentifier {
            node_id: "n0".into(),
            execution_id: Some(core::WorkflowExecutionIdentifier {
                project: "p".into(),
                domain: "d".into(),
                name: run.into(),
                org: String::new(),
            }),
        }),
        retry_attempt: 0,
    }
}

fn int_output(literal: Option<&core::Literal>, what: &str) -> Result<i64, Failure> {
    let literal = literal.ok_or_else(|| format!("{what}: no output o0"))?;
    i64::from_literal(literal).map_err(|error| format!("{what}: {error}"))
}

fn expect(what: &str, got: i64, want: i64) -> Result<(), Failure> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: answered {got}, expected {want}"))
    }
}

/// A Flyte 1 session: create, get and delete a held job.
async fn flyte1_async(channel: Channel, x: i64, run: &str) -> Result<usize, Failure> {
    let mut client = AsyncAgentServiceClient::new(channel);
    let (task_type, ms) = ("sleep_async", HOLD.as_millis() as u64);
    let what = |rpc: &str| format!("Flyte 1 {rpc} {task_type}");
    let created = client
        .create_task(admin::CreateTaskRequest {
            inputs: Some(inputs(x, ms)),
            template: Some(template(task_type)),
            output_prefix: String::new(),
            task_execution_metadata: Some(admin::TaskExecutionMetadata {
                task_execution_id: Some(execution_id(run)),
                ..Default::default()
            }),
        })
        .await
        .map_err(|status| format!("{}: {status:?}", what("CreateTask")))?
        .into_inner();
    let category = Some(admin::TaskCategory {
        name: task_type.into(),
        version: 0,
    });
    let resource = client
        .get_task(admin::GetTaskRequest {
            task_category: category.clone(),
            resource_meta: created.resource_meta.clone(),
            ..Default::default()
        })
        .await
        .map_err(|status| format!("{}: {status:?}", what("GetTask")))?
        .into_inner()
        .resource
        .unwrap_or_default();
    let outputs = resource.outputs.unwrap_or_default();
    let o0 = int_output(outputs.literals.get("o0"), &what("GetTask"))?;
    expect(&what("GetTask"), o0, 2 * x)?;
    client
        .delete_task(admin::DeleteTaskRequest {
            task_category: category,
            resource_meta: created.resource_meta,
            ..Default::default()
        })
        .await
        .map_err(|status| format!("{}: {status:?}", what("DeleteTask")))?;
    Ok(3)
}

fn flyte2_inputs(x: i64, ms: u64) -> task::Inputs {
    let literal = |value: i64| Some(value.into_literal().expect("an integer literal"));
    task::Inputs {
        literals: vec![
            task::NamedLiteral {
                name: "x".into(),
                value: literal(x),
            },
            task::NamedLiteral {
                name: "ms".into(),
                value: literal(ms as i64),
            },
            task::NamedLiteral {
                name: "until".into(),
                value: literal(SESSIONS as i64),
            },
        ],
        context: Vec::new(),
    }
}

/// A Flyte 2 session: create, get and delete a held job of an async agent
/// (`o0 = 2x`), or of a sync agent and then a quick one (`o0 = x`, `x + 1`).
async fn flyte2(channel: Channel, x: i64, run: &str, sync: bool) -> Result<usize, Failure> {
    let mut client = AsyncConnectorServiceClient::new(channel);
    let agents: &[(&str, i64)] = if sync {
        &[("sleep_sync", x), ("echo_sync", x + 1)]
    } else {
        &[("sleep_async", 2 * x)]
    };
    for (index, &(task_type, want)) in agents.iter().enumerate() {
        let what = |rpc: &str| format!("Flyte 2 {rpc} {task_type}");
        let ms = if index == 0 {
            HOLD.as_millis() as u64
        } else {
            0
        };
        let created = client
            .create_task(connector::CreateTaskRequest {
                inputs: Some(flyte2_inputs(x, ms)),
                template: Some(template(task_type)),
                task_execution_metadata: Some(connector::TaskExecutionMetadata {
                    task_execution_id: Some(execution_id(run)),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await
            .map_err(|status| format!("{}: {status:?}", what("CreateTask")))?
            .into_inner();
        let category = Some(connector::TaskCategory {
            name: task_type.into(),
            version: 0,
        });
        let resource = client
            .get_task(connector::GetTaskRequest {
                task_category: category.clone(),
                resource_meta: created.resource_meta.clone(),
                ..Default::default()
            })
            .await
            .map_err(|status| format!("{}: {status:?}", what("GetTask")))?
            .into_inner()
            .resource
            .unwrap_or_default();
        let outputs = resource.outputs.unwrap_or_default();
        let o0 = outputs
            .literals
            .iter()
            .find(|named| named.name == "o0")
            .and_then(|named| named.value.as_ref());
        expect(&what("GetTask"), int_output(o0, &what("GetTask"))?, want)?;
        client
            .delete_task(connector::DeleteTaskRequest {
                task_category: category,
                resource_meta: created.resource_meta,
                ..Default::default()
            })
            .await
            .map_err(|status| format!("{}: {status:?}", what("DeleteTask")))?;
    }
    Ok(3 * agents.len())
}

/// One `ExecuteTaskSync` call of `task_type` with inputs `{x, ms}`,
/// answering `o0`.
async fn execute_sync(channel: Channel, task_type: &str, x: i64, ms: u64) -> Result<i64, Failure> {
    use admin::execute_task_sync_request::Part;
    let what = format!("Flyte 1 ExecuteTaskSync {task_type}");
    let messages = [
        admin::ExecuteTaskSyncRequest {
            part: Some(Part::Header(Box::new(admin::CreateRequestHeader {
                template: Some(template(task_type)),
                ..Default::default()
            }))),
        },
        admin::ExecuteTaskSyncRequest {
            part: Some(Part::Inputs(inputs(x, ms))),
        },
    ];
    let mut replies = SyncAgentServiceClient::new(channel)
        .execute_task_sync(futures::stream::iter(messages))
        .await
        .map_err(|status| format!("{what}: {status:?}"))?
        .into_inner();
    let reply = replies
        .message()
        .await
        .map_err(|status| format!("{what}: {status:?}"))?
        .ok_or_else(|| format!("{what}: no reply"))?;
    let Some(admin::execute_task_sync_response::Res::Header(header)) = reply.res else {
        return Err(format!("{what}: the reply is not a header"));
    };
    let outputs = header
        .resource
        .unwrap_or_default()
        .outputs
        .unwrap_or_default();
    int_output(outputs.literals.get("o0"), &what)
}

/// A Flyte 1 sync session: a held run and a quick one.
async fn flyte1_sync(channel: Channel, x: i64) -> Result<usize, Failure> {
    let held = execute_sync(channel.clone(), "sleep_sync", x, HOLD.as_millis() as u64).await?;
    expect("Flyte 1 ExecuteTaskSync sleep_sync", held, x)?;
    let quick = execute_sync(channel, "echo_sync", x, 0).await?;
    expect("Flyte 1 ExecuteTaskSync echo_sync", quick, x + 1)?;
    Ok(2)
}

/// A listing session: a held run, then both protocols' metadata services.
async fn lists(channel: Channel, x: i64) -> Result<usize, Failure> {
    let held = execute_sync(channel.clone(), "sleep_sync", x, HOLD.as_millis() as u64).await?;
    expect("Flyte 1 ExecuteTaskSync sleep_sync", held, x)?;
    let agents = AgentMetadataServiceClient::new(channel.clone())
        .list_agents(admin::ListAgentsRequest {})
        .await
        .map_err(|status| format!("Flyte 1 ListAgents: {status:?}"))?
        .into_inner()
        .agents;
    if !agents.iter().any(|agent| agent.name == "Sleep Agent") {
        return Err(format!("Flyte 1 ListAgents: no Sleep Agent in {agents:?}"));
    }
    let mut metadata = ConnectorMetadataServiceClient::new(channel);
    let connectors = metadata
        .list_connectors(connector::ListConnectorsRequest {})
        .await
        .map_err(|status| format!("Flyte 2 ListConnectors: {status:?}"))?
        .into_inner()
        .connectors;
    if connectors.len() != agents.len() {
        return Err(format!(
            "Flyte 2 ListConnectors: {} connectors, {} agents on Flyte 1",
            connectors.len(),
            agents.len()
        ));
    }
    let echo = metadata
        .get_connector(connector::GetConnectorRequest {
            name: "Echo Sync Agent".into(),
        })
        .await
        .map_err(|status| format!("Flyte 2 GetConnector: {status:?}"))?
        .into_inner()
        .connector
        .unwrap_or_default();
    if echo.name != "Echo Sync Agent" {
        return Err(format!("Flyte 2 GetConnector: answered {}", echo.name));
    }
    Ok(4)
}

/// Session `index` on `channel`: one of five kinds, by its index.
async fn session(index: usize, channel: Channel) -> Result<usize, Failure> {
    let x = index as i64;
    let run = format!("load-{index}");
    let answered = match index % 5 {
        0 => flyte1_async(channel, x, &run).await,
        1 => flyte2(channel, x, &run, false).await,
        2 => flyte1_sync(channel, x).await,
        3 => flyte2(channel, x, &run, true).await,
        _ => lists(channel, x).await,
    };
    answered.map_err(|failure| format!("session {index}: {failure}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_concurrent_sessions_over_both_protocols_are_all_answered() {
    let calls = Arc::new(Calls::default());
    let mut options = ServerOptions::default();
    options.limits.workers = 2 * SESSIONS;
    options.limits.per_agent = 2 * SESSIONS;
    options.limits.max_waiting = 2 * SESSIONS;
    let server = TestServer::start_with(registry(Arc::clone(&calls)), options).await;
    let channels: Vec<Channel> = (0..CONNECTIONS)
        .map(|_| {
            Endpoint::from_shared(format!("http://{}", server.address()))
                .expect("a loopback URI")
                .connect_lazy()
        })
        .collect();

    let started = Instant::now();
    let sessions: Vec<_> = (0..SESSIONS)
        .map(|index| tokio::spawn(session(index, channels[index % CONNECTIONS].clone())))
        .collect();
    let mut answered = 0;
    let mut failures = Vec::new();
    for finished in futures::future::join_all(sessions).await {
        match finished.expect("a session task") {
            Ok(rpcs) => answered += rpcs,
            Err(failure) => failures.push(failure),
        }
    }
    let took = started.elapsed();
    let held_at_once = Calls::of(&calls.max_in_flight);
    eprintln!(
        "load: {SESSIONS} sessions over {CONNECTIONS} connections, {answered} RPCs answered \
         correctly, {} sessions failed, {held_at_once} calls in flight at once, in {took:?}",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {SESSIONS} sessions failed; the first: {}",
        failures.len(),
        failures[0]
    );
    assert_eq!(answered, 3_600, "every RPC of every session was answered");
    assert_eq!(
        held_at_once, SESSIONS,
        "every session's first call was in flight at once"
    );
    assert!(took < TIME_LIMIT, "the run took {took:?}");
    server.shutdown().await.expect("a clean shutdown");
}
