#!/usr/bin/env bash
# Measures an agent server against a bare tonic server answering constants,
# in one run on this machine, and prints one Markdown table of ratios.
#
#   bench/run.sh [--duration SECS] [--out FILE]
#
# Builds in release; starts `bench-agent-server` (default flags but for its
# loopback ports) and `baseline-server` in turn on CPU 0, the load generator
# (`agent-bench`) on CPU 1; runs every RPC of both protocols at concurrency
# 1, 16 and 64 after a one-second warm-up; reads the server's CPU time
# (utime + stime, /proc/PID/stat) around each run, its idle RSS
# (/proc/PID/status) and the time from its start to its first answered
# ListAgents. The raw figures (one JSON object per run) go to
# target/bench/results.jsonl; the table to stdout and to --out when given.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=5
out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "bench/run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

command -v taskset >/dev/null || { echo "bench/run.sh: taskset (util-linux) is needed" >&2; exit 1; }
if [ "$(nproc)" -ge 2 ]; then
    server_cpu=0 load_cpu=1
else
    echo "bench/run.sh: one CPU only: server and load share it" >&2
    server_cpu=0 load_cpu=0
fi

cargo build --release --locked -p agent-bench -p agent-examples \
    --bin agent-bench --bin baseline-server --bin bench-agent-server >&2
bin=target/release
work=target/bench
mkdir -p "$work"
results="$work/results.jsonl"
: >"$results"
clk_tck=$(getconf CLK_TCK)

pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# CPU ticks (user + system) the process has used.
cpu_ticks() {
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# Resident memory in KiB.
rss_kib() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

load() {
    taskset -c "$load_cpu" "$bin/agent-bench" "$@"
}

# measure NAME PID PORT PROTOCOL RPC TASK_TYPE CONCURRENCY
measure() {
    local name=$1 pid=$2 port=$3 protocol=$4 rpc=$5 task_type=$6 concurrency=$7
    local common=(--addr "127.0.0.1:$port" --protocol "$protocol" --rpc "$rpc"
        --task-type "$task_type" --concurrency "$concurrency" --json)
    load "${common[@]}" --duration 1 >/dev/null
    local before after report
    before=$(cpu_ticks "$pid")
    report=$(load "${common[@]}" --duration "$duration")
    after=$(cpu_ticks "$pid")
    printf '{"server":"%s","kind":"run","task_type":"%s","cpu_ticks":%s,"clk_tck":%s,"rss_kib":%s,"report":%s}\n' \
        "$name" "$task_type" "$((after - before))" "$clk_tck" "$(rss_kib "$pid")" "$report" >>"$results"
    echo "  $name $protocol $rpc $task_type c=$concurrency: $(rps_of "$report") req/s" >&2
}

rps_of() {
    python3 -c 'import json, sys; print(round(json.loads(sys.argv[1])["rps"]))' "$1"
}

# serve NAME COMMAND...: starts the server on CPU 0 with a fresh port, times
# its start to the first answered ListAgents, records its idle RSS, runs
# every case against it, and stops it.
serve() {
    local name=$1; shift
    local port; port=$(free_port)
    local ready_file="$work/$name.ready"
    load --addr "127.0.0.1:$port" --probe-ready 60 >"$ready_file" &
    local probe=$!
    pids+=("$probe")
    sleep 0.3
    local started; started=$(date +%s%N)
    taskset -c "$server_cpu" "$@" --port "$port" >/dev/null 2>&1 &
    local pid=$!
    pids+=("$pid")
    wait "$probe"
    local ready; ready=$(cat "$ready_file")
    sleep 1
    printf '{"server":"%s","kind":"start","start_ms":%s,"idle_rss_kib":%s}\n' \
        "$name" "$(python3 -c "print(($ready - $started) / 1e6)")" "$(rss_kib "$pid")" >>"$results"
    echo "$name: listening on $port (pid $pid)" >&2
    for concurrency in 1 16 64; do
        for protocol in flyte1 flyte2; do
            for rpc in create get delete list mixed; do
                measure "$name" "$pid" "$port" "$protocol" "$rpc" bench_async "$concurrency"
            done
        done
        measure "$name" "$pid" "$port" flyte1 sync bench_sync "$concurrency"
        if [ "$name" = ours ]; then
            measure "$name" "$pid" "$port" flyte1 create bench_async_unguarded "$concurrency"
        fi
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
}

serve ours "$bin/bench-agent-server" --host 127.0.0.1 --prometheus-port "$(free_port)"
serve baseline "$bin/baseline-server" --host 127.0.0.1

table=$(python3 bench/table.py "$results")
echo "$table"
if [ -n "$out" ]; then
    echo "$table" >"$out"
fi
