//! The fault test (issue 17): a real `silkroute serve` on the test model with a
//! fresh data directory, attacked in turn with a sparse XLSX upload (one cell in
//! A1.., one in XFD1048576), a reject flood (a CSV of millions of bad rows), an
//! XLSX zip bomb (shared strings inflating to 200 MiB behind a size header that
//! says 1,000 bytes) and 100 streamed localizations whose clients connect, are
//! admitted or refused, and hang up. During each attack a sampler reads the
//! server's resident memory from /proc and a prober times `/healthz`; afterwards
//! the server must still answer, its memory must have stayed under
//! [`MAX_RSS_BYTES`], the cancelled generations must have left the engine, and
//! a normal localization must still succeed. Then: a rate injection is a
//! 422, two glossaries whose union is over one file's row limit still localize,
//! and a bad `rates.csv` does not stop the next start. The figures are printed (run with
//! `--nocapture` to see them); `SILKROUTE_FAULT_BIN=<path>` runs the attacks on
//! another build of the binary.

mod common;
use common::test_model;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The server's resident memory must stay under this during every attack.
const MAX_RSS_BYTES: u64 = 1536 << 20;

/// Kills the server (SIGTERM, then SIGKILL) when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One request on its own connection (`Connection: close`); status and body.
fn http(addr: SocketAddr, method: &str, path: &str, ctype: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(600))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
        addr.port(),
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = match out.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => out[i + 4..].to_vec(),
        None => Vec::new(),
    };
    (status, body)
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let (s, b) = http(addr, "GET", path, "text/plain", b"");
    (s, String::from_utf8_lossy(&b).into_owned())
}

fn multipart(file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "fAuLtBoUnDaRy";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"markets\"\r\n\r\namazon.de\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn rss_bytes(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Samples memory and times `/healthz` while an attack runs.
struct Watch {
    stop: Arc<AtomicBool>,
    peak_rss: Arc<AtomicU64>,
    worst_healthz_us: Arc<AtomicU64>,
    probes: Arc<AtomicU64>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Watch {
    fn start(addr: SocketAddr, pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak_rss = Arc::new(AtomicU64::new(rss_bytes(pid)));
        let worst = Arc::new(AtomicU64::new(0));
        let probes = Arc::new(AtomicU64::new(0));
        let mut threads = Vec::new();
        {
            let (stop, peak) = (stop.clone(), peak_rss.clone());
            threads.push(std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_bytes(pid), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(10));
                }
            }));
        }
        {
            let (stop, worst, probes) = (stop.clone(), worst.clone(), probes.clone());
            threads.push(std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let (s, b) = get(addr, "/healthz");
                    assert_eq!((s, b.as_str()), (200, "ok"), "/healthz during an attack");
                    worst.fetch_max(t.elapsed().as_micros() as u64, Ordering::Relaxed);
                    probes.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(20));
                }
            }));
        }
        Self {
            stop,
            peak_rss,
            worst_healthz_us: worst,
            probes,
            threads,
        }
    }

    /// Stop, print and check the figures of one attack.
    fn finish(self, attack: &str, took: Duration) {
        // At least one probe ran during the attack.
        while self.probes.load(Ordering::Relaxed) == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            t.join().expect("watch thread");
        }
        let peak = self.peak_rss.load(Ordering::Relaxed);
        eprintln!(
            "fault: {attack}: {:.2} s; peak RSS {:.0} MiB; /healthz worst {:.1} ms over {} probes",
            took.as_secs_f64(),
            peak as f64 / (1 << 20) as f64,
            self.worst_healthz_us.load(Ordering::Relaxed) as f64 / 1000.0,
            self.probes.load(Ordering::Relaxed)
        );
        assert!(
            peak < MAX_RSS_BYTES,
            "{attack}: peak RSS {peak} bytes, over {MAX_RSS_BYTES}"
        );
    }
}

fn sparse_xlsx() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sparse.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "sku").unwrap();
    ws.write_string(0, 1, "title").unwrap();
    ws.write_string(1, 0, "SPARSE-1").unwrap();
    ws.write_string(1, 1, "Desk lamp").unwrap();
    ws.write_string(1_048_575, 16_383, "far away").unwrap();
    wb.save(&path).unwrap();
    std::fs::read(path).unwrap()
}

/// Shared strings inflating to 200 MiB, the size header saying 1,000 bytes.
fn zip_bomb() -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let parts: [(&str, &[u8]); 3] = [
        ("[Content_Types].xml", b"<Types/>"),
        ("xl/workbook.xml", br#"<workbook><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        ("xl/_rels/workbook.xml.rels", br#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#),
    ];
    for (name, data) in parts {
        z.start_file(name, opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.start_file("xl/sharedStrings.xml", opts).unwrap();
    z.write_all(b"<sst>").unwrap();
    let chunk = format!("<si><t>{}</t></si>", "a".repeat(1000)).repeat(1024);
    for _ in 0..200 {
        z.write_all(chunk.as_bytes()).unwrap();
    }
    z.write_all(b"</sst>").unwrap();
    z.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    z.write_all(br#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"#).unwrap();
    let mut bytes = z.finish().unwrap().into_inner();
    let name = b"xl/sharedStrings.xml";
    let mut at = 0;
    while let Some(p) = bytes[at..].windows(name.len()).position(|w| w == name) {
        let pos = at + p;
        if pos >= 30 && bytes[pos - 30..pos - 26] == *b"PK\x03\x04" {
            bytes[pos - 8..pos - 4].copy_from_slice(&1000u32.to_le_bytes());
        }
        if pos >= 46 && bytes[pos - 46..pos - 42] == *b"PK\x01\x02" {
            bytes[pos - 22..pos - 18].copy_from_slice(&1000u32.to_le_bytes());
        }
        at = pos + 1;
    }
    bytes
}

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

#[test]
fn server_survives_hostile_files_a_reject_flood_and_connect_and_drop() {
    let model = test_model();
    let data = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let server = Server(
        // SILKROUTE_FAULT_BIN runs the same attacks on another build (an
        // older release, to compare).
        Command::new(
            std::env::var_os("SILKROUTE_FAULT_BIN")
                .unwrap_or_else(|| env!("CARGO_BIN_EXE_silkroute").into()),
        )
        .arg("--data-dir")
        .arg(data.path())
        .args([
            "serve",
            "--offline",
            "--listen",
            &addr.to_string(),
            "--model",
        ])
        .arg(&model)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start silkroute serve"),
    );
    let pid = server.0.id();
    let ready_by = Instant::now() + Duration::from_secs(300);
    loop {
        if TcpStream::connect(addr).is_ok() && get(addr, "/readyz").0 == 200 {
            break;
        }
        assert!(Instant::now() < ready_by, "the server did not get ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "fault: ready; RSS {:.0} MiB",
        rss_bytes(pid) as f64 / (1 << 20) as f64
    );

    // 1. A sparse XLSX: a job with one row and one reject, not an abort.
    let w = Watch::start(addr, pid);
    let t = Instant::now();
    let (ct, body) = multipart("sparse.xlsx", &sparse_xlsx());
    let (s, b) = http(addr, "POST", "/api/v1/jobs", &ct, &body);
    w.finish("sparse XLSX upload", t.elapsed());
    let b = String::from_utf8_lossy(&b);
    assert_eq!(s, 202, "{b}");
    assert!(
        b.contains("\"rejected\":1") && b.contains("beyond column"),
        "{b}"
    );

    // 2. A reject flood: 4 million one-field rows (8 MiB).
    let mut flood = b"sku,title\n".to_vec();
    flood.extend(b"x\n".repeat(4_000_000));
    let w = Watch::start(addr, pid);
    let t = Instant::now();
    let (ct, body) = multipart("flood.csv", &flood);
    let (s, b) = http(addr, "POST", "/api/v1/jobs", &ct, &body);
    w.finish("reject flood (4M bad rows, 8 MiB)", t.elapsed());
    let b = String::from_utf8_lossy(&b);
    assert_eq!(s, 202, "{b}");
    assert!(b.contains("\"rejected\":100001"), "{b}");
    let t = Instant::now();
    let (s, page) = get(addr, "/api/v1/jobs");
    eprintln!(
        "fault: job list after the flood: {} bytes in {:.1} ms",
        page.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(s, 200);
    assert!(
        page.len() < 200_000,
        "the list carries the first rejects only"
    );

    // 3. A zip bomb: refused with a clear error, nothing inflated past the lie.
    let bomb = zip_bomb();
    let w = Watch::start(addr, pid);
    let t = Instant::now();
    let (ct, body) = multipart("bomb.xlsx", &bomb);
    let (s, b) = http(addr, "POST", "/api/v1/jobs", &ct, &body);
    w.finish(
        &format!(
            "zip bomb ({} KiB file, 200 MiB inflated)",
            bomb.len() / 1024
        ),
        t.elapsed(),
    );
    let b = String::from_utf8_lossy(&b);
    assert_eq!(s, 422, "{b}");
    assert!(b.contains("sharedStrings"), "{b}");

    // 4. Connect and drop 100 streamed localizations.
    let w = Watch::start(addr, pid);
    let t = Instant::now();
    let (mut admitted, mut refused) = (0, 0);
    for i in 0..100 {
        let body = format!(
            r#"{{"listing":{{"sku":"DROP-{i}","title":"Stainless steel water bottle 500 ml, keeps drinks cold for 24 hours","bullets":["Double wall","Leak-proof lid","BPA free"]}},"markets":["amazon.de","amazon.fr"]}}"#
        );
        let mut c = TcpStream::connect(addr).unwrap();
        write!(
            c,
            "POST /api/v1/localize/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut first = [0u8; 12];
        c.read_exact(&mut first).unwrap();
        match &first[9..12] {
            b"200" => admitted += 1,
            b"503" => refused += 1,
            other => panic!("status {}", String::from_utf8_lossy(other)),
        }
        drop(c);
    }
    let dropped_at = Instant::now();
    // Every dropped stream's work ends: nothing in flight, nothing queued.
    let drained = loop {
        let (_, m) = get(addr, "/metrics");
        if metric(&m, "silkroute_interactive_in_flight") == Some(0.0)
            && metric(&m, "silkroute_queue_depth") == Some(0.0)
        {
            break dropped_at.elapsed();
        }
        assert!(
            dropped_at.elapsed() < Duration::from_secs(300),
            "dropped generations still running: {m}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    w.finish(
        &format!("connect-and-drop x100 ({admitted} admitted, {refused} refused)"),
        t.elapsed(),
    );
    eprintln!(
        "fault: the engine was idle {:.0} ms after the last client hung up",
        drained.as_secs_f64() * 1000.0
    );
    assert!(admitted > 0);

    // Afterwards: it answers, and a normal localization works.
    assert_eq!(get(addr, "/healthz"), (200, "ok".to_string()));
    let body = br#"{"listing":{"sku":"AFTER-1","title":"Stainless steel water bottle 500 ml"},"markets":["amazon.de"]}"#;
    let (s, b) = http(addr, "POST", "/api/v1/localize", "application/json", body);
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(s, 200, "{v}");
    let title = v["results"][0]["localized"]["title"].as_str().unwrap_or("");
    assert!(!title.is_empty(), "{v}");
    eprintln!(
        "fault: after the attacks a localization worked; RSS {:.0} MiB",
        rss_bytes(pid) as f64 / (1 << 20) as f64
    );

    // Rates are validated typed values (the issue's injection is a 422), and
    // two glossaries for one language whose union is over one file's row
    // limit (20,000) still localize.
    let (s, _) = http(
        addr,
        "PUT",
        "/api/v1/rates",
        "application/json",
        br#"{"from":"AAA","to":"EUR","rate":"\"0.9"}"#,
    );
    assert_eq!(s, 422);
    let (s, _) = http(
        addr,
        "PUT",
        "/api/v1/rates",
        "application/json",
        br#"{"from":"usd","to":"eur","rate":"0.92"}"#,
    );
    assert_eq!(s, 200);
    for g in ["g1", "g2"] {
        let mut csv = String::from("source,target_lang,target\n");
        for i in 0..10_001 {
            csv.push_str(&format!("{g}term{i},de,{g}Begriff{i}\n"));
        }
        let (s, b) = http(
            addr,
            "PUT",
            &format!("/api/v1/glossaries/{g}"),
            "text/csv",
            csv.as_bytes(),
        );
        assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
    }
    let body = br#"{"listing":{"sku":"AFTER-2","title":"Stainless steel lunch box"},"markets":["amazon.de"]}"#;
    let (s, b) = http(addr, "POST", "/api/v1/localize", "application/json", body);
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(s, 200, "{v}");
    assert!(
        v["results"][0]["localized"]["title"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{v}"
    );
    drop(server);

    // A bad rates.csv on disk is reported and set aside, never fatal.
    let rates = data.path().join("rates.csv");
    assert!(
        std::fs::read_to_string(&rates)
            .unwrap()
            .contains("USD,EUR,0.92")
    );
    std::fs::write(&rates, "from,to,rate\nAAA,EUR,\"0.9\n").unwrap();
    let server = Server(
        Command::new(
            std::env::var_os("SILKROUTE_FAULT_BIN")
                .unwrap_or_else(|| env!("CARGO_BIN_EXE_silkroute").into()),
        )
        .arg("--data-dir")
        .arg(data.path())
        .args([
            "serve",
            "--offline",
            "--listen",
            &addr.to_string(),
            "--model",
        ])
        .arg(&model)
        .env("RUST_LOG", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start silkroute serve again"),
    );
    let ready_by = Instant::now() + Duration::from_secs(300);
    while !(TcpStream::connect(addr).is_ok() && get(addr, "/readyz").0 == 200) {
        assert!(Instant::now() < ready_by, "the server did not start again");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(get(addr, "/api/v1/rates"), (200, "[]".to_string()));
    assert!(data.path().join("rates.csv.bad").exists());
    drop(server);
}
