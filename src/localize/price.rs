//! Prices: exchange rates from a seller-supplied file (no network), conversion with
//! exact decimals, the market's rounding and number format.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::{Decimal, RoundingStrategy};

use super::LocalizeError;
use crate::listing::Price;
use crate::market::MarketProfile;

/// Largest rates file accepted.
const MAX_RATES_BYTES: usize = 256 * 1024;

/// Exchange rates: how many units of `to` one unit of `from` buys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rates {
    rates: HashMap<(String, String), Decimal>,
    fingerprint: String,
}

impl Rates {
    /// Parse a rates CSV: header `from,to,rate`, then lines such as `USD,EUR,0.92`.
    /// `source_name` names the file in errors.
    pub fn from_csv(text: &str, source_name: &str) -> Result<Self, LocalizeError> {
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
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
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
        let digest = <sha2::Sha256 as sha2::Digest>::digest(text.as_bytes());
        let fingerprint = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self { rates, fingerprint })
    }

    /// Short content hash (part of translation-memory keys).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The rate from one currency to another (direct, inverse, or 1 for the same).
    pub fn rate(&self, from: &str, to: &str) -> Option<Decimal> {
        if from.eq_ignore_ascii_case(to) {
            return Some(Decimal::ONE);
        }
        let (f, t) = (from.to_ascii_uppercase(), to.to_ascii_uppercase());
        if let Some(r) = self.rates.get(&(f.clone(), t.clone())) {
            return Some(*r);
        }
        self.rates
            .get(&(t, f))
            .and_then(|r| Decimal::ONE.checked_div(*r))
    }
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
    Regex::new(r"(US\$|C\$|A\$|[$€£¥]|USD|EUR|GBP|JPY|CNY)?\s?(\d+(?:[.,]\d+)*)\s?(€|\$|£|USD|EUR|GBP|JPY|CNY)?")
        .expect("static regex")
});

impl PriceConverter<'_> {
    /// Convert an amount; `None` when no rate is known.
    pub fn convert(&self, amount: Decimal, currency: &str) -> Option<Price> {
        let rate = self.rates.rate(currency, &self.profile.currency)?;
        let v = amount.checked_mul(rate)?.round_dp_with_strategy(
            self.profile.price.decimals,
            RoundingStrategy::MidpointAwayFromZero,
        );
        Some(Price {
            amount: v,
            currency: self.profile.currency.clone(),
        })
    }

    /// Write a price with the market's symbol and separators (`19,99 €`, `$19.99`, `¥1,980`).
    pub fn format(&self, amount: Decimal) -> String {
        let nf = &self.profile.number_format;
        let s = format!("{:.*}", self.profile.price.decimals as usize, amount);
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        let mut grouped = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 && c.is_ascii_digit() {
                grouped.push_str(&nf.grouping);
            }
            grouped.push(c);
        }
        let num = if frac.is_empty() {
            grouped
        } else {
            format!("{grouped}{}{frac}", nf.decimal)
        };
        let sym = &self.profile.price.symbol;
        if self.profile.price.symbol_before {
            format!("{sym}{num}")
        } else {
            format!("{num}\u{a0}{sym}")
        }
    }

    /// Convert a price written in text (`$19.99`, `18,50 €`); `None` when the
    /// currency is unknown or no rate is known (the text is then kept as is).
    pub fn convert_text(&self, text: &str) -> Option<String> {
        let c = PRICE_PARTS.captures(text)?;
        let sym = c.get(1).or(c.get(3))?.as_str();
        let currency = match sym {
            "$" | "US$" | "USD" => "USD",
            "€" | "EUR" => "EUR",
            "£" | "GBP" => "GBP",
            "¥" | "JPY" => "JPY",
            "CNY" => "CNY",
            "C$" => "CAD",
            "A$" => "AUD",
            _ => return None,
        };
        let raw = &c[2];
        // Source amounts: a comma followed by two digits is a decimal comma.
        // The later of `.` and `,` is the decimal separator; a lone `,` before
        // exactly three digits groups thousands.
        let amount = match (raw.rfind(','), raw.rfind('.')) {
            (Some(c), Some(d)) if c > d => raw.replace('.', "").replace(',', "."),
            (Some(_), Some(_)) => raw.replace(',', ""),
            (Some(c), None) if raw.len() - c - 1 == 3 => raw.replace(',', ""),
            (Some(_), None) => raw.replace(',', "."),
            _ => raw.to_string(),
        };
        let amount: Decimal = amount.parse().ok()?;
        let p = self.convert(amount, currency)?;
        Some(self.format(p.amount))
    }
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
        assert_eq!(
            de.convert(Decimal::new(1999, 2), "USD").unwrap().amount,
            Decimal::new(1839, 2)
        );
        assert_eq!(de.convert_text("$19.99").unwrap(), "18,39\u{a0}€");
        assert_eq!(de.convert_text("1,299.00 USD").unwrap(), "1.195,08\u{a0}€");
        let jp = PriceConverter {
            rates: &rates,
            profile: reg.get("amazon.co.jp").unwrap(),
        };
        assert_eq!(jp.convert_text("$19.99").unwrap(), "¥3,024");
        // Inverse rate and unknown currency.
        let us = PriceConverter {
            rates: &rates,
            profile: reg.get("amazon.com").unwrap(),
        };
        assert_eq!(us.convert_text("9,20 €").unwrap(), "$10.00");
        assert_eq!(us.convert_text("£5"), None);
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
