#!/usr/bin/env bash
# Installs flytekit 1.16 with its connector server (`pyflyte serve agent`) in
# a venv under target/flytekit-venv (created on first use), and prints the
# `export` line that points the agentctl tests at its Python:
#
#     eval "$(tests/tools/flytekit.sh)"
#     AGENT_TESTS_REQUIRE_TOOLS=1 cargo test -p agentctl --test cli flytekit
#
# Progress goes to stderr; only the `export` line goes to stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${FLYTEKIT_VENV:-${CARGO_TARGET_DIR:-$root/target}/flytekit-venv}
python=${PYTHON:-python3}

if ! "$venv/bin/python" -c "import flytekit.extend.backend.connector_service, grpc_health" 2>/dev/null; then
    echo "tools: creating $venv" >&2
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/flytekit-requirements.txt" >&2
fi

echo "export FLYTEKIT_PYTHON=$venv/bin/python"
