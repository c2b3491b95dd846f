#!/usr/bin/env bash
# Installs the outside tools some Rust tests use, in a venv under
# target/tools-venv (created on first use), and prints the `export` lines
# that point the tests at them:
#
#     eval "$(tests/tools/setup.sh)"
#     AGENT_TESTS_REQUIRE_TOOLS=1 cargo test -p agent-tests --test storage
#
# Tools: MOTO_SERVER, moto's S3-compatible server (`moto[server]` from PyPI).
# Progress goes to stderr; only the `export` lines go to stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${TOOLS_VENV:-${CARGO_TARGET_DIR:-$root/target}/tools-venv}
python=${PYTHON:-python3}

if ! "$venv/bin/python" -c "import moto.server" 2>/dev/null; then
    echo "tools: creating $venv" >&2
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
fi

echo "export MOTO_SERVER=$venv/bin/moto_server"
