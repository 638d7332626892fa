//! Fuzzing in the normal test profile, on stable Rust (issue 17).
//!
//! One target per parser that reads a seller's bytes: every catalog reader
//! (CSV, TSV, JSON, JSON Lines, XLSX, Shopify), the glossary and rates parsers,
//! the HTML description walker (text pieces out, translations back in) and the
//! steps before and after the model (a source segment cleaned, protected, its
//! terms and examples looked up; any text a model could answer cleaned,
//! restored, checked and linted).
//! Each target starts from the committed seed corpus in `tests/fuzz/<target>/`
//! and mutates it (bit flips, interesting bytes, a dictionary of the format's
//! own tokens, cuts, duplications, splices of two seeds) for a bounded time
//! (`SILKROUTE_FUZZ_SECS` per target, 10 s by default; the targets run one
//! at a time, since the live-byte counter is process-wide), from a fixed seed
//! (`SILKROUTE_FUZZ_SEED` to explore others), so a failure repeats.
//!
//! "No crash": every input must come back as records, rejects or a typed
//! error, never a panic. "No allocation over a bound": the global allocator
//! below counts live bytes; a single allocation over [`MAX_ONE_ALLOC`] aborts
//! the run naming its size, and the peak of live bytes during one input must
//! stay under [`MAX_LIVE`].
//!
//! Why not `cargo fuzz` or `bolero`: both want coverage instrumentation
//! (`-Cpasses=sancov-module` and, for cargo fuzz, nightly flags through
//! `RUSTC_BOOTSTRAP=1`), which means a second build of every dependency
//! (candle, tantivy, tokenizers...) with other flags: about a cold dependency
//! build (~15 min on the 2-core CI machine) on top of the one CI already does,
//! for each run. This harness costs one more test binary on the existing
//! build and its run time: 90 s for the nine targets at the default 10 s each
//! (`/usr/bin/time -v target/debug/deps/fuzz-*`: 1:30 wall, 7.3 MB peak RSS,
//! 2,800 to 277,000 inputs per target). What it lacks
//! is coverage guidance: the corpus and the dictionary have to lead the
//! mutations where the parsers branch.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Largest single allocation any input may cause.
const MAX_ONE_ALLOC: usize = 512 << 20;
/// Most live heap bytes while one input is parsed (above what was live before).
const MAX_LIVE: usize = 768 << 20;
/// Largest input the mutator makes.
const MAX_INPUT: usize = 256 << 10;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn too_big(size: usize) -> ! {
    // No allocation here: write the message straight to stderr.
    let mut buf = [0u8; 96];
    let msg = b"fuzz: an allocation over the bound: ";
    buf[..msg.len()].copy_from_slice(msg);
    let mut n = msg.len();
    let digits = size.to_string();
    for b in digits.bytes().take(buf.len() - n - 8) {
        buf[n] = b;
        n += 1;
    }
    buf[n..n + 7].copy_from_slice(b" bytes\n");
    n += 7;
    use std::io::Write;
    let _ = std::io::stderr().write_all(&buf[..n]);
    std::process::abort();
}

// SAFETY: every call is forwarded to `System` with the same layout; the
// counters are plain atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ONE_ALLOC {
            too_big(layout.size());
        }
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ONE_ALLOC {
            too_big(layout.size());
        }
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > MAX_ONE_ALLOC {
            too_big(new_size);
        }
        // SAFETY: forwarded as is.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// A small, fast, seeded generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[u8] = &[
    0, 0xff, 0x7f, 0x80, b'\n', b'\r', b'"', b',', b'\t', b';', b'<', b'>', b'&', b'{', b'}', b'[',
    b']', b':', b'\\', b'=', b'\'',
];

/// One mutation of `input` (several stacked), using `dict` tokens and `other`
/// seeds for splices.
fn mutate(rng: &mut Rng, input: &[u8], dict: &[&[u8]], other: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(6) {
        let len = v.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                v[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => {
                let i = rng.below(len + 1);
                let t = dict[rng.below(dict.len())];
                v.splice(i..i, t.iter().copied());
            }
            3 if len > 1 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(64)).min(len);
                v.drain(a..b);
            }
            4 if len > 1 => {
                // Duplicate a run, sometimes many times (long rows, deep nesting).
                let a = rng.below(len);
                let b = (a + 1 + rng.below(256)).min(len);
                let run = v[a..b].to_vec();
                let many = rng.below(8) == 0;
                let times = 1 + rng.below(if many { 200 } else { 4 });
                for _ in 0..times {
                    v.splice(b..b, run.iter().copied());
                }
            }
            5 if !other.is_empty() => {
                let o = &other[rng.below(other.len())];
                let cut = rng.below(len + 1);
                let from = rng.below(o.len() + 1);
                v.truncate(cut);
                v.extend_from_slice(&o[from..]);
            }
            6 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                v.splice(i..i, bytes);
            }
            7 if len > 0 => {
                let i = rng.below(len);
                v.truncate(i);
            }
            _ => {
                // A UTF-8 oddity: a lone continuation byte, an overlong form,
                // a 4-byte character.
                let odd: &[&[u8]] = &[
                    b"\x80",
                    b"\xc0\xaf",
                    "😀".as_bytes(),
                    "漢".as_bytes(),
                    b"\xef\xbb\xbf",
                ];
                let i = rng.below(len + 1);
                v.splice(i..i, odd[rng.below(odd.len())].iter().copied());
            }
        }
        v.truncate(MAX_INPUT);
    }
    v
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

fn budget() -> Duration {
    let secs = std::env::var("SILKROUTE_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(10.0);
    Duration::from_secs_f64(secs)
}

/// Run `f` on every seed, then on mutations until the budget is spent.
/// Prints the number of inputs and the highest peak of live bytes.
fn fuzz(target: &str, dict: &[&[u8]], f: impl Fn(&[u8])) {
    // One target at a time: the live-byte counter sees the whole process.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let seeds = corpus(target);
    let seed = std::env::var("SILKROUTE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_0017_u64);
    let mut rng = Rng(seed
        ^ target
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31) ^ u64::from(b))
        | 1);
    let started = Instant::now();
    let mut worst = 0usize;
    let mut runs = 0u64;
    let mut one = |input: &[u8]| {
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(input)));
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        if r.is_err() || peak > MAX_LIVE {
            let path = std::env::temp_dir().join(format!("silkroute-fuzz-{target}-crash"));
            let _ = std::fs::write(&path, input);
            panic!(
                "{target}: {} on an input of {} bytes, saved to {}",
                if r.is_err() {
                    "a panic".to_string()
                } else {
                    format!("{peak} live bytes, over the bound of {MAX_LIVE}")
                },
                input.len(),
                path.display()
            );
        }
        worst = worst.max(peak);
        runs += 1;
    };
    for s in &seeds {
        one(s);
    }
    while started.elapsed() < budget() {
        let base = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, base, dict, &seeds);
        one(&input);
    }
    eprintln!(
        "fuzz {target}: {runs} inputs in {:.1} s, highest peak {:.1} MiB above the baseline",
        started.elapsed().as_secs_f64(),
        worst as f64 / (1 << 20) as f64
    );
}

/// Read a whole catalog file: records, rejects or a typed error; never a panic.
fn read_catalog(input: &[u8], name: &str, format: Option<silkroute::catalog::Format>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, input).unwrap();
    let opts = silkroute::catalog::ReadOptions {
        format,
        ..Default::default()
    };
    if let Ok(mut reader) = silkroute::catalog::open(&path, &opts) {
        for item in &mut reader {
            let _ = item;
        }
        let s = reader.stats();
        assert_eq!(s.rows, s.accepted + s.rejected);
    }
}

const CSV_DICT: &[&[u8]] = &[
    b"\"",
    b"\"\"",
    b",",
    b";",
    b"\t",
    b"\r\n",
    b"\n",
    b"sku",
    b"title",
    b"price",
    b"currency",
    b"bullets",
    b"attributes",
    b"extra",
    b"variants",
    b"[\"a\",\"b\"]",
    b"{\"k\":\"v\"}",
    b"'=",
    b"12,50 EUR",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
];
const JSON_DICT: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b":",
    b",",
    b"null",
    b"true",
    b"1e999",
    b"-0",
    b"\"\\u0000\"",
    b"\"\\ud800\"",
    b"\"sku\"",
    b"\"title\"",
    b"\"extra\"",
    b"\"price\"",
    b"{\"amount\":\"1\",\"currency\":\"EUR\"}",
    b"\n",
];
const XML_DICT: &[&[u8]] = &[
    b"<row>",
    b"</row>",
    b"<c r=\"XFD1048576\" t=\"s\"><v>0</v></c>",
    b"<c r=\"A1\" t=\"inlineStr\"><is><t>x</t></is></c>",
    b"<v>",
    b"</v>",
    b"t=\"s\"",
    b"t=\"b\"",
    b"t=\"e\"",
    b"&amp;",
    b"&#x1F600;",
    b"&bogus;",
    b"_x000D_",
    b"_xD83D_",
    b"<![CDATA[",
    b"]]>",
    b"<si><t>a</t></si>",
    b"<rPh><t>p</t></rPh>",
    b"r=\"4294967296\"",
    b"<!--",
];
const HTML_DICT: &[&[u8]] = &[
    b"<p>",
    b"</p>",
    b"<li>",
    b"<br>",
    b"<img alt=\"x\">",
    b"<script>",
    b"</script>",
    b"<!--",
    b"-->",
    b"&amp;",
    b"&#0;",
    b"<![CDATA[",
    b"<svg><title>t</title></svg>",
    b"<table><tr><td>",
    b"<",
    b">",
    b"\"",
    b"'",
];

#[test]
fn fuzz_csv() {
    fuzz("csv", CSV_DICT, |b| read_catalog(b, "f.csv", None));
}

#[test]
fn fuzz_tsv() {
    fuzz("tsv", CSV_DICT, |b| read_catalog(b, "f.tsv", None));
}

#[test]
fn fuzz_shopify() {
    fuzz("shopify", CSV_DICT, |b| {
        read_catalog(b, "f.csv", Some(silkroute::catalog::Format::Shopify))
    });
}

#[test]
fn fuzz_json() {
    fuzz("json", JSON_DICT, |b| read_catalog(b, "f.json", None));
}

#[test]
fn fuzz_jsonl() {
    fuzz("jsonl", JSON_DICT, |b| read_catalog(b, "f.jsonl", None));
}

/// The XLSX target mutates the sheet XML and the shared strings (a seed is
/// both, split at a line holding `=====`) and zips them into a workbook each
/// time: mutating the zip bytes themselves rarely gets past its checksums.
#[test]
fn fuzz_xlsx() {
    use std::io::Write;
    fuzz("xlsx", XML_DICT, |b| {
        let sep = b"\n=====\n";
        let at = b.windows(sep.len()).position(|w| w == sep);
        let (sheet, sst) = match at {
            Some(i) => (&b[..i], &b[i + sep.len()..]),
            None => (b, &b""[..]),
        };
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, data) in [
            ("[Content_Types].xml", &b"<Types/>"[..]),
            ("xl/workbook.xml", &br#"<workbook><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#[..]),
            ("xl/_rels/workbook.xml.rels", &br#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#[..]),
            ("xl/sharedStrings.xml", sst),
            ("xl/worksheets/sheet1.xml", sheet),
        ] {
            z.start_file(name, opts).unwrap();
            z.write_all(data).unwrap();
        }
        let bytes = z.finish().unwrap().into_inner();
        read_catalog(&bytes, "f.xlsx", None);
    });
}

#[test]
fn fuzz_glossary() {
    fuzz("glossary", CSV_DICT, |b| {
        let text = String::from_utf8_lossy(b);
        if let Ok(g) = silkroute::localize::Glossary::from_csv(&text, "g.csv") {
            let _ = g.terms_for("de");
        }
    });
}

#[test]
fn fuzz_rates() {
    fuzz("rates", CSV_DICT, |b| {
        let text = String::from_utf8_lossy(b);
        if let Ok(r) = silkroute::localize::Rates::from_csv(&text, "rates.csv") {
            let _ = r.rate("USD", "EUR");
        }
    });
}

#[test]
fn fuzz_html_description() {
    fuzz("html", HTML_DICT, |b| {
        let text = String::from_utf8_lossy(b);
        if let Ok(pieces) = silkroute::localize::html_text_pieces(&text) {
            // Translations back in, one per piece: the walk must line up.
            let back: Vec<String> = pieces.iter().map(|p| p.to_uppercase()).collect();
            let _ = silkroute::localize::html_rebuild(&text, &back);
            let allowed: Vec<String> = ["p", "br", "li", "ul"].map(String::from).to_vec();
            let _ = silkroute::localize::html_sanitize(&text, &allowed);
        }
    });
}

/// Tokens of a segment and of a small model's answer: placeholders (well formed,
/// out of range, nested), units and numbers in the forms the protector reads,
/// prompt labels, CJK punctuation and counters, marks that change a string's
/// length when its case changes.
const SEGMENT_DICT: &[&[u8]] = &[
    b"{1}",
    b"{2}",
    b"{0}",
    b"{99999999999999999999}",
    b"{{1}}",
    b"{",
    b"}",
    "每分钟".as_bytes(),
    "转/分".as_bytes(),
    "送".as_bytes(),
    "码".as_bytes(),
    "尺码：".as_bytes(),
    "到".as_bytes(),
    "UPF50+".as_bytes(),
    "+".as_bytes(),
    "四件套".as_bytes(),
    "【".as_bytes(),
    "】".as_bytes(),
    "，".as_bytes(),
    "：".as_bytes(),
    "２０".as_bytes(),
    "℃".as_bytes(),
    "°F".as_bytes(),
    " cm".as_bytes(),
    " in".as_bytes(),
    " oz".as_bytes(),
    " mAh".as_bytes(),
    "1/2".as_bytes(),
    "1-1/2".as_bytes(),
    "0-400/0".as_bytes(),
    "½".as_bytes(),
    "×".as_bytes(),
    "1,234.5".as_bytes(),
    "Title: ".as_bytes(),
    "説明文：".as_bytes(),
    "per hour".as_bytes(),
    "İ".as_bytes(),
    "ß".as_bytes(),
    "\u{200b}".as_bytes(),
    "\u{202e}".as_bytes(),
    b"\n",
];

/// Every source language and target pair the pipeline treats differently
/// (CJK or Latin source, a CJK, Latin, right-to-left and Cyrillic target).
const SEGMENT_PAIRS: &[(&str, &str)] = &[
    ("zh", "en"),
    ("en", "de"),
    ("en", "ja"),
    ("ja", "en"),
    ("en", "ar"),
    ("zh", "ru"),
];

/// Markets whose rules differ most: title limits, banned characters, HTML in
/// the description, right-to-left and CJK text.
const SEGMENT_MARKETS: &[&str] = &[
    "amazon.de",
    "amazon.co.jp",
    "amazon.sa-ar",
    "coupang",
    "allegro",
];

#[test]
fn fuzz_segment() {
    use silkroute::localize::{
        CheckOptions, ExampleBank, FieldKind, ProtectRules, RetrievalOptions, Terminology,
        check_output, clean_source, lint_field, lint_fix, protect,
    };
    use silkroute::market::{MarketRegistry, MeasurementSystem, NumberFormat};
    let markets = MarketRegistry::builtin().expect("the built-in markets load");
    let terminology = Terminology::builtin().expect("the built-in terminology loads");
    let bank = ExampleBank::builtin(RetrievalOptions::default()).expect("the built-in bank loads");
    let formats = [
        NumberFormat {
            decimal: ".".into(),
            grouping: ",".into(),
        },
        NumberFormat {
            decimal: ",".into(),
            grouping: "\u{a0}".into(),
        },
    ];
    let opts = CheckOptions::default();
    fuzz("segment", SEGMENT_DICT, |b| {
        // The first line is the source segment, the rest the model's answer
        // (a segment is a sentence or a title: the first 4 KiB).
        let text = String::from_utf8_lossy(&b[..b.len().min(4096)]);
        let (source, answer) = text.split_once('\n').unwrap_or((&text, &text));
        // One pair and kind per input (the checks take milliseconds a
        // segment), chosen by the input, so that a failure repeats.
        let h = b
            .iter()
            .fold(7usize, |h, &x| h.wrapping_mul(31) ^ usize::from(x));
        let i = h % SEGMENT_PAIRS.len();
        let kind = ["title", "bullet", "description", "attribute"][h / 7 % 4];
        {
            let (src, tgt) = SEGMENT_PAIRS[i];
            let rules = ProtectRules {
                brand: Some("Xiaomi"),
                measurement: Some(if i.is_multiple_of(2) {
                    MeasurementSystem::Metric
                } else {
                    MeasurementSystem::Imperial
                }),
                number_format: Some(&formats[i % 2]),
                language: Some(tgt),
                source_language: Some(src),
                title: Some(source),
                ..Default::default()
            };
            // The source side: the Chinese cleaner on the segment as a
            // listing's title and bullet, terminology, retrieved examples.
            let listing = silkroute::Listing {
                sku: "F-1".into(),
                title: source.to_string(),
                bullets: vec![answer.to_string()],
                ..Default::default()
            };
            let _ = clean_source(&listing, src, tgt);
            let p = protect(source, &rules);
            let _ = terminology.hints(&p.text, src, tgt);
            let _ = terminology.whole(&p.text, src, tgt);
            let _ = bank.examples(src, tgt, kind, &p.text, Some(3));
            let (text, _) = check_output(&p, answer, kind, src, tgt, &opts);
            let _ = terminology.inconsistencies(&p.text, &text, src, tgt);
            let _ = terminology.added_materials(&p.text, &text, src, tgt);
            let _ = terminology.added_colours(&p.text, &text, src, tgt);
            let _ = terminology.swapped_numbers(&p.text, &text, src, tgt);
            // The model answering the protected source itself.
            let _ = check_output(&p, &p.text, kind, src, tgt, &opts);
            // The market's rules on the result, and their fixes.
            let market = markets.get(SEGMENT_MARKETS[h / 31 % SEGMENT_MARKETS.len()]);
            let market = market.expect("a built-in market");
            let field = [
                FieldKind::Title,
                FieldKind::Bullet,
                FieldKind::Description,
                FieldKind::SearchTerms,
            ][h / 7 % 4];
            for v in lint_field(field, &text, market, Some("Xiaomi")) {
                let fixed = lint_fix(field, &text, &v, market, Some("Xiaomi"));
                let _ = lint_field(field, &fixed, market, Some("Xiaomi"));
            }
        }
    });
}
