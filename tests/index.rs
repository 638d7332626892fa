//! The search index end to end: a real tantivy index in a temporary directory,
//! the known fixture below, restarts, a killed writer process, and the
//! `search` / `index rebuild` commands of the real binary over a real store.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use silkroute::index::{
    Hit, IndexDoc, IndexError, IndexOptions, MAX_QUERY_BYTES, SearchIndex, SearchQuery,
    SearchResults, Sort,
};
use silkroute::listing::{Listing, LocalizedListing, Price, Provenance, Status};
use silkroute::paths::DataDir;
use silkroute::store::Store;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn doc(
    sku: &str,
    market: &str,
    lang: &str,
    title: &str,
    description: &str,
    brand: &str,
    category: &str,
    status: Status,
    price: f64,
    t: i64,
) -> IndexDoc {
    IndexDoc {
        sku: sku.into(),
        market: market.into(),
        language: lang.into(),
        title: title.into(),
        bullets: Vec::new(),
        description: description.into(),
        attributes: Vec::new(),
        brand: Some(brand.into()),
        category: Some(category.into()),
        status,
        price: Some(price),
        currency: Some("EUR".into()),
        updated_at: at(t),
        findings: 0,
    }
}

/// Eleven versions of six listings, counted by hand in the tests below.
fn fixture() -> Vec<IndexDoc> {
    use Status::*;
    let k = "Home > Kitchen";
    let mugs = "Home > Kitchen > Mugs";
    let office = "Office > Lighting";
    let sports = "Sports > Outdoor";
    vec![
        doc(
            "BOT-1",
            "source",
            "en",
            "Insulated stainless steel water bottle",
            "Keeps drinks cold for 24 hours.",
            "Aqua",
            k,
            Draft,
            19.99,
            100,
        ),
        doc(
            "BOT-1",
            "amazon-de",
            "de",
            "Zwei Flaschen aus Edelstahl",
            "Die Flaschen halten Getränke 24 Stunden kalt.",
            "Aqua",
            k,
            Localized,
            21.5,
            200,
        ),
        doc(
            "BOT-1",
            "rakuten-jp",
            "ja",
            "ステンレス製ボトル 500ml",
            "保冷ボトル、24時間冷たさをキープ。",
            "Aqua",
            k,
            NeedsReview,
            2980.0,
            300,
        ),
        doc(
            "BOT-1",
            "tmall-cn",
            "zh",
            "不锈钢保温水杯",
            "我们的不锈钢水杯可以让饮料保持冰凉。",
            "Aqua",
            k,
            Approved,
            139.0,
            400,
        ),
        doc(
            "MUG-2",
            "source",
            "en",
            "Ceramic coffee mug",
            "Dishwasher safe coffee mug, 350 ml.",
            "Clay&Co",
            mugs,
            Draft,
            9.5,
            150,
        ),
        doc(
            "MUG-2",
            "amazon-de",
            "de",
            "Keramik Kaffeebecher",
            "Spülmaschinenfester Becher.",
            "Clay&Co",
            mugs,
            NeedsReview,
            11.0,
            250,
        ),
        doc(
            "LAMP-3",
            "source",
            "en",
            "LED desk lamp DL-200X with USB port",
            "Five brightness levels. <b>bright</b> & \"warm\" light.",
            "Lumo",
            office,
            Approved,
            35.0,
            50,
        ),
        doc(
            "LAMP-3",
            "amazon-fr",
            "fr",
            "Lampe de bureau LED",
            "Lampe avec port USB et cinq niveaux de luminosité.",
            "Lumo",
            office,
            Localized,
            39.9,
            350,
        ),
        doc(
            "SOCK-4",
            "source",
            "en",
            "Merino wool hiking socks",
            "Pack of three socks.",
            "Trail",
            sports,
            Draft,
            14.0,
            120,
        ),
        doc(
            "BULB-5",
            "source",
            "en",
            "Replacement bulb",
            "Fits the DL-200X desk lamp.",
            "Lumo",
            office,
            Draft,
            4.0,
            130,
        ),
        doc(
            "KX4821",
            "source",
            "en",
            "Trekking poles",
            "Aluminium, foldable.",
            "Trail",
            sports,
            Draft,
            25.0,
            140,
        ),
    ]
}

fn fixture_index() -> SearchIndex {
    let index = SearchIndex::open_in_ram_with(IndexOptions {
        commit_interval: None,
        ..IndexOptions::default()
    })
    .unwrap();
    for d in fixture() {
        index.upsert(&d).unwrap();
    }
    index.commit().unwrap();
    index
}

fn q(text: &str) -> SearchQuery {
    SearchQuery::text(text)
}

/// `sku|market` of each hit, in order.
fn ids(r: &SearchResults) -> Vec<String> {
    r.hits
        .iter()
        .map(|h| format!("{}|{}", h.sku, h.market))
        .collect()
}

fn facet(v: &[(String, u64)]) -> Vec<(&str, u64)> {
    v.iter().map(|(k, n)| (k.as_str(), *n)).collect()
}

#[test]
fn german_stemming_finds_the_plural() {
    let index = fixture_index();
    for lang in [Some("de".to_string()), None] {
        let r = index
            .search(&SearchQuery {
                lang: lang.clone(),
                ..q("Flasche ")
            })
            .unwrap();
        assert_eq!(ids(&r), ["BOT-1|amazon-de"], "lang {lang:?}");
    }
}

#[test]
fn japanese_finds_a_word_inside_a_compound() {
    let index = fixture_index();
    let r = index.search(&q("ステンレス")).unwrap();
    assert_eq!(ids(&r), ["BOT-1|rakuten-jp"]);
    let r = index.search(&q("ボトル")).unwrap();
    assert_eq!(ids(&r), ["BOT-1|rakuten-jp"]);
    assert!(!marked(&r.hits[0]).is_empty(), "{:?}", r.hits[0]);
}

#[test]
fn chinese_word_search() {
    let index = fixture_index();
    let r = index.search(&q("不锈钢")).unwrap();
    assert_eq!(ids(&r), ["BOT-1|tmall-cn"]);
    let r = index
        .search(&SearchQuery {
            lang: Some("zh".into()),
            ..q("水杯")
        })
        .unwrap();
    assert_eq!(ids(&r), ["BOT-1|tmall-cn"]);
}

#[test]
fn typos_are_tolerated_as_meilisearch_counts_them() {
    let index = fixture_index();
    // One typo from 5 characters.
    assert_eq!(ids(&index.search(&q("botle ")).unwrap()), ["BOT-1|source"]);
    assert_eq!(ids(&index.search(&q("ceramc ")).unwrap()), ["MUG-2|source"]);
    // Two typos from 9 characters ("brightness").
    assert_eq!(
        ids(&index.search(&q("brigxtnexs ")).unwrap()),
        ["LAMP-3|source"]
    );
    // The word it matched is marked in the snippet.
    let r = index.search(&q("botle ")).unwrap();
    assert!(
        marked(&r.hits[0]).contains(&"bottle".to_string()),
        "{:?}",
        r.hits[0]
    );
    // No typo under 5 characters, and not two under 9.
    assert_eq!(index.search(&q("sick ")).unwrap().total, 0);
    assert_eq!(index.search(&q("bxttxe ")).unwrap().total, 0);
}

#[test]
fn skus_never_match_fuzzily_and_exact_codes_rank_first() {
    let index = fixture_index();
    assert_eq!(ids(&index.search(&q("KX4821")).unwrap()), ["KX4821|source"]);
    assert_eq!(
        ids(&index.search(&q("kx4821 ")).unwrap()),
        ["KX4821|source"]
    );
    for near in ["KX4822", "KX482", "KX48211", "BOT-2 "] {
        let r = index.search(&q(near)).unwrap();
        assert_eq!(r.total, 0, "{near}: {:?}", ids(&r));
    }
    // The sku first, before the versions that only mention words of it.
    let r = index.search(&q("MUG-2")).unwrap();
    assert!(r.hits.len() >= 2, "{:?}", ids(&r));
    assert!(
        r.hits[..2].iter().all(|h| h.sku == "MUG-2"),
        "{:?}",
        ids(&r)
    );
    // The model number in the lamp's title ranks it above the bulb that mentions it.
    let r = index.search(&q("DL-200X")).unwrap();
    assert_eq!(ids(&r), ["LAMP-3|source", "BULB-5|source"]);
    assert!(r.hits[0].score > r.hits[1].score * 10.0, "{r:?}");
}

#[test]
fn prefix_search_as_you_type() {
    let index = fixture_index();
    let r = index.search(&q("stainl")).unwrap();
    assert_eq!(ids(&r), ["BOT-1|source"]);
    assert!(
        marked(&r.hits[0]).contains(&"stainless".to_string()),
        "{:?}",
        r.hits[0]
    );
    assert_eq!(
        ids(&index.search(&q("merino wo")).unwrap()),
        ["SOCK-4|source"]
    );
    // A trailing space ends the word: no prefix any more.
    assert_eq!(index.search(&q("stainl ")).unwrap().total, 0);
}

#[test]
fn quoted_phrases() {
    let index = fixture_index();
    let r = index.search(&q("\"desk lamp\"")).unwrap();
    let mut found = ids(&r);
    found.sort();
    assert_eq!(found, ["BULB-5|source", "LAMP-3|source"]);
    assert_eq!(index.search(&q("\"lamp desk\"")).unwrap().total, 0);
    // Words and a phrase together.
    assert_eq!(
        ids(&index.search(&q("replacement \"desk lamp\"")).unwrap()),
        ["BULB-5|source"]
    );
}

#[test]
fn facet_counts_over_everything_are_exact() {
    let index = fixture_index();
    let r = index.search(&q("")).unwrap();
    assert_eq!(r.total, 11);
    let f = &r.facets;
    assert_eq!(
        facet(&f.market),
        [
            ("source", 6),
            ("amazon-de", 2),
            ("amazon-fr", 1),
            ("rakuten-jp", 1),
            ("tmall-cn", 1)
        ]
    );
    assert_eq!(
        facet(&f.language),
        [("en", 6), ("de", 2), ("fr", 1), ("ja", 1), ("zh", 1)]
    );
    assert_eq!(
        facet(&f.status),
        [
            ("draft", 5),
            ("approved", 2),
            ("localized", 2),
            ("needs_review", 2)
        ]
    );
    assert_eq!(
        facet(&f.brand),
        [("Aqua", 4), ("Lumo", 3), ("Clay&Co", 2), ("Trail", 2)]
    );
    assert_eq!(
        facet(&f.category),
        [
            ("Home > Kitchen", 4),
            ("Office > Lighting", 3),
            ("Home > Kitchen > Mugs", 2),
            ("Sports > Outdoor", 2)
        ]
    );
}

#[test]
fn filters_are_exact_and_facets_follow_them() {
    let index = fixture_index();
    let run = |s: SearchQuery| index.search(&s).unwrap();
    let all = || q("");
    let r = run(SearchQuery {
        market: Some("amazon-de".into()),
        ..all()
    });
    let mut found = ids(&r);
    found.sort();
    assert_eq!(found, ["BOT-1|amazon-de", "MUG-2|amazon-de"]);
    let r = run(SearchQuery {
        lang: Some("en".into()),
        status: Some(Status::Draft),
        ..all()
    });
    assert_eq!(r.total, 5);
    assert_eq!(facet(&r.facets.language), [("en", 5)]);
    // A category segment matches every path that contains it.
    let r = run(SearchQuery {
        category: Some("kitchen".into()),
        ..all()
    });
    assert_eq!(r.total, 6);
    assert_eq!(
        facet(&r.facets.status),
        [
            ("draft", 2),
            ("needs_review", 2),
            ("approved", 1),
            ("localized", 1)
        ]
    );
    let r = run(SearchQuery {
        category: Some("home > kitchen > MUGS".into()),
        ..all()
    });
    assert_eq!(r.total, 2);
    let r = run(SearchQuery {
        brand: Some("Lumo".into()),
        max_price: Some(36.0),
        ..all()
    });
    let mut found = ids(&r);
    found.sort();
    assert_eq!(found, ["BULB-5|source", "LAMP-3|source"]);
    let r = run(SearchQuery {
        min_price: Some(10.0),
        max_price: Some(40.0),
        ..all()
    });
    assert_eq!(r.total, 7);
    assert!(
        r.hits
            .iter()
            .all(|h| (10.0..=40.0).contains(&h.price.unwrap()))
    );
    // Text and filters together.
    let r = run(SearchQuery {
        status: Some(Status::NeedsReview),
        lang: Some("ja".into()),
        ..q("ボトル")
    });
    assert_eq!(ids(&r), ["BOT-1|rakuten-jp"]);
    // A filter value nothing has.
    let r = run(SearchQuery {
        brand: Some("aqua".into()),
        ..all()
    });
    assert_eq!(r.total, 0);
    assert!(r.facets.brand.is_empty());
}

#[test]
fn sorting_and_pagination() {
    let index = fixture_index();
    let page = |sort, page, per_page| {
        ids(&index
            .search(&SearchQuery {
                sort,
                page,
                per_page,
                ..q("")
            })
            .unwrap())
    };
    assert_eq!(
        page(Sort::Price, 1, 4),
        [
            "BULB-5|source",
            "MUG-2|source",
            "MUG-2|amazon-de",
            "SOCK-4|source"
        ]
    );
    assert_eq!(
        page(Sort::Price, 3, 4),
        ["LAMP-3|amazon-fr", "BOT-1|tmall-cn", "BOT-1|rakuten-jp"]
    );
    assert!(page(Sort::Price, 4, 4).is_empty());
    assert_eq!(
        page(Sort::PriceDesc, 1, 2),
        ["BOT-1|rakuten-jp", "BOT-1|tmall-cn"]
    );
    assert_eq!(
        page(Sort::Updated, 1, 3),
        ["BOT-1|tmall-cn", "LAMP-3|amazon-fr", "BOT-1|rakuten-jp"]
    );
    assert_eq!(page(Sort::Updated, 4, 3), ["BOT-1|source", "LAMP-3|source"]);
    // Every page of a relevance search together is the whole result, once each.
    let mut seen: Vec<String> = (1..=3).flat_map(|p| page(Sort::Relevance, p, 5)).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 11);
    // The total is over all pages.
    let r = index
        .search(&SearchQuery {
            per_page: 1,
            ..q("")
        })
        .unwrap();
    assert_eq!((r.total, r.hits.len()), (11, 1));
}

#[test]
fn updates_and_deletes_show_up() {
    let index = fixture_index();
    let brand_count = |index: &SearchIndex, brand: &str| {
        let r = index.search(&q("")).unwrap();
        r.facets
            .brand
            .iter()
            .find(|(b, _)| b == brand)
            .map_or(0, |(_, n)| *n)
    };
    let mut changed = fixture().remove(8); // SOCK-4
    let old_brand = changed.brand.clone().unwrap();
    // Facet tables are cached per segment: counts must follow a change that
    // lands in a new segment and hides a document of a cached one.
    let before = brand_count(&index, &old_brand);
    assert!(before >= 1);
    changed.title = "Alpaca wool hiking socks".into();
    changed.brand = Some("Alpaca Co".into());
    index.upsert(&changed).unwrap();
    index.commit().unwrap();
    assert_eq!(brand_count(&index, &old_brand), before - 1);
    assert_eq!(brand_count(&index, "Alpaca Co"), 1);
    assert_eq!(index.search(&q("merino ")).unwrap().total, 0);
    assert_eq!(
        ids(&index.search(&q("alpaca ")).unwrap()),
        ["SOCK-4|source"]
    );
    assert_eq!(index.num_docs(), 11);

    index.delete_version("BOT-1", "amazon-de").unwrap();
    index.commit().unwrap();
    assert_eq!(index.search(&q("Flasche ")).unwrap().total, 0);
    assert_eq!(index.search(&q("ステンレス")).unwrap().total, 1);

    index.delete_listing("BOT-1").unwrap();
    index.commit().unwrap();
    assert_eq!(index.search(&q("ステンレス")).unwrap().total, 0);
    assert_eq!(index.num_docs(), 7);
    let r = index.search(&q("")).unwrap();
    assert!(r.facets.brand.iter().all(|(b, _)| b != "Aqua"));
}

#[test]
fn odd_input_gives_results_or_a_typed_error_never_a_panic() {
    let index = fixture_index();
    for text in [
        "\"",
        "\"\"",
        "bottle\"",
        "\"unbalanced bottle",
        "title:bottle",
        ":",
        "(",
        "((bottle",
        "bottle)",
        "*",
        "bot*",
        "-bottle",
        "+bottle",
        "bottle^2",
        "~",
        "bottle~2",
        "[a TO z]",
        "{}",
        "AND OR NOT",
        "\\",
        "'",
        "<script>alert(1)</script>",
        "\u{0}",
        "🙂🙂",
        "   ",
        "ａｂｃ",
    ] {
        match index.search(&q(text)) {
            Ok(_) => {}
            Err(IndexError::InvalidQuery { .. }) => {}
            Err(e) => panic!("{text:?}: {e}"),
        }
    }
    // Syntax characters around a real word still find it.
    for text in ["(bottle) ", "bottle* ", "\"bottle", "bott*", "bottle:"] {
        let r = index.search(&q(text)).unwrap();
        assert!(
            ids(&r).contains(&"BOT-1|source".to_string()),
            "{text}: {:?}",
            ids(&r)
        );
    }
    // Very long input: a clear error naming the limit.
    let long = "bottle ".repeat(10 * 1024 / 7 + 1);
    let err = index.search(&q(&long)).unwrap_err();
    assert!(
        matches!(err, IndexError::InvalidQuery { field: "text", .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&MAX_QUERY_BYTES.to_string()));
    // Many words under the byte limit: a clear error too.
    let many = "ab ".repeat(100);
    assert!(matches!(
        index.search(&q(&many)),
        Err(IndexError::InvalidQuery { .. })
    ));
    // Bad paging and prices are typed errors.
    for bad in [
        SearchQuery { page: 0, ..q("") },
        SearchQuery {
            per_page: 0,
            ..q("")
        },
        SearchQuery {
            page: 1_000_000,
            ..q("")
        },
        SearchQuery {
            min_price: Some(f64::NAN),
            ..q("")
        },
        SearchQuery {
            min_price: Some(5.0),
            max_price: Some(1.0),
            ..q("")
        },
    ] {
        assert!(matches!(
            index.search(&bad),
            Err(IndexError::InvalidQuery { .. })
        ));
    }
}

/// The words a hit's snippet marks as matched.
fn marked(h: &Hit) -> Vec<String> {
    h.snippet
        .parts()
        .into_iter()
        .filter(|(_, hl)| *hl)
        .map(|(t, _)| t.to_string())
        .collect()
}

#[test]
fn snippets_are_plain_text_with_matches_as_ranges() {
    let index = fixture_index();
    let r = index.search(&q("bright ")).unwrap();
    assert_eq!(ids(&r), ["LAMP-3|source"]);
    let s = &r.hits[0].snippet;
    assert!(marked(&r.hits[0]).contains(&"bright".to_string()), "{s:?}");
    // The text as written: whoever shows it escapes it (the page, the terminal).
    assert!(s.text.contains("<b>") && s.text.contains('&'), "{s:?}");
    assert!(
        !s.text.contains("&lt;") && !s.text.contains("<mark>"),
        "{s:?}"
    );
    for r in &s.highlights {
        assert!(s.text.get(r.clone()).is_some(), "{s:?}");
    }
    // A match in the title only: the title is the snippet.
    let r = index.search(&q("Trekking ")).unwrap();
    assert!(!marked(&r.hits[0]).is_empty(), "{:?}", r.hits[0]);
}

#[test]
fn near_real_time_without_an_explicit_commit() {
    let index = SearchIndex::open_in_ram().unwrap(); // background commits every 500 ms
    index.upsert(&fixture().remove(0)).unwrap();
    let started = Instant::now();
    // The committer makes it visible (within a second on an idle machine).
    // The bound only turns a committer that never runs into a failure; a
    // loaded machine may take longer, which is not what this tests.
    while index.search(&q("bottle ")).unwrap().total == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "not visible after 5 minutes: the background committer does not run"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // After an explicit commit, at once.
    index.upsert(&fixture().remove(8)).unwrap();
    index.commit().unwrap();
    assert_eq!(index.search(&q("merino ")).unwrap().total, 1);
}

#[test]
fn the_index_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    {
        let index = SearchIndex::open(&path).unwrap();
        for d in fixture() {
            index.upsert(&d).unwrap();
        }
        index.commit().unwrap();
        // Pending at close: dropping commits it.
        index.delete_listing("KX4821").unwrap();
    }
    let index = SearchIndex::open(&path).unwrap();
    assert_eq!(index.num_docs(), 10);
    assert_eq!(index.search(&q("Flasche ")).unwrap().total, 1);
    // A second writer on the same directory is a clear error.
    assert!(matches!(
        SearchIndex::open(&path),
        Err(IndexError::Locked { .. })
    ));
    // A read-only handle works beside the writer and follows its commits.
    let ro = SearchIndex::open_read_only(&path).unwrap();
    assert_eq!(ro.search(&q("ステンレス")).unwrap().total, 1);
    assert!(matches!(
        ro.upsert(&fixture().remove(0)),
        Err(IndexError::ReadOnly { .. })
    ));
    index.delete_listing("BOT-1").unwrap();
    index.commit().unwrap();
    let started = Instant::now();
    while ro.search(&q("ステンレス")).unwrap().total != 0 {
        // Only a reader that never reloads fails this (see above).
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the read-only handle did not see the commit in 5 minutes"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // No index at all: read-only says so.
    assert!(matches!(
        SearchIndex::open_read_only(&dir.path().join("nothing")),
        Err(IndexError::Missing { .. })
    ));
}

const CRASH_DIR_ENV: &str = "SILKROUTE_TEST_INDEX_CRASH_DIR";
const CRASH_BATCH: usize = 500;

/// The child half of `a_writer_killed_mid_commit_loses_nothing_committed`: does
/// nothing unless that test started it.
#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os(CRASH_DIR_ENV) else {
        return;
    };
    let index = SearchIndex::open_with(
        Path::new(&dir),
        IndexOptions {
            commit_interval: None,
            writer_threads: 1,
            writer_heap_bytes: 20 << 20,
        },
    )
    .unwrap();
    let mut batch = 0;
    loop {
        for i in 0..CRASH_BATCH {
            let mut d = fixture().remove(0);
            d.sku = format!("C{batch}-{i}");
            d.description = format!("batch{batch} item {i} {}", "filler text ".repeat(50));
            index.upsert(&d).unwrap();
        }
        println!("COMMITTING {batch}");
        index.commit().unwrap();
        println!("COMMITTED {batch}");
        batch += 1;
    }
}

#[test]
fn a_writer_killed_mid_commit_loses_nothing_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CRASH_DIR_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Kill it as soon as it says it is committing its fourth batch (after
    // three committed): while that commit runs, or just after it (a
    // condition, not a guess at how long a commit takes).
    let mut committed = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("COMMITTED ") {
            committed = Some(n.parse::<usize>().unwrap());
        }
        if line == "COMMITTING 3" {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let reported = committed.expect("the child committed nothing") + 1;

    let index = SearchIndex::open(&path).unwrap();
    let n = index.num_docs() as usize;
    // Whole batches only: a commit is all or nothing.
    assert_eq!(n % CRASH_BATCH, 0, "{n} documents");
    assert!(n >= reported * CRASH_BATCH, "{n} < {reported} batches");
    for b in 0..reported {
        let r = index.search(&q(&format!("batch{b} "))).unwrap();
        assert_eq!(r.total as usize, CRASH_BATCH, "batch {b}");
    }
    // And the reopened index takes writes again.
    index.upsert(&fixture().remove(8)).unwrap();
    index.commit().unwrap();
    assert_eq!(index.search(&q("merino ")).unwrap().total, 1);
}

fn localized(sku: &str, market: &str, lang: &str, title: &str, status: Status) -> LocalizedListing {
    LocalizedListing {
        sku: sku.into(),
        market: market.into(),
        language: lang.into(),
        title: title.into(),
        description: String::new(),
        bullets: vec![],
        attributes: vec![],
        keywords: vec![],
        price: Some(Price {
            amount: "21.50".parse().unwrap(),
            currency: "EUR".into(),
        }),
        brand: Some("Aqua".into()),
        category: Some("Home > Kitchen".into()),
        images: vec![],
        warnings: vec![],
        conversions: Vec::new(),
        status,
        provenance: Provenance {
            model: "test".into(),
            created_at: at(0),
        },
        roundtrip: Default::default(),
    }
}

fn silkroute(data: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_silkroute"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("SILKROUTE_HOME")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn rebuild_from_the_store_and_search_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::at(dir.path());
    // Before anything exists: clear errors.
    let (ok, _, err) = silkroute(dir.path(), &["search", "bottle"]);
    assert!(!ok && err.contains("index rebuild"), "{err}");
    {
        let store = Store::open(&data).unwrap();
        for i in 0..30 {
            let listing = Listing {
                sku: format!("SKU-{i}"),
                title: format!("Insulated steel water bottle number{i}"),
                description: "Keeps drinks cold.".into(),
                language: Some("en".into()),
                brand: Some("Aqua".into()),
                ..Default::default()
            };
            store.put_listing("test.csv", &listing).unwrap();
        }
        store
            .put_listing(
                "test.csv",
                &Listing {
                    sku: "MUG-1".into(),
                    title: "Ceramic mug".into(),
                    language: Some("en".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        store
            .put_localization(&localized(
                "SKU-3",
                "amazon-de",
                "de",
                "Isolierte Flaschen aus Edelstahl",
                Status::NeedsReview,
            ))
            .unwrap();
        store
            .put_localization(&localized(
                "SKU-4",
                "rakuten-jp",
                "ja",
                "ステンレス製ボトル",
                Status::Approved,
            ))
            .unwrap();
    }
    let (ok, out, err) = silkroute(dir.path(), &["index", "rebuild"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("indexed 33 documents (31 listings, 2 localizations)"),
        "{out}"
    );
    // Twice: the second replaces, not adds.
    let (ok, out, err) = silkroute(dir.path(), &["index", "rebuild"]);
    assert!(ok && out.contains("indexed 33 documents"), "{out}{err}");

    let (ok, out, err) = silkroute(dir.path(), &["search", "Flasche", "--json"]);
    assert!(ok, "{err}");
    let r: SearchResults = serde_json::from_str(&out).unwrap();
    assert_eq!(ids(&r), ["SKU-3|amazon-de"]);
    assert_eq!(r.hits[0].status, Status::NeedsReview);
    assert_eq!(r.hits[0].price, Some(21.5));

    let (ok, out, _) = silkroute(dir.path(), &["search", "ステンレス", "--json"]);
    assert!(ok);
    let r: SearchResults = serde_json::from_str(&out).unwrap();
    assert_eq!(ids(&r), ["SKU-4|rakuten-jp"]);

    // Filters and facets through the flags; sources of localized skus are `localized`.
    let (ok, out, _) = silkroute(
        dir.path(),
        &[
            "search",
            "bottle",
            "--market",
            "source",
            "--status",
            "localized",
            "--json",
        ],
    );
    assert!(ok);
    let r: SearchResults = serde_json::from_str(&out).unwrap();
    let mut found = ids(&r);
    found.sort();
    assert_eq!(found, ["SKU-3|source", "SKU-4|source"]);
    assert_eq!(facet(&r.facets.status), [("localized", 2)]);

    // The human form: hits, snippet marks, facets.
    let (ok, out, _) = silkroute(
        dir.path(),
        &["search", "botle", "--sort", "price", "--per-page", "5"],
    );
    assert!(ok);
    assert!(out.starts_with("1-5 of 30"), "{out}");
    assert!(out.contains("[bottle]"), "{out}");
    assert!(out.contains("market: source (30)"), "{out}");

    // Bad input: exit code 2 and a clear message, no panic.
    let (ok, _, err) = silkroute(dir.path(), &["search", "x", "--status", "done"]);
    assert!(!ok && err.contains("needs_review"), "{err}");
    let (ok, _, err) = silkroute(dir.path(), &["search", &"a".repeat(5000)]);
    assert!(!ok && err.contains("text"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Issue 18: one listing in each new language; a query in that language (an
/// inflected form where the language has a stemmer, a word inside the run for
/// Thai, unaccented Vietnamese as people type it) finds it, with or without the
/// language filter.
#[test]
fn each_new_language_finds_its_listing() {
    let index = SearchIndex::open_in_ram_with(IndexOptions {
        commit_interval: None,
        ..IndexOptions::default()
    })
    .unwrap();
    let cases = [
        ("pt", "Garrafa térmica de aço inoxidável 500 ml", "garrafas"),
        (
            "ru",
            "Бутылка для воды из нержавеющей стали 500 мл",
            "бутылки",
        ),
        ("ar", "زجاجة ماء من الفولاذ المقاوم للصدأ", "الزجاجة"),
        ("ko", "스테인리스 보온 물병 500ml", "물병"),
        ("vi", "Bình giữ nhiệt inox 500ml", "binh giu nhiet"),
        ("th", "ขวดน้ำสแตนเลสเก็บความเย็น 500 มล.", "ขวดน้ำ"),
        ("id", "Botol minum stainless tahan panas 500 ml", "minuman"),
        (
            "ms",
            "Botol air keluli tahan karat untuk minuman sejuk",
            "minum",
        ),
        (
            "pl",
            "Butelka termiczna ze stali nierdzewnej 500 ml",
            "butelki",
        ),
        ("nl", "Fles van roestvrij staal 500 ml", "flessen"),
        ("tr", "Paslanmaz çelik termos bardak 500 ml", "bardaklar"),
    ];
    for (i, (lang, title, _)) in cases.iter().enumerate() {
        index
            .upsert(&doc(
                &format!("L-{lang}"),
                "source",
                lang,
                title,
                "",
                "Acme",
                "Home",
                Status::Draft,
                10.0,
                i as i64,
            ))
            .unwrap();
    }
    index.commit().unwrap();
    for (lang, _, query) in cases {
        for filter in [Some(lang.to_string()), None] {
            let r = index
                .search(&SearchQuery {
                    lang: filter.clone(),
                    ..q(query)
                })
                .unwrap();
            assert_eq!(
                ids(&r).first().map(String::as_str),
                Some(format!("L-{lang}|source").as_str()),
                "{lang}: `{query}` (filter {filter:?}) found {:?}",
                ids(&r)
            );
        }
    }
}

#[test]
fn sorted_by_most_findings_first() {
    let index = SearchIndex::open_in_ram_with(IndexOptions {
        commit_interval: None,
        ..IndexOptions::default()
    })
    .unwrap();
    for (sku, findings, status) in [
        ("A-1", 0, Status::Localized),
        ("B-2", 3, Status::NeedsReview),
        ("C-3", 1, Status::NeedsReview),
        ("D-4", 5, Status::NeedsReview),
        ("E-5", 2, Status::Approved),
    ] {
        let mut d = doc(
            sku,
            "amazon-de",
            "de",
            "Flasche",
            "",
            "Acme",
            "Home",
            status,
            9.5,
            0,
        );
        d.findings = findings;
        index.upsert(&d).unwrap();
    }
    index.commit().unwrap();
    let search = |status| {
        index
            .search(&SearchQuery {
                sort: Sort::Findings,
                status,
                ..q("")
            })
            .unwrap()
    };
    let all = search(None);
    assert_eq!(
        ids(&all),
        [
            "D-4|amazon-de",
            "B-2|amazon-de",
            "E-5|amazon-de",
            "C-3|amazon-de",
            "A-1|amazon-de"
        ]
    );
    let counts: Vec<u64> = all.hits.iter().map(|h| h.findings).collect();
    assert_eq!(counts, [5, 3, 2, 1, 0]);
    // Filters still apply: only the versions waiting for review, most first.
    assert_eq!(
        ids(&search(Some(Status::NeedsReview))),
        ["D-4|amazon-de", "B-2|amazon-de", "C-3|amazon-de"]
    );
    assert_eq!(Sort::parse("findings"), Some(Sort::Findings));
}
