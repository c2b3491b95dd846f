#!/usr/bin/env bash
# Every test: prepares the outside programs some tests run (moto,
# redis-server, flytekit, flyte-sdk; see tools/setup.sh), then runs the Rust
# tests of the workspace and the interop tests that drive our server with the
# official Python clients of both protocols (see interop/run.sh). No test is skipped for a
# missing tool: a missing one is a failure. Extra arguments go to
# `cargo test` (a test name filter, for example).
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(tests/tools/setup.sh)"
export AGENT_TESTS_REQUIRE_TOOLS=1

cargo test --workspace --locked "$@"
tests/interop/run.sh
