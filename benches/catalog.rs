//! Catalog throughput and memory: generate an N-row CSV of realistic listings
//! (`silkroute catalog generate`), convert it to JSON Lines with `silkroute
//! catalog convert` (the command users run, as a child process), and print rows/s,
//! MB/s and the converter's peak resident memory (its VmHWM, which `convert`
//! prints on Linux). The issue's target: under 100 MiB for 1,000,000 rows.
//!
//! ```sh
//! BENCH_ROWS=1000000 cargo bench --profile dev --bench catalog
//! ```
//! (`--profile dev` builds with this crate at opt-level 1 and its dependencies
//! at 3; plain `cargo bench` uses the release profile.)

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn silkroute(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_silkroute"))
        .args(args)
        .output()
        .expect("running silkroute");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "silkroute {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn size_mb(p: &Path) -> f64 {
    std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1e6)
}

fn main() {
    // `cargo test --all-targets` runs bench programs without `--bench`.
    if !std::env::args().any(|a| a == "--bench") {
        println!("catalog benchmark: run it with `cargo bench --profile dev --bench catalog`");
        return;
    }
    let rows: u64 = std::env::var("BENCH_ROWS")
        .unwrap_or_else(|_| "1000000".into())
        .parse()
        .expect("BENCH_ROWS");
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("catalog.csv");
    let jsonl = dir.path().join("catalog.jsonl");
    let (csv_s, jsonl_s) = (csv.to_str().unwrap(), jsonl.to_str().unwrap());

    let t = Instant::now();
    silkroute(&["catalog", "generate", csv_s, "--rows", &rows.to_string()]);
    println!(
        "generated {rows} rows, {:.1} MB of CSV in {:.2} s",
        size_mb(&csv),
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let out = silkroute(&["catalog", "convert", csv_s, jsonl_s]);
    let secs = t.elapsed().as_secs_f64();
    let peak = out
        .lines()
        .find_map(|l| l.strip_prefix("peak memory "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok());
    let summary = out.lines().next().unwrap_or("");
    println!("convert: {summary}");
    println!(
        "csv -> jsonl: {rows} rows in {secs:.2} s = {:.0} rows/s, {:.1} MB/s in, {:.1} MB out",
        rows as f64 / secs,
        size_mb(&csv) / secs,
        size_mb(&jsonl)
    );
    match peak {
        Some(mib) => println!(
            "peak resident memory of `catalog convert`: {mib:.1} MiB (target < 100 MiB: {})",
            if mib < 100.0 { "met" } else { "NOT met" }
        ),
        None => println!("peak resident memory: not reported (no /proc/self/status)"),
    }
}
