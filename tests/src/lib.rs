//! Tests of agent-core and its macros; see the test targets.
