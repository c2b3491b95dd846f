//! The local runner runs agents in-process through the same core as the
//! servers: jobs polled to their end, sync agents run once, failures and
//! errors reported, and a timed-out or interrupted run deletes its job.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_core::literal::LiteralMapBuilder;
use agent_core::local::{LocalRunner, Progress, RunError};
use agent_core::{ErrorKind, Phase, TaskContext};
use agent_tests::agents::{Calls, registry};

/// A runner of every test agent polling every 10 ms, its progress lines
/// written to the returned buffer.
fn runner() -> (LocalRunner, Arc<Calls>, SharedBuffer) {
    let calls = Arc::new(Calls::default());
    let lines = SharedBuffer::default();
    let runner = LocalRunner::new(registry(Arc::clone(&calls)))
        .poll_interval(Duration::from_millis(10))
        .progress(Progress::lines(Box::new(lines.clone())));
    (runner, calls, lines)
}

/// A task of `task_type` with integer inputs.
fn task(task_type: &str, inputs: &[(&str, i64)]) -> TaskContext {
    let inputs = inputs
        .iter()
        .fold(LiteralMapBuilder::new(), |map, (name, value)| {
            map.with(*name, *value)
        });
    TaskContext::new(agent_core::testing::task_template(
        task_type,
        serde_json::Value::Null,
    ))
    .with_inputs(inputs.build().unwrap())
}

/// Progress lines, shared between the runner and the test.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn an_async_job_is_polled_to_its_end_and_its_outputs_answered() {
    let (runner, calls, lines) = runner();
    let outputs = runner
        .run(task("timer_async", &[("ms", 50)]))
        .await
        .unwrap();
    assert_eq!(outputs.get::<i64>("o0").unwrap(), 50);
    assert_eq!(Calls::of(&calls.timer_delete), 0);
    let shown = lines.text();
    assert!(shown.starts_with("timer_async: starting\n"), "{shown}");
    assert!(shown.contains("RUNNING: "), "{shown}");
    assert!(
        shown.contains("log: timer: http://timers.example/"),
        "{shown}"
    );
    assert!(shown.trim_end().ends_with("SUCCEEDED"), "{shown}");
}

#[tokio::test]
async fn a_sync_agent_runs_once() {
    let (runner, calls, _) = runner();
    let outputs = runner.run(task("echo_sync", &[("x", 41)])).await.unwrap();
    assert_eq!(outputs.get::<i64>("o0").unwrap(), 42);
    assert_eq!(Calls::of(&calls.execute), 1);
}

#[tokio::test]
async fn two_runs_of_one_task_are_two_jobs() {
    let (runner, calls, _) = runner();
    for _ in 0..2 {
        runner.run(task("echo_async", &[("x", 1)])).await.unwrap();
    }
    assert_eq!(Calls::of(&calls.create), 2);
}

#[tokio::test]
async fn a_failed_job_is_a_failed_run() {
    let (runner, _, _) = runner();
    let error = runner
        .run(
            task("timer_async", &[("ms", 0)]).with_inputs(
                LiteralMapBuilder::new()
                    .with("ms", 0)
                    .with("fail", true)
                    .build()
                    .unwrap(),
            ),
        )
        .await
        .unwrap_err();
    let RunError::Failed { phase, message } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*phase, Phase::Failed);
    assert_eq!(message, "the timer was told to fail");
}

#[tokio::test]
async fn an_agent_error_is_answered_as_is() {
    let (runner, _, _) = runner();
    let error = runner.run(task("fails", &[])).await.unwrap_err();
    let RunError::Agent(error) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(error.kind(), ErrorKind::Internal);
    assert_eq!(error.message(), "backend is down");

    let error = runner.run(task("nope", &[])).await.unwrap_err();
    assert!(error.to_string().contains("no agent serves"), "{error}");
}

#[tokio::test]
async fn a_timed_out_run_deletes_its_job_and_says_so() {
    let (runner, calls, lines) = runner();
    let runner = runner.timeout(Duration::from_millis(100));
    let error = runner
        .run(task("timer_async", &[("ms", 60_000)]))
        .await
        .unwrap_err();
    let RunError::Stopped { reason, deleted } = &error else {
        panic!("{error:?}");
    };
    assert!(reason.starts_with("timed out after"), "{reason}");
    assert!(matches!(deleted, Some(Ok(()))), "{deleted:?}");
    assert_eq!(Calls::of(&calls.timer_delete), 1);
    let shown = lines.text();
    assert!(shown.contains("deleting the job"), "{shown}");
    assert!(shown.contains("the job was deleted"), "{shown}");
}

#[tokio::test]
async fn an_interrupted_run_deletes_its_job() {
    let (runner, calls, _) = runner();
    let interrupt = tokio::time::sleep(Duration::from_millis(100));
    let error = runner
        .run_until(task("timer_async", &[("ms", 60_000)]), interrupt)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "interrupted; the job was deleted",
        "{error:?}"
    );
    assert_eq!(Calls::of(&calls.timer_delete), 1);
}

#[tokio::test]
async fn large_outputs_are_written_to_the_output_prefix_and_read_back() {
    let (runner, _, _) = runner();
    let runner = runner.max_inline_output_bytes(100);
    let dir = tempfile::tempdir().unwrap();
    let output_prefix = dir.path().join("run").display().to_string();
    for task_type in ["big_output_async", "big_output_sync"] {
        let task = task(task_type, &[("bytes", 1000)]).with_output_prefix(&output_prefix);
        let outputs = runner.run(task).await.unwrap();
        assert_eq!(outputs.get::<String>("o0").unwrap(), "x".repeat(1000));
        let written = std::fs::read(dir.path().join("run/outputs.pb")).unwrap();
        assert!(written.len() > 1000, "{task_type}: {} bytes", written.len());
        std::fs::remove_file(dir.path().join("run/outputs.pb")).unwrap();
    }
}

#[tokio::test]
async fn without_an_output_prefix_large_outputs_stay_inline() {
    let (runner, _, _) = runner();
    let runner = runner.max_inline_output_bytes(100);
    let outputs = runner
        .run(task("big_output_sync", &[("bytes", 1000)]))
        .await
        .unwrap();
    assert_eq!(outputs.get::<String>("o0").unwrap().len(), 1000);
}

#[tokio::test]
async fn offloaded_inputs_and_files_are_read_from_local_paths() {
    use agent_core::literal::{FlyteFile, IntoLiteral};
    use agent_core::proto::flyteidl::core;
    use prost::Message;

    let (runner, _, _) = runner();
    let dir = tempfile::tempdir().unwrap();
    let offloaded_x = dir.path().join("x.pb");
    std::fs::write(&offloaded_x, 41i64.into_literal().unwrap().encode_to_vec()).unwrap();
    let x = core::Literal {
        value: Some(core::literal::Value::OffloadedMetadata(
            core::LiteralOffloadedMetadata {
                uri: format!("file://{}", offloaded_x.display()),
                ..Default::default()
            },
        )),
        ..Default::default()
    };
    let inputs = LiteralMapBuilder::new().with("x", x).build().unwrap();
    let outputs = runner
        .run(task("echo_sync", &[]).with_inputs(inputs))
        .await
        .unwrap();
    assert_eq!(outputs.get::<i64>("o0").unwrap(), 42);

    let hello = dir.path().join("hello.txt");
    std::fs::write(&hello, "hi").unwrap();
    let inputs = LiteralMapBuilder::new()
        .with("f", FlyteFile::new(hello.display().to_string()))
        .build()
        .unwrap();
    let output_prefix = dir.path().join("out").display().to_string();
    let outputs = runner
        .run(
            task("file_copy_sync", &[])
                .with_inputs(inputs)
                .with_output_prefix(&output_prefix),
        )
        .await
        .unwrap();
    let copy: FlyteFile = outputs.get("o0").unwrap();
    assert_eq!(copy.uri, format!("{output_prefix}/copy.txt"));
    assert_eq!(
        std::fs::read(dir.path().join("out/copy.txt")).unwrap(),
        b"HI"
    );
}
