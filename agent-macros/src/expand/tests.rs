//! Expansion snapshots: each input run through the pipeline and printed with
//! prettyplease, as `cargo expand` would show it. Stored in `tests/expand/`
//! at the workspace root; review changes with `cargo insta review`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{expand_async_agent, expand_sync_agent};

fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("the expansion parses as a file");
    prettyplease::unparse(&file)
}

macro_rules! assert_expansion {
    ($name:literal, $expansion:expr) => {
        insta::with_settings!({
            snapshot_path => "../../../tests/expand",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!($name, pretty($expansion));
        })
    };
}

#[test]
fn async_agent() {
    assert_expansion!(
        "async_agent",
        expand_async_agent(
            quote!(task_type = "bigquery"),
            quote! {
                impl BigQueryAgent {
                    async fn create(&self, task: TaskContext) -> Result<QueryJob, AgentError> {
                        let sql = task.sql().unwrap_or_default();
                        self.submit(sql).await
                    }

                    async fn get(&self, job: QueryJob) -> Result<Resource, AgentError> {
                        Ok(Resource::succeeded())
                    }

                    async fn delete(&self, job: QueryJob) -> Result<(), AgentError> {
                        Ok(())
                    }

                    async fn submit(&self, sql: &str) -> Result<QueryJob, AgentError> {
                        todo!()
                    }
                }
            },
        )
    );
}

#[test]
fn connection_param() {
    assert_expansion!(
        "connection_param",
        expand_async_agent(
            quote!(task_type = "warehouse"),
            quote! {
                impl WarehouseAgent {
                    async fn create(&self, task: TaskContext) -> Result<QueryId, AgentError> {
                        todo!()
                    }

                    async fn get(&self, id: QueryId, connection: Connection) -> Result<Resource, AgentError> {
                        let region = connection.config("region");
                        todo!()
                    }

                    fn delete(&self, id: QueryId) -> Result<(), AgentError> {
                        todo!()
                    }
                }
            },
        )
    );
}

#[test]
fn metadata_codec() {
    assert_expansion!(
        "metadata_codec",
        expand_async_agent(
            quote!(task_type = "queue"),
            quote! {
                impl QueueAgent {
                    async fn create(&self, task: TaskContext) -> Result<MessageId, AgentError> {
                        todo!()
                    }

                    async fn get(&self, id: MessageId) -> Result<Resource, AgentError> {
                        todo!()
                    }

                    async fn delete(&self, id: MessageId) -> Result<(), AgentError> {
                        todo!()
                    }

                    fn encode_metadata(id: &MessageId) -> Result<Vec<u8>, AgentError> {
                        Ok(id.0.to_be_bytes().to_vec())
                    }

                    fn decode_metadata(bytes: &[u8]) -> Result<MessageId, AgentError> {
                        todo!()
                    }
                }
            },
        )
    );
}

#[test]
fn sync_agent() {
    assert_expansion!(
        "sync_agent",
        expand_sync_agent(
            quote!(task_type = "chatgpt", version = 1, name = "ChatGPT Agent"),
            quote! {
                impl ChatAgent {
                    async fn r#do(&self, task: TaskContext) -> Result<Resource, AgentError> {
                        let prompt: String = task.input("prompt")?;
                        Ok(Resource::succeeded().output("o0", prompt))
                    }
                }
            },
        )
    );
}

#[test]
fn plain_fn_methods() {
    assert_expansion!(
        "plain_fn_methods",
        expand_async_agent(
            quote!(task_type = "shell"),
            quote! {
                impl ShellAgent {
                    fn create(&self, task: TaskContext) -> Result<Pid, AgentError> {
                        spawn(task.task_type())
                    }

                    fn get(&self, pid: Pid) -> Result<Resource, AgentError> {
                        Ok(Resource::running())
                    }

                    fn delete(&self, pid: Pid) -> Result<(), AgentError> {
                        kill(pid)
                    }
                }
            },
        )
    );
}

#[test]
fn init_and_optional_methods() {
    assert_expansion!(
        "init_and_optional_methods",
        expand_async_agent(
            quote!(task_type = "spark", init = Self::from_env),
            quote! {
                impl SparkAgent {
                    fn from_env() -> Self {
                        SparkAgent { endpoint: std::env::var("SPARK").unwrap_or_default() }
                    }

                    async fn create(&self, task: TaskContext) -> Result<Job, AgentError> {
                        todo!()
                    }

                    async fn get(&self, job: Job) -> Result<Resource, AgentError> {
                        todo!()
                    }

                    async fn delete(&self, job: Job) -> Result<(), AgentError> {
                        todo!()
                    }

                    async fn get_metrics(
                        &self,
                        job: Job,
                        query: MetricsQuery,
                    ) -> Result<Vec<MetricResult>, AgentError> {
                        todo!()
                    }

                    #[cfg(feature = "logs")]
                    async fn get_logs(&self, job: Job, query: LogsQuery) -> Result<TaskLogs, AgentError> {
                        todo!()
                    }
                }
            },
        )
    );
}

#[test]
fn idempotency_off() {
    assert_expansion!(
        "idempotency_off",
        expand_async_agent(
            quote!(
                task_type = "batch",
                idempotency = "off",
                register = false,
                crate = "my_core"
            ),
            quote! {
                impl BatchAgent {
                    async fn create(&self, task: TaskContext) -> my_core::Result<JobId> {
                        todo!()
                    }

                    async fn get(&self, id: JobId) -> Result<Resource, AgentError> {
                        todo!()
                    }

                    async fn delete(&self, id: JobId) -> Result<(), AgentError> {
                        todo!()
                    }
                }
            },
        )
    );
}

#[test]
fn errors_keep_the_item() {
    assert_expansion!(
        "errors_keep_the_item",
        expand_async_agent(
            quote!(task_typ = "x"),
            quote! {
                impl Broken {
                    async fn creat(&self, task: TaskContext) -> Result<Job, AgentError> {
                        todo!()
                    }
                }
            },
        )
    );
}
