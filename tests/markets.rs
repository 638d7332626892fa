//! Market profiles (issue 18): every built-in profile loads and validates, says
//! where its rules come from, covers the platforms and languages the sellers use,
//! and each of its limits is enforced on a field one character (or byte) too
//! long.

use silkroute::localize::{FieldKind, lint_bullet_count, lint_field};
use silkroute::market::{MarketProfile, MarketRegistry};

fn all() -> Vec<MarketProfile> {
    MarketRegistry::builtin().unwrap().iter().cloned().collect()
}

fn source_text(id: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("markets")
            .join(format!("{id}.toml")),
    )
    .unwrap()
}

#[test]
fn every_profile_has_every_field_and_names_its_sources() {
    let profiles = all();
    assert!(profiles.len() >= 80, "{} profiles", profiles.len());
    for p in &profiles {
        let id = &p.id;
        assert!(!p.name.is_empty() && p.version >= 1, "{id}");
        assert!(
            p.locale.starts_with(&format!("{}-", p.language)),
            "{id}: locale {} for language {}",
            p.locale,
            p.language
        );
        assert!(!p.price.symbol.is_empty(), "{id}: price.symbol");
        assert!(p.date_format.is_some(), "{id}: date_format");
        assert!(
            !p.promotional_phrases.is_empty(),
            "{id}: promotional_phrases"
        );
        assert!(p.title.max_chars > 0 && p.description.max_chars > 0, "{id}");
        assert!(p.search_terms.max_bytes > 0, "{id}: search_terms");
        if p.title.max_word_repeat > 0 {
            assert!(!p.title.repeat_exempt.is_empty(), "{id}: repeat_exempt");
        }
        // Every file says where its rules come from and when they were read.
        let text = source_text(id);
        let head: String = text.lines().take_while(|l| l.starts_with('#')).collect();
        assert!(
            head.contains("Sources"),
            "{id}: no sources in the file header"
        );
    }
}

#[test]
fn the_platforms_and_languages_of_issue_18_are_there() {
    let r = MarketRegistry::builtin().unwrap();
    let lang = |id: &str| r.get(id).unwrap_or_else(|e| panic!("{e}")).language.clone();
    for l in [
        "en", "es", "fr", "pt", "ru", "ar", "ko", "ja", "pl", "nl", "tr",
    ] {
        assert_eq!(lang(&format!("aliexpress-{l}")), l);
    }
    for l in ["en", "de", "fr", "es", "it", "nl", "pl", "pt"] {
        assert_eq!(lang(&format!("shein-{l}")), l);
        assert_eq!(lang(&format!("temu-{l}")), l);
    }
    for (id, l) in [
        ("amazon.com.br", "pt"),
        ("amazon.com.mx", "es"),
        ("amazon.ae-ar", "ar"),
        ("amazon.ae-en", "en"),
        ("amazon.sa-ar", "ar"),
        ("amazon.sa-en", "en"),
        ("amazon.pl", "pl"),
        ("amazon.nl", "nl"),
        ("amazon.com.tr", "tr"),
        ("shopee-sg", "en"),
        ("shopee-my-ms", "ms"),
        ("shopee-th", "th"),
        ("shopee-vn", "vi"),
        ("shopee-ph", "en"),
        ("shopee-id", "id"),
        ("shopee-br", "pt"),
        ("lazada-sg", "en"),
        ("lazada-my-ms", "ms"),
        ("lazada-th", "th"),
        ("lazada-vn", "vi"),
        ("lazada-ph", "en"),
        ("lazada-id", "id"),
        ("mercadolibre-mx", "es"),
        ("mercadolivre-br", "pt"),
        ("mercadolibre-ar", "es"),
        ("mercadolibre-co", "es"),
        ("mercadolibre-cl", "es"),
        ("noon-ae-ar", "ar"),
        ("noon-sa-en", "en"),
        ("ozon", "ru"),
        ("wildberries", "ru"),
        ("coupang", "ko"),
        ("allegro", "pl"),
    ] {
        assert_eq!(lang(id), l, "{id}");
    }
    assert_eq!(r.get("mercadolibre-cl").unwrap().locale, "es-CL");
    assert_eq!(r.get("shopee-br").unwrap().locale, "pt-BR");
    assert_eq!(r.get("temu-pt").unwrap().locale, "pt-PT");
}

#[test]
fn vat_inclusive_prices_where_the_market_requires_them() {
    for p in all() {
        let eu_uk = ["EUR", "GBP", "PLN"].contains(&p.currency.as_str())
            && (p.id.starts_with("amazon.")
                || p.id.starts_with("shein-")
                || p.id.starts_with("temu-")
                || p.id == "allegro");
        let gulf = ["AED", "SAR"].contains(&p.currency.as_str());
        if eu_uk || gulf {
            assert!(p.price.vat_percent.is_some(), "{}: VAT-inclusive", p.id);
        }
        if p.currency == "USD" || p.currency == "CNY" {
            assert!(p.price.vat_percent.is_none(), "{}: no VAT", p.id);
        }
    }
}

/// Exactly `n` ASCII characters of distinct made-up words (no digits, dots or
/// repeated words), so only a length rule can object.
fn filler(n: usize) -> String {
    let mut s = String::new();
    let mut i = 0u32;
    while s.len() < n + 8 {
        let mut w = String::from("q");
        let mut k = i;
        loop {
            w.push((b'a' + (k % 26) as u8) as char);
            k /= 26;
            if k == 0 {
                break;
            }
        }
        w.push('z');
        s.push_str(&w);
        s.push(' ');
        i += 1;
    }
    let mut out: String = s.chars().take(n).collect();
    if out.ends_with(' ') {
        out.pop();
        out.push('x');
    }
    out
}

fn rules(v: &[silkroute::localize::Violation]) -> Vec<&'static str> {
    v.iter().map(|v| v.rule).collect()
}

#[test]
fn each_limit_is_enforced_on_a_field_one_too_long() {
    for p in all() {
        let id = &p.id;
        let at = |kind, n: usize| rules(&lint_field(kind, &filler(n), &p, None));
        let t = p.title.max_chars;
        assert_eq!(
            at(FieldKind::Title, t),
            Vec::<&str>::new(),
            "{id}: title at the limit"
        );
        assert_eq!(at(FieldKind::Title, t + 1), ["title_too_long"], "{id}");
        let d = p.description.max_chars;
        assert!(
            !at(FieldKind::Description, d).contains(&"description_too_long"),
            "{id}"
        );
        assert!(
            at(FieldKind::Description, d + 1).contains(&"description_too_long"),
            "{id}"
        );
        let b = p.search_terms.max_bytes;
        assert!(
            !at(FieldKind::SearchTerms, b).contains(&"search_terms_too_long"),
            "{id}"
        );
        assert!(
            at(FieldKind::SearchTerms, b + 1).contains(&"search_terms_too_long"),
            "{id}"
        );
        if p.bullets.max_count > 0 {
            let c = p.bullets.max_chars;
            assert!(
                !at(FieldKind::Bullet, c).contains(&"bullet_too_long"),
                "{id}"
            );
            assert!(
                at(FieldKind::Bullet, c + 1).contains(&"bullet_too_long"),
                "{id}"
            );
            assert!(lint_bullet_count(p.bullets.max_count, &p).is_none(), "{id}");
            assert!(
                lint_bullet_count(p.bullets.max_count + 1, &p).is_some(),
                "{id}"
            );
        }
        // a promotional phrase of the market's own language is caught
        let promo = &p.promotional_phrases[0];
        assert!(
            rules(&lint_field(
                FieldKind::Title,
                &format!("Bottle {promo}"),
                &p,
                None
            ))
            .contains(&"promotional_phrase"),
            "{id}: `{promo}`"
        );
    }
}
