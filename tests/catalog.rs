//! Catalog files in and out, on the files in tests/data/catalog (made by
//! tests/data/catalog/make.py): exact counts, reject lines/columns/reasons,
//! encoding detection and `--encoding`, `--map`, Shopify variants, round trips
//! through every format, a property test over random listings, and the
//! `silkroute catalog` command itself.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;
use silkroute::catalog::{self, CatalogError, Format, ReadOptions, ReadStats, Record, Reject};
use silkroute::listing::{Attribute, Listing, Price, Variant};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/catalog")
        .join(name)
}

struct Read {
    records: Vec<Record>,
    rejects: Vec<Reject>,
    stats: ReadStats,
    format: Format,
    encoding: String,
}

impl Read {
    fn listings(&self) -> Vec<Listing> {
        self.records.iter().map(|r| r.listing.clone()).collect()
    }
    fn lines(&self) -> Vec<u64> {
        self.records.iter().map(|r| r.line).collect()
    }
    fn skus(&self) -> Vec<&str> {
        self.records
            .iter()
            .map(|r| r.listing.sku.as_str())
            .collect()
    }
    fn get(&self, sku: &str) -> &Listing {
        &self
            .records
            .iter()
            .find(|r| r.listing.sku == sku)
            .unwrap_or_else(|| panic!("no listing {sku}"))
            .listing
    }
    /// `rows in = accepted + rejected`, and the counts match what came out.
    fn counts(&self) -> (u64, u64, u64) {
        let s = &self.stats;
        assert_eq!(
            s.rows,
            s.accepted + s.rejected,
            "rows = accepted + rejected"
        );
        assert_eq!(s.accepted, self.records.len() as u64);
        assert_eq!(s.rejected, self.rejects.len() as u64);
        (s.rows, s.accepted, s.rejected)
    }
}

fn read_with(path: &Path, opts: &ReadOptions) -> Result<Read, CatalogError> {
    let mut reader = catalog::open(path, opts)?;
    let mut records = Vec::new();
    let mut rejects = Vec::new();
    for item in &mut reader {
        match item {
            Ok(r) => records.push(r),
            Err(r) => rejects.push(r),
        }
    }
    Ok(Read {
        records,
        rejects,
        stats: reader.stats().clone(),
        format: reader.format(),
        encoding: reader.encoding().to_string(),
    })
}

fn read(path: &Path) -> Read {
    read_with(path, &ReadOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn price(amount: &str, currency: &str) -> Option<Price> {
    Some(Price {
        amount: Decimal::from_str(amount).unwrap(),
        currency: currency.into(),
    })
}

fn write(path: &Path, format: Format, listings: &[Listing]) {
    let mut w = catalog::create(path, format).unwrap();
    for l in listings {
        w.write(l).unwrap();
    }
    w.finish().unwrap();
}

/// (line, column, start of the reason) of each reject.
fn reject_summary(rejects: &[Reject]) -> Vec<(u64, Option<String>, String)> {
    rejects
        .iter()
        .map(|r| (r.line, r.column.clone(), r.reason.clone()))
        .collect()
}

#[test]
fn shopify_export_groups_variants_per_handle() {
    let r = read(&data("shopify_products.csv"));
    assert_eq!(r.format, Format::Shopify);
    assert_eq!(r.encoding, "UTF-8");
    assert_eq!(r.counts(), (4, 4, 0));
    assert_eq!(
        r.skus(),
        ["linen-shirt", "MUG-350", "travel-backpack", "bamboo-board"]
    );
    // the backpack's Body (HTML) spans lines 8-12
    assert_eq!(r.lines(), [2, 7, 8, 15]);

    let shirt = r.get("linen-shirt");
    assert_eq!(shirt.title, "Linen Shirt");
    assert_eq!(
        shirt.description,
        "<p>Breathable <strong>linen</strong> shirt, \"relaxed\" fit.</p>"
    );
    assert_eq!(shirt.brand.as_deref(), Some("Acme Apparel"));
    assert_eq!(
        shirt.category.as_deref(),
        Some("Apparel & Accessories > Clothing > Shirts & Tops")
    );
    assert_eq!(shirt.keywords, ["linen", "summer", "shirt"]);
    assert_eq!(shirt.price, price("39.00", "USD"));
    assert_eq!(
        shirt.images,
        [
            "https://cdn.example.com/linen-shirt-white.jpg",
            "https://cdn.example.com/linen-shirt-blue.jpg",
            "https://cdn.example.com/linen-shirt-detail.jpg"
        ]
    );
    type Row<'a> = (Option<&'a str>, Vec<(&'a str, &'a str)>, Option<Decimal>);
    let v: Vec<Row> = shirt
        .variants
        .iter()
        .map(|v| {
            (
                v.sku.as_deref(),
                v.options
                    .iter()
                    .map(|o| (o.name.as_str(), o.value.as_str()))
                    .collect(),
                v.price,
            )
        })
        .collect();
    let d = |s| Some(Decimal::from_str(s).unwrap());
    assert_eq!(
        v,
        [
            (
                Some("LS-S-WHT"),
                vec![("Size", "S"), ("Color", "White")],
                d("39.00")
            ),
            (
                Some("LS-S-BLU"),
                vec![("Size", "S"), ("Color", "Blue")],
                d("39.00")
            ),
            (
                Some("LS-M-WHT"),
                vec![("Size", "M"), ("Color", "White")],
                d("41.00")
            ),
            (
                Some("LS-M-BLU"),
                vec![("Size", "M"), ("Color", "Blue")],
                d("41.00")
            ),
        ]
    );
    let first = &shirt.variants[0].extra;
    assert_eq!(first["Variant Grams"], "220");
    assert_eq!(first["Variant Compare At Price"], "49.00");
    assert_eq!(first["Variant Barcode"], "4006381333931");
    assert_eq!(
        shirt.variants[1].extra["Variant Image"],
        "https://cdn.example.com/linen-shirt-blue.jpg"
    );
    assert_eq!(shirt.extra["Type"], "Shirt");
    assert_eq!(shirt.extra["SEO Title"], "Linen Shirt | Acme");
    assert_eq!(shirt.extra["Status"], "active");

    // a single "Default Title" variant is the product itself
    let mug = r.get("MUG-350");
    assert!(mug.variants.is_empty());
    assert_eq!(mug.extra["Handle"], "ceramic-mug");
    assert_eq!(mug.extra["Variant Grams"], "380");
    assert_eq!(mug.price, price("12.50", "USD"));

    let bag = r.get("travel-backpack");
    assert!(bag.description.contains("<li>Laptop sleeve, 16\"</li>\n"));
    assert_eq!(bag.variants.len(), 3);
    assert_eq!(bag.variants[2].price, d("94.90"));
    assert_eq!(bag.images.len(), 2);
    assert!(r.get("bamboo-board").images.is_empty());

    // --currency applies to Shopify's currency-less prices
    let eur = read_with(
        &data("shopify_products.csv"),
        &ReadOptions {
            currency: Some("eur".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(eur.get("MUG-350").price, price("12.50", "EUR"));
}

#[test]
fn shopify_written_back_has_shopify_header_and_same_products() {
    let r = read(&data("shopify_products.csv"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.shopify.csv");
    write(&out, Format::Shopify, &r.listings());
    let text = std::fs::read_to_string(&out).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert_eq!(
        &header[..8],
        [
            "Handle",
            "Title",
            "Body (HTML)",
            "Vendor",
            "Product Category",
            "Type",
            "Tags",
            "Published"
        ]
    );
    // every column of the export is a column Shopify's importer knows
    let input_header = std::fs::read_to_string(data("shopify_products.csv")).unwrap();
    for h in input_header.lines().next().unwrap().split(',') {
        assert!(header.contains(&h), "{h} missing from the written header");
    }
    let back = read(&out);
    assert_eq!(back.format, Format::Shopify);
    assert_eq!(back.counts(), (4, 4, 0));
    // one row per variant or image (whichever is more): 4 + 1 + 3 + 2
    assert_eq!(back.lines(), [2, 6, 7, 14]);
    let strip = |v: Vec<Listing>| -> Vec<Listing> {
        v.into_iter()
            .map(|mut l| {
                l.language = None;
                l
            })
            .collect()
    };
    assert_eq!(strip(back.listings()), strip(r.listings()));
}

#[test]
fn gbk_csv_with_chinese_headers() {
    let path = data("gbk_products.csv");
    let r = read(&path);
    assert_eq!(r.format, Format::Csv);
    assert_eq!(r.encoding, "GBK");
    assert_eq!(r.counts(), (5, 5, 0));
    assert_eq!(r.lines(), [2, 3, 4, 5, 7]);
    let cup = r.get("CN-1001");
    assert_eq!(cup.title, "不锈钢保温杯 500毫升");
    assert_eq!(cup.price, price("89.00", "CNY"));
    assert_eq!(cup.description, "双层真空，保温12小时，保冷24小时。");
    assert_eq!(cup.brand.as_deref(), Some("乐途"));
    assert_eq!(cup.category.as_deref(), Some("家居 > 水杯"));
    assert_eq!(cup.attributes, [Attribute::new("颜色", "银色")]);
    assert_eq!(cup.keywords, ["保温杯", "水杯", "不锈钢"]);
    assert_eq!(cup.language.as_deref(), Some("zh"));
    assert_eq!(r.get("CN-1003").price, price("128", "CNY"));
    assert_eq!(
        r.get("CN-1003").description,
        "天然竹材，不伤刀，带防滑\"槽\"设计。"
    );
    assert_eq!(
        r.get("CN-1004").description,
        "十骨加固，防风，晴雨两用。\n附赠收纳袋。"
    );
    assert_eq!(r.get("CN-1005").brand, None);
    assert_eq!(r.stats.languages.get("zh"), Some(&5));

    // --encoding overrides detection
    let opts = |e: &str| ReadOptions {
        encoding: Some(e.into()),
        ..Default::default()
    };
    let forced = read_with(&path, &opts("gb18030")).unwrap();
    assert_eq!(forced.encoding, "gb18030");
    assert_eq!(forced.listings(), r.listings());
    for wrong in ["utf-8", "shift_jis"] {
        match read_with(&path, &opts(wrong)) {
            Err(CatalogError::Unusable { message, .. }) => {
                assert!(message.contains("no sku column"), "{message}")
            }
            other => panic!("{wrong}: {:?}", other.map(|r| r.stats)),
        }
    }
    assert!(matches!(
        read_with(&path, &opts("klingon")),
        Err(CatalogError::Encoding(_))
    ));
}

#[test]
fn shift_jis_csv() {
    let path = data("shift_jis_products.csv");
    let r = read(&path);
    assert_eq!(r.encoding, "Shift_JIS");
    assert_eq!(r.counts(), (4, 4, 0));
    assert_eq!(r.lines(), [2, 3, 4, 5]);
    let bottle = r.get("JP-2001");
    assert_eq!(bottle.title, "ステンレス水筒 500ml");
    assert_eq!(bottle.price, price("1980", "JPY"));
    assert_eq!(bottle.brand.as_deref(), Some("サクラ工房"));
    assert_eq!(bottle.category.as_deref(), Some("キッチン > 水筒"));
    assert_eq!(bottle.attributes, [Attribute::new("カラー", "シルバー")]);
    assert_eq!(r.stats.languages.get("ja"), Some(&4));
    let forced = read_with(
        &path,
        &ReadOptions {
            encoding: Some("shift_jis".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(forced.listings(), r.listings());
}

#[test]
fn xlsx_first_sheet_and_named_sheet() {
    let path = data("workbook.xlsx");
    let r = read(&path);
    assert_eq!(r.format, Format::Xlsx);
    assert_eq!(r.counts(), (3, 3, 0));
    // row 4 is empty: skipped, rows keep the sheet's numbers
    assert_eq!(r.lines(), [2, 3, 5]);
    let lunch = r.get("XL-001");
    assert_eq!(lunch.title, "Insulated Lunch Box");
    assert_eq!(
        lunch.description,
        "Keeps food warm for 6 hours.\nLeak-proof lid."
    );
    assert_eq!(lunch.price, price("24.99", "EUR"));
    assert_eq!(
        lunch.attributes,
        [Attribute::new("Material", "Stainless steel")]
    );
    assert_eq!(r.get("XL-002").price, price("18.5", "EUR"));
    assert_eq!(r.get("XL-003").price, price("9", "EUR"));
    assert_eq!(r.get("XL-003").brand, None);

    let clearance = read_with(
        &path,
        &ReadOptions {
            sheet: Some("Clearance".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(clearance.counts(), (3, 2, 1));
    assert_eq!(clearance.skus(), ["CL-100", "CL-102"]);
    assert_eq!(clearance.get("CL-102").price, price("7.50", "GBP"));
    assert_eq!(
        reject_summary(&clearance.rejects),
        [(3, Some("title".into()), "missing title".into())]
    );
    assert!(clearance.rejects[0].file.ends_with("workbook.xlsx"));

    match read_with(
        &path,
        &ReadOptions {
            sheet: Some("Nope".into()),
            ..Default::default()
        },
    ) {
        Err(CatalogError::Unusable { message, .. }) => {
            assert!(message.contains("Products, Clearance"), "{message}")
        }
        other => panic!("{:?}", other.map(|r| r.stats)),
    }
}

#[test]
fn bad_rows_become_rejects_with_line_column_reason() {
    let r = read(&data("bad_rows.csv"));
    assert_eq!(r.encoding, "UTF-8");
    assert_eq!(r.counts(), (12, 4, 8));
    assert_eq!(r.skus(), ["BR-001", "BR-004", "BR-013", "BR-015"]);
    // BR-004's quoted cell spans lines 5-7; line 8 is blank
    assert_eq!(r.lines(), [2, 5, 13, 15]);
    let multi = r.get("BR-004");
    assert_eq!(multi.title, "Multi-line \"quoted\" cell");
    assert_eq!(
        multi.description,
        "first line\nsecond line, with a comma\nthird line"
    );
    // a bare quote inside an unquoted cell is text
    assert_eq!(r.get("BR-013").title, "5\" screen protector – naïve quote");

    let got = reject_summary(&r.rejects);
    let want: Vec<(u64, Option<String>, &str)> = vec![
        (3, Some("sku".into()), "missing sku"),
        (4, Some("title".into()), "missing title"),
        (
            9,
            Some("sku".into()),
            "duplicate sku `BR-001` (first on line 2)",
        ),
        (10, Some("price".into()), "price `twelve` is not a number"),
        (
            11,
            Some("description".into()),
            "cell is 70000 bytes, over the 65536-byte limit",
        ),
        (
            12,
            None,
            "row has 7 fields, the header has 6 (broken quoting or a stray delimiter?)",
        ),
        (
            14,
            Some("title".into()),
            "undecodable byte sequence (not UTF-8) at byte 13 of the cell",
        ),
        (
            16,
            None,
            "a quote opened in column 2 is never closed: the cell runs on to line 17 and swallows the lines in between (2 fields, the header has 6)",
        ),
    ];
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!((g.0, &g.1, g.2.as_str()), (w.0, &w.1, w.2));
    }
    for rej in &r.rejects {
        assert!(rej.file.ends_with("bad_rows.csv"));
    }
    // the rejects file keeps all of it
    let dir = tempfile::tempdir().unwrap();
    let rp = dir.path().join("rejects.csv");
    catalog::write_rejects(&rp, &r.rejects).unwrap();
    let mut rdr = csv::Reader::from_path(&rp).unwrap();
    assert_eq!(
        rdr.headers().unwrap(),
        &csv::StringRecord::from(vec!["file", "line", "column", "reason"])
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 8);
    assert_eq!(&rows[2][1], "9");
    assert_eq!(&rows[2][2], "sku");
    assert_eq!(&rows[2][3], "duplicate sku `BR-001` (first on line 2)");
}

#[test]
fn utf8_bom_csv_and_numbered_columns() {
    let r = read(&data("utf8_bom.csv"));
    assert_eq!(r.encoding, "UTF-8");
    assert_eq!(r.counts(), (3, 3, 0));
    let en = r.get("EN-01");
    assert_eq!(en.bullets, ["Leak-proof lid", "BPA free"]);
    assert_eq!(
        en.images,
        [
            "https://img.example.com/en-01-a.jpg",
            "https://img.example.com/en-01-b.jpg"
        ]
    );
    assert_eq!(
        en.attributes,
        [
            Attribute::new("Color", "Silver"),
            Attribute::new("Material", "Stainless steel")
        ]
    );
    assert_eq!(en.keywords, ["water bottle", "insulated", "steel"]);
    assert_eq!(en.price, price("24.95", "USD"));
    assert_eq!(r.get("DE-01").price, price("22.95", "EUR"));
    assert_eq!(r.get("DE-01").bullets, ["Auslaufsicher"]);
    assert_eq!(r.get("FR-01").price, price("23.50", "EUR"));
    assert!(r.get("FR-01").images.is_empty());
    let langs: Vec<Option<&str>> = ["EN-01", "DE-01", "FR-01"]
        .iter()
        .map(|s| r.get(s).language.as_deref())
        .collect();
    assert_eq!(langs, [Some("en"), Some("de"), Some("fr")]);
}

#[test]
fn tsv_with_quoted_tab_and_newline() {
    let path = data("products.tsv");
    let r = read(&path);
    assert_eq!(r.format, Format::Tsv);
    assert_eq!(r.counts(), (3, 3, 0));
    assert_eq!(r.lines(), [2, 3, 5]);
    assert_eq!(
        r.get("TSV-2").description,
        "Five brightness levels\tUSB charging port\nTouch control"
    );
    assert_eq!(r.get("TSV-2").keywords, ["lamp", "desk"]);
    assert_eq!(r.get("TSV-3").title, "Phone Case, \"shockproof\"");
    // read as CSV, the tab is sniffed as the delimiter
    let sniffed = read_with(
        &path,
        &ReadOptions {
            format: Some(Format::Csv),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(sniffed.listings(), r.listings());
}

#[test]
fn column_mapping() {
    let path = data("mapped.csv");
    match read_with(&path, &ReadOptions::default()) {
        Err(CatalogError::Unusable { message, .. }) => {
            assert!(message.contains("--map sku="), "{message}")
        }
        other => panic!("{:?}", other.map(|r| r.stats)),
    }
    let mapping = ReadOptions::parse_mapping(
        "sku=Item Code, title=Listing Headline,description=Blurb,price=Cost,currency=Cost Currency,attr:Colour=Shade",
    )
    .unwrap();
    let r = read_with(
        &path,
        &ReadOptions {
            mapping,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.counts(), (2, 2, 0));
    let gloves = r.get("M-1");
    assert_eq!(gloves.title, "Garden Gloves");
    assert_eq!(gloves.description, "Nitrile coated, size M.");
    assert_eq!(gloves.price, price("6.99", "USD"));
    assert_eq!(gloves.attributes, [Attribute::new("Colour", "Green")]);
    assert!(gloves.extra.is_empty());

    let bad_field = ReadOptions::parse_mapping("colour=Shade").unwrap();
    assert!(matches!(
        read_with(
            &path,
            &ReadOptions {
                mapping: bad_field,
                ..Default::default()
            }
        ),
        Err(CatalogError::Mapping(_))
    ));
    let bad_header = ReadOptions::parse_mapping("sku=Nope").unwrap();
    match read_with(
        &path,
        &ReadOptions {
            mapping: bad_header,
            ..Default::default()
        },
    ) {
        Err(CatalogError::Mapping(m)) => assert!(m.contains("no column named `Nope`"), "{m}"),
        other => panic!("{:?}", other.map(|r| r.stats)),
    }
    assert!(ReadOptions::parse_mapping("title").is_err());
}

#[test]
fn json_and_json_lines() {
    let r = read(&data("products.json"));
    assert_eq!(r.format, Format::Json);
    assert_eq!(r.counts(), (3, 2, 1));
    assert_eq!(r.lines(), [2, 6]);
    assert_eq!(
        reject_summary(&r.rejects),
        [(4, Some("title".into()), "missing title".into())]
    );
    let frother = r.get("J-3");
    assert_eq!(frother.price, price("29.90", "EUR"));
    assert_eq!(frother.bullets, ["Handheld", "Battery powered"]);
    assert_eq!(frother.extra["color"], "Black");
    assert_eq!(
        r.get("J-1").attributes,
        [Attribute::new("Material", "Porcelain")]
    );

    let l = read(&data("products.jsonl"));
    assert_eq!(l.format, Format::JsonLines);
    assert_eq!(l.counts(), (3, 2, 1));
    assert_eq!(l.lines(), [1, 4]);
    assert_eq!(l.rejects[0].line, 2);
    assert!(
        l.rejects[0].reason.starts_with("invalid JSON"),
        "{}",
        l.rejects[0].reason
    );
    assert_eq!(l.get("L-3").keywords, ["teapot", "glass"]);
}

#[test]
fn readme_examples_read() {
    for (name, format, rows) in [
        ("example.csv", Format::Csv, 2),
        ("example.tsv", Format::Tsv, 2),
        ("example.json", Format::Json, 1),
        ("example.jsonl", Format::JsonLines, 2),
        ("example.shopify.csv", Format::Shopify, 1),
        ("example.gbk.csv", Format::Csv, 1),
        ("example.xlsx", Format::Xlsx, 1),
    ] {
        let r = read(&data(&format!("examples/{name}")));
        assert_eq!(r.format, format, "{name}");
        assert_eq!(r.counts(), (rows, rows, 0), "{name}");
    }
    let shirt = read(&data("examples/example.shopify.csv"));
    assert_eq!(shirt.records[0].listing.variants.len(), 2);
}

/// Every accepted listing of the test files, with sources' variants, extras,
/// attributes, bullets, CJK and multi-line text.
fn everything() -> Vec<Listing> {
    let mut all = Vec::new();
    for name in [
        "shopify_products.csv",
        "gbk_products.csv",
        "shift_jis_products.csv",
        "utf8_bom.csv",
        "products.tsv",
        "workbook.xlsx",
        "products.json",
        "products.jsonl",
        "bad_rows.csv",
    ] {
        all.extend(read(&data(name)).listings());
    }
    all
}

#[test]
fn round_trip_csv_json_xlsx_csv_keeps_every_field() {
    let original = everything();
    assert_eq!(original.len(), 30);
    let dir = tempfile::tempdir().unwrap();
    let steps = [
        ("a.csv", Format::Csv),
        ("b.json", Format::Json),
        ("c.xlsx", Format::Xlsx),
        ("d.csv", Format::Csv),
        ("e.jsonl", Format::JsonLines),
        ("f.tsv", Format::Tsv),
    ];
    let mut current = original.clone();
    for (name, format) in steps {
        let path = dir.path().join(name);
        write(&path, format, &current);
        let r = read(&path);
        assert_eq!(r.format, format);
        assert_eq!(r.counts(), (30, 30, 0), "{name}");
        assert_eq!(r.listings(), original, "{name}");
        current = r.listings();
    }
    // Not byte-identical: the JSON reader goes through serde_json::Value, whose
    // maps are sorted (no `preserve_order`), so `extra` keys come back sorted.
    // The listings are equal (IndexMap equality ignores order).
}

#[test]
fn writers_guard_formulas_and_readers_undo_it_in_own_files() {
    let l = Listing {
        sku: "=SKU".into(),
        title: "+1 title".into(),
        description: "@cmd".into(),
        brand: Some("-brand".into()),
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.csv");
    write(&path, Format::Csv, std::slice::from_ref(&l));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("'=SKU,'+1 title,'@cmd"), "{text}");
    let back = read(&path).listings();
    assert_eq!(back[0].sku, "=SKU");
    assert_eq!(back[0].brand.as_deref(), Some("-brand"));
}

// ---------------------------------------------------------------- property tests

const TEXT: &str = r#"[a-zA-Z0-9 ,;:"'\t\n=+@\-\[\]{}😀🎉漢字中文日本語한국어é]{0,12}"#;
const WORD: &str = r#"[a-zA-Z漢字😀é"'=\[]([a-zA-Z0-9 ,;:"'\t\n=+@\-\[\]漢字😀é]{0,10})"#;

fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex(TEXT).unwrap()
}
/// Non-blank: starts with a visible character.
fn word() -> impl Strategy<Value = String> {
    proptest::string::string_regex(WORD).unwrap()
}

fn amount() -> impl Strategy<Value = Decimal> {
    (0i64..100_000_000, 0u32..4).prop_map(|(n, scale)| Decimal::new(n, scale))
}

fn variant() -> impl Strategy<Value = Variant> {
    (
        proptest::option::of(word()),
        proptest::collection::vec((word(), text()), 0..3),
        proptest::option::of(amount()),
        proptest::collection::vec((word(), text()), 0..2),
    )
        .prop_map(|(sku, options, price, extra)| Variant {
            sku,
            options: options
                .into_iter()
                .map(|(n, v)| Attribute::new(n, v))
                .collect(),
            price,
            extra: extra.into_iter().collect(),
        })
}

fn listing() -> impl Strategy<Value = Listing> {
    let currency = prop::sample::select(vec!["USD", "EUR", "CNY", "JPY", "GBP"]);
    let language = prop::sample::select(vec!["en", "zh", "ja", "de", "ko"]);
    (
        (
            word(),
            word(),
            text(),
            proptest::collection::vec(text(), 0..4),
        ),
        (
            proptest::option::of(word()),
            proptest::option::of(word()),
            proptest::collection::vec((word(), text()), 0..3),
            proptest::option::of((amount(), currency)),
        ),
        (
            proptest::collection::vec(text(), 0..4),
            proptest::collection::vec("https://img\\.example\\.com/[a-z0-9_]{1,8}\\.jpg", 0..3),
            language,
            proptest::collection::vec(variant(), 0..3),
            proptest::collection::vec((word(), text()), 0..3),
        ),
    )
        .prop_map(
            |(
                (sku, title, description, bullets),
                (brand, category, attributes, price),
                (keywords, images, language, variants, extra),
            )| Listing {
                sku,
                title,
                description,
                bullets,
                brand,
                category,
                attributes: attributes
                    .into_iter()
                    .map(|(n, v)| Attribute::new(n, v))
                    .collect(),
                price: price.map(|(amount, c)| Price {
                    amount,
                    currency: c.into(),
                }),
                keywords,
                images,
                language: Some(language.into()),
                variants,
                extra: extra.into_iter().collect(),
            },
        )
}

fn catalog_of(max: usize) -> impl Strategy<Value = Vec<Listing>> {
    proptest::collection::vec(listing(), 1..max).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, mut l)| {
                // unique skus (a duplicate is a reject, not a round-trip failure)
                l.sku = format!("{i}{}", l.sku);
                l
            })
            .collect()
    })
}

fn round_trip(listings: &[Listing], format: Format, name: &str) -> Read {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    write(&path, format, listings);
    read(&path)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_listings_survive_every_format(listings in catalog_of(6)) {
        for (format, name) in [
            (Format::Csv, "p.csv"),
            (Format::Tsv, "p.tsv"),
            (Format::Json, "p.json"),
            (Format::JsonLines, "p.jsonl"),
            (Format::Xlsx, "p.xlsx"),
        ] {
            let r = round_trip(&listings, format, name);
            prop_assert_eq!(&r.rejects, &Vec::<Reject>::new(), "{}", name);
            prop_assert_eq!(r.format, format);
            prop_assert_eq!(r.listings(), listings.clone(), "{}", name);
        }
    }

    #[test]
    fn random_shopify_products_survive_shopify_csv(products in shopify_catalog()) {
        let r = round_trip(&products, Format::Shopify, "p.shopify.csv");
        prop_assert_eq!(&r.rejects, &Vec::<Reject>::new());
        let back: Vec<Listing> = r
            .listings()
            .into_iter()
            .map(|mut l| {
                l.language = None;
                l
            })
            .collect();
        prop_assert_eq!(back, products);
    }
}

/// Listings in the shape a Shopify file can hold: sku = handle, 2-4 variants with
/// the same option names, each with a price; tags without commas; no bullets,
/// attributes or extras (Shopify has no columns for them).
fn shopify_product() -> impl Strategy<Value = Listing> {
    let tag = r#"[a-zA-Z漢字😀é"]([a-zA-Z0-9 漢字😀é'"=]{0,6}[a-zA-Z漢字])?"#;
    (
        (
            word(),
            text(),
            proptest::option::of(word()),
            proptest::option::of(word()),
        ),
        proptest::collection::vec(proptest::string::string_regex(tag).unwrap(), 0..4),
        proptest::collection::vec(word(), 1..4),
        proptest::collection::vec(
            (
                proptest::option::of(word()),
                proptest::collection::vec(word(), 3),
                amount(),
            ),
            2..5,
        ),
        0usize..4,
    )
        .prop_map(
            |((title, description, brand, category), keywords, names, vs, n_images)| {
                let variants: Vec<Variant> = vs
                    .into_iter()
                    .map(|(sku, values, price)| Variant {
                        sku,
                        options: names
                            .iter()
                            .zip(values)
                            .map(|(n, v)| Attribute::new(n.clone(), v))
                            .collect(),
                        price: Some(price),
                        extra: Default::default(),
                    })
                    .collect();
                Listing {
                    sku: String::new(),
                    title,
                    description,
                    brand,
                    category,
                    keywords,
                    price: variants[0].price.map(|amount| Price {
                        amount,
                        currency: "USD".into(),
                    }),
                    images: (0..n_images)
                        .map(|i| format!("https://cdn.example.com/{i}.jpg"))
                        .collect(),
                    variants,
                    ..Default::default()
                }
            },
        )
}

fn shopify_catalog() -> impl Strategy<Value = Vec<Listing>> {
    proptest::collection::vec(shopify_product(), 1..5).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, mut l)| {
                l.sku = format!("product-{i}");
                l
            })
            .collect()
    })
}

// ---------------------------------------------------------------- the command

fn silkroute(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_silkroute"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_check_reports_counts_and_exit_codes() {
    let dir = data("");
    let (code, out, _) = silkroute(&["catalog", "check", "bad_rows.csv"], &dir);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("bad_rows.csv: csv (UTF-8), rows 12, accepted 4, rejected 8\n"),
        "{out}"
    );
    assert!(
        out.contains("  bad_rows.csv:9: column `sku`: duplicate sku `BR-001` (first on line 2)\n"),
        "{out}"
    );
    assert!(out.contains("  bad_rows.csv:14: column `title`: undecodable byte sequence"));

    let (code, out, _) = silkroute(&["catalog", "check", "gbk_products.csv"], &dir);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with(
            "gbk_products.csv: csv (GBK), rows 5, accepted 5, rejected 0\nlanguages: zh 5\n"
        ),
        "{out}"
    );

    let (code, out, _) = silkroute(
        &["catalog", "check", "workbook.xlsx", "--sheet", "Clearance"],
        &dir,
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("workbook.xlsx:3: column `title`: missing title"),
        "{out}"
    );

    // unusable input: exit 2 with the reason on stderr
    let (code, _, err) = silkroute(&["catalog", "check", "mapped.csv"], &dir);
    assert_eq!(code, 2);
    assert!(
        err.contains("mapped.csv: no sku column recognised"),
        "{err}"
    );
    let (code, _, err) = silkroute(&["catalog", "check", "no-such-file.csv"], &dir);
    assert_eq!(code, 2, "{err}");
    let (code, out, _) = silkroute(
        &[
            "catalog",
            "check",
            "mapped.csv",
            "--map",
            "sku=Item Code,title=Listing Headline,price=Cost,currency=Cost Currency",
        ],
        &dir,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("rows 2, accepted 2, rejected 0"), "{out}");
}

#[test]
fn cli_convert_writes_output_and_rejects_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out_path = tmp.path().join("out.jsonl");
    let (code, out, err) = silkroute(
        &[
            "catalog",
            "convert",
            "bad_rows.csv",
            out_path.to_str().unwrap(),
        ],
        &data(""),
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("wrote 4 listings to"), "{out}");
    let jsonl = std::fs::read_to_string(&out_path).unwrap();
    let skus: Vec<String> = jsonl
        .lines()
        .map(|l| serde_json::from_str::<Listing>(l).unwrap().sku)
        .collect();
    assert_eq!(skus, ["BR-001", "BR-004", "BR-013", "BR-015"]);
    let rejects = std::fs::read_to_string(tmp.path().join("out.jsonl.rejects.csv")).unwrap();
    assert_eq!(rejects.lines().count(), 9, "{rejects}");
    assert!(rejects.starts_with("file,line,column,reason\n"));
    assert!(
        rejects.contains("bad_rows.csv,3,sku,missing sku\n"),
        "{rejects}"
    );

    // Shopify -> Shopify through the command, format by extension
    let shop = tmp.path().join("shop.shopify.csv");
    let (code, out, err) = silkroute(
        &[
            "catalog",
            "convert",
            "shopify_products.csv",
            shop.to_str().unwrap(),
        ],
        &data(""),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(read(&shop).counts(), (4, 4, 0));

    // unknown output format: exit 2
    let (code, _, err) = silkroute(
        &["catalog", "convert", "products.tsv", "out.unknown"],
        &data(""),
    );
    assert_eq!(code, 2);
    assert!(err.contains("--format"), "{err}");
}

// ------------------------------------------------- issue 18: Chinese catalogs

/// A GBK export from a Chinese ERP: no currency column, bare prices.
fn chinese_erp_export(dir: &Path) -> PathBuf {
    let text = "SKU,标题,品牌,价格,描述\n\
                CN-1,2024新款 304不锈钢保温杯 大容量,乐途,59.00,双层真空，保温12小时\n\
                CN-2,,乐途,39.90,没有标题的一行\n\
                CN-3,Ceramic mug 350 ml,,45,Office mug\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let path = dir.join("erp.csv");
    std::fs::write(&path, gbk).unwrap();
    path
}

#[test]
fn chinese_catalog_without_currency_is_read_as_cny_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = chinese_erp_export(dir.path());
    let r = read(&path);
    assert_eq!(r.encoding, "GBK");
    assert_eq!(r.counts(), (3, 2, 1));
    assert_eq!(r.get("CN-1").price, price("59.00", "CNY"));
    // an English title in a Chinese export: the header says whose catalog it is
    assert_eq!(r.get("CN-3").price, price("45", "CNY"));
    assert_eq!(r.stats.currency_inferred, Some((2, 2)));
    // the row without a title is reported for its title, not for the currency
    assert_eq!(
        reject_summary(&r.rejects),
        [(3, Some("title".to_string()), "missing title".to_string())]
    );

    // a currency given (--currency or the data directory's default) wins
    let usd = read_with(
        &path,
        &ReadOptions {
            currency: Some("USD".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(usd.get("CN-1").price, price("59.00", "USD"));
    assert_eq!(usd.stats.currency_inferred, None);

    // JSON Lines: the listing's language decides
    let jl = dir.path().join("cn.jsonl");
    std::fs::write(
        &jl,
        "{\"sku\":\"J-1\",\"title\":\"不锈钢保温杯 大容量\",\"price\":59}\n\
         {\"sku\":\"J-2\",\"title\":\"Stainless steel bottle that keeps drinks cold all day\",\"price\":\"9.99\"}\n",
    )
    .unwrap();
    let j = read(&jl);
    assert_eq!(j.counts(), (2, 1, 1));
    assert_eq!(j.get("J-1").price, price("59", "CNY"));
    assert_eq!(j.rejects[0].column.as_deref(), Some("price"));
    assert!(
        j.rejects[0].reason.contains("has no currency"),
        "{}",
        j.rejects[0].reason
    );
}

#[test]
fn every_problem_of_a_row_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("en.csv");
    std::fs::write(
        &path,
        "sku,title,price,attributes\n\
         A-1,Steel bottle,9.99,Color: red\n\
         A-2,,12.50,no colon here\n\
         A-1,Steel bottle again,4.00 USD,\n",
    )
    .unwrap();
    let r = read(&path);
    assert_eq!(r.counts(), (3, 1, 2));
    let got = reject_summary(&r.rejects);
    assert_eq!(got[0].1.as_deref(), Some("price"), "{got:?}");
    assert!(
        got[0].2.starts_with("price `9.99` has no currency"),
        "{got:?}"
    );
    // three problems in one row: all named, each with its column
    assert_eq!(got[1].0, 3);
    assert_eq!(got[1].1, None);
    for part in [
        "column `attributes`: line 1 of the cell is not `Name: Value`",
        "column `title`: missing title",
        "column `price`: price `12.50` has no currency",
    ] {
        assert!(got[1].2.contains(part), "{part} in {:?}", got[1].2);
    }
    // a rejected row's sku is not taken: line 4 is not a duplicate of line 2
    assert_eq!(r.lines(), [4]);
    assert_eq!(r.get("A-1").price, price("4.00", "USD"));
}

#[test]
fn cli_check_warns_about_inferred_cny_and_reads_the_data_dir_default() {
    let tmp = tempfile::tempdir().unwrap();
    let path = chinese_erp_export(tmp.path());
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let file = path.to_str().unwrap();
    let home_s = home.to_str().unwrap();
    let (code, out, err) = silkroute(
        &["--data-dir", home_s, "catalog", "check", file],
        tmp.path(),
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("rows 3, accepted 2, rejected 1"), "{out}");
    assert!(
        out.contains("warning: 2 price(s) name no currency (first on line 2)")
            && out.contains("read as CNY"),
        "{out}"
    );
    std::fs::write(home.join("config.toml"), "currency = \"usd\"\n").unwrap();
    let (_, out, _) = silkroute(
        &["--data-dir", home_s, "catalog", "check", file],
        tmp.path(),
    );
    assert!(!out.contains("warning"), "{out}");
    let (code, _, err) = silkroute(
        &[
            "--data-dir",
            home_s,
            "catalog",
            "check",
            file,
            "--currency",
            "yuan",
        ],
        tmp.path(),
    );
    assert_eq!(code, 2);
    assert!(err.contains("yuan"), "{err}");
}

// ---------------------------------------------------------------- issue 17: hostile files

/// A workbook with one cell in A1..B2 and one in XFD1048576 (the 1.4 KB file
/// that made calamine allocate 17 billion cells and abort).
fn sparse_xlsx(path: &Path) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "sku").unwrap();
    ws.write_string(0, 1, "title").unwrap();
    ws.write_string(1, 0, "S-1").unwrap();
    ws.write_string(1, 1, "Lamp").unwrap();
    ws.write_string(1_048_575, 16_383, "far away").unwrap();
    wb.save(path).unwrap();
}

#[test]
fn regression_17_sparse_xlsx_is_a_reject_not_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sparse.xlsx");
    sparse_xlsx(&path);
    assert!(std::fs::metadata(&path).unwrap().len() < 10_000);
    let r = read(&path);
    assert_eq!(r.counts(), (2, 1, 1));
    assert_eq!(r.skus(), ["S-1"]);
    assert_eq!(r.rejects[0].line, 1_048_576);
    assert_eq!(r.rejects[0].column.as_deref(), Some("XFD"));
    assert!(
        r.rejects[0].reason.contains("beyond column"),
        "{}",
        r.rejects[0].reason
    );
    // The command: a partial result (exit 1), never a signal.
    let (code, out, err) = silkroute(&["catalog", "check", "sparse.xlsx"], dir.path());
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("sparse.xlsx:1048576: column `XFD`"), "{out}");
}

/// Writes one zip part.
type Fill = Box<dyn Fn(&mut dyn std::io::Write)>;

/// Write a zip of `parts`; each part is produced by its writer function.
fn zip_of(path: &Path, parts: Vec<(&str, Fill)>) {
    use zip::write::SimpleFileOptions;
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, fill) in parts {
        z.start_file(name, opts).unwrap();
        fill(&mut z);
    }
    z.finish().unwrap();
}

/// The parts of a minimal workbook whose first sheet is `sheet` and whose
/// shared strings come from `sst`.
fn workbook_parts(sheet: Fill, sst: Fill) -> Vec<(&'static str, Fill)> {
    let text = |s: &'static str| -> Fill { Box::new(move |w| w.write_all(s.as_bytes()).unwrap()) };
    vec![
        (
            "[Content_Types].xml",
            text(
                r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#,
            ),
        ),
        (
            "xl/workbook.xml",
            text(
                r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Products" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            text(
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
            ),
        ),
        ("xl/sharedStrings.xml", sst),
        ("xl/worksheets/sheet1.xml", sheet),
    ]
}

const SHEET: &str = r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>title</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>S-1</t></is></c><c r="B2" t="inlineStr"><is><t>Lamp &amp; shade_x000D_</t></is></c></row></sheetData></worksheet>"#;

/// Set the uncompressed size the zip declares for `name` (local header and
/// central directory) to `size`: the lie a zip bomb tells.
fn lie_about_size(path: &Path, name: &str, size: u32) {
    let mut bytes = std::fs::read(path).unwrap();
    let n = name.as_bytes();
    let mut at = 0;
    while let Some(p) = bytes[at..].windows(n.len()).position(|w| w == n) {
        let pos = at + p;
        if pos >= 30 && bytes[pos - 30..pos - 26] == *b"PK\x03\x04" {
            bytes[pos - 30 + 22..pos - 30 + 26].copy_from_slice(&size.to_le_bytes());
        }
        if pos >= 46 && bytes[pos - 46..pos - 42] == *b"PK\x01\x02" {
            bytes[pos - 46 + 24..pos - 46 + 28].copy_from_slice(&size.to_le_bytes());
        }
        at = pos + 1;
    }
    std::fs::write(path, bytes).unwrap();
}

fn shared_strings_bomb(w: &mut dyn std::io::Write) {
    w.write_all(br#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>sku</t></si>"#).unwrap();
    let item = format!("<si><t>{}</t></si>", "a".repeat(1000));
    let chunk = item.repeat(1024); // ~1 MiB
    for _ in 0..200 {
        w.write_all(chunk.as_bytes()).unwrap();
    }
    w.write_all(b"</sst>").unwrap();
}

#[test]
fn regression_17_xlsx_zip_bombs_are_refused_by_inflated_size() {
    let dir = tempfile::tempdir().unwrap();
    let small_sst =
        || -> Fill { Box::new(|w| w.write_all(br#"<sst><si><t>sku</t></si></sst>"#).unwrap()) };
    // A well-formed hand-made workbook reads (inline and shared strings, entities, escapes).
    let ok = dir.path().join("ok.xlsx");
    zip_of(
        &ok,
        workbook_parts(
            Box::new(|w| w.write_all(SHEET.as_bytes()).unwrap()),
            small_sst(),
        ),
    );
    let r = read(&ok);
    assert_eq!(r.counts(), (1, 1, 0));
    assert_eq!(r.get("S-1").title, "Lamp & shade\r");

    // Shared strings inflating to 200 MiB, honestly declared: refused from the header.
    let honest = dir.path().join("honest.xlsx");
    zip_of(
        &honest,
        workbook_parts(
            Box::new(|w| w.write_all(SHEET.as_bytes()).unwrap()),
            Box::new(shared_strings_bomb),
        ),
    );
    assert!(std::fs::metadata(&honest).unwrap().len() < 2 << 20);
    match read_with(&honest, &ReadOptions::default()) {
        Err(CatalogError::Unusable { message, .. }) => {
            assert!(
                message.contains("xl/sharedStrings.xml") && message.contains("limit"),
                "{message}"
            )
        }
        other => panic!("{:?}", other.map(|r| r.counts())),
    }
    // The same with a lying header: stopped while inflating.
    lie_about_size(&honest, "xl/sharedStrings.xml", 1000);
    match read_with(&honest, &ReadOptions::default()) {
        Err(CatalogError::Unusable { message, .. }) => assert!(
            message.contains("xl/sharedStrings.xml")
                && (message.contains("zip bomb") || message.contains("larger than its declared")),
            "{message}"
        ),
        other => panic!("{:?}", other.map(|r| r.counts())),
    }
    // The command says so and exits 2.
    let (code, _, err) = silkroute(&["catalog", "check", "honest.xlsx"], dir.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("xl/sharedStrings.xml"), "{err}");
}

#[test]
fn regression_17_one_huge_xml_token_and_too_many_zip_entries_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let long = dir.path().join("long.xlsx");
    let sheet = |w: &mut dyn std::io::Write| {
        w.write_all(br#"<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#)
            .unwrap();
        w.write_all("x".repeat(3 << 20).as_bytes()).unwrap();
        w.write_all(br#"</t></is></c></row></sheetData></worksheet>"#)
            .unwrap();
    };
    zip_of(
        &long,
        workbook_parts(
            Box::new(sheet),
            Box::new(|w| w.write_all(b"<sst/>").unwrap()),
        ),
    );
    match read_with(&long, &ReadOptions::default()) {
        Err(CatalogError::Unusable { message, .. }) => {
            assert!(message.contains("token"), "{message}")
        }
        other => panic!("{:?}", other.map(|r| r.counts())),
    }
    let many = dir.path().join("many.xlsx");
    let mut parts = workbook_parts(
        Box::new(|w| w.write_all(SHEET.as_bytes()).unwrap()),
        Box::new(|w| w.write_all(b"<sst/>").unwrap()),
    );
    let names: Vec<&'static str> = (0..12_000)
        .map(|i| &*Box::leak(format!("x/{i}").into_boxed_str()))
        .collect();
    for n in names {
        parts.push((n, Box::new(|_: &mut dyn std::io::Write| {})));
    }
    zip_of(&many, parts);
    match read_with(&many, &ReadOptions::default()) {
        Err(CatalogError::Unusable { message, .. }) => {
            assert!(message.contains("entries"), "{message}")
        }
        other => panic!("{:?}", other.map(|r| r.counts())),
    }
}

#[test]
fn regression_17_columns_extras_and_list_fields_are_bounded_per_row() {
    let dir = tempfile::tempdir().unwrap();
    // A header of 2000 columns: the file is unusable, with the reason.
    let wide = dir.path().join("wide.csv");
    let mut text = String::from("sku,title");
    for i in 0..2000 {
        text.push_str(&format!(",c{i}"));
    }
    text.push_str("\nA,b");
    text.push_str(&",x".repeat(2000));
    text.push('\n');
    std::fs::write(&wide, text).unwrap();
    match read_with(&wide, &ReadOptions::default()) {
        Err(CatalogError::Unusable { message, .. }) => {
            assert!(message.contains("2002 columns"), "{message}")
        }
        other => panic!("{:?}", other.map(|r| r.counts())),
    }
    // JSON Lines: a row with 5000 extras and one with 1000 bullets are rejects
    // naming the field; the next row is read.
    let jl = dir.path().join("big.jsonl");
    let extras: serde_json::Map<String, serde_json::Value> = (0..5000)
        .map(|i| (format!("k{i}"), serde_json::Value::from("v")))
        .collect();
    let lines = [
        serde_json::json!({"sku": "A", "title": "t", "extra": extras}).to_string(),
        serde_json::json!({"sku": "B", "title": "t", "bullets": vec!["b"; 1000]}).to_string(),
        serde_json::json!({"sku": "C", "title": "t"}).to_string(),
    ];
    std::fs::write(&jl, lines.join("\n")).unwrap();
    let r = read(&jl);
    assert_eq!(r.counts(), (3, 1, 2));
    assert_eq!(r.skus(), ["C"]);
    assert_eq!(r.rejects[0].column.as_deref(), Some("extra"));
    assert!(
        r.rejects[0].reason.contains("5000 extra"),
        "{}",
        r.rejects[0].reason
    );
    assert_eq!(r.rejects[1].column.as_deref(), Some("bullets"));
}

#[test]
fn regression_17_map_with_a_letter_that_changes_length_when_lowercased() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.csv");
    std::fs::write(&path, "sku,title,X\nA,Lamp,blue\n").unwrap();
    let opts = ReadOptions {
        mapping: ReadOptions::parse_mapping("attr:ẞ=X").unwrap(),
        ..Default::default()
    };
    let r = read_with(&path, &opts).unwrap();
    assert_eq!(r.get("A").attributes, [Attribute::new("ẞ", "blue")]);
    let (code, out, err) = silkroute(
        &["catalog", "check", "m.csv", "--map", "ATTR:ẞẞ=X"],
        dir.path(),
    );
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn regression_17_terminal_escapes_in_cells_are_printed_inert() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("esc.csv"),
        "sku,title\n\u{1b}]0;pwned\u{7}\u{1b}[2J,t\n\u{1b}]0;pwned\u{7}\u{1b}[2J,t\n",
    )
    .unwrap();
    let (code, out, _) = silkroute(&["catalog", "check", "esc.csv"], dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(out.contains("\\u{1b}]0;pwned"), "{out}");
}
