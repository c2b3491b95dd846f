//! Agents that the end-to-end and interop tests serve, the
//! `interop-agent-server` binary that serves them to the Python client (and
//! [`server_process`], to run it from a test), and the outside programs some
//! tests run (found by [`tools::tool`]: [`moto`], [`redis_server`]).

pub mod agents;
pub mod moto;
pub mod redis_server;
pub mod server_process;
pub mod tools;
