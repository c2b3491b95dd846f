//! Sealed resource metadata over both protocols: off by default (plain
//! JSON); with a key, a changed, cut, forged or unsealed metadata is refused
//! with INVALID_ARGUMENT before the agent runs; a rotated-out key still opens
//! what it sealed.

use std::sync::Arc;

use agent_core::AgentServer;
use agent_core::seal::{Seal, SealKey};
use agent_core::testing::TestServer;
use agent_tests::agents::registry;
use tonic::Code;

use crate::support::{
    Calls, assert_status, create_request, delete_request, flyte2, get_request, int_output, start,
};

const KEY: &[u8] = b"e2e-current-seal-key-0123456789abcdef";
const OLD_KEY: &[u8] = b"e2e-previous-seal-key-0123456789abcdef";

fn key(bytes: &[u8]) -> SealKey {
    SealKey::new(bytes).unwrap()
}

/// A server of the test agents sealing with `seal`.
async fn start_sealed(seal: Seal) -> (TestServer, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let server = AgentServer::new(registry(Arc::clone(&calls))).seal(Some(seal));
    (TestServer::start_server(server).await, calls)
}

/// `meta` with its last byte (the agent's JSON) changed.
fn tampered(meta: &[u8]) -> Vec<u8> {
    let mut changed = meta.to_vec();
    *changed.last_mut().unwrap() ^= 0x20;
    changed
}

#[tokio::test]
async fn without_a_key_metadata_is_the_agents_plain_json() {
    let (server, _) = start().await;
    let created = server
        .async_client()
        .create_task(create_request("echo_async", 4, "plain"))
        .await
        .unwrap()
        .into_inner();
    let job: serde_json::Value = serde_json::from_slice(&created.resource_meta).unwrap();
    assert_eq!(job["x"], 4);
}

#[tokio::test]
async fn flyte1_refuses_changed_cut_and_unsealed_metadata_before_the_agent_runs() {
    let (server, calls) = start_sealed(Seal::new(key(KEY))).await;
    let mut client = server.async_client();
    let meta = client
        .create_task(create_request("echo_async", 5, "sealed-v1"))
        .await
        .unwrap()
        .into_inner()
        .resource_meta;
    assert!(serde_json::from_slice::<serde_json::Value>(&meta).is_err());

    let unsealed = br#"{"job_id":1,"x":5}"#.to_vec();
    for (bad, fragment) in [
        (tampered(&meta), "integrity check"),
        (meta[..meta.len() - 3].to_vec(), "integrity check"),
        (meta[..10].to_vec(), "cut short"),
        (unsealed, "not sealed"),
    ] {
        let error = client
            .get_task(get_request("echo_async", bad.clone()))
            .await
            .unwrap_err();
        assert_status(&error, Code::InvalidArgument, fragment);
        let error = client
            .delete_task(delete_request("echo_async", bad))
            .await
            .unwrap_err();
        assert_status(&error, Code::InvalidArgument, fragment);
    }
    assert_eq!(Calls::of(&calls.get), 0, "get ran on a refused metadata");
    assert_eq!(
        Calls::of(&calls.delete),
        0,
        "delete ran on a refused metadata"
    );

    let resource = client
        .get_task(get_request("echo_async", meta.clone()))
        .await
        .unwrap()
        .into_inner()
        .resource
        .unwrap();
    assert_eq!(int_output(&resource, "o0"), 10);
    client
        .delete_task(delete_request("echo_async", meta))
        .await
        .unwrap();
    assert_eq!(Calls::of(&calls.get), 1);
    assert_eq!(Calls::of(&calls.delete), 1);
}

#[tokio::test]
async fn flyte2_refuses_changed_metadata_of_async_and_sync_agents() {
    let (server, calls) = start_sealed(Seal::new(key(KEY))).await;
    let mut client = server.connector_client();
    for (task_type, x, expected) in [("echo_async", 6, 12), ("echo_sync", 6, 7)] {
        let meta = client
            .create_task(flyte2::create_request(task_type, x, "sealed-v2"))
            .await
            .unwrap()
            .into_inner()
            .resource_meta;
        let error = client
            .get_task(flyte2::get_request(task_type, tampered(&meta)))
            .await
            .unwrap_err();
        assert_status(&error, Code::InvalidArgument, "integrity check");
        let error = client
            .delete_task(flyte2::delete_request(task_type, tampered(&meta)))
            .await
            .unwrap_err();
        assert_status(&error, Code::InvalidArgument, "integrity check");
        // Metadata of one agent is refused by another.
        let other = if task_type == "echo_async" {
            "timer_async"
        } else {
            "echo_async"
        };
        let error = client
            .get_task(flyte2::get_request(other, meta.clone()))
            .await
            .unwrap_err();
        assert_status(&error, Code::InvalidArgument, "integrity check");

        let resource = client
            .get_task(flyte2::get_request(task_type, meta))
            .await
            .unwrap()
            .into_inner()
            .resource
            .unwrap();
        assert_eq!(flyte2::int_output(&resource, "o0"), expected);
    }
    assert_eq!(
        Calls::of(&calls.get),
        1,
        "only the sealed metadata reached get"
    );
    assert_eq!(Calls::of(&calls.delete), 0);
}

#[tokio::test]
async fn metadata_sealed_with_a_previous_key_is_accepted_after_rotation() {
    let (before, _) = start_sealed(Seal::new(key(OLD_KEY))).await;
    let old_meta = before
        .async_client()
        .create_task(create_request("echo_async", 7, "rotation"))
        .await
        .unwrap()
        .into_inner()
        .resource_meta;

    let (rotated, _) = start_sealed(Seal::new(key(KEY)).previous([key(OLD_KEY)])).await;
    let resource = rotated
        .async_client()
        .get_task(get_request("echo_async", old_meta.clone()))
        .await
        .unwrap()
        .into_inner()
        .resource
        .unwrap();
    assert_eq!(int_output(&resource, "o0"), 14);
    let new_meta = rotated
        .async_client()
        .create_task(create_request("echo_async", 7, "rotation-new"))
        .await
        .unwrap()
        .into_inner()
        .resource_meta;
    assert_ne!(new_meta[4..12], old_meta[4..12], "sealed with the new key");

    let (forgetful, _) = start_sealed(Seal::new(key(KEY))).await;
    let error = forgetful
        .async_client()
        .get_task(get_request("echo_async", old_meta))
        .await
        .unwrap_err();
    assert_status(&error, Code::InvalidArgument, "--seal-previous-key-file");
}

#[tokio::test]
async fn replicas_sharing_a_key_seal_a_repeated_create_the_same_way() {
    let (first, _) = start_sealed(Seal::new(key(KEY))).await;
    let (second, _) = start_sealed(Seal::new(key(KEY))).await;
    let mut metas = Vec::new();
    for server in [&first, &second] {
        let meta = server
            .async_client()
            .create_task(create_request("echo_async", 8, "replicas"))
            .await
            .unwrap()
            .into_inner()
            .resource_meta;
        metas.push(meta);
    }
    // Each replica's agent numbers its own jobs from 1: equal payloads seal
    // to equal bytes.
    assert_eq!(metas[0], metas[1]);
    let resource = second
        .async_client()
        .get_task(get_request("echo_async", metas[0].clone()))
        .await
        .unwrap()
        .into_inner()
        .resource
        .unwrap();
    assert_eq!(int_output(&resource, "o0"), 16);
}
