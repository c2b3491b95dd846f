//! Property tests of resource metadata decoding, the way every get and
//! delete reads it: any bytes sent as `resource_meta`, plain or sealed, and
//! genuine metadata with random edits, answer the job or `INVALID_ARGUMENT`,
//! never a panic; with sealing on, no edited metadata reaches the agent.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use serde::{Deserialize, Serialize};

use super::{Dispatcher, Job};
use crate::seal::{Seal, SealKey};
use crate::{
    AgentError, AsyncAgent, Connection, ErrorKind, Registry, Resource, SyncAgent, TaskCategory,
    TaskContext,
};

/// The metadata of [`Counting`]'s jobs.
#[derive(Debug, Serialize, Deserialize)]
struct QueryJob {
    id: String,
    attempt: u32,
    tags: Vec<String>,
}

/// An async agent counting the jobs it was handed.
struct Counting(Arc<AtomicUsize>);

impl AsyncAgent for Counting {
    type Metadata = QueryJob;

    fn task_category(&self) -> TaskCategory {
        TaskCategory::new("query", 0)
    }

    async fn create(&self, _task: TaskContext) -> Result<QueryJob, AgentError> {
        Ok(QueryJob {
            id: "job-1".into(),
            attempt: 0,
            tags: vec!["a".into()],
        })
    }

    async fn get(&self, _job: QueryJob, _: Connection) -> Result<Resource, AgentError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(Resource::running())
    }

    async fn delete(&self, _job: QueryJob, _: Connection) -> Result<(), AgentError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// A sync agent, whose Flyte 2 metadata holds its result.
struct Finished;

impl SyncAgent for Finished {
    fn task_category(&self) -> TaskCategory {
        TaskCategory::new("finished", 0)
    }

    async fn execute(&self, _task: TaskContext) -> Result<Resource, AgentError> {
        Ok(Resource::succeeded().output("o0", 1))
    }
}

/// A dispatcher of both agents, sealing when `seal` is given, and the
/// count of jobs its async agent was handed.
fn dispatcher(seal: Option<Seal>) -> (Dispatcher, Arc<AtomicUsize>) {
    let handed = Arc::new(AtomicUsize::new(0));
    let registry = Registry::builder()
        .async_agent(Counting(Arc::clone(&handed)))
        .sync_agent(Finished)
        .build()
        .expect("two categories");
    let mut dispatcher = Dispatcher::new(Arc::new(registry));
    if let Some(seal) = seal {
        dispatcher = dispatcher.seal(seal);
    }
    (dispatcher, handed)
}

fn seal() -> Seal {
    Seal::new(SealKey::new(b"properties-seal-key-0123456789abcdef").expect("a long key"))
}

fn job(category: &str, resource_meta: Vec<u8>) -> Job {
    Job {
        category: TaskCategory::new(category, 0),
        resource_meta,
        connection: Connection::default(),
        output_prefix: String::new(),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Gets and deletes `resource_meta` as a job of each agent: each answers
/// the job or `INVALID_ARGUMENT`.
fn get_and_delete(dispatcher: &Dispatcher, resource_meta: &[u8]) -> Result<(), TestCaseError> {
    runtime().block_on(async {
        for category in ["query", "finished"] {
            let answers = [
                dispatcher
                    .get(job(category, resource_meta.to_vec()))
                    .await
                    .map(drop),
                dispatcher
                    .delete(job(category, resource_meta.to_vec()))
                    .await,
            ];
            for answer in answers {
                if let Err(error) = answer {
                    prop_assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{}", error);
                }
            }
        }
        Ok(())
    })
}

/// Genuine metadata of both agents, as the dispatcher handed it out.
fn genuine(dispatcher: &Dispatcher) -> Vec<Vec<u8>> {
    runtime().block_on(async {
        let mut metas = Vec::new();
        for category in ["query", "finished"] {
            let task = TaskContext::new(crate::testing::task_template(
                category,
                serde_json::Value::Null,
            ));
            metas.push(dispatcher.submit(task).await.expect("a submitted task"));
        }
        metas
    })
}

fn edited(mut bytes: Vec<u8>, edits: &[(Index, u8, u8)]) -> Vec<u8> {
    for (at, kind, byte) in edits {
        if bytes.is_empty() {
            break;
        }
        let at = at.index(bytes.len());
        match kind {
            0 => bytes[at] ^= byte | 1,
            1 => bytes.insert(at, *byte),
            _ => bytes.truncate(at),
        }
    }
    bytes
}

fn edits() -> impl Strategy<Value = Vec<(Index, u8, u8)>> {
    vec((any::<Index>(), 0u8..3, any::<u8>()), 1..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_plain_metadata_answers_the_job_or_invalid_argument(
        bytes in prop_oneof![
            vec(any::<u8>(), 0..64),
            "\\{\"id\":\".{0,6}\",\"attempt\":-?[0-9]{1,12},\"tags\":\\[.{0,8}\\]\\}"
                .prop_map(String::into_bytes),
        ],
    ) {
        let (dispatcher, _) = dispatcher(None);
        get_and_delete(&dispatcher, &bytes)?;
    }

    #[test]
    fn any_bytes_are_refused_when_sealing_is_on(bytes in vec(any::<u8>(), 0..96)) {
        let (dispatcher, handed) = dispatcher(Some(seal()));
        get_and_delete(&dispatcher, &bytes)?;
        prop_assert_eq!(handed.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn edited_sealed_metadata_never_reaches_the_agent(edits in edits(), which in 0usize..2) {
        let (dispatcher, handed) = dispatcher(Some(seal()));
        let original = genuine(&dispatcher).swap_remove(which);
        let changed = edited(original.clone(), &edits);
        prop_assume!(changed != original);
        get_and_delete(&dispatcher, &changed)?;
        prop_assert_eq!(handed.load(Ordering::SeqCst), 0);
        let category = TaskCategory::new(["query", "finished"][which], 0);
        let error = seal().open(&category, &changed).expect_err("an edited seal");
        prop_assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn edited_plain_metadata_answers_the_job_or_invalid_argument(
        edits in edits(),
        which in 0usize..2,
    ) {
        let (dispatcher, _) = dispatcher(None);
        let original = genuine(&dispatcher).swap_remove(which);
        get_and_delete(&dispatcher, &edited(original, &edits))?;
    }
}
