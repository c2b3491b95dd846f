//! Agents that the end-to-end and interop tests serve, the
//! `interop-agent-server` binary that serves them to the Python client, and
//! how tests find the outside tools they drive.

pub mod agents;
pub mod tools;
