#!/usr/bin/env bash
# Interop tests: the official Python Flyte client (flyteidl from PyPI) drives
# our agent server over a real socket. Creates its venv on first use
# (target/interop-venv), builds and starts the test agent server, runs pytest,
# then checks that the server shuts down cleanly on SIGTERM.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${INTEROP_VENV:-$root/target/interop-venv}
python=${PYTHON:-python3}

if ! "$venv/bin/python" -c "import flyteidl, grpc, grpc_health, grpc_reflection, pytest" 2>/dev/null; then
    echo "interop: creating $venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi

cargo build --quiet -p agent-tests --bin interop-agent-server
server="${CARGO_TARGET_DIR:-$root/target}/debug/interop-agent-server"

# Two distinct free ports, held open together while they are chosen.
read -r port metrics_port < <("$venv/bin/python" -c '
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
AGENT_SERVER_ADDRESS="127.0.0.1:$port" AGENT_METRICS_ADDRESS="127.0.0.1:$metrics_port" \
    "$venv/bin/pytest" -q -p no:cacheprovider "$here" || status=$?

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
