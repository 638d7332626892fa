//! The store's tests that hold for every backend, run on each: SQLite in
//! memory, and PostgreSQL when `SILKROUTE_TEST_PG` names a server (an admin
//! URL; each test gets a schema of its own, dropped afterwards). `scripts/test`
//! starts a throwaway PostgreSQL cluster and sets it, so CI runs both.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use super::*;
use crate::listing::{Listing, LocalizedListing, Provenance, Status};

/// A fresh PostgreSQL schema for one test, dropped when this is.
pub(crate) struct TestPg {
    admin: String,
    schema: String,
    /// The URL that opens the store in the schema.
    pub url: String,
}

impl TestPg {
    /// A fresh schema on `$SILKROUTE_TEST_PG`, or `None` when it is not set.
    pub(crate) fn new() -> Option<Self> {
        let admin = std::env::var("SILKROUTE_TEST_PG")
            .ok()
            .filter(|s| !s.is_empty())?;
        let schema = format!("t_{:016x}", rand::random::<u64>());
        let mut c = postgres::Client::connect(&admin, postgres::NoTls)
            .unwrap_or_else(|e| panic!("SILKROUTE_TEST_PG: {e}"));
        c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
        let sep = if admin.contains('?') { '&' } else { '?' };
        let url = format!("{admin}{sep}options=-c%20search_path%3D{schema}");
        Some(Self { admin, schema, url })
    }

    /// The store in the schema.
    pub(crate) fn store(&self) -> Store {
        Store::connect(&self.url, "silkroute test").unwrap()
    }
}

impl Drop for TestPg {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA {} CASCADE", self.schema));
        }
    }
}

/// Run `test` on a fresh SQLite store, then on a fresh PostgreSQL one when a
/// server is configured; a failure names the backend.
pub(crate) fn on_each_backend(test: impl Fn(&Store)) {
    let run = |name: &str, store: &Store| {
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| test(store))) {
            eprintln!("failed on the {name} backend");
            resume_unwind(p);
        }
    };
    run("SQLite", &Store::open_in_memory().unwrap());
    match TestPg::new() {
        Some(pg) => run("PostgreSQL", &pg.store()),
        None => eprintln!("PostgreSQL backend skipped: SILKROUTE_TEST_PG is not set"),
    }
}

pub(crate) fn loc(sku: &str, market: &str, title: &str) -> LocalizedListing {
    LocalizedListing {
        sku: sku.into(),
        market: market.into(),
        language: "de".into(),
        title: title.into(),
        description: String::new(),
        bullets: vec![],
        attributes: vec![],
        keywords: vec![],
        price: None,
        brand: None,
        category: None,
        images: vec![],
        warnings: vec![],
        conversions: Vec::new(),
        status: Status::Localized,
        provenance: Provenance {
            model: "m".into(),
            created_at: chrono::Utc::now(),
        },
        roundtrip: Default::default(),
    }
}

fn key(text: &str) -> MemoryKey {
    MemoryKey {
        source_lang: "en".into(),
        target_lang: "de".into(),
        rules: "amazon.de".into(),
        model: "m".into(),
        source_text: text.into(),
    }
}

pub(super) fn rows(n: u32) -> Vec<JobRow> {
    (0..n)
        .map(|i| JobRow {
            row_index: i,
            line: u64::from(i) + 2,
            listing: Listing {
                sku: format!("S-{i}"),
                title: format!("Item {i}"),
                ..Default::default()
            },
        })
        .collect()
}

pub(super) fn new_job() -> NewJob {
    NewJob {
        catalog_path: "cat.csv".into(),
        format: "csv".into(),
        markets: vec!["amazon.de".into(), "amazon.fr".into()],
        options: serde_json::json!({"max_tokens": 8}),
        out_dir: "out".into(),
    }
}

pub(super) fn localized(item: &PendingItem, status: Status) -> LocalizedListing {
    LocalizedListing {
        sku: item.listing.sku.clone(),
        market: item.market.clone(),
        language: "de".into(),
        title: format!("T {}", item.listing.title),
        description: String::new(),
        bullets: vec![],
        attributes: vec![],
        keywords: vec![],
        price: None,
        brand: None,
        category: None,
        images: vec![],
        warnings: vec![],
        conversions: Vec::new(),
        status,
        provenance: Provenance {
            model: "m".into(),
            created_at: chrono::Utc::now(),
        },
        roundtrip: Default::default(),
    }
}

mod common {
    use super::*;

    #[test]
    fn page_of_listings_localizations_of_and_delete() {
        on_each_backend(|s| {
            let mut l = Listing {
                sku: "A-1".into(),
                title: "Bottle".into(),
                ..Default::default()
            };
            s.put_listing("form", &l).unwrap();
            l.sku = "B-2".into();
            s.put_listing("form", &l).unwrap();
            s.put_localization(&loc("A-1", "amazon.de", "Flasche"))
                .unwrap();
            s.put_localization(&loc("A-1", "amazon.fr", "Bouteille"))
                .unwrap();
            s.put_localization(&loc("A-1", "amazon.fr", "Gourde"))
                .unwrap();
            let page = s.listing_page(10, 0).unwrap();
            assert_eq!(page.len(), 2);
            assert_eq!(s.listing_page(1, 1).unwrap().len(), 1);
            let locs = s.localizations_of("A-1").unwrap();
            let titles: Vec<_> = locs.iter().map(|l| l.listing.title.as_str()).collect();
            assert_eq!(titles, ["Flasche", "Gourde"]);
            assert_eq!(locs[1].version, 2);
            assert!(s.delete_listing("A-1").unwrap());
            assert!(!s.delete_listing("A-1").unwrap());
            assert!(s.localizations_of("A-1").unwrap().is_empty());
            assert!(
                s.localization_history("A-1", "amazon.fr")
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(s.listing_page(10, 0).unwrap().len(), 1);
        });
    }

    #[test]
    fn listings_round_trip_and_replace() {
        on_each_backend(|s| {
            let mut l = Listing {
                sku: "A-1".into(),
                title: "Bottle".into(),
                bullets: vec!["1 l".into()],
                ..Default::default()
            };
            s.put_listing("cat.csv", &l).unwrap();
            assert_eq!(s.listing("A-1").unwrap().as_ref(), Some(&l));
            l.title = "Steel bottle".into();
            s.put_listing("form", &l).unwrap();
            assert_eq!(s.listing("A-1").unwrap().unwrap().title, "Steel bottle");
            assert_eq!(s.listing("nope").unwrap(), None);
        });
    }

    #[test]
    fn replacing_a_localization_keeps_history() {
        on_each_backend(|s| {
            assert_eq!(
                s.put_localization(&loc("A", "amazon.de", "Flasche"))
                    .unwrap(),
                1
            );
            assert_eq!(
                s.put_localization(&loc("A", "amazon.de", "Stahlflasche"))
                    .unwrap(),
                2
            );
            assert_eq!(
                s.put_localization(&loc("A", "amazon.fr", "Bouteille"))
                    .unwrap(),
                1
            );
            let cur = s.localization("A", "amazon.de").unwrap().unwrap();
            assert_eq!(
                (cur.listing.title.as_str(), cur.version),
                ("Stahlflasche", 2)
            );
            let hist = s.localization_history("A", "amazon.de").unwrap();
            assert_eq!(hist.len(), 1);
            assert_eq!(
                (hist[0].listing.title.as_str(), hist[0].version),
                ("Flasche", 1)
            );
            assert!(
                s.set_review_status("A", "amazon.de", Status::Approved)
                    .unwrap()
            );
            assert!(
                !s.set_review_status("B", "amazon.de", Status::Approved)
                    .unwrap()
            );
            let cur = s.localization("A", "amazon.de").unwrap().unwrap();
            assert_eq!((cur.listing.status, cur.version), (Status::Approved, 3));
            assert_eq!(s.localization_history("A", "amazon.de").unwrap().len(), 2);
            assert_eq!(s.localizations().unwrap().len(), 2);
        });
    }

    #[test]
    fn glossary_replace_and_read() {
        on_each_backend(|s| {
            let mut g = StoredGlossary {
                name: "kitchen-de".into(),
                source_lang: "en".into(),
                target_lang: "de".into(),
                entries: vec![
                    StoredGlossaryEntry {
                        source: "lid".into(),
                        target: "Deckel".into(),
                        note: String::new(),
                    },
                    StoredGlossaryEntry {
                        source: "bottle".into(),
                        target: "Flasche".into(),
                        note: "not Pulle".into(),
                    },
                ],
            };
            s.put_glossary(&g).unwrap();
            let back = s.glossary("kitchen-de").unwrap().unwrap();
            assert_eq!(back.entries[0].source, "bottle", "sorted by source");
            assert_eq!(back.entries.len(), 2);
            g.entries.truncate(1);
            s.put_glossary(&g).unwrap();
            assert_eq!(
                s.glossary("kitchen-de").unwrap().unwrap().entries,
                g.entries
            );
            assert_eq!(s.glossary_names().unwrap(), vec!["kitchen-de".to_string()]);
            assert_eq!(s.glossary("none").unwrap(), None);
        });
    }

    #[test]
    fn memory_put_get() {
        on_each_backend(|s| {
            assert_eq!(s.tm_get(&key("bottle")).unwrap(), None);
            s.tm_put(&key("bottle"), "Flasche").unwrap();
            assert_eq!(
                s.tm_get(&key("bottle")).unwrap().as_deref(),
                Some("Flasche")
            );
            s.tm_put(&key("bottle"), "Trinkflasche").unwrap();
            assert_eq!(
                s.tm_get(&key("bottle")).unwrap().as_deref(),
                Some("Trinkflasche")
            );
            let mut other = key("bottle");
            other.model = "m2".into();
            assert_eq!(
                s.tm_get(&other).unwrap(),
                None,
                "the model is part of the key"
            );
            assert_eq!(s.tm_len().unwrap(), 1);
        });
    }

    #[test]
    fn pipeline_memory_persists_in_the_store() {
        on_each_backend(|s| {
            use crate::localize::TranslationMemory;
            let k = crate::localize::TmKey {
                segment: "steel bottle".into(),
                source_lang: "en".into(),
                target_lang: "de".into(),
                model: "m".into(),
                glossary: "g1".into(),
                profile: "amazon.de@1".into(),
            };
            assert_eq!(TranslationMemory::get(s, &k), None);
            TranslationMemory::put(s, k.clone(), "Stahlflasche".into());
            assert_eq!(
                TranslationMemory::get(s, &k).as_deref(),
                Some("Stahlflasche")
            );
            let mut other = k.clone();
            other.glossary = "g2".into();
            assert_eq!(
                TranslationMemory::get(s, &other),
                None,
                "glossary is part of the key"
            );
        });
    }

    #[test]
    fn job_life_cycle() {
        on_each_backend(|s| {
            let rejects = vec![RejectRow {
                file: "cat.csv".into(),
                line: 9,
                column: "title".into(),
                reason: "field `title` is required".into(),
            }];
            let id = s.create_job(&new_job(), &rows(3), &rejects).unwrap();
            let job = s.job(id).unwrap();
            assert_eq!(
                (job.status, job.rows, job.total_items, job.rejected),
                (JobStatus::Enqueued, 3, 6, 1)
            );
            assert_eq!(s.job_rejects_page(id, 0, 100).unwrap(), rejects);
            assert!(s.job_rejects_page(id, 1, 100).unwrap().is_empty());
            assert_eq!(s.listing("S-1").unwrap().unwrap().title, "Item 1");

            let pending = s.pending_items(id).unwrap();
            assert_eq!(pending.len(), 6);
            assert_eq!(
                (pending[1].key.row_index, pending[1].market.as_str()),
                (0, "amazon.fr")
            );

            assert_eq!(s.start_attempt(&pending[0].key).unwrap(), 1);
            s.commit_item(
                &pending[0].key,
                &ItemOutcome::Succeeded(Box::new(localized(&pending[0], Status::NeedsReview))),
            )
            .unwrap();
            s.commit_item(
                &pending[1].key,
                &ItemOutcome::Failed("model stopped".into()),
            )
            .unwrap();
            let again = s
                .commit_item(&pending[0].key, &ItemOutcome::Failed("x".into()))
                .unwrap_err();
            assert!(
                matches!(again, StoreError::AlreadyCommitted { row: 0, .. }),
                "{again}"
            );

            let job = s.job(id).unwrap();
            assert_eq!(
                (job.succeeded, job.failed, job.needs_review, job.done()),
                (1, 1, 1, 2)
            );
            assert_eq!(s.pending_items(id).unwrap().len(), 4);
            assert!(
                s.localization("S-0", "amazon.de").unwrap().is_some(),
                "committed into localizations"
            );
            let items = s.job_items(id).unwrap();
            assert_eq!(items[0].status, ItemStatus::Succeeded);
            assert_eq!(items[1].error.as_deref(), Some("model stopped"));
            assert_eq!((items[0].attempts, items[0].commits), (1, 1));
            let log = s.item_log_counts(id).unwrap();
            assert_eq!(log[0].1, 1);
            assert_eq!(log[0].2, 1);

            s.cancel_job(id).unwrap();
            assert_eq!(s.job(id).unwrap().status, JobStatus::Cancelled);
            assert!(matches!(
                s.cancel_job(id),
                Err(StoreError::Transition { .. })
            ));
            assert!(matches!(s.job(99), Err(StoreError::JobNotFound(99))));
            assert!(s.unfinished_jobs().unwrap().is_empty());
        });
    }

    fn running_job(s: &Store, n: u32) -> JobId {
        let id = s.create_job(&new_job(), &rows(n), &[]).unwrap();
        s.set_job_status(id, JobStatus::Running, None).unwrap();
        id
    }

    fn worker(s: &Store, id: &str) {
        s.register_worker(&WorkerStart {
            id: id.into(),
            host: "h".into(),
            pid: 7,
            model: "m".into(),
        })
        .unwrap();
    }

    #[test]
    fn leases_are_exclusive_fenced_and_taken_over_when_they_expire() {
        on_each_backend(|s| {
            let ttl = std::time::Duration::from_secs(60);
            // Items of jobs that are not running are not leased.
            let idle = s.create_job(&new_job(), &rows(1), &[]).unwrap();
            let id = running_job(s, 3);
            worker(s, "w1");
            worker(s, "w2");
            let a = s.lease_items("w1", 2, ttl, &[]).unwrap();
            assert_eq!(a.len(), 2);
            assert!(a.iter().all(|l| l.key().job_id == id && l.attempt == 1));
            assert_eq!((a[0].key().row_index, a[1].key().market_index), (0, 1));
            assert_eq!(a[0].item.listing.sku, "S-0");
            // The other worker gets what is left, never the same item.
            let b = s.lease_items("w2", 10, ttl, &[]).unwrap();
            assert_eq!(b.len(), 4);
            assert!(b.iter().all(|l| !a.iter().any(|x| x.key() == l.key())));
            assert!(s.lease_items("w2", 10, ttl, &[]).unwrap().is_empty());
            assert!(s.lease_items("w2", 10, ttl, &[id]).unwrap().is_empty());

            // The heartbeat renews what a worker holds.
            let held = s.heartbeat("w1", &WorkerBeat::default(), ttl).unwrap();
            assert_eq!(held.len(), 2);
            let live = s.workers(ttl).unwrap();
            let w1 = live.iter().find(|w| w.id == "w1").unwrap();
            assert!(w1.live);
            assert_eq!(w1.current.len(), 2, "{w1:?}");
            assert!(w1.current[0].starts_with(&format!("{id}/0/")), "{w1:?}");

            // w1 dies: its leases expire (a zero ttl renews them into the past),
            // w2 takes both over with the next attempt.
            std::thread::sleep(std::time::Duration::from_millis(5));
            s.heartbeat("w1", &WorkerBeat::default(), std::time::Duration::ZERO)
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(5));
            let c = s.lease_items("w2", 10, ttl, &[]).unwrap();
            assert_eq!(c.len(), 2);
            assert!(c.iter().all(|l| l.attempt == 2));
            assert!(
                s.heartbeat("w1", &WorkerBeat::default(), ttl)
                    .unwrap()
                    .is_empty(),
                "w1 holds nothing any more"
            );
            // w1's late commit is refused; w2's goes through, once.
            let done =
                |l: &Lease| ItemOutcome::Succeeded(Box::new(localized(&l.item, Status::Localized)));
            let late = s.commit_leased("w1", &a[0], &done(&a[0])).unwrap_err();
            assert!(matches!(late, StoreError::LeaseLost { .. }), "{late}");
            s.commit_leased("w2", &c[0], &done(&c[0])).unwrap();
            let again = s.commit_leased("w2", &c[0], &done(&c[0])).unwrap_err();
            assert!(matches!(again, StoreError::LeaseLost { .. }), "{again}");
            for l in b.iter().chain(&c[1..]) {
                s.commit_leased("w2", l, &done(l)).unwrap();
            }
            let job = s.job(id).unwrap();
            assert_eq!(job.done(), 6);
            for it in s.job_items(id).unwrap() {
                assert_eq!((it.status, it.commits), (ItemStatus::Succeeded, 1));
            }
            let log = s.item_log_counts(id).unwrap();
            assert_eq!(log[0].1, 2, "two starts for the item taken over");
            assert!(log.iter().all(|l| l.2 == 1), "one commit each");
            assert!(s.pending_items(idle).unwrap().len() == 2);

            // Counters and a stop.
            s.heartbeat(
                "w2",
                &WorkerBeat {
                    done: 6,
                    failed: 0,
                    busy_ms: 10,
                },
                ttl,
            )
            .unwrap();
            s.worker_stopped("w2").unwrap();
            let w2 = s
                .workers(ttl)
                .unwrap()
                .into_iter()
                .find(|w| w.id == "w2")
                .unwrap();
            assert_eq!((w2.done, w2.live), (6, false));
        });
    }

    #[test]
    fn a_released_lease_is_taken_at_once() {
        on_each_backend(|s| {
            let ttl = std::time::Duration::from_secs(60);
            running_job(s, 1);
            let a = s.lease_items("w1", 1, ttl, &[]).unwrap();
            assert!(s.lease_items("w2", 1, ttl, &[]).unwrap()[0].key() != a[0].key());
            s.release_leases("w1", None).unwrap();
            let b = s.lease_items("w2", 1, ttl, &[]).unwrap();
            assert_eq!(b[0].key(), a[0].key());
            assert_eq!(b[0].attempt, 2);
        });
    }

    #[test]
    fn the_feed_follows_every_change_in_order() {
        on_each_backend(|s| {
            assert!(!s.store_id().unwrap().is_empty());
            let start = s.feed_head().unwrap();
            let l = Listing {
                sku: "A-1".into(),
                title: "Bottle".into(),
                ..Default::default()
            };
            s.put_listing("form", &l).unwrap();
            s.put_localization(&loc("A-1", "amazon.de", "Flasche"))
                .unwrap();
            s.put_localization(&loc("B-2", "amazon.de", "Flasche"))
                .unwrap();
            s.delete_listing("A-1").unwrap();
            let feed = s.feed_since(start, 100).unwrap();
            let skus: Vec<&str> = feed.iter().map(|f| f.1.as_str()).collect();
            assert_eq!(&skus[..3], ["A-1", "A-1", "B-2"]);
            assert!(skus[3..].iter().all(|k| *k == "A-1"), "{skus:?}");
            assert!(
                feed.windows(2).all(|w| w[1].0 == w[0].0 + 1),
                "gapless: {feed:?}"
            );
            assert_eq!(s.feed_head().unwrap(), feed.last().unwrap().0);
            assert_eq!(s.feed_since(start, 2).unwrap().len(), 2);
            assert!(s.feed_since(s.feed_head().unwrap(), 10).unwrap().is_empty());
        });
    }
}

#[test]
fn both_backends_have_the_same_tables_and_columns() {
    let Some(pg) = TestPg::new() else {
        eprintln!("PostgreSQL backend skipped: SILKROUTE_TEST_PG is not set");
        return;
    };
    drop(pg.store());
    let lite = Store::open_in_memory().unwrap();
    let lite_cols: Vec<(String, String, bool)> = {
        let c = lite.as_sqlite().unwrap().conn();
        let mut stmt = c
            .prepare(
                "SELECT m.name, p.name, p.\"notnull\" OR p.pk > 0 FROM sqlite_master m, pragma_table_info(m.name) p
                 WHERE m.type = 'table' ORDER BY m.name, p.name",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let schema = pg.url.rsplit("%3D").next().unwrap().to_string();
    let mut c = postgres::Client::connect(&pg.admin, postgres::NoTls).unwrap();
    let pg_cols: Vec<(String, String, bool)> = c
        .query(
            "SELECT table_name::text, column_name::text, is_nullable = 'NO' FROM information_schema.columns
             WHERE table_schema = $1 AND table_name <> 'silkroute_schema'
             ORDER BY table_name COLLATE \"C\", column_name COLLATE \"C\"",
            &[&schema],
        )
        .unwrap()
        .into_iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(lite_cols, pg_cols);
}

#[test]
fn postgres_migrations_upgrade_to_the_fresh_schema_and_refuse_newer() {
    let Some(pg) = TestPg::new() else {
        eprintln!("PostgreSQL backend skipped: SILKROUTE_TEST_PG is not set");
        return;
    };
    let schema = pg.url.rsplit("%3D").next().unwrap().to_string();
    let columns = |c: &mut postgres::Client, schema: &str| -> Vec<(String, String, String)> {
        c.query(
            "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = $1 ORDER BY 1, 2",
            &[&schema],
        )
        .unwrap()
        .into_iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
    };
    drop(pg.store());
    let mut c = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
    let fresh = columns(&mut c, &schema);
    assert_eq!(pg.store().schema_version().unwrap(), SCHEMA_VERSION);
    // Each older version, with a listing in it, upgraded by opening the store.
    for start in 1..SCHEMA_VERSION {
        let old = TestPg::new().unwrap();
        let old_schema = old.url.rsplit("%3D").next().unwrap().to_string();
        let mut oc = postgres::Client::connect(&old.url, postgres::NoTls).unwrap();
        super::pg::migrate_to(&mut oc, start).unwrap();
        oc.execute(
            "INSERT INTO listings (sku, source, json, updated_at) VALUES ('A', 'form', '{}', 'now')",
            &[],
        )
        .unwrap();
        let store = old.store();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(
            columns(&mut oc, &old_schema),
            fresh,
            "upgrade from v{start}"
        );
        let kept: String = oc
            .query_one("SELECT sku FROM listings", &[])
            .unwrap()
            .get(0);
        assert_eq!(kept, "A");
        assert!(
            store.feed_head().unwrap() >= 1,
            "existing listings enter the feed"
        );
    }
    c.execute(
        "UPDATE silkroute_schema SET version = $1",
        &[&i64::from(SCHEMA_VERSION + 2)],
    )
    .unwrap();
    let err = Store::connect(&pg.url, "test").unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found, .. } if found == SCHEMA_VERSION + 2),
        "{err}"
    );
}
