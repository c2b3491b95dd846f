//! Agents defined through a renamed `agent-core` dependency.
