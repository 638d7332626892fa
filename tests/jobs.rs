//! Batch jobs end to end with the real binary and the real test model: the kill
//! test (SIGKILL at random moments, `jobs resume`, outputs byte-identical to an
//! uninterrupted run, no item committed twice) and the second-process refusal.
//!
//! The kill test runs the job as a user would (four workers whose requests the
//! engine batches, three attempts per segment): byte-identical outputs rest on
//! the engine's batch invariance (a greedy or seeded answer does not depend on
//! what shares its steps). Its kills wait for conditions seen in the store (an
//! item started, an item committed), never for durations, so a slow or loaded
//! machine changes how long it takes, not what it tests.

mod common;
use common::test_model;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use silkroute::paths::DataDir;
use silkroute::store::{ItemStatus, JobStatus, Store, StoreOptions};

const BIN: &str = env!("CARGO_BIN_EXE_silkroute");

fn catalog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/jobs/catalog.csv")
}

fn batch_cmd(data: &Path, out: &Path, model: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data-dir")
        .arg(data)
        .arg("batch")
        .arg(catalog())
        // The defaults otherwise: several workers batched together in the
        // engine, several attempts per segment.
        .args(["--markets", "amazon.de,amazon.fr", "--max-tokens", "3"])
        .arg("--out")
        .arg(out)
        .arg("--model")
        .arg(model)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn resume_cmd(data: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data-dir")
        .arg(data)
        .args(["jobs", "resume", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn read_only(data: &Path) -> Option<Store> {
    let dir = DataDir::at(data);
    if !dir.store().exists() {
        return None;
    }
    Store::open_with(
        &dir,
        &StoreOptions {
            read_only: true,
            ..Default::default()
        },
    )
    .ok()
}

/// Item `start` and `commit` lines in job 1's log so far (0, 0 while the
/// store or the job does not exist yet, or cannot be read this moment).
fn log_totals(data: &Path) -> (u32, u32) {
    read_only(data)
        .and_then(|s| s.item_log_counts(1).ok())
        .map_or((0, 0), |c| {
            c.iter().fold((0, 0), |(s, k), (_, starts, commits)| {
                (s + starts, k + commits)
            })
        })
}

/// Poll the store until `ready(starts, commits)` (the log's totals) holds or
/// the child exits; true when the condition holds while the child still runs.
/// A deadline only turns a hung child into a clear failure.
fn wait_for(child: &mut Child, data: &Path, ready: impl Fn(u32, u32) -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let (starts, commits) = log_totals(data);
        if ready(starts, commits) {
            return true;
        }
        assert!(Instant::now() < deadline, "no progress in 30 minutes");
        std::thread::sleep(Duration::from_millis(5));
    }
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

fn finish(child: Child, what: &str) {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.code() == Some(1),
        "{what}: expected exit 1 (one row rejected), got {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// When a round's kill lands.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Moment {
    /// At once: before the model is loaded.
    Early,
    /// As soon as an item has started in this round (items in flight,
    /// nothing of this round committed yet).
    Started,
    /// As soon as an item has been committed in this round (the others
    /// still in flight).
    Committed,
}

#[test]
fn kill_9_at_random_moments_then_resume_gives_identical_outputs() {
    const ITEMS: u32 = 50;
    const KILLS: u32 = 25;
    let model = test_model();
    let tmp = tempfile::tempdir().unwrap();

    let (data_a, out_a) = (tmp.path().join("data-a"), tmp.path().join("out-a"));
    let t0 = Instant::now();
    finish(
        batch_cmd(&data_a, &out_a, &model).spawn().unwrap(),
        "uninterrupted run",
    );
    let total = t0.elapsed();
    let store_a = read_only(&data_a).unwrap();
    let job_a = store_a.job(1).unwrap();
    assert_eq!(
        (job_a.status, job_a.total_items, job_a.rejected),
        (JobStatus::Succeeded, u64::from(ITEMS), 1)
    );

    // The same job, killed with SIGKILL at random moments and resumed.
    let (data_b, out_b) = (tmp.path().join("data-b"), tmp.path().join("out-b"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let (mut kills, mut in_flight_kills, mut after_commit_kills) = (0u32, 0u32, 0u32);
    loop {
        let created = read_only(&data_b).is_some_and(|s| s.job(1).is_ok());
        let mut child = if created {
            resume_cmd(&data_b)
        } else {
            batch_cmd(&data_b, &out_b, &model)
        }
        .spawn()
        .unwrap();
        if kills >= KILLS {
            finish(child, "final resume");
            break;
        }
        let (starts0, commits0) = log_totals(&data_b);
        // Kills after a commit use up items: keep at least one item per kill
        // still to come, so that every kill finds work in flight.
        let left = ITEMS - commits0;
        let moment = match rng.random_range(0..10) {
            0..2 => Moment::Early,
            2..5 => Moment::Started,
            _ if left > KILLS - kills + 4 => Moment::Committed,
            _ => Moment::Started,
        };
        let landed = match moment {
            Moment::Early => true,
            Moment::Started => wait_for(&mut child, &data_b, |s, _| s > starts0),
            Moment::Committed => wait_for(&mut child, &data_b, |_, c| c > commits0),
        };
        if !landed {
            finish(child, "resume that finished before its kill");
            break;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        let (starts, commits) = log_totals(&data_b);
        // Items this round started and did not commit: in flight when killed.
        if starts - starts0 > commits - commits0 {
            in_flight_kills += 1;
        }
        if moment == Moment::Committed {
            after_commit_kills += 1;
        }
    }
    assert!(kills >= 20, "only {kills} kills before the job finished");
    assert!(
        in_flight_kills >= 5 && after_commit_kills >= 3,
        "{in_flight_kills} kills with items in flight, {after_commit_kills} right after a commit"
    );

    assert_eq!(
        files(&out_a),
        files(&out_b),
        "outputs differ from the uninterrupted run"
    );

    let store_b = read_only(&data_b).unwrap();
    let job_b = store_b.job(1).unwrap();
    assert_eq!(job_b.status, JobStatus::Succeeded);
    let items = store_b.job_items(1).unwrap();
    assert_eq!(items.len(), ITEMS as usize);
    for it in &items {
        assert_ne!(it.status, ItemStatus::Pending);
        assert_eq!(
            it.commits, 1,
            "item {:?} committed {} times",
            it.key, it.commits
        );
    }
    // The append-only log: one commit per item; a start after an item's commit
    // would be work redone.
    for (key, _starts, commits) in store_b.item_log_counts(1).unwrap() {
        assert_eq!(commits, 1, "item {key:?}");
    }
    let (starts, _) = log_totals(&data_b);
    eprintln!(
        "kill test: {kills} kills ({in_flight_kills} with items in flight, {after_commit_kills} \
         right after a commit), {starts} item starts for {ITEMS} items, uninterrupted run {:.1}s",
        total.as_secs_f64(),
    );
}

#[test]
fn a_second_process_on_the_same_data_dir_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::at(tmp.path());
    let _held = Store::open(&dir).unwrap();
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(tmp.path())
        .args(["jobs", "cancel", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is in use by another silkroute process"),
        "{err}"
    );
    // Reading needs no lock.
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(tmp.path())
        .args(["jobs", "list"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
