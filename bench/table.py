#!/usr/bin/env python3
"""Turns bench/run.sh's results (one JSON object per line) into Markdown:
start time and idle memory, every run of our server beside the baseline's
with ratios, and each target met or missed. A server measured in several
rounds shows the median of each figure; a ratio of two runs measured side
by side in each round (`bench/run.sh` runs each case on ours and then on
the baseline) is the median of the rounds' ratios. When the results hold the Python
servers of `bench/run.sh --python` (`flytekit`, Flyte 1 only; `flyte-sdk`,
Flyte 2 only), two more tables: their start time and idle memory beside ours,
and each of their runs beside ours with the ratios ours / Python. When they
hold variants of ours (`bench/run.sh --variant NAME=FLAGS`), a table of
each variant's runs beside ours': both as ratios to the baseline, and the
variant's to ours, each paired by round. When the results say how busy
the load generator's CPU was, a table of that by concurrency, beside how
busy the server's was.

    python3 bench/table.py target/bench/results.jsonl
"""

import json
import math
import statistics
import sys

# The RPCs the targets cover: (protocol, rpc, name).
TARGET_RPCS = [
    ("flyte1", "create", "CreateTask"),
    ("flyte1", "get", "GetTask"),
    ("flyte1", "sync", "ExecuteTaskSync"),
    ("flyte1", "list", "ListAgents"),
    ("flyte2", "create", "Flyte 2 CreateTask"),
    ("flyte2", "get", "Flyte 2 GetTask"),
    ("flyte2", "list", "ListConnectors"),
]
GUARDED, UNGUARDED = "bench_async", "bench_async_unguarded"
# The Python servers of `bench/run.sh --python`, in the order shown.
PYTHON_SERVERS = ("flytekit", "flyte-sdk")
# The servers that are neither a variant of ours nor ours.
NOT_VARIANTS = ("ours", "baseline", *PYTHON_SERVERS)


def load(path):
    """Each server's start, and each of its runs, as the median of every
    round (`bench/run.sh --rounds`) of it, with each round's figures under
    `by_round`; errors summed over the rounds."""
    starts, runs = {}, {}
    with open(path) as lines:
        for line in lines:
            row = json.loads(line)
            if row["kind"] == "start":
                starts.setdefault(row["server"], []).append(row)
                continue
            report = row["report"]
            key = (row["server"], report["protocol"], report["rpc"], row["task_type"], report["concurrency"])
            requests = report["requests"]
            cpu_s = row["cpu_ticks"] / row["clk_tck"]
            cpu_us = cpu_s * 1e6 / requests if requests else float("nan")
            load_ticks = row.get("load_cpu_ticks")
            load_busy = row["load_cpu_busy_ticks"] / load_ticks if load_ticks else None
            elapsed_s = report.get("elapsed_s")
            server_busy = cpu_s / elapsed_s if elapsed_s else None
            runs.setdefault(key, []).append({"round": row.get("round"), "rps": report["rps"],
                                             "p99": report["latency_us"]["p99"], "cpu_us": cpu_us,
                                             "errors": report["errors"], "load_busy": load_busy,
                                             "server_busy": server_busy})
    starts = {server: medians(rounds, ("start_ms", "idle_rss_kib")) for server, rounds in starts.items()}
    runs = {key: medians(rounds, ("rps", "p99", "cpu_us"))
            | {"errors": sum(r["errors"] for r in rounds), "by_round": by_round(rounds),
               "load_busy": median_of_known(r["load_busy"] for r in rounds),
               "server_busy": median_of_known(r["server_busy"] for r in rounds)}
            for key, rounds in runs.items()}
    return starts, runs


def by_round(rounds):
    """The runs by their round, or none when a run has no round or shares
    it with another (results from before rounds were numbered)."""
    numbered = {r["round"]: r for r in rounds if r["round"] is not None}
    return numbered if len(numbered) == len(rounds) else {}


def medians(rounds, fields):
    return {field: statistics.median(r[field] for r in rounds) for field in fields}


def median_of_known(values):
    """The median of the values that are not None, or None."""
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def ratio(ours, base):
    return ours / base if base else float("nan")


def round_ratios(ours, base, field):
    """ours / base in `field` in each round both ran (of those with a
    figure)."""
    rounds = ours["by_round"].keys() & base["by_round"].keys()
    ratios = [ratio(ours["by_round"][r][field], base["by_round"][r][field]) for r in rounds]
    return [r for r in ratios if not math.isnan(r)]


def paired(ours, base, field):
    """ours / base in `field`: the median of the ratios of the rounds both
    ran, or the ratio of their medians when they share no round."""
    ratios = round_ratios(ours, base, field)
    if not ratios:
        return ratio(ours[field], base[field])
    return statistics.median(ratios)


def spread(ours, base, field):
    """The range of the rounds' ratios `paired` takes the median of, as
    text: empty with fewer than two rounds."""
    ratios = round_ratios(ours, base, field)
    return f"{min(ratios):.2f}–{max(ratios):.2f}" if len(ratios) > 1 else ""


def in_case_order(runs):
    """The runs, by concurrency, protocol, RPC, task type and server."""
    return sorted(runs.items(), key=lambda kv: (kv[0][4], kv[0][1], kv[0][2], kv[0][3], kv[0][0]))


def main(path):
    starts, runs = load(path)
    variants = sorted({key[0] for key in runs if key[0] not in NOT_VARIANTS})
    out = []
    out.append("| server | start to first ListAgents (ms) | idle RSS (MiB) |")
    out.append("|---|---:|---:|")
    for server in ("ours", *variants, "baseline"):
        if server in starts:
            s = starts[server]
            out.append(f"| {server} | {s['start_ms']:.1f} | {s['idle_rss_kib'] / 1024:.1f} |")
    out.append("")
    out.append("| protocol | RPC | task type | conc. | req/s ours | req/s base | ratio | p99 µs ours | p99 µs base | ratio "
               "| CPU µs/req ours | CPU µs/req base | ratio | errors ours/base |")
    out.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (server, protocol, rpc, task_type, conc), ours in in_case_order(runs):
        if server != "ours":
            continue
        base = runs.get(("baseline", protocol, rpc, GUARDED if task_type == UNGUARDED else task_type, conc))
        if base is None:
            continue
        out.append(
            f"| {protocol} | {rpc} | {task_type} | {conc} | {ours['rps']:.0f} | {base['rps']:.0f} | {paired(ours, base, 'rps'):.2f} "
            f"| {ours['p99']:.0f} | {base['p99']:.0f} | {paired(ours, base, 'p99'):.2f} "
            f"| {ours['cpu_us']:.1f} | {base['cpu_us']:.1f} | {paired(ours, base, 'cpu_us'):.2f} "
            f"| {ours['errors']}/{base['errors']} |")
    out.append("")
    out.append("| target | worst measured | its rounds' range | met |")
    out.append("|---|---:|---:|:---:|")

    def row(name, value, limit, at_most=True, unit="x", rounds=""):
        """A target's line: `value` at most (or, not `at_most`, at least)
        `limit`; three decimals where two would show a miss at the limit."""
        ok = value <= limit if at_most else value >= limit
        shown = f"{value:.2f}"
        if not ok and float(shown) == limit:
            shown = f"{value:.3f}"
        out.append(f"| {name} | {shown}{unit} | {rounds} | {'yes' if ok else '**no**'} |")

    def worst(pairs, field, pick):
        """The worst (`pick`: max or min) paired ratio in `field` of the
        runs `pairs` (ours, base, concurrency), and its rounds' range."""
        value, ours, base = pick(((paired(o, b, field), o, b) for o, b, _ in pairs), key=lambda r: r[0])
        return value, spread(ours, base, field)

    for protocol, rpc, name in TARGET_RPCS:
        task_type = "bench_sync" if rpc == "sync" else GUARDED
        pairs = [(runs.get(("ours", protocol, rpc, task_type, c)), runs.get(("baseline", protocol, rpc, task_type, c)), c)
                 for c in (1, 16, 64)]
        pairs = [(o, b, c) for o, b, c in pairs if o and b]
        if not pairs:
            continue
        cpu, rounds = worst(pairs, "cpu_us", max)
        row(f"{name}: CPU per request ≤ 1.2x (c = 1, 16, 64)", cpu, 1.2, rounds=rounds)
        loaded = [(o, b, c) for o, b, c in pairs if c in (16, 64)]
        if loaded:
            rps, rounds = worst(loaded, "rps", min)
            row(f"{name}: throughput ≥ 0.9x (c = 16, 64)", rps, 0.9, at_most=False, rounds=rounds)
        p99, rounds = worst(pairs, "p99", max)
        row(f"{name}: p99 ≤ 1.3x (c = 1, 16, 64)", p99, 1.3, rounds=rounds)
    if "ours" in starts:
        rss = starts["ours"]["idle_rss_kib"] / 1024
        row("idle RSS ≤ 10 MiB", rss, 10, unit=" MiB")
        ms = starts["ours"]["start_ms"]
        row("start to first answer ≤ 30 ms", ms, 30, unit=" ms")
    guard = [(runs[("ours", "flyte1", "create", GUARDED, c)], runs[("ours", "flyte1", "create", UNGUARDED, c)], c)
             for c in (1, 16, 64)
             if ("ours", "flyte1", "create", GUARDED, c) in runs and ("ours", "flyte1", "create", UNGUARDED, c) in runs]
    if guard:
        cpu, rounds = worst(guard, "cpu_us", max)
        row("guard on / off, CPU per create ≤ 1.1x (c = 1, 16, 64)", cpu, 1.1, rounds=rounds)
    out.extend(busy_table(runs))
    out.extend(variant_table(variants, runs))
    out.extend(python_tables(starts, runs))
    print("\n".join(out))


def busy_table(runs):
    """The lines of the table of how busy the load generator's CPU was, by
    concurrency, beside how busy the server's was (its CPU time over the
    run's length): the median of the runs on ours and on the baseline; none
    when the results do not say (results from before it was read). Both
    below 100 % at once is time neither spent working: each waited for
    the other's answers."""
    busy = {}
    for (server, _, _, _, conc), run in runs.items():
        if server in ("ours", "baseline") and run["load_busy"] is not None:
            for side in ("server_busy", "load_busy"):
                if run[side] is not None:
                    busy.setdefault(conc, {}).setdefault((side, server), []).append(run[side])
    if not busy:
        return []
    out = ["", "| conc. | server's CPU busy: ours | baseline "
               "| load generator's CPU busy: runs on ours | runs on the baseline |",
           "|---:|---:|---:|---:|---:|"]
    for conc in sorted(busy):
        cells = [f"{statistics.median(busy[conc][key]) * 100:.0f} %" if key in busy[conc] else ""
                 for key in (("server_busy", "ours"), ("server_busy", "baseline"),
                             ("load_busy", "ours"), ("load_busy", "baseline"))]
        out.append(f"| {conc} | {' | '.join(cells)} |")
    return out


def variant_table(variants, runs):
    """The lines of the table of each variant beside ours, both against the
    baseline of the same rounds: none when the results hold no variant."""
    if not variants:
        return []
    out = ["", "| protocol | RPC | task type | conc. | variant | CPU µs/req variant | CPU variant / base | CPU ours / base "
               "| CPU variant / ours | req/s variant / base | req/s ours / base | p99 variant / base | p99 ours / base "
               "| errors variant |",
           "|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (server, protocol, rpc, task_type, conc), variant in in_case_order(runs):
        if server not in variants:
            continue
        ours = runs.get(("ours", protocol, rpc, task_type, conc))
        base = runs.get(("baseline", protocol, rpc, task_type, conc))
        if ours is None or base is None:
            continue
        out.append(
            f"| {protocol} | {rpc} | {task_type} | {conc} | {server} | {variant['cpu_us']:.1f} "
            f"| {paired(variant, base, 'cpu_us'):.2f} | {paired(ours, base, 'cpu_us'):.2f} | {paired(variant, ours, 'cpu_us'):.2f} "
            f"| {paired(variant, base, 'rps'):.2f} | {paired(ours, base, 'rps'):.2f} "
            f"| {paired(variant, base, 'p99'):.2f} | {paired(ours, base, 'p99'):.2f} | {variant['errors']} |")
    return out


def python_tables(starts, runs):
    """The lines of the tables of ours beside the Python servers: none when
    the results hold no run of theirs."""
    pythons = [server for server in PYTHON_SERVERS if server in starts or any(key[0] == server for key in runs)]
    if not pythons:
        return []
    out = ["", "| server | start to first list answer (ms) | idle RSS (MiB) |", "|---|---:|---:|"]
    for server in ("ours", *pythons):
        if server in starts:
            s = starts[server]
            out.append(f"| {server} | {s['start_ms']:.1f} | {s['idle_rss_kib'] / 1024:.1f} |")
    out.append("")
    out.append("| protocol | RPC | task type | conc. | Python server | req/s ours | req/s Python | ratio "
               "| p99 µs ours | p99 µs Python | ratio | CPU µs/req ours | CPU µs/req Python | ratio | errors ours/Python |")
    out.append("|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (server, protocol, rpc, task_type, conc), py in in_case_order(runs):
        if server not in pythons:
            continue
        ours = runs.get(("ours", protocol, rpc, task_type, conc))
        if ours is None:
            continue
        out.append(
            f"| {protocol} | {rpc} | {task_type} | {conc} | {server} | {ours['rps']:.0f} | {py['rps']:.0f} | {ratio(ours['rps'], py['rps']):.2f} "
            f"| {ours['p99']:.0f} | {py['p99']:.0f} | {ratio(ours['p99'], py['p99']):.2f} "
            f"| {ours['cpu_us']:.1f} | {py['cpu_us']:.1f} | {ratio(ours['cpu_us'], py['cpu_us']):.2f} "
            f"| {ours['errors']}/{py['errors']} |")
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: bench/table.py RESULTS.jsonl")
    main(sys.argv[1])
