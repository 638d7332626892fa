//! The real-browser test: starts the `silkroute` binary on the test model with a
//! fresh data dir, drives headless Chromium through chromedriver (WebDriver, with
//! `fantoccini`), and goes through the app as a seller would: new listing into
//! an Arabic market → streamed result → review and approve → an Arabic source
//! listing and an Arabic search → catalog upload → job done. Arabic fields are
//! checked for `dir="rtl"` on every page that shows them.
//! Screenshots of each page go to `target/browser-artifacts/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them) and
//! the test model (SILKROUTE_TEST_MODEL, else
//! `$SILKROUTE_HOME/models/smollm2-135m-instruct-q4_1.gguf`); fails clearly when
//! either is missing.

mod common;
use common::test_model;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn which(name: &str) -> PathBuf {
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!("`{name}` not found on PATH: apt-get install -y chromium chromium-driver");
}

/// Kills (SIGTERM first) the child when dropped.
struct Proc(Child, &'static str);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("{} did not stop on SIGTERM; killing", self.1);
        let _ = self.0.kill();
    }
}

/// How long a wait for a condition (a page element, a server answering) may
/// take before the test fails: only a bound that turns a hang into a
/// failure. Every wait here is for a condition; a loaded machine (the suite
/// runs many tests at once on two cores) makes them slow, not wrong.
const WAIT_SECS: u64 = 900;

async fn wait_http(url: &str, want_ok: bool) {
    let secs = WAIT_SECS;
    let deadline = Instant::now() + Duration::from_secs(secs);
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<axum::body::Bytes>>();
    loop {
        if let Ok(r) = client.get(url.parse().unwrap()).await
            && (!want_ok || r.status().is_success())
        {
            return;
        }
        assert!(Instant::now() < deadline, "{url} not ready after {secs}s");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn shot(c: &fantoccini::Client, name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

async fn wait_for(c: &fantoccini::Client, css: &str) -> fantoccini::elements::Element {
    let secs = WAIT_SECS;
    c.wait()
        .at_most(Duration::from_secs(secs))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("`{css}` did not appear within {secs}s: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seller_goes_through_the_app_in_chromium() {
    let model = test_model();
    let chromium = which("chromium");
    let chromedriver = which("chromedriver");
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Proc(
        Command::new(env!("CARGO_BIN_EXE_silkroute"))
            .arg("--data-dir")
            .arg(data.path())
            .args([
                "serve",
                "--offline",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--model",
            ])
            .arg(&model)
            .env("RUST_LOG", "info")
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start silkroute serve"),
        "silkroute serve",
    );
    wait_http(&format!("{base}/healthz"), true).await;
    wait_http(&format!("{base}/readyz"), true).await;

    let wd_port = free_port();
    let profile = tempfile::tempdir().unwrap();
    let _driver = Proc(
        Command::new(&chromedriver)
            .arg(format!("--port={wd_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
        "chromedriver",
    );
    wait_http(&format!("http://127.0.0.1:{wd_port}/status"), true).await;
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1280,1000",
                     format!("--user-data-dir={}", profile.path().display())],
        }),
    );
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{wd_port}"))
        .await
        .expect("connect to chromedriver");

    // 1. New listing: fill in, submit, wait for the streamed result.
    c.goto(&format!("{base}/")).await.unwrap();
    wait_for(&c, "#readiness.ok").await;
    c.find(Locator::Css("input[name=sku]"))
        .await
        .unwrap()
        .send_keys("ZX-1")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=title]"))
        .await
        .unwrap()
        .send_keys("Zephyrix insulated steel water bottle <script>alert(1)</script>")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=brand]"))
        .await
        .unwrap()
        .send_keys("Zephyrix")
        .await
        .unwrap();
    c.find(Locator::Css("textarea[name=bullets]"))
        .await
        .unwrap()
        .send_keys("Keeps drinks cold for 24 hours\nLeak-proof lid")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=price]"))
        .await
        .unwrap()
        .send_keys("19.99")
        .await
        .unwrap();
    // Target Amazon.ae in Arabic, a right-to-left market.
    c.execute(
        "document.querySelectorAll('input[name=markets]').forEach(b => { b.checked = b.value === 'amazon.ae-ar'; }); return true;",
        vec![],
    )
    .await
    .unwrap();
    c.find(Locator::Css("#localize-btn"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "body[data-localized=done]").await;
    let streamed_dir = c
        .find(Locator::Css("#results [data-field=title] .text"))
        .await
        .unwrap()
        .attr("dir")
        .await
        .unwrap();
    assert_eq!(streamed_dir.as_deref(), Some("rtl"), "Arabic result field");
    let review = wait_for(&c, "#results .review-link:not([hidden])").await;
    let title = c
        .find(Locator::Css("#results [data-field=title] .text"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!title.trim().is_empty(), "the streamed title is empty");
    shot(&c, "1-new-listing").await;

    // 2. Review and approve.
    review.click().await.unwrap();
    wait_for(&c, "#review-form").await;
    let review_dir = c
        .find(Locator::Css("#review-form input[name=title]"))
        .await
        .unwrap()
        .attr("dir")
        .await
        .unwrap();
    assert_eq!(review_dir.as_deref(), Some("rtl"), "Arabic review field");
    shot(&c, "2-review").await;
    c.find(Locator::Css("#approve-btn"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let status = wait_for(&c, ".localization .status-approved").await;
    assert!(!status.text().await.unwrap().is_empty());
    let h1 = c
        .find(Locator::Css("#listing-title"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        h1.contains("<script>alert(1)</script>"),
        "title shown as text: {h1}"
    );
    let loc_dir = c
        .find(Locator::Css(
            ".localization[data-market='amazon.ae-ar'] .loc-title",
        ))
        .await
        .unwrap()
        .attr("dir")
        .await
        .unwrap();
    assert_eq!(loc_dir.as_deref(), Some("rtl"), "Arabic localization");
    let src_dir = c
        .find(Locator::Css("#listing-title"))
        .await
        .unwrap()
        .attr("dir")
        .await
        .unwrap();
    assert_ne!(
        src_dir.as_deref(),
        Some("rtl"),
        "the English source stays ltr"
    );
    shot(&c, "3-listing").await;

    // 2b. An Arabic source listing (saved through the API from the page, with
    // its CSRF token): its fields are right to left, and search finds it.
    let status = c
        .execute(
            r#"return fetch('/api/v1/listings/AR-1', {method: 'PUT',
                 headers: {'Content-Type': 'application/json',
                           'X-CSRF-Token': document.querySelector('meta[name="csrf-token"]').content},
                 body: JSON.stringify({sku: 'AR-1', language: 'ar',
                   title: 'زجاجة ماء من الفولاذ المقاوم للصدأ سعة 750 مل',
                   description: 'تحافظ على برودة المشروبات لمدة 24 ساعة وسخونتها لمدة 12 ساعة.'})})
               .then(r => r.status)"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(status, json!(200), "PUT /api/v1/listings/AR-1");
    c.goto(&format!("{base}/listings/AR-1")).await.unwrap();
    let title = wait_for(&c, "#listing-title").await;
    assert_eq!(title.attr("dir").await.unwrap().as_deref(), Some("rtl"));
    assert_eq!(title.attr("lang").await.unwrap().as_deref(), Some("ar"));
    let desc = c.find(Locator::Css(".source-description")).await.unwrap();
    assert_eq!(desc.attr("dir").await.unwrap().as_deref(), Some("rtl"));
    shot(&c, "3b-arabic-listing").await;
    c.goto(&format!(
        "{base}/search?q=%D8%A7%D9%84%D9%81%D9%88%D9%84%D8%A7%D8%B0"
    ))
    .await
    .unwrap(); // الفولاذ
    let hit = wait_for(&c, "#search-results .hit a[href='/listings/AR-1']").await;
    assert_eq!(hit.attr("dir").await.unwrap().as_deref(), Some("rtl"));
    shot(&c, "3c-arabic-search").await;

    // 3. Search finds it (as you type).
    c.goto(&format!("{base}/search")).await.unwrap();
    c.find(Locator::Css("#search-q"))
        .await
        .unwrap()
        .send_keys("Zephyrix")
        .await
        .unwrap();
    let hit = wait_for(&c, "#search-results .hit a[href='/listings/ZX-1']").await;
    assert!(!hit.text().await.unwrap().is_empty());
    shot(&c, "4-search").await;

    // 4. Catalog upload; wait for the job to finish.
    c.goto(&format!("{base}/catalog")).await.unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/server/small-catalog.csv");
    c.find(Locator::Css("input[type=file]"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    shot(&c, "5-catalog").await;
    c.find(Locator::Css("#catalog-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "#job").await;
    wait_for(&c, "#job-state[data-state=succeeded]").await;
    wait_for(&c, "#job-results a[href$='/results/csv']").await;
    let rejects = c
        .find(Locator::Css("#job-reject-count"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(rejects.trim(), "1", "the row without a title is rejected");
    shot(&c, "6-job").await;

    // 5. Settings.
    c.goto(&format!("{base}/settings")).await.unwrap();
    wait_for(&c, "#models").await;
    shot(&c, "7-settings").await;

    c.close().await.unwrap();
    drop(server); // SIGTERM: graceful shutdown
}
