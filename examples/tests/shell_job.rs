//! The shell job agent through a real server: real processes, real files.

use std::time::Duration;

use agent_core::literal::LiteralMapBuilder;
use agent_core::proto::flyteidl::{admin, core};
use agent_core::testing::{TestServer, task_template};
use agent_core::{FromLiteral, Registry};
use agent_examples::shell_job::ShellJobAgent;

use core::task_execution::Phase;

struct Fixture {
    server: TestServer,
    jobs_dir: std::path::PathBuf,
}

async fn start(name: &str) -> Fixture {
    let jobs_dir =
        std::env::temp_dir().join(format!("shell-job-test-{name}-{}", std::process::id()));
    let registry = Registry::builder()
        .async_agent(ShellJobAgent::new(&jobs_dir))
        .build()
        .unwrap();
    Fixture {
        server: TestServer::start(registry).await,
        jobs_dir,
    }
}

impl Fixture {
    async fn create(&self, script: &str, inputs: core::LiteralMap) -> Vec<u8> {
        self.server
            .async_client()
            .create_task(admin::CreateTaskRequest {
                inputs: Some(inputs),
                template: Some(task_template(
                    "shell_job",
                    serde_json::json!({ "script": script }),
                )),
                output_prefix: "file:///tmp/outputs".into(),
                task_execution_metadata: None,
            })
            .await
            .unwrap()
            .into_inner()
            .resource_meta
    }

    async fn get(&self, resource_meta: &[u8]) -> admin::Resource {
        self.server
            .async_client()
            .get_task(admin::GetTaskRequest {
                task_category: shell_job_category(),
                resource_meta: resource_meta.to_vec(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .resource
            .unwrap()
    }

    async fn delete(&self, resource_meta: &[u8]) -> Result<(), tonic::Status> {
        self.server
            .async_client()
            .delete_task(admin::DeleteTaskRequest {
                task_category: shell_job_category(),
                resource_meta: resource_meta.to_vec(),
                ..Default::default()
            })
            .await
            .map(drop)
    }

    /// Polls `get` until the job leaves the running phase (10 s at most).
    async fn wait(&self, resource_meta: &[u8]) -> admin::Resource {
        for _ in 0..200 {
            let resource = self.get(resource_meta).await;
            if resource.phase != Phase::Running as i32 {
                return resource;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the job did not finish in 10 s")
    }
}

fn shell_job_category() -> Option<admin::TaskCategory> {
    Some(admin::TaskCategory {
        name: "shell_job".into(),
        version: 0,
    })
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.jobs_dir);
    }
}

fn output<T: FromLiteral>(resource: &admin::Resource, name: &str) -> T {
    T::from_literal(&resource.outputs.as_ref().unwrap().literals[name]).unwrap()
}

#[tokio::test]
async fn a_script_runs_with_its_inputs_and_answers_its_stdout() {
    let fixture = start("ok").await;
    let inputs = LiteralMapBuilder::new()
        .with("name", "flyte")
        .with("count", 3_i64)
        .build()
        .unwrap();
    let meta = fixture.create("echo \"hello $name x$count\"", inputs).await;
    let resource = fixture.wait(&meta).await;
    assert_eq!(
        resource.phase,
        Phase::Succeeded as i32,
        "{}",
        resource.message
    );
    assert_eq!(output::<String>(&resource, "stdout"), "hello flyte x3");
    assert_eq!(output::<i64>(&resource, "exit_code"), 0);
    assert_eq!(resource.log_links[0].name, "stdout");
}

#[tokio::test]
async fn get_task_logs_pages_through_the_job_stdout() {
    use admin::get_task_logs_response::Part;

    let fixture = start("logs").await;
    let meta = fixture
        .create("printf 'one\\ntwo\\nthree\\n'", core::LiteralMap::default())
        .await;
    fixture.wait(&meta).await;
    let mut token = String::new();
    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut stream = fixture
            .server
            .async_client()
            .get_task_logs(admin::GetTaskLogsRequest {
                task_category: shell_job_category(),
                resource_meta: meta.clone(),
                lines: 2,
                token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let Some(Part::Header(header)) = stream.message().await.unwrap().unwrap().part else {
            panic!("the first message is the header")
        };
        while let Some(message) = stream.message().await.unwrap() {
            let Some(Part::Body(body)) = message.part else {
                panic!("the messages after the header are bodies")
            };
            lines.extend(body.structured_lines.into_iter().map(|line| line.message));
        }
        token = header.token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(lines, ["one", "two", "three"]);
    assert!(token.is_empty(), "the last page ends the logs: {token:?}");
}

#[tokio::test]
async fn a_failing_script_fails_with_its_stderr() {
    let fixture = start("fail").await;
    let meta = fixture
        .create(
            "echo 'no such table' >&2; exit 3",
            core::LiteralMap::default(),
        )
        .await;
    let resource = fixture.wait(&meta).await;
    assert_eq!(resource.phase, Phase::Failed as i32);
    assert!(
        resource.message.contains("exited with 3: no such table"),
        "{}",
        resource.message
    );
}

#[tokio::test]
async fn delete_stops_a_running_job_and_is_idempotent() {
    let fixture = start("delete").await;
    let meta = fixture
        .create("sleep 30", core::LiteralMap::default())
        .await;
    assert_eq!(fixture.get(&meta).await.phase, Phase::Running as i32);
    let job: serde_json::Value = serde_json::from_slice(&meta).unwrap();
    let pid = job["pid"].as_u64().unwrap();

    for _ in 0..2 {
        fixture.delete(&meta).await.unwrap();
    }
    let resource = fixture.wait(&meta).await;
    assert_eq!(resource.phase, Phase::Failed as i32);
    assert!(resource.message.contains("deleted"), "{}", resource.message);
    for _ in 0..100 {
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("process {pid} still runs after delete");
}

#[tokio::test]
async fn a_template_without_a_script_is_an_invalid_argument() {
    let fixture = start("invalid").await;
    let status = fixture
        .server
        .async_client()
        .create_task(admin::CreateTaskRequest {
            template: Some(task_template(
                "shell_job",
                serde_json::json!({ "command": "ls" }),
            )),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("script"), "{}", status.message());
}

#[tokio::test]
async fn a_jobs_directory_that_cannot_be_made_is_named_with_how_to_choose_another() {
    // A jobs directory under a file: nobody, root included, can make it.
    let file = tempfile::NamedTempFile::new().unwrap();
    let jobs_dir = file.path().join("jobs");
    let registry = Registry::builder()
        .async_agent(ShellJobAgent::new(&jobs_dir))
        .build()
        .unwrap();
    let server = TestServer::start(registry).await;
    let status = server
        .async_client()
        .create_task(admin::CreateTaskRequest {
            template: Some(task_template(
                "shell_job",
                serde_json::json!({ "script": "true" }),
            )),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    let message = status.message();
    assert!(
        message.contains(&jobs_dir.display().to_string()),
        "{message}"
    );
    assert!(message.contains("ShellJobAgent::new"), "{message}");
}

#[tokio::test]
async fn metadata_pointing_outside_the_jobs_directory_is_refused() {
    let fixture = start("outside").await;
    let victim = std::env::temp_dir().join(format!("shell-job-victim-{}", std::process::id()));
    std::fs::create_dir_all(&victim).unwrap();
    let forged = serde_json::json!({ "pid": 4_000_000, "dir": victim }).to_string();
    let status = fixture.delete(forged.as_bytes()).await.unwrap_err();
    let survived = victim.exists();
    std::fs::remove_dir_all(&victim).unwrap();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        survived,
        "delete must not remove a directory it does not own"
    );
}

#[tokio::test]
async fn inputs_cannot_replace_the_environment() {
    let fixture = start("env").await;
    let inputs = LiteralMapBuilder::new()
        .with("PATH", "/nowhere")
        .with("name", "ok")
        .build()
        .unwrap();
    let meta = fixture.create("echo \"$name\"", inputs).await;
    let resource = fixture.wait(&meta).await;
    assert_eq!(
        resource.phase,
        Phase::Succeeded as i32,
        "{}",
        resource.message
    );
    assert_eq!(output::<String>(&resource, "stdout"), "ok");
}

#[tokio::test]
async fn the_local_runner_answers_the_script_stdout() {
    use agent_core::TaskContext;
    use agent_core::local::{LocalRunner, Progress};

    let jobs_dir = std::env::temp_dir().join(format!("shell-job-local-{}", std::process::id()));
    let registry = Registry::builder()
        .async_agent(ShellJobAgent::new(&jobs_dir))
        .build()
        .unwrap();
    let runner = LocalRunner::new(registry)
        .poll_interval(Duration::from_millis(20))
        .timeout(Duration::from_secs(10))
        .progress(Progress::hidden());
    let task = TaskContext::new(task_template(
        "shell_job",
        serde_json::json!({ "script": "echo \"local $x\"" }),
    ))
    .with_inputs(LiteralMapBuilder::new().with("x", 7_i64).build().unwrap());
    let outputs = runner.run(task).await.unwrap();
    assert_eq!(outputs.get::<String>("stdout").unwrap(), "local 7");
    assert_eq!(outputs.get::<i64>("exit_code").unwrap(), 0);
    let _ = std::fs::remove_dir_all(&jobs_dir);
}
