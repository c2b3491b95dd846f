//! Agents that the end-to-end and interop tests serve (and
//! [`template_reader`], which answers what it read of its task, for the
//! templates of the Python task classes, [`sdk_templates`]), the
//! `interop-agent-server` binary that serves them to the Python client (and
//! [`server_process`], to run it from a test), and the outside programs some
//! tests run (found by [`tools::tool`]: [`moto`], [`redis_server`]).

pub mod agents;
pub mod moto;
pub mod redis_server;
pub mod sdk_templates;
pub mod server_process;
pub mod template_reader;
pub mod tools;
