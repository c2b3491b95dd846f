#!/usr/bin/env bash
# Counts the instructions the server executes per request, ours against the
# bare tonic baseline, and prints one Markdown table of the ratios.
#
#   bench/instructions.sh [--duration SECS] [--concurrency N] [--caches]
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
# --caches also simulates the caches (`--cache-sim=yes`: first-level
# instruction and data caches as this CPU's, and as the last level its
# second, read from /sys) and adds a table of the misses per request:
# where ours costs more time than its instructions say.
#
# Needs valgrind (Debian: `apt-get install valgrind`).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=4
concurrency=16
caches=0
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --concurrency) concurrency="$2"; shift 2 ;;
        --caches) caches=1; shift ;;
        -h|--help) awk 'NR > 1 { if (!/^#/) exit; print }' "$0"; exit 0 ;;
        *) echo "bench/instructions.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

for tool in valgrind callgrind_control taskset; do
    command -v "$tool" >/dev/null || { echo "bench/instructions.sh: $tool is needed" >&2; exit 1; }
done
if [ "$(nproc)" -ge 2 ]; then server_cpu=0 load_cpu=1; else server_cpu=0 load_cpu=0; fi

# With --caches: callgrind's cache simulation, its last level this CPU's
# second (size, ways, line), where the first level's misses land.
cache_options=()
if [ "$caches" = 1 ]; then
    l2=/sys/devices/system/cpu/cpu0/cache/index2
    read -r size <"$l2/size"
    read -r ways <"$l2/ways_of_associativity"
    read -r line <"$l2/coherency_line_size"
    case "$size" in *K) size=$((${size%K} * 1024)) ;; *M) size=$((${size%M} * 1024 * 1024)) ;; esac
    cache_options=(--cache-sim=yes "--LL=$size,$ways,$line")
fi

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

# The events counted in the newest dump of the server NAME, as
# `EVENT=COUNT,...`: instructions (Ir) and, with --caches, misses.
dumped_events() {
    local newest; newest=$(ls -t "$work/$1".out.* | head -1)
    awk '/^events:/ { split($0, names, " ") }
        /^(summary|totals):/ { for (i = 2; i <= NF; i++) printf "%s%s=%s", (i > 2 ? "," : ""), names[i], $i; exit }' "$newest"
}

# serve NAME COMMAND...: runs every case against COMMAND --port PORT under
# callgrind, one line per case in the results.
serve() {
    local name=$1
    shift
    local port; port=$(free_port)
    taskset -c "$server_cpu" valgrind --tool=callgrind "${cache_options[@]}" \
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
            "$(dumped_events "$name")" "$requests" >>"$results"
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
    server, protocol, rpc, task_type, events, requests = line.split()
    counts = dict(event.split("=") for event in events.split(","))
    per_request[(server, protocol, rpc, task_type)] = {
        name: int(count) / int(requests) for name, count in counts.items()
    }
cases = [key[1:] for key in per_request if key[0] == "ours"]

def count(per_request):
    """A count per request: a decimal where it is small."""
    return f"{per_request:,.1f}" if per_request < 100 else f"{per_request:,.0f}"

def table(title, columns):
    print(f"{title}, concurrency {sys.argv[2]}:\n")
    print("| protocol | RPC | task type |" + "".join(f" {label}: ours | baseline | ratio |" for label, _ in columns))
    print("|---|---|---|" + "---:|---:|---:|" * len(columns))
    for case in cases:
        ours, base = per_request[("ours", *case)], per_request[("baseline", *case)]
        cells = ""
        for _, events in columns:
            # (callgrind leaves out the events it counted none of)
            mine = sum(ours.get(e, 0) for e in events)
            theirs = sum(base.get(e, 0) for e in events)
            # (a ratio of counts under one a request says little)
            ratio = f"{mine / theirs:.2f}" if theirs >= 1 else "-"
            cells += f" {count(mine)} | {count(theirs)} | {ratio} |"
        print(f"| {' | '.join(case)} |{cells}")

table("Instructions per request, user space (callgrind)", [("instructions", ["Ir"])])
if "I1mr" in per_request[("ours", *cases[0])]:
    print()
    table(
        "Cache misses per request, user space (callgrind's simulation; last level = this CPU's L2)",
        [("L1i", ["I1mr"]), ("L1d", ["D1mr", "D1mw"]), ("L2", ["ILmr", "DLmr", "DLmw"])],
    )
PY
