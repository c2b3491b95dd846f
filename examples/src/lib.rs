//! Example Flyte agents, served by the `agent-server` binary:
//!
//! - [`shell_job::ShellJobAgent`] (async, task type `shell_job`): runs a shell
//!   script as a detached process and is polled for it.
//! - [`http_call::HttpCallAgent`] (sync, task type `http_call`): calls an HTTP
//!   endpoint and answers its status and body.
//! - [`file_sensor::FileSensorAgent`] (async, task type `file_sensor`): waits
//!   for a file; written by hand against the `AsyncAgent` trait, the layer
//!   under the macros.

pub mod file_sensor;
pub mod http_call;
pub mod shell_job;
