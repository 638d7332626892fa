//! Many workers on one PostgreSQL store, with the real binary: the multi-worker
//! kill test (3 workers on the test model, one SIGKILLed at random moments at
//! least 15 times and replaced each time; every item committed exactly once,
//! outputs byte-identical to a single-worker SQLite run, the server's index
//! holding every item) and the network cut (`pg_terminate_backend` while a
//! worker is mid-item: it gives the item up and reconnects).
//!
//! Needs `SILKROUTE_TEST_PG`, a superuser URL of a throwaway cluster
//! (`scripts/test` starts one with `scripts/pg-cluster`); each test makes a
//! database of its own. Every wait is for a condition (a process exit, a count
//! in the store), polled; the deadlines only turn a hang into a clear failure.

mod common;
use common::test_model;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use silkroute::index::{SearchIndex, SearchQuery};
use silkroute::store::{ItemStatus, JobStatus, Store};

const BIN: &str = env!("CARGO_BIN_EXE_silkroute");

/// A database of its own on the test cluster, dropped afterwards.
struct Db {
    admin: String,
    name: String,
    url: String,
}

impl Db {
    fn new() -> Option<Self> {
        let admin = std::env::var("SILKROUTE_TEST_PG")
            .ok()
            .filter(|s| !s.is_empty())?;
        let name = format!("silkroute_{:012x}", rand::random::<u64>() >> 16);
        let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Some(Self { admin, name, url })
    }

    fn admin(&self) -> postgres::Client {
        postgres::Client::connect(&self.admin, postgres::NoTls).unwrap()
    }

    /// The store, as the test reads it.
    fn store(&self) -> Store {
        Store::connect(&self.url, "silkroute test").unwrap()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = self.admin().batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

fn skip() {
    eprintln!("skipped: SILKROUTE_TEST_PG is not set (scripts/test starts a PostgreSQL cluster)");
}

fn catalog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/workers/catalog.csv")
}

/// `silkroute batch` with the kill test's settings: 3 tokens, one attempt,
/// unbatched (as tests/jobs.rs: byte-identical outputs need unbatched greedy
/// decoding).
fn batch(data: &Path, out: &Path, model: &Path, store: Option<&str>) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data-dir").arg(data);
    if let Some(url) = store {
        c.args(["--store", url]);
    }
    c.arg("batch")
        .arg(catalog())
        .args([
            "--markets",
            "amazon.de,amazon.fr",
            "--max-tokens",
            "3",
            "--attempts",
            "1",
            "--workers",
            "1",
        ])
        .arg("--out")
        .arg(out)
        .arg("--model")
        .arg(model)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if store.is_some() {
        c.arg("--wait-for-workers");
    }
    c
}

/// A `silkroute worker`, logging to `log`.
fn worker(data: &Path, url: &str, log: &Path, extra: &[&str]) -> Child {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(["--store", url, "worker", "--threads", "1"])
        .args(extra)
        .env("CANDLE_NUM_THREADS", "1")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Poll `cond` every 20 ms until it holds; `what` names it in the failure.
fn wait_until(what: &str, deadline: Instant, mut cond: impl FnMut() -> bool) {
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn done(store: &Store) -> u64 {
    store.job(1).map_or(0, |j| j.done())
}

/// Whether the worker process `pid` holds a lease now.
fn holds_lease(store: &Store, pid: u32) -> bool {
    store.workers(Duration::from_secs(60)).is_ok_and(|ws| {
        ws.iter()
            .any(|w| w.pid == pid && w.live && !w.current.is_empty())
    })
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn three_workers_killed_at_random_commit_every_item_once_with_identical_outputs() {
    let Some(db) = Db::new() else { return skip() };
    let model = test_model();
    let tmp = tempfile::tempdir().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30 * 60);

    // The reference: one process, SQLite, one item at a time.
    let (data_a, out_a) = (tmp.path().join("a"), tmp.path().join("out-a"));
    let out = batch(&data_a, &out_a, &model, None).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "reference run (one row is rejected): {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The server: the one indexer, no workers of its own.
    let serve_data = tmp.path().join("serve");
    let server = Command::new(BIN)
        .arg("--data-dir")
        .arg(&serve_data)
        .args(["--store", &db.url, "serve", "--listen", "127.0.0.1:0"])
        .args(["--workers", "0", "--offline", "--model"])
        .arg(&model)
        .env("CANDLE_NUM_THREADS", "1")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(tmp.path().join("serve.log")).unwrap())
        .spawn()
        .unwrap();

    // The job, created by a batch process that waits for the workers.
    let out_b = tmp.path().join("out-b");
    let coordinator = batch(&tmp.path().join("b"), &out_b, &model, Some(&db.url))
        .spawn()
        .unwrap();
    let store = {
        let mut s = None;
        wait_until("the store", deadline, || {
            s = Store::connect(&db.url, "silkroute test").ok();
            s.is_some()
        });
        s.unwrap()
    };
    wait_until("the job", deadline, || {
        store.job(1).is_ok_and(|j| j.status == JobStatus::Running)
    });
    let total = store.job(1).unwrap().total_items;
    assert_eq!(total, 60);

    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let model_s = model.to_string_lossy().into_owned();
    let mut n = 0;
    let spawn = |n: &mut u32| {
        *n += 1;
        worker(
            &tmp.path().join(format!("w{n}")),
            &db.url,
            &logs.join(format!("worker-{n}.log")),
            &["--model", &model_s, "--lease-secs", "3"],
        )
    };
    let mut workers: Vec<Child> = (0..3).map(|_| spawn(&mut n)).collect();

    // At least 15 kills, spread over the job by progress: kill k waits until
    // at least t_k items are done (t_k random, increasing, below the total),
    // and half the time also until the victim holds a lease (mid-item).
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x005e_ed19);
    let mut thresholds: Vec<u64> = (0..16).map(|_| rng.random_range(0..=48)).collect();
    thresholds.sort_unstable();
    let mut kills = 0;
    let mut mid_item = 0;
    for t in thresholds {
        wait_until("progress", deadline, || done(&store) >= t);
        let victim = rng.random_range(0..workers.len());
        let pid = workers[victim].id();
        if rng.random_bool(0.5) {
            wait_until("a lease", deadline, || {
                holds_lease(&store, pid) || done(&store) >= (t + 3).min(total)
            });
        }
        if holds_lease(&store, pid) {
            mid_item += 1;
        }
        workers[victim].kill().unwrap(); // SIGKILL
        workers[victim].wait().unwrap();
        kills += 1;
        workers[victim] = spawn(&mut n);
    }

    let out = coordinator.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "coordinator: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(kills >= 15, "{kills} kills");
    for w in workers {
        stop(w);
    }

    assert_eq!(
        files(&out_a),
        files(&out_b),
        "outputs differ from the single-worker SQLite run"
    );
    let job = store.job(1).unwrap();
    assert_eq!(job.status, JobStatus::Succeeded);
    let items = store.job_items(1).unwrap();
    assert_eq!(items.len(), 60);
    for it in &items {
        assert_ne!(it.status, ItemStatus::Pending);
        assert_eq!(it.commits, 1, "item {:?}", it.key);
    }
    let log = store.item_log_counts(1).unwrap();
    assert!(log.iter().all(|l| l.2 == 1), "one commit line per item");
    let starts: u32 = log.iter().map(|l| l.1).sum();

    // The server's index holds every committed item (it follows the store).
    let index_dir = serve_data.join("index");
    let indexed = |market: &str| {
        let Ok(index) = SearchIndex::open_read_only(&index_dir) else {
            return 0;
        };
        let mut q = SearchQuery::text("");
        q.market = Some(market.into());
        index.search(&q).map_or(0, |r| r.total)
    };
    wait_until("the index", deadline, || {
        indexed("amazon.de") == 30 && indexed("amazon.fr") == 30
    });
    stop(server);
    eprintln!(
        "kill test: {kills} kills ({mid_item} mid-item), {n} worker processes, {starts} item starts for 60 items"
    );
}

#[test]
fn a_worker_cut_off_mid_item_gives_the_item_up_and_reconnects() {
    let Some(db) = Db::new() else { return skip() };
    let tmp = tempfile::tempdir().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10 * 60);
    // The cut worker logs in as a role of its own, so the test can refuse it
    // new connections while its item's lease runs out.
    let role = format!("cut_{:08x}", rand::random::<u32>());
    db.admin()
        .batch_execute(&format!("CREATE ROLE {role} LOGIN SUPERUSER"))
        .unwrap();
    let cut_url = {
        let rest = db.url.split_once("://").unwrap().1;
        let host = rest.split_once('@').map_or(rest, |(_, h)| h);
        format!("postgres://{role}@{host}")
    };

    let coordinator = batch(
        &tmp.path().join("c"),
        &tmp.path().join("out"),
        Path::new("dry-run.gguf"),
        Some(&db.url),
    )
    .spawn()
    .unwrap();
    let store = db.store();
    wait_until("the job", deadline, || {
        store.job(1).is_ok_and(|j| j.status == JobStatus::Running)
    });
    let dry = |ms: &'static str| ["--dry-run", "--dry-run-ms", ms, "--lease-secs", "2"];
    let cut_log = tmp.path().join("cut.log");
    let cut = worker(&tmp.path().join("w"), &cut_url, &cut_log, &dry("3000"));
    let pid = cut.id();
    wait_until("the worker's first lease", deadline, || {
        holds_lease(&store, pid)
    });
    let held = store
        .workers(Duration::from_secs(60))
        .unwrap()
        .into_iter()
        .find(|w| w.pid == pid)
        .unwrap()
        .current[0]
        .clone();

    // The cut: no new connections for the role, and its connections killed
    // from the server side.
    let mut admin = db.admin();
    admin
        .batch_execute(&format!("ALTER ROLE {role} NOLOGIN"))
        .unwrap();
    let killed: i64 = admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = $1",
            &[&role],
        )
        .unwrap()
        .get(0);
    assert!(killed >= 1, "the worker had no connection to cut");

    // Another worker takes the item over once the lease runs out.
    let other = worker(
        &tmp.path().join("x"),
        &db.url,
        &tmp.path().join("other.log"),
        &dry("1000"),
    );
    let (job, row, market) = {
        let mut p = held.splitn(3, '/');
        (
            p.next().unwrap().parse::<i64>().unwrap(),
            p.next().unwrap().parse::<u32>().unwrap(),
            p.next().unwrap().to_string(),
        )
    };
    let committed = || {
        store.job_items(job).is_ok_and(|items| {
            items.iter().any(|i| {
                i.key.row_index == row && i.market == market && i.status != ItemStatus::Pending
            })
        })
    };
    wait_until("the takeover", deadline, committed);
    stop(other);

    // The cut worker gives its item up (its commit is refused or never
    // reaches the store within the lease), reconnects and goes on.
    admin
        .batch_execute(&format!("ALTER ROLE {role} LOGIN"))
        .unwrap();
    let gave_up = || {
        std::fs::read_to_string(&cut_log)
            .is_ok_and(|l| l.contains("item given up") || l.contains("lease lost"))
    };
    wait_until("the cut worker to give its item up", deadline, gave_up);
    let worked_again = || {
        store
            .workers(Duration::from_secs(60))
            .is_ok_and(|ws| ws.iter().any(|w| w.pid == pid && w.done >= 1))
    };
    wait_until("the cut worker to commit again", deadline, worked_again);

    // Finish the job quickly, then check every item was committed once.
    let finisher = worker(
        &tmp.path().join("y"),
        &db.url,
        &tmp.path().join("finisher.log"),
        &dry("0"),
    );
    let out = coordinator.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "coordinator: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stop(finisher);
    stop(cut);
    for it in store.job_items(1).unwrap() {
        assert_eq!(
            (it.status, it.commits),
            (ItemStatus::Succeeded, 1),
            "{:?}",
            it.key
        );
    }
    let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {role}"));
}
