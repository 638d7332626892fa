//! Tests of the job mechanics (scheduling, resume, panics, full disk) with a
//! deterministic in-process localizer. The real model runs in tests/jobs.rs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::*;
use crate::listing::{LocalizedListing, Provenance, Status, Warning};
use crate::llm::LlmError;
use crate::paths::DataDir;
use crate::store::{ItemStatus, StoreOptions};

/// Upper-cases the title; panics on skus containing `PANIC`; errs on `FAIL`;
/// flags titles containing `?` for review; records the order of (sku, market)
/// calls; with a [`Gate`], holds items at it.
#[derive(Default)]
struct Upper {
    gate: Gate,
    calls: Mutex<Vec<String>>,
    count: AtomicUsize,
}

/// Lets a set number of items through, then holds the rest until the test
/// opens it, so a test stops or cancels a job at a point it chose instead of
/// racing the workers (open by default).
#[derive(Default)]
struct Gate {
    /// Items still let through; `None`: open.
    left: Mutex<Option<usize>>,
    turn: Condvar,
}

impl Gate {
    fn closed_after(items: usize) -> Gate {
        Gate {
            left: Mutex::new(Some(items)),
            turn: Condvar::new(),
        }
    }

    /// Wait for a turn.
    fn pass(&self) {
        let mut left = self.left.lock().unwrap();
        while *left == Some(0) {
            left = self.turn.wait(left).unwrap();
        }
        if let Some(n) = left.as_mut() {
            *n -= 1;
        }
    }

    fn open(&self) {
        *self.left.lock().unwrap() = None;
        self.turn.notify_all();
    }
}

impl Localizer for Upper {
    fn localize(&self, l: &Listing, market: &str) -> Result<LocalizedListing, LocalizerError> {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.calls
            .lock()
            .unwrap()
            .push(format!("{}@{market}", l.sku));
        self.gate.pass();
        if l.sku.contains("PANIC") {
            panic!("boom in {}", l.sku);
        }
        if l.sku.contains("FAIL") {
            return Err(LocalizerError::NotHere(format!("cannot do {}", l.sku)));
        }
        let review = l.title.contains('?');
        Ok(LocalizedListing {
            sku: l.sku.clone(),
            market: market.into(),
            language: "de".into(),
            title: l.title.to_uppercase(),
            description: l.description.clone(),
            bullets: l.bullets.clone(),
            attributes: vec![],
            keywords: vec![],
            price: None,
            brand: None,
            category: None,
            images: vec![],
            warnings: if review {
                vec![Warning {
                    field: "title".into(),
                    code: "odd_title".into(),
                    message: "?".into(),
                }]
            } else {
                vec![]
            },
            conversions: vec![],
            status: if review {
                Status::NeedsReview
            } else {
                Status::Localized
            },
            provenance: Provenance {
                model: "upper".into(),
                created_at: chrono::Utc::now(),
            },
            roundtrip: Default::default(),
        })
    }

    fn model_id(&self) -> String {
        "upper".into()
    }

    fn check_market(&self, m: &str) -> Result<(), LocalizerError> {
        if m.starts_with("amazon.") {
            Ok(())
        } else {
            Err(LocalizerError::UnknownMarket {
                market: m.to_string(),
                known: "amazon.*".into(),
            })
        }
    }
}

fn records(skus: &[&str]) -> Vec<CatalogRecord> {
    skus.iter()
        .enumerate()
        .map(|(i, s)| {
            Ok((
                i as u64 + 2,
                Listing {
                    sku: s.to_string(),
                    title: format!("title of {s}"),
                    ..Default::default()
                },
            ))
        })
        .collect()
}

fn new_job(out: &std::path::Path, format: &str) -> NewJob {
    NewJob {
        catalog_path: "shop/catalog.csv".into(),
        format: format.into(),
        markets: vec!["amazon.de".into(), "amazon.fr".into()],
        options: serde_json::json!({}),
        out_dir: out.to_string_lossy().into_owned(),
    }
}

fn runner(store: &Arc<Store>, loc: &Arc<Upper>, workers: usize) -> JobRunner {
    JobRunner::start(
        store.clone(),
        loc.clone(),
        Arc::new(BasicWriter),
        None,
        &RunnerOptions { workers },
    )
}

/// The data directory opened again after the store that held it was dropped,
/// as a restarted process opens it. The lock (an `flock` on the directory's
/// lock file) can outlive the drop by a moment: a process another test of this
/// binary spawns holds a copy of every descriptor between its fork and its exec.
/// A restarted server likewise waits for the old process to be gone.
fn reopen(dir: &DataDir) -> Store {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match Store::open(dir) {
            Err(crate::store::StoreError::Locked { .. })
                if std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            r => return r.unwrap(),
        }
    }
}

fn read_dir(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
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

#[test]
fn a_job_runs_to_its_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let loc = Arc::new(Upper::default());
    let mut recs = records(&["A", "B?", "C-FAIL", "D-PANIC", "E"]);
    recs[1] = Ok((
        3,
        Listing {
            sku: "B".into(),
            title: "what?".into(),
            ..Default::default()
        },
    ));
    recs.push(Ok((
        8,
        Listing {
            sku: "A".into(),
            title: "again".into(),
            ..Default::default()
        },
    )));
    recs.push(Ok((
        9,
        Listing {
            sku: "Z".into(),
            title: " ".into(),
            ..Default::default()
        },
    )));
    recs.push(Err(RejectRow {
        file: "shop/catalog.csv".into(),
        line: 10,
        column: "price".into(),
        reason: "not a number".into(),
    }));
    let out = tmp.path().join("out");
    let id = create_job(&store, loc.as_ref(), &new_job(&out, "jsonl"), recs).unwrap();
    let r = runner(&store, &loc, 3);
    r.submit(id).unwrap();
    let JobEnd::Succeeded(report) = r.wait(id) else {
        panic!("job did not succeed")
    };
    assert_eq!((report.rows, report.items, report.rejected), (5, 10, 3));
    assert_eq!(
        (report.succeeded, report.failed, report.needs_review),
        (6, 4, 2)
    );
    assert_eq!(report.warnings.get("odd_title"), Some(&2));
    assert!(
        report.failures.iter().any(
            |f| f.sku == "D-PANIC" && f.why.contains("panic while localizing: boom in D-PANIC")
        )
    );
    assert!(
        report
            .failures
            .iter()
            .any(|f| f.sku == "C-FAIL" && f.why == "cannot do C-FAIL")
    );
    assert_eq!(store.job(id).unwrap().status, JobStatus::Succeeded);

    let de = std::fs::read_to_string(out.join("catalog.amazon.de.jsonl")).unwrap();
    let titles: Vec<String> = de
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["title"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        titles,
        ["TITLE OF A", "WHAT?", "TITLE OF E"],
        "row order, failed items left out"
    );
    assert!(!de.contains("created_at"), "outputs carry no timestamps");
    let rejects = std::fs::read_to_string(out.join("rejects.csv")).unwrap();
    assert!(
        rejects.contains("shop/catalog.csv,8,sku,sku `A` appears earlier in the file"),
        "{rejects}"
    );
    assert!(
        rejects.contains("shop/catalog.csv,9,title,field `title` is required"),
        "{rejects}"
    );
    assert!(
        rejects.contains("shop/catalog.csv,10,price,not a number"),
        "{rejects}"
    );
    let files: Vec<String> = read_dir(&out).into_iter().map(|f| f.0).collect();
    assert_eq!(
        files,
        [
            "catalog.amazon.de.jsonl",
            "catalog.amazon.fr.jsonl",
            "rejects.csv",
            "report.json",
            "report.txt"
        ],
        "no temporary files left"
    );
    // Resuming a finished job is refused.
    assert!(matches!(r.submit(id), Err(JobError::NotResumable { .. })));
}

#[test]
fn bad_markets_fail_before_any_work() {
    let store = Store::open_in_memory().unwrap();
    let loc = Upper::default();
    let mut job = new_job(std::path::Path::new("out"), "csv");
    job.markets.push("ebay.xx".into());
    let err = create_job(&store, &loc, &job, records(&["A"])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown market `ebay.xx` (known: amazon.*)"
    );
    job.markets = vec![];
    assert!(create_job(&store, &loc, &job, records(&["A"])).is_err());
    assert!(store.jobs().unwrap().is_empty());
}

#[test]
fn stop_then_resume_gives_the_same_bytes() {
    let skus: Vec<String> = (0..30).map(|i| format!("S{i:02}")).collect();
    let skus: Vec<&str> = skus.iter().map(String::as_str).collect();

    // Uninterrupted.
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let loc = Arc::new(Upper::default());
    let out_a = tmp.path().join("a");
    let id = create_job(
        &store,
        loc.as_ref(),
        &new_job(&out_a, "csv"),
        records(&skus),
    )
    .unwrap();
    let r = runner(&store, &loc, 4);
    r.submit(id).unwrap();
    assert!(matches!(r.wait(id), JobEnd::Succeeded(_)));

    // Stopped twice, resumed by fresh runners (as after a restart).
    let dir = DataDir::at(tmp.path().join("data"));
    let out_b = tmp.path().join("b");
    // Ten items go through; the next ones wait at the gate until the stop.
    let loc = Arc::new(Upper {
        gate: Gate::closed_after(10),
        ..Default::default()
    });
    let id = {
        let store = Arc::new(Store::open(&dir).unwrap());
        let id = create_job(
            &store,
            loc.as_ref(),
            &new_job(&out_b, "csv"),
            records(&skus),
        )
        .unwrap();
        let r = runner(&store, &loc, 3);
        r.submit(id).unwrap();
        while r.progress(id).unwrap().done < 10 {
            std::thread::sleep(Duration::from_millis(2));
        }
        r.stop_flag().store(true, Ordering::SeqCst);
        loc.gate.open();
        assert_eq!(r.wait(id), JobEnd::Paused);
        let p = r.progress(id).unwrap();
        assert_eq!(p.status, JobStatus::Paused);
        // The items held at the gate were in flight: they finish.
        assert!(p.done >= 10 && p.done <= 13, "{p:?}");
        id
    };
    let store = Arc::new(reopen(&dir));
    let r = runner(&store, &loc, 2);
    r.submit(id).unwrap();
    assert!(matches!(r.wait(id), JobEnd::Succeeded(_)));
    // The report names the job id, the same (1) in both stores.
    assert_eq!(read_dir(&out_a), read_dir(&out_b));
    assert_eq!(
        loc.count.load(Ordering::SeqCst),
        60,
        "no committed item was done again"
    );
    for it in store.job_items(id).unwrap() {
        assert_eq!((it.status, it.commits), (ItemStatus::Succeeded, 1));
    }
}

#[test]
fn jobs_take_turns() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    // The first item waits at the gate until both jobs are queued.
    let loc = Arc::new(Upper {
        gate: Gate::closed_after(0),
        ..Default::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let mut job = new_job(&tmp.path().join("x"), "csv");
    job.markets = vec!["amazon.de".into()];
    let a = create_job(
        &store,
        loc.as_ref(),
        &job,
        records(&["A1", "A2", "A3", "A4"]),
    )
    .unwrap();
    job.out_dir = tmp.path().join("y").to_string_lossy().into_owned();
    let b = create_job(
        &store,
        loc.as_ref(),
        &job,
        records(&["B1", "B2", "B3", "B4"]),
    )
    .unwrap();
    // One worker, busy with A's first item while B is queued: strict turns.
    let r = runner(&store, &loc, 1);
    r.submit(a).unwrap();
    while loc.count.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(2));
    }
    r.submit(b).unwrap();
    loc.gate.open();
    assert!(matches!(r.wait(a), JobEnd::Succeeded(_)));
    assert!(matches!(r.wait(b), JobEnd::Succeeded(_)));
    let calls = loc.calls.lock().unwrap().clone();
    // After A's first item the two alternate.
    let tail: Vec<char> = calls
        .iter()
        .skip(1)
        .take(6)
        .map(|c| c.chars().next().unwrap())
        .collect();
    let alternations = tail.windows(2).filter(|w| w[0] != w[1]).count();
    assert_eq!(alternations, 5, "jobs did not take turns: {calls:?}");
}

#[test]
fn cancel_keeps_what_is_committed() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    // Four items go through; the next ones wait at the gate until the cancel.
    let loc = Arc::new(Upper {
        gate: Gate::closed_after(4),
        ..Default::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let skus: Vec<String> = (0..40).map(|i| format!("S{i}")).collect();
    let skus: Vec<&str> = skus.iter().map(String::as_str).collect();
    let id = create_job(
        &store,
        loc.as_ref(),
        &new_job(tmp.path(), "csv"),
        records(&skus),
    )
    .unwrap();
    let r = runner(&store, &loc, 2);
    r.submit(id).unwrap();
    while r.progress(id).unwrap().done < 4 {
        std::thread::sleep(Duration::from_millis(2));
    }
    r.cancel(id).unwrap();
    loc.gate.open();
    assert_eq!(r.wait(id), JobEnd::Cancelled);
    let job = store.job(id).unwrap();
    assert_eq!(job.status, JobStatus::Cancelled);
    // The two items held at the gate were in flight.
    assert!(job.done() >= 4 && job.done() <= 6, "{}", job.done());
    assert!(matches!(r.submit(id), Err(JobError::NotResumable { .. })));
}

#[test]
fn full_disk_stops_the_job_and_resume_finishes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::at(tmp.path().join("data"));
    let out = tmp.path().join("out");
    let loc = Arc::new(Upper::default());
    let skus: Vec<String> = (0..20).map(|i| format!("S{i}")).collect();
    let skus: Vec<&str> = skus.iter().map(String::as_str).collect();
    let (id, committed) = {
        let store = Arc::new(Store::open(&dir).unwrap());
        let mut recs = records(&skus);
        // Long descriptions fill pages fast.
        for r in recs.iter_mut().flatten() {
            r.1.description = "d".repeat(20_000);
        }
        let id = create_job(&store, loc.as_ref(), &new_job(&out, "csv"), recs).unwrap();
        drop(store);
        let pages = {
            let c = rusqlite::Connection::open(dir.store()).unwrap();
            c.pragma_query_value(None, "page_count", |r| r.get::<_, i64>(0))
                .unwrap() as u64
        };
        // Room for a few items only.
        let store = Arc::new(
            Store::open_with(
                &dir,
                &StoreOptions {
                    max_page_count: Some(pages + 30),
                    ..Default::default()
                },
            )
            .unwrap(),
        );
        let r = runner(&store, &loc, 2);
        r.submit(id).unwrap();
        let JobEnd::Failed(msg) = r.wait(id) else {
            panic!("expected a failure")
        };
        assert!(msg.contains("disk full"), "{msg}");
        let job = store.job(id).unwrap();
        assert!(job.done() > 0 && job.done() < 40, "{job:?}");
        (id, job.done())
    };
    let store = Arc::new(reopen(&dir));
    let before: Vec<_> = store
        .job_items(id)
        .unwrap()
        .into_iter()
        .filter(|i| i.status != ItemStatus::Pending)
        .collect();
    assert_eq!(before.len() as u64, committed, "nothing committed was lost");
    let r = runner(&store, &loc, 2);
    r.submit(id).unwrap();
    assert!(matches!(r.wait(id), JobEnd::Succeeded(_)));
    let after = store.job_items(id).unwrap();
    assert!(
        after
            .iter()
            .all(|i| i.status == ItemStatus::Succeeded && i.commits == 1)
    );
    for b in &before {
        let a = after.iter().find(|a| a.key == b.key).unwrap();
        assert_eq!(a.result, b.result, "committed results untouched");
    }
}

/// Fails the first `fail_first` calls for each (sku, market), then works like `Upper`.
struct Flaky {
    inner: Upper,
    fail_first: usize,
    seen: Mutex<std::collections::HashMap<String, usize>>,
}

impl Localizer for Flaky {
    fn localize(&self, l: &Listing, market: &str) -> Result<LocalizedListing, LocalizerError> {
        let n = {
            let mut seen = self.seen.lock().unwrap();
            let n = seen.entry(format!("{}@{market}", l.sku)).or_default();
            *n += 1;
            *n
        };
        if l.sku.starts_with("FLAKY") && n <= self.fail_first {
            return Err(LocalizerError::Generate(LlmError::QueueFull(256)));
        }
        self.inner.localize(l, market)
    }
    fn model_id(&self) -> String {
        "flaky".into()
    }
    fn check_market(&self, m: &str) -> Result<(), LocalizerError> {
        self.inner.check_market(m)
    }
}

#[test]
fn regression_17_resume_retries_failed_items_up_to_a_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let loc = Arc::new(Flaky {
        inner: Upper::default(),
        fail_first: 1,
        seen: Mutex::default(),
    });
    let mut job = new_job(&tmp.path().join("out"), "csv");
    job.markets = vec!["amazon.de".into()];
    let id = create_job(&store, loc.as_ref(), &job, records(&["A", "FLAKY-1", "B"])).unwrap();
    let start = |loc: Arc<dyn Localizer>| {
        JobRunner::start(
            store.clone(),
            loc,
            Arc::new(BasicWriter),
            None,
            &RunnerOptions { workers: 1 },
        )
    };
    let r = start(loc.clone());
    r.submit(id).unwrap();
    assert!(matches!(r.wait(id), JobEnd::Succeeded(_)));
    assert_eq!(
        store.job(id).unwrap().failed,
        1,
        "a transient failure is committed as failed"
    );
    // `resume` retries it (the job had finished) and it now succeeds.
    assert_eq!(r.resume(id).unwrap(), 1);
    assert!(matches!(r.wait(id), JobEnd::Succeeded(_)));
    let j = store.job(id).unwrap();
    assert_eq!((j.succeeded, j.failed), (3, 0));
    let items = store.job_items(id).unwrap();
    assert!(
        items
            .iter()
            .all(|i| i.status == ItemStatus::Succeeded && i.commits == 1)
    );
    let report = std::fs::read_to_string(tmp.path().join("out/report.json")).unwrap();
    assert!(
        report.contains("\"failed\": 0"),
        "outputs rewritten: {report}"
    );

    // A permanent failure stops being retried after MAX_ITEM_ATTEMPTS attempts.
    let id = create_job(&store, loc.as_ref(), &job, records(&["FAIL-1"])).unwrap();
    r.submit(id).unwrap();
    r.wait(id);
    let mut retried = Vec::new();
    for _ in 0..5 {
        let n = r.resume(id).unwrap();
        if n > 0 {
            r.wait(id);
        }
        retried.push(n);
    }
    assert_eq!(retried, [1, 1, 0, 0, 0], "three attempts in all");
    assert_eq!(store.job_items(id).unwrap()[0].attempts, MAX_ITEM_ATTEMPTS);
    assert_eq!(store.job(id).unwrap().failed, 1);
}

#[test]
fn regression_17_rejects_are_chunked_capped_paged_and_formula_guarded() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&DataDir::at(tmp.path().join("data"))).unwrap());
    let loc = Arc::new(Upper::default());
    let mut job = new_job(&tmp.path().join("out"), "csv");
    job.markets = vec!["amazon.de".into()];
    // A flood of rejects (more than a job keeps), a header name that is a
    // formula, and one good row after the flood that is never reached.
    let flood = (0..MAX_JOB_REJECTS + 500).map(|i| {
        Err(crate::store::RejectRow {
            file: "c.csv".into(),
            line: i as u64 + 2,
            column: "=HYPERLINK(\"http://evil\")".into(),
            reason: "row has 1 fields, the header has 2".into(),
        })
    });
    let recs = records(&["A"])
        .into_iter()
        .chain(flood)
        .chain(records(&["Z"]));
    let id = create_job(&store, loc.as_ref(), &job, recs).unwrap();
    let j = store.job(id).unwrap();
    assert_eq!(j.status, JobStatus::Enqueued);
    assert_eq!((j.rows, j.rejected), (1, MAX_JOB_REJECTS as u64 + 1));
    let page = store
        .job_rejects_page(id, MAX_JOB_REJECTS as u64 - 1, 10)
        .unwrap();
    assert_eq!(page.len(), 2);
    assert!(
        page[1].reason.starts_with("reading stopped"),
        "{:?}",
        page[1]
    );
    let r = runner(&store, &loc, 1);
    r.submit(id).unwrap();
    assert!(matches!(r.wait(id), JobEnd::Succeeded(_)));
    let text = std::fs::read_to_string(tmp.path().join("out/rejects.csv")).unwrap();
    assert_eq!(
        text.lines().count(),
        MAX_JOB_REJECTS + 2,
        "header + every kept reject"
    );
    assert!(
        text.lines().nth(1).unwrap().contains(",\"'=HYPERLINK("),
        "{}",
        text.lines().nth(1).unwrap()
    );
    assert!(!text.contains(",=HYPERLINK") && !text.contains(",\"=HYPERLINK"));
}
