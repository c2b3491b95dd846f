#!/usr/bin/env bash
# Prepares the outside programs some Rust tests run, and prints the `export`
# lines that point the tests at them (tests/src/tools.rs reads them):
#
#     eval "$(tests/tools/setup.sh)"
#     AGENT_TESTS_REQUIRE_TOOLS=1 cargo test --workspace
#
# MOTO_SERVER: moto's S3-compatible server (`moto[server]` from PyPI), in a
# venv under target/tools-venv created on first use.
# REDIS_SERVER: the redis-server on PATH, else Debian's package.
# FLYTEKIT_PYTHON: a Python with flytekit 1.16 and its connector server
# (`pyflyte serve agent`), in a venv under target/flytekit-venv.
# FLYTE_SDK_PYTHON: a Python with flyte-sdk 2 (the `flyte` package), in a
# venv under target/flyte-sdk-venv.
# Progress goes to stderr; stdout carries only the export lines.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${TOOLS_VENV:-${CARGO_TARGET_DIR:-$root/target}/tools-venv}
python=${PYTHON:-python3}

# apt-get, as root or through sudo.
apt_get() {
    if [ "$(id -u)" -eq 0 ]; then
        apt-get "$@"
    else
        sudo apt-get "$@"
    fi
}

flytekit_python() {
    local venv=${FLYTEKIT_VENV:-${CARGO_TARGET_DIR:-$root/target}/flytekit-venv}
    if ! "$venv/bin/python" -c "import flytekit.extend.backend.connector_service, grpc_health" 2>/dev/null; then
        echo "setup.sh: creating $venv" >&2
        "$python" -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/flytekit-requirements.txt" >&2
    fi
    printf 'export FLYTEKIT_PYTHON=%q\n' "$venv/bin/python"
}

flyte_sdk_python() {
    local venv=${FLYTE_SDK_VENV:-${CARGO_TARGET_DIR:-$root/target}/flyte-sdk-venv}
    if ! "$venv/bin/python" -c "import flyte, flyteidl2.core.tasks_pb2" 2>/dev/null; then
        echo "setup.sh: creating $venv" >&2
        "$python" -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/flyte-sdk-requirements.txt" >&2
    fi
    printf 'export FLYTE_SDK_PYTHON=%q\n' "$venv/bin/python"
}

moto_server() {
    if ! "$venv/bin/python" -c "import moto.server" 2>/dev/null; then
        echo "setup.sh: creating $venv" >&2
        "$python" -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
    fi
    printf 'export MOTO_SERVER=%q\n' "$venv/bin/moto_server"
}

# The tests start their own redis-servers on free loopback ports; a system
# service the package may start is not used.
redis_server() {
    if ! command -v redis-server >/dev/null 2>&1; then
        echo "setup.sh: installing redis-server (Debian package redis-server)" >&2
        apt_get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt_get install -y -qq redis-server >&2
    fi
    local path
    path="$(command -v redis-server)"
    echo "setup.sh: redis-server is $path ($("$path" --version | cut -d' ' -f3))" >&2
    printf 'export REDIS_SERVER=%q\n' "$path"
}

moto_server
redis_server
flytekit_python
flyte_sdk_python
