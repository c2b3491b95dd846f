//! `bench/table.py` on results written here: the ratios of each server to
//! the baseline, paired by round, the targets met and missed with the
//! range of their rounds, the table of a `bench/run.sh --variant` beside
//! ours, and how busy the server and the load generator were.

use std::path::PathBuf;
use std::process::Command;

use serde_json::json;

/// One line of `bench/run.sh`'s results: a run of `server` in `round`, of
/// `requests` requests in one second, `cpu_ticks` of 100 a second.
fn run(
    server: &str,
    rpc: &str,
    task_type: &str,
    round: u32,
    requests: u64,
    cpu_ticks: u64,
) -> String {
    json!({
        "server": server, "kind": "run", "round": round, "task_type": task_type,
        "cpu_ticks": cpu_ticks, "clk_tck": 100, "rss_kib": 8000,
        "report": {
            "protocol": "flyte1", "rpc": rpc, "concurrency": 64, "requests": requests, "elapsed_s": 1.0,
            "rps": requests as f64, "errors": 0, "latency_us": {"p99": 1000},
        },
    })
    .to_string()
}

/// [`run`] of a GetTask, the server's CPU busy `cpu_ticks` of the second,
/// the load generator's `busy` of its `all` ticks meanwhile.
fn run_loading(server: &str, round: u32, cpu_ticks: u64, busy: u64, all: u64) -> String {
    let mut line: serde_json::Value =
        serde_json::from_str(&run(server, "get", "bench_async", round, 1000, cpu_ticks)).unwrap();
    line["load_cpu_busy_ticks"] = busy.into();
    line["load_cpu_ticks"] = all.into();
    line.to_string()
}

fn start(server: &str) -> String {
    json!({"server": server, "kind": "start", "start_ms": 6.5, "idle_rss_kib": 8192}).to_string()
}

/// The table `bench/table.py` prints for `lines`.
fn table(name: &str, lines: &[String]) -> String {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.jsonl"));
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let output = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/table.py"))
        .arg(&path)
        .output()
        .expect("python3 runs bench/table.py");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn has_row(table: &str, row: &str) {
    assert!(
        table.lines().any(|line| line == row),
        "no row\n{row}\nin\n{table}"
    );
}

#[test]
fn ratios_are_paired_by_round_and_targets_judged() {
    // Round 1: ours 1.25x the baseline's CPU; round 2: 1.1x; round 3: 1.2x.
    let lines = [
        start("ours"),
        start("baseline"),
        run("ours", "sync", "bench_sync", 1, 1000, 25),
        run("baseline", "sync", "bench_sync", 1, 1000, 20),
        run("ours", "sync", "bench_sync", 2, 1000, 22),
        run("baseline", "sync", "bench_sync", 2, 1000, 20),
        run("ours", "sync", "bench_sync", 3, 1000, 24),
        run("baseline", "sync", "bench_sync", 3, 1000, 20),
    ];
    let table = table("paired", &lines);
    has_row(
        &table,
        "| flyte1 | sync | bench_sync | 64 | 1000 | 1000 | 1.00 | 1000 | 1000 | 1.00 | 240.0 | 200.0 | 1.20 | 0/0 |",
    );
    has_row(
        &table,
        "| ExecuteTaskSync: CPU per request ≤ 1.2x (c = 1, 16, 64) | 1.20x | 1.10–1.25 | yes |",
    );
    has_row(&table, "| idle RSS ≤ 10 MiB | 8.00 MiB |  | yes |");
    assert!(!table.contains("variant"), "{table}");
    assert!(
        !table.contains("load generator"),
        "results that do not say how busy it was show no table of it: {table}"
    );
}

#[test]
fn a_variant_is_shown_beside_ours_against_the_same_baseline() {
    let mut lines = vec![start("ours"), start("small-guard"), start("baseline")];
    for round in 1..=2 {
        lines.push(run("ours", "create", "bench_async", round, 1000, 30));
        lines.push(run("small-guard", "create", "bench_async", round, 1200, 30));
        lines.push(run("baseline", "create", "bench_async", round, 1000, 20));
    }
    let table = table("variant", &lines);
    has_row(&table, "| small-guard | 6.5 | 8.0 |");
    // The variant: 250 µs a request against ours' 300 and the baseline's 200.
    has_row(
        &table,
        "| flyte1 | create | bench_async | 64 | small-guard | 250.0 | 1.25 | 1.50 | 0.83 | 1.20 | 1.00 | 1.00 | 1.00 | 0 |",
    );
    // A variant is no target's subject.
    has_row(
        &table,
        "| CreateTask: CPU per request ≤ 1.2x (c = 1, 16, 64) | 1.50x | 1.50–1.50 | **no** |",
    );
}

#[test]
fn a_miss_at_the_limit_shows_three_decimals() {
    let lines = [
        run("ours", "get", "bench_async", 1, 1000, 1203),
        run("baseline", "get", "bench_async", 1, 1000, 1000),
    ];
    let table = table("at_the_limit", &lines);
    has_row(
        &table,
        "| GetTask: CPU per request ≤ 1.2x (c = 1, 16, 64) | 1.203x |  | **no** |",
    );
    has_row(
        &table,
        "| GetTask: p99 ≤ 1.3x (c = 1, 16, 64) | 1.00x |  | yes |",
    );
}

#[test]
fn how_busy_the_server_and_the_load_generator_were_is_shown_by_concurrency() {
    let lines = [
        run_loading("ours", 1, 84, 90, 100),
        run_loading("baseline", 1, 95, 96, 100),
        run_loading("ours", 2, 88, 94, 100),
        run_loading("baseline", 2, 97, 98, 100),
    ];
    let table = table("load_generator", &lines);
    has_row(
        &table,
        "| conc. | server's CPU busy: ours | baseline \
         | load generator's CPU busy: runs on ours | runs on the baseline |",
    );
    has_row(&table, "| 64 | 86 % | 96 % | 92 % | 97 % |");
}
