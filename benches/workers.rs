//! Many workers on one PostgreSQL store, measured with the real binary:
//!
//! 1. model work: a 60-item job (tests/data/workers/catalog.csv, two markets)
//!    on the test model, one compute thread per process, localized by one
//!    SQLite process (`silkroute batch`, one item at a time), then by 1, 2 and
//!    3 `silkroute worker` processes on PostgreSQL (one item at a time each);
//! 2. the queue alone: a 2,000-item job leased and committed by 1, 4 and 16
//!    `silkroute worker --dry-run` processes (no model work).
//!
//! Throughput is items per hour between the first and the last commit (from the
//! item log's timestamps: model loading is left out), and the wall time of the
//! whole run. Prints the load average before each run: the machine is shared.
//!
//! ```sh
//! eval "$(scripts/pg-cluster start)"
//! BENCH_PG=$SILKROUTE_TEST_PG BENCH_MODEL=$(silkroute models path smollm2-135m-instruct-q4_1) \
//!   cargo bench --bench workers            # BENCH_ONLY=model|queue for one part
//! scripts/pg-cluster stop "$SILKROUTE_PG_DIR"
//! ```

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

const BIN: &str = env!("CARGO_BIN_EXE_silkroute");

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("set {name} (see the doc comment)"))
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// A fresh database on the cluster; its URL.
fn database(admin: &str, name: &str) -> String {
    let mut c = postgres::Client::connect(admin, postgres::NoTls).unwrap();
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
    c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    format!("{base}/{name}")
}

fn parse(t: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc)
}

/// (commits, seconds from the first commit to the last) of job 1.
fn commit_span_pg(url: &str) -> (u64, f64) {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let r = c
        .query_one(
            "SELECT count(*), min(at), max(at) FROM job_item_log WHERE job_id = 1 AND event = 'commit'",
            &[],
        )
        .unwrap();
    let n: i64 = r.get(0);
    let (a, b): (String, String) = (r.get(1), r.get(2));
    (
        n as u64,
        (parse(&b) - parse(&a)).num_milliseconds() as f64 / 1000.0,
    )
}

fn commit_span_sqlite(db: &Path) -> (u64, f64) {
    let c = rusqlite::Connection::open(db).unwrap();
    let (n, a, b): (i64, String, String) = c
        .query_row(
            "SELECT count(*), min(at), max(at) FROM job_item_log WHERE job_id = 1 AND event = 'commit'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    (
        n as u64,
        (parse(&b) - parse(&a)).num_milliseconds() as f64 / 1000.0,
    )
}

fn per_hour((n, secs): (u64, f64)) -> f64 {
    (n.saturating_sub(1)) as f64 * 3600.0 / secs.max(0.001)
}

fn batch(data: &Path, catalog: &Path, model: &str, store: Option<&str>) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data-dir").arg(data);
    if let Some(u) = store {
        c.args(["--store", u]);
    }
    c.arg("batch")
        .arg(catalog)
        .args(["--markets", "amazon.de,amazon.fr", "--max-tokens", "24"])
        .args(["--attempts", "1", "--workers", "1", "--model", model])
        .arg("--out")
        .arg(data.join("out"))
        .env("CANDLE_NUM_THREADS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if store.is_some() {
        c.arg("--wait-for-workers");
    }
    c
}

fn worker(data: &Path, url: &str, extra: &[&str]) -> Child {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(["--store", url, "worker", "--exit-when-idle"])
        .args(extra)
        .env("CANDLE_NUM_THREADS", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Wait until job 1 exists and is running.
fn wait_running(url: &str) {
    loop {
        if let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls)
            && let Ok(Some(r)) = c.query_opt("SELECT status FROM jobs WHERE id = 1", &[])
            && r.get::<_, String>(0) == "running"
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Run a job on PostgreSQL with `workers` worker processes; returns
/// (commits, commit span seconds, wall seconds).
fn shared_run(
    admin: &str,
    tmp: &Path,
    name: &str,
    catalog: &Path,
    model: &str,
    workers: usize,
    worker_args: &[&str],
) -> (u64, f64, f64) {
    let url = database(admin, name);
    let t = Instant::now();
    let mut coordinator = batch(&tmp.join(name), catalog, model, Some(&url))
        .spawn()
        .unwrap();
    wait_running(&url);
    let ws: Vec<Child> = (0..workers)
        .map(|i| worker(&tmp.join(format!("{name}-w{i}")), &url, worker_args))
        .collect();
    let status = coordinator.wait().unwrap();
    let wall = t.elapsed().as_secs_f64();
    assert!(status.code().is_some_and(|c| c <= 1), "{name}: {status}");
    for mut w in ws {
        let _ = w.wait();
    }
    let (n, span) = commit_span_pg(&url);
    (n, span, wall)
}

fn main() {
    let admin = env("BENCH_PG");
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let tmp = tempfile::tempdir().unwrap();
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let flags: Vec<&str> = ["avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx2"]
        .into_iter()
        .filter(|f| cpu.split_whitespace().any(|w| w == *f))
        .collect();
    println!("cpu flags: {}", flags.join(" "));

    if only.is_empty() || only == "model" {
        let model = env("BENCH_MODEL");
        let catalog =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/workers/catalog.csv");
        println!(
            "\n60 items (30 rows x 2 markets), test model, max 24 tokens, 1 attempt, one compute thread per process"
        );
        println!("load {}", load());
        let data = tmp.path().join("sqlite");
        let t = Instant::now();
        let status = batch(&data, &catalog, &model, None).status().unwrap();
        let wall = t.elapsed().as_secs_f64();
        assert!(status.code().is_some_and(|c| c <= 1), "sqlite: {status}");
        let base = commit_span_sqlite(&data.join("silkroute.db"));
        println!(
            "SQLite, one process:        {:>7.0} items/h between commits, wall {:>6.1} s",
            per_hour(base),
            wall
        );
        let model_args = ["--model", model.as_str(), "--threads", "1"];
        for k in 1..=3 {
            println!("load {}", load());
            let (n, span, wall) = shared_run(
                &admin,
                tmp.path(),
                &format!("bench_model_{k}"),
                &catalog,
                &model,
                k,
                &model_args,
            );
            println!(
                "PostgreSQL, {k} worker(s):    {:>7.0} items/h between commits, wall {:>6.1} s, x{:.2} of SQLite",
                per_hour((n, span)),
                wall,
                per_hour((n, span)) / per_hour(base)
            );
        }
    }

    if only.is_empty() || only == "queue" {
        let rows = 1000;
        let catalog = tmp.path().join("queue.csv");
        let mut text = String::from("sku,title,description,brand\n");
        for i in 0..rows {
            text.push_str(&format!("Q-{i:05},Item number {i},,Acme\n"));
        }
        std::fs::write(&catalog, text).unwrap();
        println!(
            "\nthe queue alone: {} items, `worker --dry-run` (no model work), one thread each",
            rows * 2
        );
        for k in [1, 4, 16] {
            println!("load {}", load());
            let (n, span, wall) = shared_run(
                &admin,
                tmp.path(),
                &format!("bench_queue_{k}"),
                &catalog,
                "dry-run.gguf",
                k,
                &["--dry-run"],
            );
            println!(
                "{k:>2} worker(s): {:>7.0} items/s leased and committed, wall {:>5.1} s",
                per_hour((n, span)) / 3600.0,
                wall
            );
        }
    }
}
