//! Example Flyte agents, served by the `agent-server` binary:
//!
//! - [`shell_job::ShellJobAgent`] (async, task type `shell_job`): runs a shell
//!   script as a detached process and is polled for it.
//! - [`http_call::HttpCallAgent`] (sync, task type `http_call`): calls an HTTP
//!   endpoint and answers its status and body.

pub mod http_call;
pub mod shell_job;
