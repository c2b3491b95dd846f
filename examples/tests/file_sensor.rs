//! The hand-written file sensor through a real server, on real files.

use agent_core::proto::flyteidl::{admin, core};
use agent_core::testing::{TestServer, task_template};
use agent_core::{FromLiteral, Registry};
use agent_examples::file_sensor::FileSensorAgent;

use core::task_execution::Phase;

#[tokio::test]
async fn the_sensor_runs_until_the_file_exists() {
    let path = std::env::temp_dir().join(format!("file-sensor-test-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let registry = Registry::builder()
        .async_agent(FileSensorAgent)
        .build()
        .unwrap();
    let server = TestServer::start(registry).await;
    let mut client = server.async_client();

    let created = client
        .create_task(admin::CreateTaskRequest {
            template: Some(task_template(
                "file_sensor",
                serde_json::json!({ "path": path }),
            )),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let get = admin::GetTaskRequest {
        task_category: Some(admin::TaskCategory {
            name: "file_sensor".into(),
            version: 0,
        }),
        resource_meta: created.resource_meta,
        ..Default::default()
    };
    let waiting = client
        .get_task(get.clone())
        .await
        .unwrap()
        .into_inner()
        .resource
        .unwrap();
    assert_eq!(waiting.phase, Phase::Running as i32);
    assert!(
        waiting.message.contains("waiting for"),
        "{}",
        waiting.message
    );

    std::fs::write(&path, b"12345").unwrap();
    let found = client
        .get_task(get)
        .await
        .unwrap()
        .into_inner()
        .resource
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(found.phase, Phase::Succeeded as i32);
    let size = i64::from_literal(&found.outputs.unwrap().literals["size"]).unwrap();
    assert_eq!(size, 5);
}

#[tokio::test]
async fn the_local_runner_polls_until_the_file_exists() {
    use std::time::Duration;

    use agent_core::TaskContext;
    use agent_core::local::{LocalRunner, Progress};

    let path = std::env::temp_dir().join(format!("file-sensor-local-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let registry = Registry::builder()
        .async_agent(FileSensorAgent)
        .build()
        .unwrap();
    let runner = LocalRunner::new(registry)
        .poll_interval(Duration::from_millis(20))
        .timeout(Duration::from_secs(10))
        .progress(Progress::hidden());
    let task = TaskContext::new(task_template(
        "file_sensor",
        serde_json::json!({ "path": path }),
    ));
    let writer = {
        let path = path.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            std::fs::write(&path, b"12345").unwrap();
        })
    };
    let outputs = runner.run(task).await.unwrap();
    writer.await.unwrap();
    assert_eq!(outputs.get::<i64>("size").unwrap(), 5);
    std::fs::remove_file(&path).unwrap();
}
