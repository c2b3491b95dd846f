//! The metadata codec every GetTask and DeleteTask runs: a job's metadata
//! encoded to `resource_meta` (JSON by default) and decoded back.

// `criterion_group!` defines a public function it cannot document.
#![allow(missing_docs)]

use agent_core::AsyncAgent;
use agent_core::prelude::*;
use criterion::{Criterion, criterion_group, criterion_main};

/// A job as a typical agent keeps it.
#[derive(Debug, Serialize, Deserialize)]
struct Job {
    job_id: String,
    region: String,
    attempt: u32,
}

/// An agent whose metadata is [`Job`].
struct JobAgent;

#[async_agent(task_type = "bench_codec", register = false)]
impl JobAgent {
    async fn create(&self, _task: TaskContext) -> Result<Job, AgentError> {
        Err(AgentError::internal("not run"))
    }

    async fn get(&self, _job: Job) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded())
    }

    async fn delete(&self, _job: Job) -> Result<(), AgentError> {
        Ok(())
    }
}

fn metadata_codec(c: &mut Criterion) {
    let job = Job {
        job_id: "bq-2f6c1e0a-7d3b-4e59-9a8e-0c1d2e3f4a5b".to_owned(),
        region: "us-central1".to_owned(),
        attempt: 1,
    };
    let bytes = <JobAgent as AsyncAgent>::encode_metadata(&job).unwrap();
    c.bench_function("metadata/encode_json", |b| {
        b.iter(|| <JobAgent as AsyncAgent>::encode_metadata(std::hint::black_box(&job)).unwrap())
    });
    c.bench_function("metadata/decode_json", |b| {
        b.iter(|| <JobAgent as AsyncAgent>::decode_metadata(std::hint::black_box(&bytes)).unwrap())
    });
}

criterion_group!(benches, metadata_codec);
criterion_main!(benches);
