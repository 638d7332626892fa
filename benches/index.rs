//! Search index speed: index a generated catalog of listings × (source + 3
//! localizations) in mixed languages (English, German, French, Spanish, Japanese,
//! Chinese) into a tantivy index on disk, then run a fixed mix of 1,000 queries.
//! Prints documents/s, the writer heap, index size, peak RSS and query latency
//! p50/p99/max overall and per kind. Deterministic (seeded generator).
//!
//! ```sh
//! cargo bench --bench index                      # 400,000 documents, release
//! cargo bench --profile dev --bench index -- --docs 40000
//! ```
//! Options: `--docs N` (default 400000), `--heap-mb M` (default 256),
//! `--threads T` (default: cores, at most 4), `--queries Q` (default 1000),
//! `--only KIND` (run only the queries of one kind of the mix, for profiling),
//! `--reuse DIR` (index into DIR on the first run, only query it on later runs).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use silkroute::index::{IndexDoc, IndexOptions, SearchIndex, SearchQuery, Sort};
use silkroute::listing::Status;

const EN: &[&str] = &[
    "stainless",
    "steel",
    "water",
    "bottle",
    "insulated",
    "ceramic",
    "coffee",
    "mug",
    "bamboo",
    "cutting",
    "board",
    "merino",
    "wool",
    "hiking",
    "socks",
    "desk",
    "lamp",
    "brightness",
    "charging",
    "phone",
    "case",
    "garden",
    "hose",
    "yoga",
    "mat",
    "carrying",
    "strap",
    "dishwasher",
    "safe",
    "kitchen",
    "outdoor",
    "portable",
    "wireless",
    "headphones",
    "battery",
    "lightweight",
    "durable",
    "premium",
    "quality",
    "design",
    "perfect",
    "gift",
    "travel",
    "camping",
    "leakproof",
    "handle",
    "silicone",
    "cover",
    "storage",
    "container",
    "organizer",
    "cotton",
    "towel",
    "blanket",
    "pillow",
    "backpack",
    "waterproof",
    "jacket",
    "keeps",
    "drinks",
    "cold",
    "hours",
    "large",
    "small",
    "black",
    "white",
    "green",
    "with",
    "for",
    "and",
    "the",
];
const DE: &[&str] = &[
    "Edelstahl",
    "Trinkflasche",
    "Flaschen",
    "isoliert",
    "Keramik",
    "Kaffeebecher",
    "Bambus",
    "Schneidebrett",
    "Wandersocken",
    "Schreibtischlampe",
    "Helligkeit",
    "Ladeanschluss",
    "Handyhülle",
    "Gartenschlauch",
    "Yogamatte",
    "spülmaschinenfest",
    "Küche",
    "tragbar",
    "kabellos",
    "Kopfhörer",
    "leicht",
    "langlebig",
    "hochwertig",
    "Geschenk",
    "Reise",
    "wasserdicht",
    "Rucksack",
    "Getränke",
    "kalt",
    "Stunden",
    "groß",
    "klein",
    "schwarz",
    "weiß",
    "mit",
    "für",
    "und",
    "der",
    "die",
    "das",
];
const FR: &[&str] = &[
    "bouteille",
    "inoxydable",
    "acier",
    "isotherme",
    "tasse",
    "céramique",
    "café",
    "planche",
    "découper",
    "chaussettes",
    "randonnée",
    "lampe",
    "bureau",
    "luminosité",
    "coque",
    "téléphone",
    "tuyau",
    "jardin",
    "tapis",
    "cuisine",
    "portable",
    "écouteurs",
    "léger",
    "durable",
    "cadeau",
    "voyage",
    "imperméable",
    "sac",
    "boissons",
    "froides",
    "heures",
    "grand",
    "petit",
    "noir",
    "blanc",
    "avec",
    "pour",
    "et",
    "le",
    "la",
];
const ES: &[&str] = &[
    "botella",
    "acero",
    "inoxidable",
    "térmica",
    "taza",
    "cerámica",
    "café",
    "tabla",
    "cortar",
    "calcetines",
    "senderismo",
    "lámpara",
    "escritorio",
    "brillo",
    "funda",
    "teléfono",
    "manguera",
    "jardín",
    "esterilla",
    "cocina",
    "portátil",
    "auriculares",
    "ligero",
    "duradero",
    "regalo",
    "viaje",
    "impermeable",
    "mochila",
    "bebidas",
    "frías",
    "horas",
    "grande",
    "pequeño",
    "negro",
    "blanco",
    "con",
    "para",
    "y",
    "el",
    "la",
];
const JA: &[&str] = &[
    "ステンレス",
    "製",
    "ボトル",
    "保冷",
    "保温",
    "水筒",
    "マグカップ",
    "陶器",
    "コーヒー",
    "竹",
    "まな板",
    "靴下",
    "登山",
    "デスク",
    "ライト",
    "明るさ",
    "充電",
    "スマホ",
    "ケース",
    "ホース",
    "ヨガマット",
    "食洗機",
    "対応",
    "キッチン",
    "軽量",
    "耐久",
    "ギフト",
    "旅行",
    "防水",
    "リュック",
    "時間",
    "大容量",
    "黒",
    "白",
    "の",
    "に",
    "で",
    "を",
];
const ZH: &[&str] = &[
    "不锈钢",
    "保温",
    "水杯",
    "水壶",
    "陶瓷",
    "咖啡",
    "杯子",
    "竹",
    "砧板",
    "袜子",
    "徒步",
    "台灯",
    "亮度",
    "充电",
    "手机壳",
    "水管",
    "花园",
    "瑜伽垫",
    "洗碗机",
    "厨房",
    "便携",
    "无线",
    "耳机",
    "轻便",
    "耐用",
    "礼物",
    "旅行",
    "防水",
    "背包",
    "饮料",
    "小时",
    "大",
    "小",
    "黑色",
    "白色",
    "的",
    "和",
    "适合",
];
const BRANDS: &[&str] = &[
    "Aqua", "Lumo", "Trail", "Clay&Co", "Nordik", "Sakura", "Dragon", "Vento", "Oak", "Pixel",
    "Zenith", "Kumo", "Atlas", "Fjord", "Solis", "Terra", "Nimbus", "Koi", "Lotus", "Orca",
];
const CATEGORIES: &[&str] = &[
    "Home > Kitchen > Bottles",
    "Home > Kitchen > Mugs",
    "Home > Kitchen > Boards",
    "Sports > Outdoor > Hiking",
    "Sports > Yoga",
    "Office > Lighting",
    "Electronics > Phone accessories",
    "Electronics > Audio",
    "Garden > Watering",
    "Fashion > Socks",
    "Fashion > Bags",
    "Home > Textiles",
];
/// (market, language, vocabulary, word separator).
const MARKETS: &[(&str, &str, &[&str], &str)] = &[
    ("amazon-de", "de", DE, " "),
    ("amazon-fr", "fr", FR, " "),
    ("amazon-es", "es", ES, " "),
    ("rakuten-jp", "ja", JA, ""),
    ("tmall-cn", "zh", ZH, ""),
];

fn text(rng: &mut StdRng, vocab: &[&str], sep: &str, words: usize) -> String {
    let mut out = String::new();
    for i in 0..words {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(vocab[rng.random_range(0..vocab.len())]);
    }
    out
}

fn version(
    rng: &mut StdRng,
    i: usize,
    market: &str,
    lang: &str,
    vocab: &[&str],
    sep: &str,
) -> IndexDoc {
    let n_bullets = rng.random_range(3..=5);
    let title_words = rng.random_range(6..=12);
    let desc_words = rng.random_range(40..=120);
    let mut title = text(rng, vocab, sep, title_words);
    if rng.random_bool(0.3) {
        title.push_str(&format!(
            " MX-{}{}",
            i % 9000 + 1000,
            (b'A' + (i % 26) as u8) as char
        ));
    }
    let bullets = (0..n_bullets)
        .map(|_| {
            let w = rng.random_range(8..=15);
            text(rng, vocab, sep, w)
        })
        .collect();
    let status = [
        Status::Draft,
        Status::Localized,
        Status::NeedsReview,
        Status::Approved,
    ][rng.random_range(0..4)];
    IndexDoc {
        sku: format!("SKU-{i:06}"),
        market: market.into(),
        language: lang.into(),
        title,
        bullets,
        description: text(rng, vocab, sep, desc_words),
        attributes: vec![
            format!("color: {}", vocab[rng.random_range(0..vocab.len())]),
            format!("material: {}", vocab[rng.random_range(0..vocab.len())]),
        ],
        brand: Some(BRANDS[i % BRANDS.len()].into()),
        category: Some(CATEGORIES[rng.random_range(0..CATEGORIES.len())].into()),
        status,
        price: Some(rng.random_range(100..20_000) as f64 / 100.0),
        currency: Some("EUR".into()),
        updated_at: Utc
            .timestamp_opt(1_700_000_000 + rng.random_range(0..30_000_000), 0)
            .single()
            .unwrap_or_else(Utc::now),
        findings: rng.random_range(0..4),
    }
}

/// The source and three localizations of listing `i`, deterministic per `i`.
fn listing_docs(i: usize) -> Vec<IndexDoc> {
    let mut rng = StdRng::seed_from_u64(0x5eed_0000 + i as u64);
    let mut docs = vec![version(&mut rng, i, "source", "en", EN, " ")];
    let skip = i % MARKETS.len();
    let mut picked = 0;
    for (k, (market, lang, vocab, sep)) in MARKETS.iter().enumerate() {
        if k == skip || picked == 3 {
            continue;
        }
        picked += 1;
        docs.push(version(&mut rng, i, market, lang, vocab, sep));
    }
    docs
}

fn typo(rng: &mut StdRng, word: &str) -> String {
    let mut c: Vec<char> = word.to_lowercase().chars().collect();
    let at = rng.random_range(1..c.len());
    match rng.random_range(0..3) {
        0 => c[at] = 'x',
        1 => {
            c.remove(at);
        }
        _ => c.swap(at - 1, at),
    }
    c.into_iter().collect()
}

fn pick<'a>(rng: &mut StdRng, v: &[&'a str]) -> &'a str {
    v[rng.random_range(0..v.len())]
}

/// The fixed query mix: (kind, query).
fn queries(n: usize, listings: usize) -> Vec<(&'static str, SearchQuery)> {
    let mut rng = StdRng::seed_from_u64(42);
    let long = |v: &[&'static str]| -> Vec<&'static str> {
        v.iter()
            .copied()
            .filter(|w| w.chars().count() >= 6)
            .collect()
    };
    let (en_long, de_long, fr_long) = (long(EN), long(DE), long(FR));
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let q = match k % 10 {
            0 | 1 => {
                let v = [EN, DE, FR, ES][rng.random_range(0..4)];
                (
                    "single",
                    SearchQuery::text(format!("{} ", pick(&mut rng, v))),
                )
            }
            2 => {
                let v = [EN, DE, FR][rng.random_range(0..3)];
                let w = rng.random_range(2..=3);
                (
                    "multi",
                    SearchQuery::text(format!("{} ", text(&mut rng, v, " ", w))),
                )
            }
            3 => {
                let v = [&en_long, &de_long, &fr_long][rng.random_range(0..3)];
                let w = pick(&mut rng, v);
                ("typo", SearchQuery::text(format!("{} ", typo(&mut rng, w))))
            }
            4 => {
                let w = pick(&mut rng, &en_long);
                let len = rng.random_range(3..=5).min(w.len());
                ("prefix", SearchQuery::text(&w[..len]))
            }
            5 => {
                let (market, lang, vocab, _) = MARKETS[rng.random_range(0..MARKETS.len())];
                let word = pick(&mut rng, vocab);
                let mut q = SearchQuery::text(format!("{word} "));
                q.market = Some(market.into());
                q.lang = Some(lang.into());
                q.status = Some(Status::NeedsReview);
                q.max_price = Some(100.0);
                ("filtered", q)
            }
            6 => {
                let mut q = SearchQuery::text("");
                q.category = Some(["kitchen", "Sports", "Electronics > Audio"][k % 3].into());
                q.brand = Some(pick(&mut rng, BRANDS).into());
                q.sort = [Sort::Price, Sort::Updated][k % 2];
                ("faceted", q)
            }
            7 => {
                let v = [JA, ZH][rng.random_range(0..2)];
                let w = rng.random_range(1..=2);
                ("cjk", SearchQuery::text(text(&mut rng, v, "", w)))
            }
            8 => {
                let i = rng.random_range(0..listings.max(1));
                ("sku", SearchQuery::text(format!("SKU-{i:06}")))
            }
            _ => {
                let mut q = SearchQuery::text(format!("{} ", pick(&mut rng, EN)));
                q.sort = Sort::Price;
                q.page = 3;
                ("sorted", q)
            }
        };
        out.push(q);
    }
    out
}

fn build(index: &SearchIndex, listings: usize) {
    // Generate the catalog first, so the figure is the index's own throughput.
    let started = Instant::now();
    let all_docs: Vec<IndexDoc> = (0..listings).flat_map(listing_docs).collect();
    let text_bytes: usize = all_docs
        .iter()
        .map(|d| {
            d.title.len()
                + d.description.len()
                + d.bullets.iter().map(String::len).sum::<usize>()
                + d.attributes.iter().map(String::len).sum::<usize>()
        })
        .sum();
    println!(
        "  generated {} documents ({:.0} MiB of text) in {:.1} s (not counted below)",
        all_docs.len(),
        text_bytes as f64 / (1 << 20) as f64,
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let n = index.rebuild(all_docs.into_iter()).expect("index");
    let took = started.elapsed().as_secs_f64();
    println!(
        "  indexed {n} documents in {took:.1} s: {:.0} documents/s, {:.1} MiB of text/s (one commit included)",
        n as f64 / took,
        text_bytes as f64 / (1 << 20) as f64 / took
    );
    println!(
        "  index size on disk: {:.0} MiB; peak RSS so far {} MiB",
        index.size_on_disk() as f64 / (1 << 20) as f64,
        vm_hwm_kib().unwrap_or(0) / 1024
    );
}

fn vm_hwm_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn arg(args: &[String], name: &str) -> Option<usize> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1)?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --all-targets` runs bench programs without `--bench`: do nothing.
    if !args.iter().any(|a| a == "--bench") && arg(&args, "--docs").is_none() {
        return;
    }
    let docs = arg(&args, "--docs").unwrap_or(400_000).max(4);
    let heap_mb = arg(&args, "--heap-mb").unwrap_or(256);
    let threads = arg(&args, "--threads").unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(4)
    });
    let n_queries = arg(&args, "--queries").unwrap_or(1000);
    let listings = docs / 4;

    // `--reuse DIR`: index into DIR once, and only query it on later runs.
    let reuse = args
        .iter()
        .position(|a| a == "--reuse")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from);
    let tmp = tempfile::tempdir().expect("temp dir");
    let index_dir = reuse.clone().unwrap_or_else(|| tmp.path().join("index"));
    let reused = reuse.is_some() && index_dir.join("meta.json").exists();
    let index = SearchIndex::open_with(
        &index_dir,
        IndexOptions {
            writer_heap_bytes: heap_mb << 20,
            writer_threads: threads,
            commit_interval: None,
        },
    )
    .expect("open index");
    println!(
        "index: {listings} listings x (source + 3 localizations) = {} documents, writer heap {heap_mb} MiB, {threads} threads",
        listings * 4
    );
    if reused {
        println!(
            "  reusing the index in {} ({} documents)",
            index_dir.display(),
            index.num_docs()
        );
    } else {
        build(&index, listings);
    }
    let mix = queries(n_queries, listings);
    // Opening reads each segment's facet table (the reader's warmer): time a
    // second, read-only opening of the same index, as a restarted server does.
    let t = Instant::now();
    let reopened = SearchIndex::open_read_only(&index_dir).expect("reopen");
    println!(
        "  opening the index read-only: {:.1} ms ({} segments, facet tables included)",
        t.elapsed().as_secs_f64() * 1000.0,
        reopened.segment_count()
    );
    drop(reopened);
    // Warm-up: page in the index once.
    for (_, q) in mix.iter().take(50) {
        let _ = index.search(q);
    }
    let mut slowest: Vec<(Duration, &str, String)> = Vec::new();
    let mut per_kind: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut all = Vec::with_capacity(mix.len());
    let mut errors = 0;
    let mut hits = 0u64;
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1));
    for (kind, q) in &mix {
        if only.is_some_and(|o| o != kind) {
            continue;
        }
        let t = Instant::now();
        match index.search(q) {
            Ok(r) => hits += r.total,
            Err(_) => errors += 1,
        }
        let d = t.elapsed();
        slowest.push((d, kind, format!("{:?}", q.text)));
        per_kind.entry(kind).or_default().push(d);
        all.push(d);
    }
    all.sort();
    println!(
        "queries: {} (facet counts on every query), {errors} errors, {:.0} matches on average",
        all.len(),
        hits as f64 / all.len().max(1) as f64
    );
    println!(
        "  {:<9} {:>6} {:>9} {:>9} {:>9}",
        "kind", "n", "p50 ms", "p99 ms", "max ms"
    );
    println!(
        "  {:<9} {:>6} {:>9.2} {:>9.2} {:>9.2}",
        "all",
        all.len(),
        pct(&all, 0.5),
        pct(&all, 0.99),
        pct(&all, 1.0)
    );
    for (kind, mut v) in per_kind {
        v.sort();
        println!(
            "  {:<9} {:>6} {:>9.2} {:>9.2} {:>9.2}",
            kind,
            v.len(),
            pct(&v, 0.5),
            pct(&v, 0.99),
            pct(&v, 1.0)
        );
    }
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    println!("  slowest 1%:");
    for (d, kind, text) in slowest.iter().take(mix.len().div_ceil(100)) {
        println!("    {:>7.2} ms  {kind:<9} {text}", d.as_secs_f64() * 1000.0);
    }
    println!("peak RSS (VmHWM): {} MiB", vm_hwm_kib().unwrap_or(0) / 1024);
}
