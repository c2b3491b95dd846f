#!/usr/bin/env bash
# Interop tests: the official Python Flyte clients drive our agent server over
# a real socket: flyteidl 1.16.8 (Flyte 1) and flyteidl2 2.0.53 (Flyte 2),
# each in a venv of its own (their protobuf majors differ), against one
# server on one port. Creates the venvs on first use (target/interop-venv,
# target/interop2-venv), builds and starts the test agent server, runs both
# pytest suites, then checks that the server shuts down cleanly on SIGTERM.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}

# venv DIR REQUIREMENTS MODULES: creates DIR from REQUIREMENTS unless it can
# already import MODULES.
venv() {
    if ! "$1/bin/python" -c "import $3" 2>/dev/null; then
        echo "interop: creating $1"
        "$python" -m venv "$1"
        "$1/bin/pip" install --quiet --disable-pip-version-check -r "$2"
    fi
}
flyte1_venv=${INTEROP_VENV:-$root/target/interop-venv}
flyte2_venv=${INTEROP2_VENV:-$root/target/interop2-venv}
venv "$flyte1_venv" "$here/flyte1/requirements.txt" "flyteidl, grpc, grpc_health, grpc_reflection, pytest"
venv "$flyte2_venv" "$here/flyte2/requirements.txt" "flyteidl2, grpc, grpc_health, grpc_reflection, pytest"

cargo build --quiet -p agent-tests --bin interop-agent-server
server="${CARGO_TARGET_DIR:-$root/target}/debug/interop-agent-server"

# Two distinct free ports, held open together while they are chosen.
read -r port metrics_port < <("$flyte1_venv/bin/python" -c '
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))
')
log=$(mktemp)

# `serve agent` as the flyteconnector Helm chart passes it to `pyflyte`.
"$server" serve agent --host 127.0.0.1 --port "$port" --prometheus_port "$metrics_port" >"$log" 2>&1 &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null || true
    rm -f "$log"
}
trap cleanup EXIT

status=0
export AGENT_SERVER_ADDRESS="127.0.0.1:$port" AGENT_METRICS_ADDRESS="127.0.0.1:$metrics_port"
"$flyte1_venv/bin/pytest" -q -p no:cacheprovider "$here/flyte1" || status=$?
"$flyte2_venv/bin/pytest" -q -p no:cacheprovider "$here/flyte2" || status=$?

kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
    echo "interop: the server did not stop within 5 s of SIGTERM" >&2
    status=1
elif ! wait "$pid"; then
    echo "interop: the server exited with an error after SIGTERM:" >&2
    cat "$log" >&2
    status=1
fi
if [ "$status" -ne 0 ]; then
    echo "--- server log ---" >&2
    cat "$log" >&2
fi
exit "$status"
