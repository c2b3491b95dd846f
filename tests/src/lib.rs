//! Agents that the end-to-end and interop tests serve, and the
//! `interop-agent-server` binary that serves them to the Python client.

pub mod agents;
