//! Agents that the end-to-end and interop tests serve, the
//! `interop-agent-server` binary that serves them to the Python client, and
//! the outside tools some tests run ([`tools`], [`moto`]).

pub mod agents;
pub mod moto;
pub mod tools;
