//! Write Flyte agents in Rust.
pub mod proto;
