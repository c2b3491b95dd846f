//! The `agentctl` binary, run as a subprocess against real agent servers:
//! ours over both protocols (`our_server`), servers that speak one protocol
//! or TLS (`protocols`), flytekit 1.16's own (`flytekit`), and the example
//! agents (`examples`).

mod examples;
mod flytekit;
mod our_server;
mod protocols;
mod support;
