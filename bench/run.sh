#!/usr/bin/env bash
# Measures an agent server against a bare tonic server answering constants,
# in one run on this machine, and prints one Markdown table of ratios.
#
#   bench/run.sh [--duration SECS] [--rounds N] [--out FILE] [--python]
#                [--glibc-tunables TUNABLES] [--variant NAME=FLAGS]...
#                [--rpcs LIST] [--concurrency LIST] [--deadline SECS]
#
# Builds with the production profile (release, optimised across crates, as
# deployed); times the start of `bench-agent-server` (default flags but for
# its loopback ports) and of `baseline-server` to their first answered
# ListAgents, and their idle RSS (/proc/PID/status); then serves both at
# once on CPU 0 and runs the load generator (`agent-bench`) on CPU 1: every
# RPC of both protocols at concurrency 1, 16 and 64, each run after a
# one-second warm-up, reading the server's CPU time (utime + stime,
# /proc/PID/stat) around it, and how busy the load generator's CPU was
# (/proc/stat; the table shows it by concurrency, beside how busy the
# server was: a load generator as busy as the server counts its own queue
# in the latencies, and both short of busy waited on each other). Each
# case runs on ours and then on the baseline (the server not under load
# is idle), so that the VM's drift over minutes falls on both alike. The
# raw figures (one JSON object per run) go to target/bench/results.jsonl;
# the table to stdout and to --out when given.
#
# --rounds N (default 1) times each start N times, and runs each case N
# times over, ours and the baseline in turn; the table shows the median of
# every figure, and of the N ratios of the runs side by side: a VM's
# neighbours move single runs by 15 % and more. The same two processes
# serve every round, as a long-running server would: ours' guard store
# fills during the first cases and stays full.
#
# --python also measures, in the same run and the same way (one round, one
# server at a time), the same agents written in Python on their framework's
# own server, and adds a table of ours beside them: flytekit 1.16's
# (`pyflyte serve agent`, bench/python/bench_agents.py; Flyte 1 only) and
# flyte-sdk 2's connector server (`c0`, bench/python/bench_connectors.py;
# Flyte 2 only). Their Pythons: the FLYTEKIT_PYTHON and FLYTE_SDK_PYTHON that
# tests/tools/setup.sh prints (run when either is unset); flyte-sdk's needs
# its `connector` extra, else one is made in target/bench-flyte-sdk-venv.
# Their output goes to target/bench/.
#
# --glibc-tunables starts every server with GLIBC_TUNABLES set to TUNABLES:
# `glibc.cpu.hwcaps=-AVX512VL` has glibc pick its AVX2 string functions
# over its AVX-512 ones, whose zero-length memcmp and memset some CPUs (the
# AMD EPYC of BENCHMARKS.md) take 100 to 300 ns over.
#
# --variant NAME=FLAGS (repeatable) also serves another instance of ours,
# named NAME, with FLAGS added to its command line (for example
# `--variant small-guard='--idempotency-capacity 1000'`; leading words of
# the form VAR=VALUE are set in its environment instead, as in
# `--variant quiet='RUST_LOG=warn'`), and runs each case on it between ours
# and the baseline, round after round; the table adds each variant's
# figures beside ours', both as ratios to the baseline, and the variant's
# paired ratio to ours.
#
# --rpcs LIST (comma-separated; default create,get,delete,list,mixed,sync)
# and --concurrency LIST (default 1,16,64) run only those cases, for a
# focused comparison; the targets table then covers what ran.
#
# --deadline SECS sends every measured call with that deadline (the
# `grpc-timeout` header), as Propeller sends its calls (10 s by default):
# each server then keeps a timer per call in flight.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=5
rounds=1
out=""
python=0
glibc_tunables=""
variants=()
rpcs=create,get,delete,list,mixed,sync
concurrencies=1,16,64
deadline=""
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --python) python=1; shift ;;
        --glibc-tunables) glibc_tunables="$2"; shift 2 ;;
        --variant) variants+=("$2"); shift 2 ;;
        --rpcs) rpcs="$2"; shift 2 ;;
        --concurrency) concurrencies="$2"; shift 2 ;;
        --deadline) deadline="$2"; shift 2 ;;
        -h|--help) awk 'NR > 1 { if (!/^#/) exit; print }' "$0"; exit 0 ;;
        *) echo "bench/run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

case "$rounds" in
    ''|*[!0-9]*|0) echo "bench/run.sh: --rounds takes a whole number of at least 1, not '$rounds'" >&2; exit 2 ;;
esac
for rpc in ${rpcs//,/ }; do
    case "$rpc" in
        create|get|delete|list|mixed|sync) ;;
        *) echo "bench/run.sh: --rpcs takes create, get, delete, list, mixed and sync, not '$rpc'" >&2; exit 2 ;;
    esac
done
for concurrency in ${concurrencies//,/ }; do
    case "$concurrency" in
        ''|*[!0-9]*|0) echo "bench/run.sh: --concurrency takes whole numbers of at least 1, not '$concurrency'" >&2; exit 2 ;;
    esac
done
variant_names=() variant_flags=()
for variant in ${variants[@]+"${variants[@]}"}; do
    name=${variant%%=*}
    case "$variant" in
        *=*) ;;
        *) echo "bench/run.sh: --variant takes NAME=FLAGS, not '$variant'" >&2; exit 2 ;;
    esac
    case "$name" in
        ours|baseline|flytekit|flyte-sdk|''|*[!a-z0-9_-]*)
            echo "bench/run.sh: a --variant's name is made of a-z, 0-9, - and _, and is none of ours, baseline, flytekit and flyte-sdk, not '$name'" >&2
            exit 2 ;;
    esac
    variant_names+=("$name") variant_flags+=("${variant#*=}")
done
command -v taskset >/dev/null || { echo "bench/run.sh: taskset (util-linux) is needed" >&2; exit 1; }
if [ "$(nproc)" -ge 2 ]; then
    server_cpu=0 load_cpu=1
else
    echo "bench/run.sh: one CPU only: server and load share it" >&2
    server_cpu=0 load_cpu=0
fi

# A program given by a relative path, made absolute (the Python servers run
# in bench/python); a name or an absolute path as it is.
absolute() {
    case "$1" in
        /*|"") echo "$1" ;;
        */*) echo "$PWD/$1" ;;
        *) echo "$1" ;;
    esac
}

# A Python with flyte-sdk's connector server: FLYTE_SDK_PYTHON when it has
# the `connector` extra (grpcio, its health service, prometheus-client), else
# a venv of its own with tests/tools/flyte-sdk-requirements.txt's pin of flyte.
flyte_sdk_connector_python() {
    # (flyte prints a failed import's traceback to stdout: both are silenced)
    local check="import flyte.connectors._server, grpc_health, prometheus_client"
    if [ -n "${FLYTE_SDK_PYTHON:-}" ] && "$FLYTE_SDK_PYTHON" -c "$check" >/dev/null 2>&1; then
        absolute "$FLYTE_SDK_PYTHON"
        return
    fi
    local venv="$PWD/target/bench-flyte-sdk-venv"
    if ! "$venv/bin/python" -c "$check" >/dev/null 2>&1; then
        local pin
        pin=$(sed -n 's/^flyte==/flyte[connector]==/p' tests/tools/flyte-sdk-requirements.txt)
        [ -n "$pin" ] || { echo "bench/run.sh: no flyte== pin in tests/tools/flyte-sdk-requirements.txt" >&2; exit 1; }
        echo "bench/run.sh: creating $venv ($pin)" >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "$pin" >&2
    fi
    echo "$venv/bin/python"
}

# With --python: the Pythons of the two Python servers.
if [ "$python" = 1 ]; then
    if [ -z "${FLYTEKIT_PYTHON:-}" ] || [ -z "${FLYTE_SDK_PYTHON:-}" ]; then
        exports=$(tests/tools/setup.sh)
        eval "$exports"
    fi
    flytekit_python=$(absolute "$FLYTEKIT_PYTHON")
    flyte_sdk_python=$(flyte_sdk_connector_python)
fi

cargo build --profile production --locked -p agent-bench -p agent-examples \
    --bin agent-bench --bin baseline-server --bin bench-agent-server >&2
bin=target/production
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

# The ticks the load generator's CPU has been busy (user, nice, system,
# irq, softirq) and all its ticks (those, idle, iowait and steal) so far,
# from /proc/stat.
load_cpu_ticks() {
    awk -v cpu="cpu$load_cpu" '$1 == cpu { busy = $2 + $3 + $4 + $7 + $8; print busy, busy + $5 + $6 + $9 }' /proc/stat
}

# Resident memory in KiB.
rss_kib() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

load() {
    taskset -c "$load_cpu" "$bin/agent-bench" "$@" </dev/null
}

# measure NAME PID PORT PROTOCOL RPC TASK_TYPE CONCURRENCY ROUND
measure() {
    local name=$1 pid=$2 port=$3 protocol=$4 rpc=$5 task_type=$6 concurrency=$7 round=$8
    local common=(--addr "127.0.0.1:$port" --protocol "$protocol" --rpc "$rpc"
        --task-type "$task_type" --concurrency "$concurrency" --json
        ${deadline:+--deadline "$deadline"})
    load "${common[@]}" --duration 1 >/dev/null
    local before after report load_busy_before load_all_before load_busy_after load_all_after
    read -r load_busy_before load_all_before < <(load_cpu_ticks)
    before=$(cpu_ticks "$pid")
    report=$(load "${common[@]}" --duration "$duration")
    after=$(cpu_ticks "$pid")
    read -r load_busy_after load_all_after < <(load_cpu_ticks)
    printf '{"server":"%s","kind":"run","round":%s,"task_type":"%s","cpu_ticks":%s,"clk_tck":%s,"rss_kib":%s,"load_cpu_busy_ticks":%s,"load_cpu_ticks":%s,"report":%s}\n' \
        "$name" "$round" "$task_type" "$((after - before))" "$clk_tck" "$(rss_kib "$pid")" \
        "$((load_busy_after - load_busy_before))" "$((load_all_after - load_all_before))" "$report" >>"$results"
    echo "  $name $protocol $rpc $task_type c=$concurrency: $(rps_of "$report") req/s" >&2
}

rps_of() {
    python3 -c 'import json, sys; print(round(json.loads(sys.argv[1])["rps"]))' "$1"
}

# start NAME PROTOCOL WAIT LOG COMMAND...: starts COMMAND --port PORT on
# CPU 0 with a fresh port, its output to LOG; times its start to the first
# answered list call (ListAgents, or ListConnectors for flyte2), waiting at
# most WAIT seconds. Leaves its pid and port in started_pid and
# started_port, that time and its RSS after one idle second in started_ms
# and idle_rss_kib.
start() {
    local name=$1 protocol=$2 wait_secs=$3 log=$4
    shift 4
    local port; port=$(free_port)
    local ready_file="$work/$name.ready"
    load --addr "127.0.0.1:$port" --protocol "$protocol" --probe-ready "$wait_secs" >"$ready_file" &
    local probe=$!
    pids+=("$probe")
    sleep 0.3
    local started; started=$(date +%s%N)
    env ${glibc_tunables:+GLIBC_TUNABLES="$glibc_tunables"} \
        taskset -c "$server_cpu" "$@" --port "$port" >"$log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    # Until the probe has its answer or gives up, or the server exits.
    local status=0
    wait -n "$probe" "$pid" || status=$?
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "bench/run.sh: $name exited before answering (its output: $log)" >&2
        exit 1
    elif [ "$status" -ne 0 ]; then
        echo "bench/run.sh: $name did not answer within ${wait_secs}s (its output: $log)" >&2
        exit 1
    fi
    local ready; ready=$(cat "$ready_file")
    sleep 1
    started_ms=$(python3 -c "print(($ready - $started) / 1e6)")
    idle_rss_kib=$(rss_kib "$pid")
    echo "$name: listening on $port (pid $pid)" >&2
    started_pid=$pid started_port=$port
}

# record_start NAME: records the start `start` just timed.
record_start() {
    printf '{"server":"%s","kind":"start","start_ms":%s,"idle_rss_kib":%s}\n' \
        "$1" "$started_ms" "$idle_rss_kib" >>"$results"
}

stop() {
    kill "$1"
    wait "$1" 2>/dev/null || true
}

# cases PROTOCOL...: the runs of those protocols that --rpcs asks for, as
# "PROTOCOL RPC TASK_TYPE" lines: every RPC on the async agent, and the sync
# run with flyte1.
cases() {
    local protocol rpc
    for protocol in "$@"; do
        for rpc in create get delete list mixed; do
            if [[ ",$rpcs," == *",$rpc,"* ]]; then
                echo "$protocol $rpc bench_async"
            fi
        done
    done
    if [[ " $* " == *" flyte1 "* && ",$rpcs," == *",sync,"* ]]; then
        echo "flyte1 sync bench_sync"
    fi
}

ours=("$bin/bench-agent-server" --host 127.0.0.1 --prometheus-port "$(free_port)")
baseline=("$bin/baseline-server" --host 127.0.0.1)

for round in $(seq "$rounds"); do
    [ "$rounds" = 1 ] || echo "start, round $round of $rounds" >&2
    start ours flyte1 60 /dev/null "${ours[@]}"
    record_start ours
    stop "$started_pid"
    start baseline flyte1 60 /dev/null "${baseline[@]}"
    record_start baseline
    stop "$started_pid"
done

# All serve from here on, started afresh; each case runs on ours, then
# (for creates) on ours' unguarded agent, then on each variant, then on
# the baseline, round after round.
start ours flyte1 60 /dev/null "${ours[@]}"
ours_pid=$started_pid ours_port=$started_port
variant_pids=() variant_ports=()
for i in ${variant_names[@]+"${!variant_names[@]}"}; do
    # Its FLAGS split into words, as on a command line; the leading
    # VAR=VALUE ones go to `env`.
    read -r -a words <<<"${variant_flags[$i]}"
    environment=()
    while [ ${#words[@]} -gt 0 ] && [[ "${words[0]}" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
        environment+=("${words[0]}") words=("${words[@]:1}")
    done
    start "${variant_names[$i]}" flyte1 60 /dev/null env ${environment[@]+"${environment[@]}"} \
        "$bin/bench-agent-server" --host 127.0.0.1 --prometheus-port "$(free_port)" ${words[@]+"${words[@]}"}
    record_start "${variant_names[$i]}"
    variant_pids+=("$started_pid") variant_ports+=("$started_port")
done
start baseline flyte1 60 /dev/null "${baseline[@]}"
baseline_pid=$started_pid baseline_port=$started_port
for concurrency in ${concurrencies//,/ }; do
    while read -r protocol rpc task_type; do
        for round in $(seq "$rounds"); do
            measure ours "$ours_pid" "$ours_port" "$protocol" "$rpc" "$task_type" "$concurrency" "$round"
            if [ "$protocol $rpc" = "flyte1 create" ]; then
                measure ours "$ours_pid" "$ours_port" flyte1 create bench_async_unguarded "$concurrency" "$round"
            fi
            for i in ${variant_names[@]+"${!variant_names[@]}"}; do
                measure "${variant_names[$i]}" "${variant_pids[$i]}" "${variant_ports[$i]}" \
                    "$protocol" "$rpc" "$task_type" "$concurrency" "$round"
            done
            measure baseline "$baseline_pid" "$baseline_port" "$protocol" "$rpc" "$task_type" "$concurrency" "$round"
        done
    done < <(cases flyte1 flyte2)
done
stop "$ours_pid"
for pid in ${variant_pids[@]+"${variant_pids[@]}"}; do
    stop "$pid"
done
stop "$baseline_pid"

# serve NAME PROTOCOL WAIT LOG COMMAND...: starts a server as `start` does,
# runs every case of PROTOCOL against it once, and stops it.
serve() {
    local name=$1 served=$2
    start "$@"
    record_start "$name"
    local pid=$started_pid port=$started_port concurrency protocol rpc task_type
    for concurrency in ${concurrencies//,/ }; do
        while read -r protocol rpc task_type; do
            measure "$name" "$pid" "$port" "$protocol" "$rpc" "$task_type" "$concurrency" 1
        done < <(cases "$served")
    done
    stop "$pid"
}

# With --python: flytekit's agent server (Flyte 1) and flyte-sdk's connector
# server (Flyte 2), run in bench/python where their agents are; they start in
# seconds, so they get two minutes to answer.
if [ "$python" = 1 ]; then
    serve flytekit flyte1 120 "$work/flytekit.log" env -C bench/python "$flytekit_python" -c \
        "import sys; from flytekit.clis.sdk_in_container.pyflyte import main; sys.argv[0]='pyflyte'; sys.exit(main())" \
        serve agent --prometheus_port "$(free_port)" --modules bench_agents
    serve flyte-sdk flyte2 120 "$work/flyte-sdk.log" env -C bench/python "$flyte_sdk_python" -c \
        "import sys; from flyte._bin.connect import main; sys.argv[0]='c0'; sys.exit(main())" \
        --prometheus_port "$(free_port)" --modules bench_connectors
fi

table=$(python3 bench/table.py "$results")
if [ -n "$deadline" ]; then
    table=$(printf 'Every call carried a deadline of %s s (`agent-bench --deadline`).\n\n%s' "$deadline" "$table")
fi
echo "$table"
if [ -n "$out" ]; then
    echo "$table" >"$out"
fi
