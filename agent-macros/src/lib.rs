//! Attribute macros for agent-core.
