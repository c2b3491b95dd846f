//! The `agentctl` binary, run as a subprocess against real agent servers:
//! ours over both protocols (`our_server`), servers that speak one protocol
//! or TLS (`protocols`), and flytekit 1.16's own (`flytekit`).

mod flytekit;
mod our_server;
mod protocols;
mod support;
