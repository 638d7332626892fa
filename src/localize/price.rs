//! Prices: exchange rates from a seller-supplied file (no network) over the
//! built-in reference table (`markets/rates.csv`, ECB reference rates), and
//! conversion with exact decimals into a market's currency: its VAT where
//! listings must show prices with VAT, its psychological ending (`x.99`,
//! `x,90`), its rounding and number format.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::{Decimal, RoundingStrategy};

use super::LocalizeError;
use crate::listing::Price;
use crate::market::MarketProfile;

/// Largest rates file accepted.
const MAX_RATES_BYTES: usize = 256 * 1024;

/// The reference rates shipped with silkroute (see the file's header).
const REFERENCE_CSV: &str = include_str!("../../markets/rates.csv");

/// Currencies a missing pair is tried through, in order.
const PIVOTS: [&str; 3] = ["EUR", "USD", "CNY"];

/// Where a rate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateSource {
    /// The seller's rates (file, settings page, `--rates`).
    Seller,
    /// The built-in reference table.
    Reference,
}

/// Exchange rates: how many units of `to` one unit of `from` buys. The seller's
/// rates come first; the reference table ([`Rates::with_reference`]) fills the
/// pairs they do not set, directly, inverted or through EUR, USD or CNY.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rates {
    rates: HashMap<(String, String), Decimal>,
    reference: HashMap<(String, String), Decimal>,
    fingerprint: String,
}

impl Rates {
    /// Parse a rates CSV: header `from,to,rate`, then lines such as `USD,EUR,0.92`.
    /// `source_name` names the file in errors.
    pub fn from_csv(text: &str, source_name: &str) -> Result<Self, LocalizeError> {
        let rates = parse_csv(text, source_name)?;
        Ok(Self {
            rates,
            reference: HashMap::new(),
            fingerprint: fingerprint(text),
        })
    }

    /// The built-in reference rates alone.
    pub fn reference() -> Result<Self, LocalizeError> {
        Self::default().with_reference()
    }

    /// These rates over the built-in reference table.
    pub fn with_reference(mut self) -> Result<Self, LocalizeError> {
        self.reference = parse_csv(REFERENCE_CSV, "builtin:markets/rates.csv")?;
        self.fingerprint = fingerprint(&format!("{}|{REFERENCE_CSV}", self.fingerprint));
        Ok(self)
    }

    /// Short content hash (part of translation-memory keys).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The rate from one currency to another (1 for the same).
    pub fn rate(&self, from: &str, to: &str) -> Option<Decimal> {
        self.rate_with_source(from, to).map(|(r, _)| r)
    }

    /// The rate and where it came from: the seller's rates (direct or inverted)
    /// first, then the reference table, then through a pivot currency; a rate
    /// that used a reference figure anywhere counts as [`RateSource::Reference`].
    pub fn rate_with_source(&self, from: &str, to: &str) -> Option<(Decimal, RateSource)> {
        let (f, t) = (from.to_ascii_uppercase(), to.to_ascii_uppercase());
        if let Some(r) = self.leg(&f, &t) {
            return Some(r);
        }
        for p in PIVOTS {
            if p == f || p == t {
                continue;
            }
            if let (Some((a, sa)), Some((b, sb))) = (self.leg(&f, p), self.leg(p, &t)) {
                let source = if sa == RateSource::Seller && sb == RateSource::Seller {
                    RateSource::Seller
                } else {
                    RateSource::Reference
                };
                return Some((a.checked_mul(b)?, source));
            }
        }
        None
    }

    fn leg(&self, f: &str, t: &str) -> Option<(Decimal, RateSource)> {
        if f == t {
            return Some((Decimal::ONE, RateSource::Seller));
        }
        let look = |m: &HashMap<(String, String), Decimal>| {
            m.get(&(f.to_string(), t.to_string())).copied().or_else(|| {
                m.get(&(t.to_string(), f.to_string()))
                    .and_then(|r| Decimal::ONE.checked_div(*r))
            })
        };
        look(&self.rates)
            .map(|r| (r, RateSource::Seller))
            .or_else(|| look(&self.reference).map(|r| (r, RateSource::Reference)))
    }
}

fn fingerprint(text: &str) -> String {
    let digest = <sha2::Sha256 as sha2::Digest>::digest(text.as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// Parse `from,to,rate` lines (`#` starts a comment line).
fn parse_csv(
    text: &str,
    source_name: &str,
) -> Result<HashMap<(String, String), Decimal>, LocalizeError> {
    if text.len() > MAX_RATES_BYTES {
        return Err(LocalizeError::Input {
            file: source_name.to_string(),
            line: 0,
            field: String::new(),
            message: format!("file is over {MAX_RATES_BYTES} bytes"),
        });
    }
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut rates = HashMap::new();
    for rec in rdr.records() {
        let line = rec
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(0, |p| p.line() as usize);
        let err = |field: &str, message: String| LocalizeError::Input {
            file: source_name.to_string(),
            line,
            field: field.to_string(),
            message,
        };
        let rec = rec.map_err(|e| err("", e.to_string()))?;
        let get = |k: usize, name: &str| {
            rec.get(k)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| err(name, "missing".into()))
        };
        let code = |k: usize, name: &str| {
            let v = get(k, name)?.to_ascii_uppercase();
            if v.len() == 3 && v.chars().all(|c| c.is_ascii_alphabetic()) {
                Ok(v)
            } else {
                Err(err(name, format!("`{v}` is not an ISO 4217 code")))
            }
        };
        let from = code(0, "from")?;
        let to = code(1, "to")?;
        let raw = get(2, "rate")?;
        let rate: Decimal = raw
            .parse()
            .map_err(|_| err("rate", format!("`{raw}` is not a number")))?;
        if rate <= Decimal::ZERO {
            return Err(err("rate", format!("`{raw}` must be positive")));
        }
        rates.insert((from, to), rate);
    }
    Ok(rates)
}

/// Converts prices into one market's currency and writes them its way.
#[derive(Debug, Clone)]
pub struct PriceConverter<'a> {
    /// The rates.
    pub rates: &'a Rates,
    /// The target market.
    pub profile: &'a MarketProfile,
}

static PRICE_PARTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(US\$|C\$|A\$|[$€£¥￥]|USD|EUR|GBP|JPY|CNY|RMB|人民币)?\s?(\d+(?:[.,]\d+)*)\s?(€|\$|£|元|USD|EUR|GBP|JPY|CNY|RMB)?")
        .expect("static regex")
});

impl PriceConverter<'_> {
    /// Convert an amount; `None` when no rate is known. A price already in the
    /// market's currency is the seller's own and only gets the market's decimals.
    /// One in another currency is a net export price: it is converted, gets the
    /// market's VAT where listings show prices with VAT, is rounded to the
    /// market's decimals and then up to its psychological ending.
    pub fn convert(&self, amount: Decimal, currency: &str) -> Option<Price> {
        let p = &self.profile.price;
        let round = |v: Decimal| {
            v.round_dp_with_strategy(p.decimals, RoundingStrategy::MidpointAwayFromZero)
        };
        let same = currency.eq_ignore_ascii_case(&self.profile.currency);
        let v = if same {
            round(amount)
        } else {
            let rate = self.rates.rate(currency, &self.profile.currency)?;
            let mut v = amount.checked_mul(rate)?;
            if let Some(vat) = p.vat_percent {
                v = v.checked_mul(Decimal::ONE + vat / Decimal::ONE_HUNDRED)?;
            }
            let v = round(v);
            match &p.ending {
                Some(e) => e.apply(v),
                None => v,
            }
        };
        Some(Price {
            amount: v,
            currency: self.profile.currency.clone(),
        })
    }

    /// What [`convert`](Self::convert) did to a price in `currency`, in words for
    /// the seller (rate and its source, VAT added, ending); empty when nothing
    /// was converted.
    pub fn notes(&self, currency: &str) -> Vec<String> {
        let to = &self.profile.currency;
        if currency.eq_ignore_ascii_case(to) {
            return Vec::new();
        }
        let Some((rate, source)) = self.rates.rate_with_source(currency, to) else {
            return Vec::new();
        };
        let mut out = vec![format!(
            "converted at 1 {} = {} {to}{}",
            currency.to_ascii_uppercase(),
            rate.round_dp(6).normalize(),
            match source {
                RateSource::Seller => "",
                RateSource::Reference =>
                    " (silkroute's reference rate: set your own on the settings page or with --rates)",
            }
        )];
        if let Some(vat) = self.profile.price.vat_percent {
            out.push(format!(
                "{}% VAT added: {} shows prices with VAT",
                vat.normalize(),
                self.profile.name
            ));
        }
        if let Some(e) = &self.profile.price.ending {
            out.push(format!(
                "rounded to the nearest price ending in {}",
                self.format_number(e.value)
            ));
        }
        out
    }

    /// An amount with the market's separators and decimals, without a symbol.
    fn format_number(&self, amount: Decimal) -> String {
        let nf = &self.profile.number_format;
        let s = format!("{:.*}", self.profile.price.decimals as usize, amount);
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
        let grouped = format!("{sign}{}", super::units::group_digits(digits, &nf.grouping));
        if frac.is_empty() {
            grouped
        } else {
            format!("{grouped}{}{frac}", nf.decimal)
        }
    }

    /// Write a price with the market's symbol and separators (`19,99 €`, `$19.99`, `¥1,980`).
    pub fn format(&self, amount: Decimal) -> String {
        let num = self.format_number(amount);
        let sym = &self.profile.price.symbol;
        if self.profile.price.symbol_before {
            format!("{sym}{num}")
        } else {
            format!("{num}\u{a0}{sym}")
        }
    }

    /// Convert a price written in text (`$19.99`, `18,50 €`, `5元`); `None` when
    /// the currency is unknown or no rate is known. `source_language` decides
    /// what a yen sign is: Chinese text writes yuan with it (`¥99`, `￥99`).
    pub fn convert_text(&self, text: &str, source_language: Option<&str>) -> Option<String> {
        let (amount, currency) = text_price(text, source_language)?;
        let p = self.convert(amount, currency)?;
        Some(self.format(p.amount))
    }
}

/// The amount and currency of a price written in text (see
/// [`PriceConverter::convert_text`]).
pub fn text_price(text: &str, source_language: Option<&str>) -> Option<(Decimal, &'static str)> {
    let c = PRICE_PARTS.captures(text)?;
    let sym = c.get(1).or(c.get(3))?.as_str();
    let currency = match sym {
        "$" | "US$" | "USD" => "USD",
        "€" | "EUR" => "EUR",
        "£" | "GBP" => "GBP",
        "¥" | "￥" if source_language == Some("zh") => "CNY",
        "¥" | "￥" | "JPY" => "JPY",
        "CNY" | "RMB" | "人民币" | "元" => "CNY",
        "C$" => "CAD",
        "A$" => "AUD",
        _ => return None,
    };
    let amount: Decimal = super::units::plain_source_number(&c[2]).parse().ok()?;
    Some((amount, currency))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::MarketRegistry;

    #[test]
    fn rates_parse_and_convert_with_market_rounding() {
        let rates =
            Rates::from_csv("from,to,rate\nUSD,EUR,0.92\nUSD,JPY,151.3\n", "r.csv").unwrap();
        let reg = MarketRegistry::builtin().unwrap();
        let de = PriceConverter {
            rates: &rates,
            profile: reg.get("amazon.de").unwrap(),
        };
        // 19.99 x 0.92 = 18.39, + 19% VAT = 21.89, nearest x,99 = 21.99
        assert_eq!(
            de.convert(Decimal::new(1999, 2), "USD").unwrap().amount,
            Decimal::new(2199, 2)
        );
        assert_eq!(de.convert_text("$19.99", None).unwrap(), "21,99\u{a0}€");
        assert_eq!(
            de.convert_text("1,299.00 USD", None).unwrap(),
            "1.421,99\u{a0}€"
        );
        // a price already in euros is the seller's: no VAT, no ending
        assert_eq!(
            de.convert(Decimal::new(1999, 2), "EUR").unwrap().amount,
            Decimal::new(1999, 2)
        );
        let jp = PriceConverter {
            rates: &rates,
            profile: reg.get("amazon.co.jp").unwrap(),
        };
        assert_eq!(jp.convert_text("$19.99", None).unwrap(), "¥3,024");
        // Inverse rate and unknown currency.
        let us = PriceConverter {
            rates: &rates,
            profile: reg.get("amazon.com").unwrap(),
        };
        assert_eq!(us.convert_text("9,20 €", None).unwrap(), "$9.99");
        assert_eq!(us.convert_text("£5", None), None);
    }

    #[test]
    fn reference_rates_fill_in_through_a_pivot_and_the_seller_wins() {
        let reference = Rates::reference().unwrap();
        let reg = MarketRegistry::builtin().unwrap();
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        // CNY -> BRL through EUR: 59 x 6.0692 / 7.4326 = 48.18 -> nearest x,90 = 47.90
        let br = PriceConverter {
            rates: &reference,
            profile: reg.get("amazon.com.br").unwrap(),
        };
        assert_eq!(br.convert(d("59"), "CNY").unwrap().amount, d("47.90"));
        assert_eq!(
            reference.rate_with_source("CNY", "BRL").map(|(_, s)| s),
            Some(RateSource::Reference)
        );
        // The UAE: a USD peg through EUR, 5% VAT, no ending
        let ae = PriceConverter {
            rates: &reference,
            profile: reg.get("amazon.ae-ar").unwrap(),
        };
        let aed = ae.convert(d("10"), "USD").unwrap().amount;
        assert!((d("38.55")..=d("38.57")).contains(&aed), "{aed}");
        let notes = ae.notes("USD").join("; ");
        assert!(
            notes.contains("reference rate") && notes.contains("5% VAT added"),
            "{notes}"
        );
        // No public reference rate for the rouble: the price stays unconverted.
        let ozon = PriceConverter {
            rates: &reference,
            profile: reg.get("ozon").unwrap(),
        };
        assert_eq!(ozon.convert(d("59"), "CNY"), None);

        let mine = Rates::from_csv("from,to,rate\nCNY,EUR,0.13\n", "r.csv")
            .unwrap()
            .with_reference()
            .unwrap();
        assert_eq!(
            mine.rate_with_source("EUR", "CNY"),
            Some((Decimal::ONE / d("0.13"), RateSource::Seller))
        );
        let (usd, source) = mine.rate_with_source("CNY", "USD").unwrap();
        assert_eq!(
            (usd, source),
            (d("0.13") * d("1.1172"), RateSource::Reference)
        );
        assert_ne!(mine.fingerprint(), reference.fingerprint());
        let de = PriceConverter {
            rates: &mine,
            profile: reg.get("amazon.de").unwrap(),
        };
        let notes = de.notes("CNY").join("; ");
        assert!(
            notes.contains("1 CNY = 0.13 EUR")
                && !notes.contains("reference")
                && notes.contains("19% VAT")
                && notes.contains("ending in 0,99"),
            "{notes}"
        );
    }

    #[test]
    fn bad_rates_name_line_and_field() {
        let e = Rates::from_csv("from,to,rate\nUSD,EUR,0.9\nUSD,EURO,1\n", "r.csv").unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("r.csv") && s.contains("line 3") && s.contains("to"),
            "{s}"
        );
        let e = Rates::from_csv("from,to,rate\nUSD,EUR,abc\n", "r.csv").unwrap_err();
        assert!(e.to_string().contains("rate"));
    }
}
