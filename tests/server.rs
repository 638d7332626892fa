//! In-process route tests: every API route and page through `app(state)` with
//! `tower::ServiceExt::oneshot`, no socket. The services here are small
//! in-memory fakes: these tests are about HTTP mechanics (status codes, error
//! shapes, limits, CSRF, token, escaping, SSE framing, cancellation); the real
//! parts are exercised by tests/browser.rs and by each module's own tests.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use silkroute::listing::{Listing, LocalizedListing, Provenance, Status, Warning};
use silkroute::paths::DataDir;
use silkroute::server::*;
use tower::ServiceExt;

#[derive(Default)]
struct FakeLocalizer {
    calls: AtomicUsize,
    cancelled: AtomicUsize,
    /// When set, localize waits (checking cancel) until this flag clears.
    hold: AtomicBool,
    rates: Mutex<Vec<ExchangeRate>>,
}

impl LocalizeService for FakeLocalizer {
    fn markets(&self) -> Vec<MarketInfo> {
        ["amazon.de", "amazon.fr"]
            .iter()
            .map(|id| MarketInfo {
                id: id.to_string(),
                name: id.to_string(),
                language: id[7..].to_string(),
                currency: "EUR".into(),
            })
            .collect()
    }
    fn localize(
        &self,
        listing: &Listing,
        market: &str,
        cancel: &Arc<AtomicBool>,
        on_field: &mut dyn FnMut(&str, &str),
    ) -> Result<LocalizedListing, ServiceError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let title = format!("[{market}] {}", listing.title);
        on_field("title", &title);
        while self.hold.load(Ordering::SeqCst) {
            if cancel.load(Ordering::SeqCst) {
                self.cancelled.fetch_add(1, Ordering::SeqCst);
                return Err(ServiceError::Cancelled);
            }
            on_field("title", &title);
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut loc = LocalizedListing {
            sku: listing.sku.clone(),
            market: market.into(),
            language: "de".into(),
            title,
            description: listing.description.clone(),
            bullets: listing.bullets.clone(),
            attributes: vec![],
            keywords: vec![],
            price: None,
            brand: listing.brand.clone(),
            category: None,
            images: vec![],
            warnings: vec![],
            conversions: Vec::new(),
            status: Status::Localized,
            provenance: Provenance {
                model: "fake".into(),
                created_at: chrono::Utc::now(),
            },
            roundtrip: [("title".to_string(), 73u8)].into(),
        };
        loc.warnings = self.check(listing, &loc)?;
        Ok(loc)
    }
    fn check(&self, _l: &Listing, loc: &LocalizedListing) -> Result<Vec<Warning>, ServiceError> {
        Ok(if loc.title.len() > 40 {
            vec![Warning {
                field: "title".into(),
                code: "title_too_long".into(),
                message: "title is over 40 bytes".into(),
            }]
        } else {
            vec![]
        })
    }
    fn rates(&self) -> Vec<ExchangeRate> {
        self.rates.lock().unwrap().clone()
    }
    fn set_rate(&self, rate: ExchangeRate) -> Result<(), ServiceError> {
        if rate.rate.parse::<f64>().is_err() {
            return Err(ServiceError::Invalid {
                field: "rate".into(),
                message: "not a number".into(),
            });
        }
        self.rates.lock().unwrap().push(rate);
        Ok(())
    }
    fn engine_stats(&self) -> EngineMetrics {
        EngineMetrics {
            queue_depth: 2,
            tokens_per_second: 12.5,
            tokens_total: 100,
        }
    }
}

#[derive(Default)]
struct FakeStore {
    listings: Mutex<BTreeMap<String, ListingRecord>>,
    glossaries: Mutex<BTreeMap<String, String>>,
}

impl ListingStore for FakeStore {
    fn put_listing(&self, listing: &Listing) -> Result<(), ServiceError> {
        let mut m = self.listings.lock().unwrap();
        let e = m
            .entry(listing.sku.clone())
            .or_insert_with(|| ListingRecord {
                listing: listing.clone(),
                localizations: vec![],
            });
        e.listing = listing.clone();
        Ok(())
    }
    fn get(&self, sku: &str) -> Result<Option<ListingRecord>, ServiceError> {
        Ok(self.listings.lock().unwrap().get(sku).cloned())
    }
    fn list(&self, limit: usize, offset: usize) -> Result<Vec<ListingSummary>, ServiceError> {
        Ok(self
            .listings
            .lock()
            .unwrap()
            .values()
            .skip(offset)
            .take(limit)
            .map(|r| ListingSummary {
                sku: r.listing.sku.clone(),
                title: r.listing.title.clone(),
                markets: vec![],
            })
            .collect())
    }
    fn save_localization(&self, loc: &LocalizedListing, note: &str) -> Result<(), ServiceError> {
        let mut m = self.listings.lock().unwrap();
        let r = m
            .get_mut(&loc.sku)
            .ok_or_else(|| ServiceError::NotFound(loc.sku.clone()))?;
        let entry = HistoryEntry {
            at: chrono::Utc::now(),
            status: loc.status,
            note: note.into(),
        };
        match r
            .localizations
            .iter_mut()
            .find(|l| l.localized.market == loc.market)
        {
            Some(l) => {
                l.localized = loc.clone();
                l.history.push(entry);
            }
            None => r.localizations.push(LocalizationRecord {
                localized: loc.clone(),
                history: vec![entry],
            }),
        }
        Ok(())
    }
    fn delete(&self, sku: &str) -> Result<bool, ServiceError> {
        Ok(self.listings.lock().unwrap().remove(sku).is_some())
    }
    fn glossaries(&self) -> Result<Vec<GlossaryInfo>, ServiceError> {
        Ok(self
            .glossaries
            .lock()
            .unwrap()
            .iter()
            .map(|(n, t)| GlossaryInfo {
                name: n.clone(),
                entries: t.lines().count(),
            })
            .collect())
    }
    fn glossary(&self, name: &str) -> Result<Option<String>, ServiceError> {
        Ok(self.glossaries.lock().unwrap().get(name).cloned())
    }
    fn put_glossary(&self, name: &str, csv: &str) -> Result<GlossaryInfo, ServiceError> {
        if let Some((i, _)) = csv.lines().enumerate().find(|(_, l)| !l.contains(',')) {
            return Err(ServiceError::Invalid {
                field: format!("line {}", i + 1),
                message: "expected source,target".into(),
            });
        }
        self.glossaries
            .lock()
            .unwrap()
            .insert(name.into(), csv.into());
        Ok(GlossaryInfo {
            name: name.into(),
            entries: csv.lines().count(),
        })
    }
    fn delete_glossary(&self, name: &str) -> Result<bool, ServiceError> {
        Ok(self.glossaries.lock().unwrap().remove(name).is_some())
    }
}

#[derive(Default)]
struct FakeSearch {
    docs: Mutex<Vec<ListingRecord>>,
}

impl Search for FakeSearch {
    fn search(&self, p: &SearchParams) -> Result<SearchPage, ServiceError> {
        let docs = self.docs.lock().unwrap();
        let hits: Vec<SearchHit> = docs
            .iter()
            .flat_map(|r| r.localizations.iter())
            .filter(|l| {
                l.localized
                    .title
                    .to_lowercase()
                    .contains(&p.q.to_lowercase())
            })
            .map(|l| SearchHit {
                sku: l.localized.sku.clone(),
                market: l.localized.market.clone(),
                language: l.localized.language.clone(),
                title: l.localized.title.clone(),
                status: l.localized.status.as_str().into(),
                snippet: vec![SnippetPart {
                    text: l.localized.title.clone(),
                    hl: true,
                }],
                score: 1.0,
                findings: l.localized.warnings.len() as u64,
            })
            .collect();
        Ok(SearchPage {
            total: hits.len(),
            facets: vec![Facet {
                field: "market".into(),
                counts: vec![("amazon.de".into(), hits.len() as u64)],
            }],
            hits,
        })
    }
    fn upsert(&self, record: &ListingRecord) -> Result<(), ServiceError> {
        let mut d = self.docs.lock().unwrap();
        d.retain(|r| r.listing.sku != record.listing.sku);
        d.push(record.clone());
        Ok(())
    }
    fn remove(&self, sku: &str) -> Result<(), ServiceError> {
        self.docs.lock().unwrap().retain(|r| r.listing.sku != sku);
        Ok(())
    }
}

#[derive(Default)]
struct FakeJobs {
    jobs: Mutex<Vec<(JobInfo, std::path::PathBuf)>>,
}

impl Jobs for FakeJobs {
    fn create(&self, upload: StoredUpload, markets: Vec<String>) -> Result<JobInfo, ServiceError> {
        let text = std::fs::read_to_string(&upload.path).map_err(anyhow::Error::from)?;
        if text.starts_with("unusable") {
            return Err(ServiceError::Invalid {
                field: "file".into(),
                message: "no sku column".into(),
            });
        }
        let rows = text.lines().count().saturating_sub(1) as u64;
        // A result file whose cell starts with `=`, neutralised the way the
        // catalog writers do, so the download route is tested end to end.
        let out = upload.path.with_extension("out.csv");
        std::fs::write(&out, "sku,title\nA-1,'=HYPERLINK(\"x\")\n").map_err(anyhow::Error::from)?;
        let mut jobs = self.jobs.lock().unwrap();
        let info = JobInfo {
            id: format!("job{}", jobs.len() + 1),
            state: "succeeded".into(),
            file_name: upload.original_name,
            markets: markets.clone(),
            total: rows * markets.len() as u64,
            done: rows * markets.len() as u64,
            failed: 0,
            rejected: 1,
            rate: 1.0,
            eta_seconds: Some(0),
            rejects: vec![RejectInfo {
                line: 3,
                field: Some("title".into()),
                message: "<b>empty</b>".into(),
            }],
            results: vec!["csv".into()],
            created_at: chrono::Utc::now(),
            error: None,
        };
        jobs.push((info.clone(), out));
        Ok(info)
    }
    fn list(&self) -> Result<Vec<JobInfo>, ServiceError> {
        Ok(self
            .jobs
            .lock()
            .unwrap()
            .iter()
            .map(|j| j.0.clone())
            .collect())
    }
    fn get(&self, id: &str) -> Result<Option<JobInfo>, ServiceError> {
        Ok(self
            .jobs
            .lock()
            .unwrap()
            .iter()
            .find(|j| j.0.id == id)
            .map(|j| j.0.clone()))
    }
    fn cancel(&self, id: &str) -> Result<JobInfo, ServiceError> {
        let mut jobs = self.jobs.lock().unwrap();
        let j = jobs
            .iter_mut()
            .find(|j| j.0.id == id)
            .ok_or_else(|| ServiceError::NotFound(id.into()))?;
        if j.0.state == "succeeded" {
            return Err(ServiceError::Conflict("job has finished".into()));
        }
        j.0.state = "cancelled".into();
        Ok(j.0.clone())
    }
    fn resume(&self, id: &str) -> Result<JobInfo, ServiceError> {
        let mut jobs = self.jobs.lock().unwrap();
        let j = jobs
            .iter_mut()
            .find(|j| j.0.id == id)
            .ok_or_else(|| ServiceError::NotFound(id.into()))?;
        if j.0.state != "cancelled" {
            return Err(ServiceError::Conflict("only cancelled jobs resume".into()));
        }
        j.0.state = "running".into();
        Ok(j.0.clone())
    }
    fn result(&self, id: &str, kind: &str) -> Result<Option<ResultFile>, ServiceError> {
        Ok(self
            .jobs
            .lock()
            .unwrap()
            .iter()
            .find(|j| j.0.id == id && kind == "csv")
            .map(|j| ResultFile {
                path: j.1.clone(),
                content_type: "text/csv",
                file_name: format!("{id}.csv"),
            }))
    }
    fn shutdown(&self) {}
}

struct FakeModels {
    ready: AtomicBool,
}

impl Models for FakeModels {
    fn list(&self) -> Vec<ModelInfo> {
        vec![ModelInfo {
            id: "test".into(),
            description: "test model".into(),
            size_bytes: 1 << 20,
            installed: true,
            active: true,
        }]
    }
    fn readiness(&self) -> Readiness {
        if self.ready.load(Ordering::SeqCst) {
            Readiness::Ready {
                model: "test".into(),
            }
        } else {
            Readiness::Loading {
                model: "test".into(),
            }
        }
    }
    fn install(&self, id: &str) -> Result<(), ServiceError> {
        if id == "test" {
            Ok(())
        } else {
            Err(ServiceError::NotFound(format!("model `{id}`")))
        }
    }
}

struct Harness {
    state: AppState,
    localizer: Arc<FakeLocalizer>,
    models: Arc<FakeModels>,
    _dir: tempfile::TempDir,
}

fn harness_with(f: impl FnOnce(&mut ServerConfig)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::for_tests(DataDir::at(dir.path()));
    f(&mut config);
    let localizer = Arc::new(FakeLocalizer::default());
    let models = Arc::new(FakeModels {
        ready: AtomicBool::new(true),
    });
    let services = Services {
        localizer: localizer.clone(),
        store: Arc::new(FakeStore::default()),
        search: Arc::new(FakeSearch::default()),
        jobs: Arc::new(FakeJobs::default()),
        models: models.clone(),
    };
    Harness {
        state: AppState::new(config, services).unwrap(),
        localizer,
        models,
        _dir: dir,
    }
}

fn harness() -> Harness {
    harness_with(|_| {})
}

const CSRF: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

impl Harness {
    async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let resp = app(self.state.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, headers, body)
    }
    async fn json(&self, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut b = Request::builder().method(method).uri(uri);
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let (s, _, bytes) = self.send(b.body(body).unwrap()).await;
        (s, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
    async fn page(&self, uri: &str) -> (StatusCode, String) {
        let (s, _, b) = self
            .send(
                Request::get(uri)
                    .header(header::COOKIE, format!("{CSRF_COOKIE}={CSRF}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        (s, String::from_utf8(b).unwrap())
    }
    async fn form(&self, uri: &str, form: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let (s, h, b) = self
            .send(
                Request::post(uri)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, format!("{CSRF_COOKIE}={CSRF}"))
                    .body(Body::from(form.to_string()))
                    .unwrap(),
            )
            .await;
        (s, h, String::from_utf8(b).unwrap())
    }
    async fn localize(&self, sku: &str, title: &str) -> Value {
        let (s, v) = self
            .json(
                "POST",
                "/api/v1/localize",
                Some(json!({"listing": {"sku": sku, "title": title}, "markets": ["amazon.de"]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }
}

fn multipart(fields: &[(&str, Option<&str>, &str)]) -> (String, Vec<u8>) {
    let boundary = "XbOuNdArYx";
    let mut body = Vec::new();
    for (name, file, value) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn health_ready_and_metrics() {
    let h = harness();
    let (s, _, b) = h
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!((s, b.as_slice()), (StatusCode::OK, &b"ok"[..]));
    let (s, v) = h.json("GET", "/readyz", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["state"], "ready");
    h.models.ready.store(false, Ordering::SeqCst);
    let (s, v) = h.json("GET", "/readyz", None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(v["state"], "loading");
    let (s, _, b) = h
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(b).unwrap();
    assert!(text.contains("silkroute_queue_depth 2"), "{text}");
    assert!(text.contains("silkroute_tokens_per_second 12.5"), "{text}");
    assert!(
        text.contains(
            "silkroute_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"503\"} 1"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn localize_saves_and_reports_per_market() {
    let h = harness();
    let v = h.localize("A-1", "Steel bottle").await;
    assert_eq!(v["sku"], "A-1");
    assert_eq!(v["results"][0]["market"], "amazon.de");
    assert_eq!(
        v["results"][0]["localized"]["title"],
        "[amazon.de] Steel bottle"
    );
    let (s, v) = h.json("GET", "/api/v1/listings/A-1", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["localizations"][0]["history"][0]["note"], "localized");
    let (s, v) = h.json("GET", "/api/v1/listings", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v[0]["sku"], "A-1");
}

#[tokio::test]
async fn localize_errors_bad_json_unknown_market_invalid_field_not_ready() {
    let h = harness();
    let (s, _, b) = h
        .send(
            Request::post("/api/v1/localize")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_json"))
    );
    let (s, v) = h
        .json(
            "POST",
            "/api/v1/localize",
            Some(json!({"listing": {"sku": "A", "title": "t"}, "markets": ["ebay.mars"]})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unknown_market"))
    );
    assert!(v["message"].as_str().unwrap().contains("ebay.mars"));
    let (s, v) = h
        .json("POST", "/api/v1/localize", Some(json!({"listing": {"sku": "A", "title": "x".repeat(1001)}, "markets": ["amazon.de"]})))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    assert!(v["message"].as_str().unwrap().starts_with("title:"), "{v}");
    let (s, v) = h
        .json(
            "POST",
            "/api/v1/localize",
            Some(json!({"listing": {"sku": "A", "title": " "}, "markets": ["amazon.de"]})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    h.models.ready.store(false, Ordering::SeqCst);
    let (s, _, b) = h
        .send(
            Request::post("/api/v1/localize")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"listing": {"sku": "A", "title": "t"}, "markets": ["amazon.de"]})
                        .to_string(),
                ))
                .unwrap(),
        )
        .await;
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("not_ready"))
    );
}

#[tokio::test]
async fn oversized_body_is_a_json_413() {
    let h = harness_with(|c| c.max_body_bytes = 2048);
    let big = json!({"listing": {"sku": "A", "title": "x".repeat(4000)}, "markets": ["amazon.de"]});
    let (s, v) = h.json("POST", "/api/v1/localize", Some(big.clone())).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    assert!(v["message"].as_str().unwrap().contains("2048"));
    // Streamed without Content-Length: the extractor hits the cap.
    let stream =
        futures_util::stream::iter(vec![Ok::<_, std::io::Error>(big.to_string().into_bytes())]);
    let (s, _, b) = h
        .send(
            Request::post("/api/v1/localize")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from_stream(stream))
                .unwrap(),
        )
        .await;
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
}

#[tokio::test]
async fn oversized_upload_is_a_json_413_and_leaves_no_file() {
    let h = harness_with(|c| c.max_upload_bytes = 4096);
    let csv = format!("sku,title\n{}", "A,b\n".repeat(2000));
    let (ct, body) = multipart(&[
        ("markets", None, "amazon.de"),
        ("file", Some("big.csv"), &csv),
    ]);
    let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(body)]);
    let (s, _, b) = h
        .send(
            Request::post("/api/v1/jobs")
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from_stream(stream))
                .unwrap(),
        )
        .await;
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")),
        "{v}"
    );
    let uploads = h.state.config.data_dir.root().join("uploads");
    let left = std::fs::read_dir(&uploads).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "partial upload removed");
}

#[tokio::test]
async fn full_queue_answers_503_with_retry_after() {
    let h = harness_with(|c| c.queue_capacity = 1);
    let _held = h.state.admission.clone().try_acquire_owned().unwrap();
    let (s, hd, b) = h
        .send(
            Request::post("/api/v1/localize")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"listing": {"sku": "A", "title": "t"}, "markets": ["amazon.de"]})
                        .to_string(),
                ))
                .unwrap(),
        )
        .await;
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("queue_full"))
    );
    assert_eq!(hd.get(header::RETRY_AFTER).unwrap(), "5");
}

#[tokio::test]
async fn stream_sends_fields_then_result_then_end() {
    let h = harness();
    let (s, hd, b) = h
        .send(
            Request::post("/api/v1/localize/stream")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({"listing": {"sku": "S-1", "title": "Mug"}, "markets": ["amazon.de", "amazon.fr"]}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        hd.get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let text = String::from_utf8(b).unwrap();
    let events: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(
        events.iter().filter(|e| **e == "result").count(),
        2,
        "{text}"
    );
    assert!(events.iter().position(|e| *e == "field") < events.iter().position(|e| *e == "result"));
    assert_eq!(events.last(), Some(&"end"));
    assert!(text.contains("[amazon.fr] Mug"));
    // The permit came back.
    assert_eq!(
        h.state.admission.available_permits(),
        h.state.config.queue_capacity
    );
}

#[tokio::test]
async fn client_disconnect_cancels_generation() {
    let h = harness();
    h.localizer.hold.store(true, Ordering::SeqCst);
    let resp = app(h.state.clone())
        .oneshot(
            Request::post("/api/v1/localize/stream")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"listing": {"sku": "S-2", "title": "Mug"}, "markets": ["amazon.de"]})
                        .to_string(),
                ))
                .unwrap(),
        )
        .await
        .unwrap();
    let mut body = resp.into_body();
    let first = body.frame().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(first.data_ref().unwrap()).contains("event: field"));
    drop(body); // the client goes away
    // Wait for the cancellation to reach the localizer (the bound only turns
    // one that never comes into a failure).
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    while h.localizer.cancelled.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        h.localizer.cancelled.load(Ordering::SeqCst),
        1,
        "generation was cancelled"
    );
}

#[tokio::test]
async fn listing_update_edit_check_approve_search_delete() {
    let h = harness();
    h.localize("B-1", "Lamp").await;
    let (s, v) = h
        .json(
            "PUT",
            "/api/v1/listings/B-1",
            Some(json!({"sku": "B-1", "title": "Desk lamp"})),
        )
        .await;
    assert_eq!(
        (s, v["listing"]["title"].as_str()),
        (StatusCode::OK, Some("Desk lamp"))
    );
    let (s, v) = h
        .json(
            "PUT",
            "/api/v1/listings/B-1",
            Some(json!({"sku": "B-2", "title": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // PUT creates a listing that is not there yet.
    let (s, v) = h
        .json(
            "PUT",
            "/api/v1/listings/NEW-1",
            Some(json!({"sku": "NEW-1", "title": "Garden hose"})),
        )
        .await;
    assert_eq!(
        (s, v["listing"]["title"].as_str()),
        (StatusCode::OK, Some("Garden hose"))
    );
    // The API reads a listing with the JSON catalog's rules: a friendly price works
    // as in a catalog file, and one with no currency is refused naming the field.
    let (s, v) = h
        .json(
            "PUT",
            "/api/v1/listings/NEW-2",
            Some(json!({"sku": "NEW-2", "title": "Garden hose", "price": "24.95 USD", "colour": "green"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["listing"]["price"]["currency"], "USD", "{v}");
    assert_eq!(v["listing"]["price"]["amount"], "24.95", "{v}");
    assert_eq!(v["listing"]["extra"]["colour"], "green", "{v}");
    let (s, v) = h
        .json(
            "PUT",
            "/api/v1/listings/NEW-2",
            Some(json!({"sku": "NEW-2", "title": "Garden hose", "price": "24.95"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let msg = v["message"].as_str().unwrap_or_default();
    assert!(msg.contains("price") && msg.contains("no currency"), "{v}");
    let long = "a very long title that is surely over forty bytes";
    let (s, v) = h
        .json(
            "POST",
            "/api/v1/listings/B-1/localizations/amazon.de/check",
            Some(json!({"title": long})),
        )
        .await;
    assert_eq!(
        (s, v[0]["code"].as_str()),
        (StatusCode::OK, Some("title_too_long"))
    );
    let (s, v) = h
        .json(
            "PUT",
            "/api/v1/listings/B-1/localizations/amazon.de",
            Some(json!({"title": long})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["localizations"][0]["localized"]["status"], "needs_review");
    let (s, v) = h
        .json(
            "POST",
            "/api/v1/listings/B-1/localizations/amazon.fr/approve",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, v) = h
        .json(
            "POST",
            "/api/v1/listings/B-1/localizations/amazon.de/approve",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["localizations"][0]["localized"]["status"], "approved");
    assert_eq!(
        v["localizations"][0]["history"].as_array().unwrap().len(),
        3
    );
    let (s, v) = h.json("GET", "/api/v1/search?q=surely", None).await;
    assert_eq!((s, v["total"].as_u64()), (StatusCode::OK, Some(1)));
    let (s, v) = h.json("GET", "/api/v1/search?limit=abc", None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_query"))
    );
    let (s, _) = h.json("DELETE", "/api/v1/listings/B-1", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = h.json("DELETE", "/api/v1/listings/B-1", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, v) = h.json("GET", "/api/v1/search?q=surely", None).await;
    assert_eq!(v["total"], 0);
}

#[tokio::test]
async fn markets_rates_models_glossaries() {
    let h = harness();
    let (s, v) = h.json("GET", "/api/v1/markets", None).await;
    assert_eq!(
        (s, v[0]["id"].as_str()),
        (StatusCode::OK, Some("amazon.de"))
    );
    let (s, v) = h
        .json(
            "PUT",
            "/api/v1/rates",
            Some(json!({"from": "USD", "to": "EUR", "rate": "0.92"})),
        )
        .await;
    assert_eq!((s, v[0]["rate"].as_str()), (StatusCode::OK, Some("0.92")));
    let (s, v) = h
        .json(
            "PUT",
            "/api/v1/rates",
            Some(json!({"from": "USD", "to": "EUR", "rate": "abc"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = h.json("GET", "/api/v1/rates", None).await;
    assert_eq!((s, v.as_array().unwrap().len()), (StatusCode::OK, 1));
    let (s, v) = h.json("GET", "/api/v1/models", None).await;
    assert_eq!((s, v[0]["active"].as_bool()), (StatusCode::OK, Some(true)));
    let (s, _) = h.json("POST", "/api/v1/models/test/install", None).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let (s, _) = h.json("POST", "/api/v1/models/nope/install", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = h
        .send(
            Request::put("/api/v1/glossaries/brand-terms")
                .body(Body::from("bottle,Flasche\nlid,Deckel\n"))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, b) = h
        .send(
            Request::put("/api/v1/glossaries/x")
                .body(Body::from("ok,ok\nbroken\n"))
                .unwrap(),
        )
        .await;
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["message"].as_str().unwrap().contains("line 2"), "{v}");
    let (s, _, _) = h
        .send(
            Request::put("/api/v1/glossaries/Bad..Name")
                .body(Body::from("a,b"))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, v) = h.json("GET", "/api/v1/glossaries", None).await;
    assert_eq!((s, v[0]["entries"].as_u64()), (StatusCode::OK, Some(2)));
    let (s, _, b) = h
        .send(
            Request::get("/api/v1/glossaries/brand-terms")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        (s, String::from_utf8(b).unwrap().lines().count()),
        (StatusCode::OK, 2)
    );
    let (s, _) = h.json("GET", "/api/v1/glossaries/none", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn jobs_create_list_show_cancel_resume_download() {
    let h = harness();
    let (ct, body) = multipart(&[
        ("markets", None, "amazon.de,amazon.fr"),
        (
            "file",
            Some("../../etc/passwd.csv"),
            "sku,title\nA,b\nC,d\n",
        ),
    ]);
    let (s, hd, b) = h
        .send(
            Request::post("/api/v1/jobs")
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(hd.get(header::LOCATION).unwrap(), "/api/v1/jobs/job1");
    assert_eq!(v["total"], 4);
    // The client's name is kept for display only; the stored file has a generated name.
    let stored: Vec<_> = std::fs::read_dir(h.state.config.data_dir.root().join("uploads"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(stored.iter().all(|n| !n.contains("passwd")), "{stored:?}");
    assert!(!h.state.config.data_dir.root().join("etc").exists());
    let (s, v) = h.json("GET", "/api/v1/jobs", None).await;
    assert_eq!((s, v.as_array().unwrap().len()), (StatusCode::OK, 1));
    let (s, v) = h.json("GET", "/api/v1/jobs/job1", None).await;
    assert_eq!(
        (s, v["rejects"][0]["line"].as_u64()),
        (StatusCode::OK, Some(3))
    );
    let (s, v) = h.json("GET", "/api/v1/jobs/nope", None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (s, v) = h.json("POST", "/api/v1/jobs/job1/resume", None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    let (s, v) = h.json("POST", "/api/v1/jobs/job1/cancel", None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, hd, b) = h
        .send(
            Request::get("/api/v1/jobs/job1/results/csv")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        hd.get(header::CONTENT_DISPOSITION)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("job1.csv")
    );
    let text = String::from_utf8(b).unwrap();
    for line in text.lines() {
        for cell in line.split(',') {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "formula cell {cell:?} in {text}"
            );
        }
    }
    let (s, _) = h.json("GET", "/api/v1/jobs/job1/results/xlsx", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = h
        .json("GET", "/api/v1/jobs/job1/results/..%2Fx", None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, b) = h
        .send(
            Request::get("/api/v1/jobs/job1/events")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let text = String::from_utf8(b).unwrap();
    assert_eq!(s, StatusCode::OK);
    assert!(
        text.contains("event: progress") && text.contains("\"succeeded\""),
        "{text}"
    );
    // Unknown market and unsupported formats are named.
    let (ct, body) = multipart(&[
        ("markets", None, "mars"),
        ("file", Some("a.csv"), "sku,title\n"),
    ]);
    let (s, _, b) = h
        .send(
            Request::post("/api/v1/jobs")
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unknown_market"))
    );
    let (ct, body) = multipart(&[
        ("markets", None, "amazon.de"),
        ("file", Some("a.exe"), "MZ"),
    ]);
    let (s, _, b) = h
        .send(
            Request::post("/api/v1/jobs")
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_format"))
    );
}

#[tokio::test]
async fn round_trip_scores_show_in_the_api_and_on_the_review_page() {
    let h = harness();
    let v = h.localize("RT-1", "Lamp").await;
    assert_eq!(
        v["results"][0]["localized"]["roundtrip"]["title"], 73,
        "{v}"
    );
    let (s, html) = h.page("/listings/RT-1/review/amazon.de").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("Round-trip score") && html.contains(">73</span>"),
        "{html}"
    );
}

#[tokio::test]
async fn pages_escape_listing_text() {
    let h = harness();
    h.localize("X-1", "<script>alert(1)</script>").await;
    let (s, html) = h.page("/listings/X-1").await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("<script>alert(1)</script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{html}"
    );
    let (s, html) = h.page("/listings/X-1/review/amazon.de").await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("<script>alert(1)</script>"));
    h.state
        .services
        .search
        .upsert(&h.state.services.store.get("X-1").unwrap().unwrap())
        .unwrap();
    let (s, html) = h.page("/search?q=script").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<mark>[amazon.de] &lt;script&gt;"), "{html}");
    let (s, html) = h.page("/listings/%3Cb%3Enope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(html.contains("&lt;b&gt;nope") && !html.contains("<b>nope"));
}

#[tokio::test]
async fn every_page_renders() {
    let h = harness();
    h.localize("P-1", "Pot").await;
    let (ct, body) = multipart(&[
        ("markets", None, "amazon.de"),
        ("file", Some("c.csv"), "sku,title\nA,b\n"),
    ]);
    h.send(
        Request::post("/api/v1/jobs")
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    for uri in [
        "/",
        "/catalog",
        "/jobs/job1",
        "/search",
        "/search?q=pot",
        "/settings",
        "/listings/P-1",
        "/listings/P-1/review/amazon.de",
    ] {
        let (s, html) = h.page(uri).await;
        assert_eq!(s, StatusCode::OK, "{uri}: {html}");
        assert!(
            html.contains(&format!("name=\"csrf-token\" content=\"{CSRF}\"")),
            "{uri}"
        );
    }
    let (_, html) = h.page("/jobs/job1").await;
    assert!(
        html.contains("&lt;b&gt;empty&lt;&#x2f;b&gt;") && !html.contains("<b>empty"),
        "rejects escaped"
    );
    let (s, _, _) = h
        .send(Request::get("/assets/app.js").body(Body::empty()).unwrap())
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn page_posts_need_the_csrf_token() {
    let h = harness();
    h.localize("R-1", "Rug").await;
    // No cookie at all.
    let (s, _, _) = h
        .send(
            Request::post("/listings/R-1/review/amazon.de")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("title=x&action=approve"))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Cookie but wrong field.
    let (s, _, _) = h
        .form(
            "/listings/R-1/review/amazon.de",
            "csrf=wrong&title=x&action=approve",
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Right token: approved and redirected.
    let (s, hd, _) = h
        .form(
            "/listings/R-1/review/amazon.de",
            &format!("csrf={CSRF}&title=Teppich&action=approve"),
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(hd.get(header::LOCATION).unwrap(), "/listings/R-1");
    let (_, v) = h.json("GET", "/api/v1/listings/R-1", None).await;
    assert_eq!(v["localizations"][0]["localized"]["status"], "approved");
    assert_eq!(v["localizations"][0]["localized"]["title"], "Teppich");
    // Multipart page form: csrf part checked before the file is stored.
    let (ct, body) = multipart(&[
        ("csrf", None, "bad"),
        ("markets", None, "amazon.de"),
        ("file", Some("c.csv"), "sku,title\n"),
    ]);
    let (s, _, _) = h
        .send(
            Request::post("/catalog")
                .header(header::CONTENT_TYPE, ct)
                .header(header::COOKIE, format!("{CSRF_COOKIE}={CSRF}"))
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (ct, body) = multipart(&[
        ("csrf", None, CSRF),
        ("markets", None, "amazon.de"),
        ("file", Some("c.csv"), "sku,title\nA,b\n"),
    ]);
    let (s, hd, _) = h
        .send(
            Request::post("/catalog")
                .header(header::CONTENT_TYPE, ct)
                .header(header::COOKIE, format!("{CSRF_COOKIE}={CSRF}"))
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(hd.get(header::LOCATION).unwrap(), "/jobs/job1");
    // Header form (scripts).
    let (s, _, _) = h
        .send(
            Request::post("/settings/rates")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("{CSRF_COOKIE}={CSRF}"))
                .header(CSRF_HEADER, CSRF)
                .body(Body::from("from=usd&to=eur&rate=0.9"))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // API posts from a foreign origin are refused.
    let (s, _, _) = h
        .send(
            Request::post("/api/v1/jobs/job1/cancel")
                .header(header::HOST, "127.0.0.1:8080")
                .header(header::ORIGIN, "https://evil.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A first visit sets the CSRF cookie.
    let (_, hd, _) = h.send(Request::get("/").body(Body::empty()).unwrap()).await;
    let c = hd.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(
        c.starts_with(CSRF_COOKIE) && c.contains("SameSite=Strict") && c.contains("HttpOnly"),
        "{c}"
    );
}

#[tokio::test]
async fn token_is_required_when_configured() {
    let token = "t0ken-t0ken-t0ken-t0ken";
    let h = harness_with(|c| c.token = Some(token.into()));
    let (s, v) = h.json("GET", "/api/v1/markets", None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let (s, _) = h.json("GET", "/healthz", None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = h
        .send(
            Request::get("/api/v1/markets")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = h
        .send(
            Request::get("/api/v1/markets")
                .header(header::AUTHORIZATION, "Bearer wrong")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, hd, _) = h
        .send(
            Request::get(format!("/settings?token={token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(hd.get(header::LOCATION).unwrap(), "/settings");
    let c = hd.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(c.starts_with(&format!("{TOKEN_COOKIE}={token}")));
    let (s, _, _) = h
        .send(
            Request::get("/settings")
                .header(header::COOKIE, format!("{TOKEN_COOKIE}={token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn every_api_route_is_in_the_openapi_document() {
    let h = harness();
    let (s, doc) = h.json("GET", "/api/v1/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    let mut documented: Vec<String> = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    documented.sort();
    // The routes the router serves under /api/v1 (besides the document itself).
    let mut served = vec![
        "POST /api/v1/localize",
        "POST /api/v1/localize/stream",
        "GET /api/v1/listings",
        "GET /api/v1/listings/{sku}",
        "PUT /api/v1/listings/{sku}",
        "DELETE /api/v1/glossaries/{name}",
        "DELETE /api/v1/listings/{sku}",
        "PUT /api/v1/listings/{sku}/localizations/{market}",
        "POST /api/v1/listings/{sku}/localizations/{market}/check",
        "POST /api/v1/listings/{sku}/localizations/{market}/approve",
        "GET /api/v1/search",
        "GET /api/v1/markets",
        "GET /api/v1/rates",
        "PUT /api/v1/rates",
        "GET /api/v1/models",
        "GET /api/v1/workers",
        "POST /api/v1/models/{id}/install",
        "GET /api/v1/glossaries",
        "GET /api/v1/glossaries/{name}",
        "PUT /api/v1/glossaries/{name}",
        "GET /api/v1/jobs",
        "POST /api/v1/jobs",
        "GET /api/v1/jobs/{id}",
        "GET /api/v1/jobs/{id}/events",
        "POST /api/v1/jobs/{id}/cancel",
        "POST /api/v1/jobs/{id}/resume",
        "GET /api/v1/jobs/{id}/results/{kind}",
    ];
    served.sort();
    assert_eq!(documented, served);
    // And each documented route is actually routed (not the 404 fallback, not 405).
    for route in &documented {
        let (method, path) = route.split_once(' ').unwrap();
        let uri = path
            .replace("{sku}", "none")
            .replace("{market}", "m")
            .replace("{id}", "none")
            .replace("{name}", "none")
            .replace("{kind}", "csv");
        let resp = app(h.state.clone())
            .oneshot(
                Request::builder()
                    .method(method)
                    .uri(&uri)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_ne!(resp.status(), StatusCode::METHOD_NOT_ALLOWED, "{route}");
        if resp.status() == StatusCode::NOT_FOUND {
            let b = resp.into_body().collect().await.unwrap().to_bytes();
            let v: Value = serde_json::from_slice(&b).unwrap();
            assert!(
                !v["message"].as_str().unwrap().contains(&format!("`{uri}`")),
                "{route} fell through to the fallback"
            );
        }
    }
}

// ---------------------------------------------------------------- issue 17

/// A request to `uri` with a Host header (and, for unsafe methods, a matching
/// Origin, as a rebinding page's browser sends them).
fn with_host(method: &str, uri: &str, host: &str, body: &str) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, host)
        .header(header::COOKIE, format!("{CSRF_COOKIE}={CSRF}"));
    if method != "GET" {
        b = b
            .header(header::ORIGIN, format!("http://{host}"))
            .header(header::CONTENT_TYPE, "application/json");
    }
    b.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn regression_17_dns_rebinding_other_host_names_get_421() {
    let h = harness_with(|c| c.allowed_hosts = vec!["shop.example.com".into()]);
    let rate = r#"{"from":"USD","to":"EUR","rate":"0.5"}"#;
    for (method, uri, body) in [
        ("GET", "/api/v1/listings", ""),
        ("PUT", "/api/v1/rates", rate),
        ("GET", "/", ""),
        ("GET", "/settings", ""),
        ("GET", "/metrics", ""),
    ] {
        let (s, _, b) = h
            .send(with_host(method, uri, "evil.example:8080", body))
            .await;
        assert_eq!(s, StatusCode::MISDIRECTED_REQUEST, "{method} {uri}");
        let text = String::from_utf8_lossy(&b);
        assert!(text.contains("evil.example"), "{text}");
    }
    assert!(
        h.localizer.rates.lock().unwrap().is_empty(),
        "the rebinding page changed nothing"
    );
    for host in [
        "127.0.0.1:8080",
        "localhost:8080",
        "[::1]:8080",
        "shop.example.com",
    ] {
        let (s, _, _) = h.send(with_host("GET", "/api/v1/listings", host, "")).await;
        assert_eq!(s, StatusCode::OK, "{host}");
    }
    let (s, _, _) = h
        .send(with_host("PUT", "/api/v1/rates", "127.0.0.1:8080", rate))
        .await;
    assert_eq!(s, StatusCode::OK);
    // The Origin check still stands behind the Host check.
    let (s, _, _) = h
        .send(
            Request::put("/api/v1/rates")
                .header(header::HOST, "127.0.0.1:8080")
                .header(header::ORIGIN, "http://evil.example:8080")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(rate))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn regression_17_security_headers_on_pages_api_and_errors() {
    let h = harness();
    for uri in ["/", "/api/v1/markets", "/nope", "/api/v1/nope", "/healthz"] {
        let (_, hd, _) = h.send(Request::get(uri).body(Body::empty()).unwrap()).await;
        let get = |n: &str| {
            hd.get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let csp = get("content-security-policy");
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{uri}: {csp}"
        );
        assert_eq!(get("x-frame-options"), "DENY", "{uri}");
        assert_eq!(get("x-content-type-options"), "nosniff", "{uri}");
    }
}

#[tokio::test]
async fn regression_17_metrics_method_labels_are_a_fixed_set() {
    let h = harness();
    for m in ["FROBNICATE", "XYZZY1", "XYZZY2"] {
        h.send(
            Request::builder()
                .method(m)
                .uri("/nope")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    }
    let (_, _, b) = h
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    let text = String::from_utf8(b).unwrap();
    assert!(
        !text.contains("FROBNICATE") && !text.contains("XYZZY"),
        "{text}"
    );
    assert!(text.contains("method=\"other\""), "{text}");
}

#[tokio::test]
async fn regression_17_multipart_job_action_needs_the_csrf_token() {
    let h = harness();
    let (ct, body) = multipart(&[
        ("markets", None, "amazon.de"),
        ("file", Some("c.csv"), "sku,title\nA,b\n"),
    ]);
    let (s, _, _) = h
        .send(
            Request::post("/api/v1/jobs")
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    // A multipart post (no `csrf` part, no header) to a page that is not an
    // upload form is refused before the handler runs.
    let (ct, body) = multipart(&[("x", None, "y")]);
    let (s, _, _) = h
        .send(
            Request::post("/jobs/job1/cancel")
                .header(header::CONTENT_TYPE, ct)
                .header(header::COOKIE, format!("{CSRF_COOKIE}={CSRF}"))
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn regression_17_multipart_text_parts_are_bounded_while_read() {
    let h = harness();
    let big = "amazon.de,".repeat(100_000);
    let (ct, body) = multipart(&[
        ("markets", None, &big),
        ("file", Some("c.csv"), "sku,title\nA,b\n"),
    ]);
    let (s, v) = {
        let (s, _, b) = h
            .send(
                Request::post("/api/v1/jobs")
                    .header(header::CONTENT_TYPE, ct)
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        (s, serde_json::from_slice::<Value>(&b).unwrap())
    };
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("markets: is over the limit of 4096 bytes"),
        "{v}"
    );
}

fn uploads(h: &Harness) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(h.state.config.data_dir.root().join("uploads"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn regression_17_a_failed_job_creation_leaves_no_upload() {
    let h = harness();
    let (ct, body) = multipart(&[
        ("markets", None, "amazon.de"),
        ("file", Some("c.csv"), "unusable\n"),
    ]);
    let (s, _, _) = h
        .send(
            Request::post("/api/v1/jobs")
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(uploads(&h).is_empty(), "{:?}", uploads(&h));
    let (ct, body) = multipart(&[
        ("csrf", None, CSRF),
        ("markets", None, "amazon.de"),
        ("file", Some("c.csv"), "unusable\n"),
    ]);
    let (s, _, _) = h
        .send(
            Request::post("/catalog")
                .header(header::CONTENT_TYPE, ct)
                .header(header::COOKIE, format!("{CSRF_COOKIE}={CSRF}"))
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(uploads(&h).is_empty(), "{:?}", uploads(&h));
}

#[tokio::test]
async fn regression_17_live_event_streams_are_capped() {
    let h = harness_with(|c| c.max_event_streams = 1);
    let (ct, body) = multipart(&[
        ("markets", None, "amazon.de"),
        ("file", Some("c.csv"), "sku,title\nA,b\n"),
    ]);
    h.send(
        Request::post("/api/v1/jobs")
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    let open = app(h.state.clone())
        .oneshot(
            Request::get("/api/v1/jobs/job1/events")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(open.status(), StatusCode::OK);
    let (s, v) = h.json("GET", "/api/v1/jobs/job1/events", None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(v["code"], "too_many_streams");
    drop(open);
    let again = app(h.state.clone())
        .oneshot(
            Request::get("/api/v1/jobs/job1/events")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        StatusCode::OK,
        "the closed stream's place is free"
    );
}

#[tokio::test]
async fn regression_17_glossaries_can_be_deleted_by_api_and_page() {
    let h = harness();
    for name in ["g1", "g2"] {
        let (s, _, _) = h
            .send(
                Request::put(format!("/api/v1/glossaries/{name}"))
                    .body(Body::from("source,target_lang,target\nlid,de,Deckel\n"))
                    .unwrap(),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let (s, _, _) = h
        .send(
            Request::delete("/api/v1/glossaries/g1")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = h.json("GET", "/api/v1/glossaries/g1", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = h.json("DELETE", "/api/v1/glossaries/g1", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, page) = h.page("/settings").await;
    assert!(
        page.contains("/settings/glossaries/g2/delete"),
        "the page offers it"
    );
    let (s, hd, _) = h
        .form("/settings/glossaries/g2/delete", &format!("csrf={CSRF}"))
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(hd.get(header::LOCATION).unwrap(), "/settings");
    let (_, v) = h.json("GET", "/api/v1/glossaries", None).await;
    assert_eq!(v, json!([]));
}

/// `serve` on a real socket with the fake services, until the returned sender
/// is dropped.
async fn real_server(
    f: impl FnOnce(&mut ServerConfig),
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    Harness,
) {
    let h = harness_with(f);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = h.state.clone();
    tokio::spawn(async move {
        serve(listener, state, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (addr, tx, h)
}

/// Read until the server closes the connection; returns what came.
async fn read_to_close(s: &mut tokio::net::TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    out
}

#[tokio::test]
async fn regression_17_slow_headers_and_idle_keep_alives_are_closed() {
    use tokio::io::AsyncWriteExt;
    // Long enough that a loaded machine still reads a whole request in time
    // (with 300 ms, the idle connection's request could be cut off before it
    // was read); the waits below are for the closes, not for durations.
    let (addr, _stop, _h) = real_server(|c| c.header_timeout = Duration::from_secs(3)).await;
    // Headers that never end: the server closes the connection.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(60), read_to_close(&mut slow))
        .await
        .expect("closed by the header timeout");
    assert!(!String::from_utf8_lossy(&got).contains("200 OK"), "{got:?}");
    // A kept-alive connection that goes quiet after a request is closed too.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(60), read_to_close(&mut idle))
        .await
        .expect("closed after the idle time");
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.1 200 OK") && text.ends_with("ok"),
        "{text}"
    );
}

#[tokio::test]
async fn regression_17_open_connections_are_capped() {
    use tokio::io::AsyncWriteExt;
    let (addr, _stop, _h) = real_server(|c| {
        c.max_connections = 4;
        c.header_timeout = Duration::from_secs(3600);
    })
    .await;
    // Four silent connections take every place.
    let mut hogs = Vec::new();
    for _ in 0..4 {
        hogs.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    let mut fifth = tokio::net::TcpStream::connect(addr).await.unwrap();
    fifth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut reader = Box::pin(read_to_close(&mut fifth));
    // Not served while the four hold their places.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut reader)
            .await
            .is_err(),
        "a fifth connection was served"
    );
    // One leaves: the fifth is served.
    drop(hogs.pop());
    let got = tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .expect("served once a place was free");
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200 OK"));
}
