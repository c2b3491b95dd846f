#!/usr/bin/env bash
# Counts the instructions the server executes per request, ours against the
# bare tonic baseline, and prints one Markdown table of the ratios.
#
#   bench/instructions.sh [--duration SECS] [--concurrency N]
#
# CPU time on a shared VM varies by 15 % between runs of one binary; the
# instructions a program executes for the same work do not. Each server
# (production build) runs under valgrind's callgrind on CPU 0, the load
# generator on CPU 1; for every RPC of both protocols, after a warm-up, the
# counters are zeroed, the load runs for --duration seconds (default 4) at
# --concurrency (default 16), and the counts are dumped and divided by the
# requests answered. Only user space is counted: the kernel's share (the
# socket calls) is not, and the server runs some 50 times slower, which
# changes how many answers one write carries. Use it to compare builds and
# to find where instructions go (`callgrind_annotate` on the files kept in
# target/bench/callgrind/); bench/run.sh measures time.
#
# Needs valgrind (Debian: `apt-get install valgrind`).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=4
concurrency=16
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --concurrency) concurrency="$2"; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "bench/instructions.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

for tool in valgrind callgrind_control taskset; do
    command -v "$tool" >/dev/null || { echo "bench/instructions.sh: $tool is needed" >&2; exit 1; }
done
if [ "$(nproc)" -ge 2 ]; then server_cpu=0 load_cpu=1; else server_cpu=0 load_cpu=0; fi

cargo build --profile production --locked -p agent-bench -p agent-examples \
    --bin agent-bench --bin baseline-server --bin bench-agent-server >&2
bin=target/production
work=target/bench/callgrind
rm -rf "$work"
mkdir -p "$work"
results="$work/results.tsv"

pid=""
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

load() {
    taskset -c "$load_cpu" "$bin/agent-bench" "$@"
}

# The instructions counted in the newest dump of the server NAME.
dumped_instructions() {
    local newest; newest=$(ls -t "$work/$1".out.* | head -1)
    awk '/^(summary|totals):/ { print $2; exit }' "$newest"
}

# serve NAME COMMAND...: runs every case against COMMAND --port PORT under
# callgrind, one line per case in the results.
serve() {
    local name=$1
    shift
    local port; port=$(free_port)
    taskset -c "$server_cpu" valgrind --tool=callgrind \
        --callgrind-out-file="$work/$name.out.%p" "$@" --port "$port" \
        >"$work/$name.log" 2>&1 &
    pid=$!
    load --addr "127.0.0.1:$port" --probe-ready 120 >/dev/null
    echo "$name: listening on $port (pid $pid)" >&2
    local case protocol rpc task_type
    for case in flyte1:create:bench_async flyte1:get:bench_async flyte1:delete:bench_async \
        flyte1:sync:bench_sync flyte1:list:bench_async flyte2:create:bench_async \
        flyte2:get:bench_async flyte2:delete:bench_async flyte2:list:bench_async; do
        IFS=: read -r protocol rpc task_type <<<"$case"
        local common=(--addr "127.0.0.1:$port" --protocol "$protocol" --rpc "$rpc"
            --task-type "$task_type" --concurrency "$concurrency" --json)
        load "${common[@]}" --duration 1 >/dev/null
        callgrind_control --zero "$pid" >/dev/null
        local report; report=$(load "${common[@]}" --duration "$duration")
        # (it waits for the dump to be written)
        callgrind_control --dump "$pid" >/dev/null
        local requests; requests=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["requests"])' "$report")
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$protocol" "$rpc" "$task_type" \
            "$(dumped_instructions "$name")" "$requests" >>"$results"
        echo "  $name $protocol $rpc: $requests requests" >&2
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
}

: >"$results"
serve ours "$bin/bench-agent-server" --host 127.0.0.1 --prometheus-port "$(free_port)"
serve baseline "$bin/baseline-server" --host 127.0.0.1

python3 - "$results" "$concurrency" <<'PY'
import sys
per_request = {}
for line in open(sys.argv[1]):
    server, protocol, rpc, task_type, instructions, requests = line.split()
    per_request[(server, protocol, rpc, task_type)] = int(instructions) / int(requests)
print(f"Instructions per request, user space (callgrind), concurrency {sys.argv[2]}:\n")
print("| protocol | RPC | task type | ours | baseline | ratio |")
print("|---|---|---|---:|---:|---:|")
for (server, protocol, rpc, task_type), ours in per_request.items():
    if server != "ours":
        continue
    base = per_request[("baseline", protocol, rpc, task_type)]
    print(f"| {protocol} | {rpc} | {task_type} | {ours:,.0f} | {base:,.0f} | {ours / base:.2f} |")
PY
