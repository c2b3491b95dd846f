//! End-to-end tests: a real agent server on a loopback socket, driven by
//! tonic clients.

mod async_rpcs;
mod faults;
mod flyte2_rpcs;
mod idempotency;
mod metadata_rpcs;
mod sealed;
mod server_ops;
mod support;
mod sync_rpcs;
mod tls;
