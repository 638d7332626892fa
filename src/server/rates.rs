//! The server's exchange rates as typed values: [`RateBook`] holds validated
//! `(from, to) -> rate` pairs (ISO 4217 codes, a positive decimal), writes them
//! to `<data dir>/rates.csv` with the `csv` writer (atomically: a synced
//! temporary file renamed over the old one, then the directory synced), and
//! keeps the parsed [`Rates`] the pipeline uses, rebuilt only when a rate
//! changes.
//!
//! A `rates.csv` that does not read at start (edited by hand, cut short) never
//! stops the server: it is moved aside to `rates.csv.bad`, the problem is
//! logged, and the server starts without rates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::listing::is_iso4217;
use crate::localize::Rates;

/// Largest `rates.csv` read at start.
const MAX_RATES_BYTES: u64 = 256 * 1024;
/// Most rates kept.
pub const MAX_RATES: usize = 5_000;

/// A rate that does not validate: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateError {
    /// `from`, `to` or `rate`.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

/// Validate one rate: two ISO 4217 codes (any case, spaces trimmed) and a
/// positive decimal. Returns the upper-case codes and the rate.
pub fn parse_rate(
    from: &str,
    to: &str,
    rate: &str,
) -> Result<(String, String, Decimal), RateError> {
    let code = |field: &'static str, v: &str| {
        let c = v.trim().to_ascii_uppercase();
        if is_iso4217(&c) {
            Ok(c)
        } else {
            Err(RateError {
                field,
                message: format!(
                    "`{}` is not an ISO 4217 currency code",
                    v.chars().take(16).collect::<String>()
                ),
            })
        }
    };
    let (from, to) = (code("from", from)?, code("to", to)?);
    if from == to {
        return Err(RateError {
            field: "to",
            message: "a rate converts between two different currencies".into(),
        });
    }
    let shown = || rate.chars().take(32).collect::<String>();
    let r = Decimal::from_str(rate.trim()).map_err(|_| RateError {
        field: "rate",
        message: format!("`{}` is not a decimal number", shown()),
    })?;
    if r <= Decimal::ZERO {
        return Err(RateError {
            field: "rate",
            message: format!("`{}` must be positive", shown()),
        });
    }
    Ok((from, to, r.normalize()))
}

/// `(from, to) -> rate`.
type RateMap = BTreeMap<(String, String), Decimal>;

/// The exchange rates and the file they live in.
#[derive(Debug)]
pub struct RateBook {
    path: PathBuf,
    rates: RateMap,
    parsed: Option<Arc<Rates>>,
}

impl RateBook {
    /// Read `path`. A missing file is no rates; a file that does not read is
    /// moved aside to `<path>.bad` and reported in the returned message.
    pub fn load(path: &Path) -> (Self, Option<String>) {
        let mut book = Self {
            path: path.to_path_buf(),
            rates: BTreeMap::new(),
            parsed: None,
        };
        let problem = match Self::read(path) {
            Ok(Some(rates)) => {
                book.rates = rates;
                None
            }
            Ok(None) => None,
            Err(message) => {
                let aside = path.with_extension("csv.bad");
                let moved = std::fs::rename(path, &aside).is_ok();
                Some(format!(
                    "{}: {message}; {}, starting without exchange rates",
                    path.display(),
                    if moved {
                        format!("moved aside to {}", aside.display())
                    } else {
                        "ignored".to_string()
                    }
                ))
            }
        };
        book.rebuild();
        (book, problem)
    }

    fn read(path: &Path) -> Result<Option<RateMap>, String> {
        let len = match std::fs::metadata(path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        if len > MAX_RATES_BYTES {
            return Err(format!("over {MAX_RATES_BYTES} bytes"));
        }
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .from_reader(bytes.as_slice());
        let mut out = BTreeMap::new();
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| format!("line {line}: {e}"))?;
            let get = |k| rec.get(k).unwrap_or("");
            let (from, to, rate) = parse_rate(get(0), get(1), get(2))
                .map_err(|e| format!("line {line}: {}: {}", e.field, e.message))?;
            if out.len() >= MAX_RATES {
                return Err(format!("more than {MAX_RATES} rates"));
            }
            out.insert((from, to), rate);
        }
        Ok(Some(out))
    }

    /// Every rate, ordered by `(from, to)`.
    pub fn all(&self) -> impl Iterator<Item = (&str, &str, Decimal)> {
        self.rates
            .iter()
            .map(|((f, t), r)| (f.as_str(), t.as_str(), *r))
    }

    /// The rates the pipeline converts prices with; `None` when there are none.
    pub fn parsed(&self) -> Option<Arc<Rates>> {
        self.parsed.clone()
    }

    /// Set one rate (validated) and write the file. On a write error the book
    /// is left as it was.
    pub fn set(&mut self, from: &str, to: &str, rate: &str) -> Result<(), SetError> {
        let (from, to, rate) = parse_rate(from, to, rate).map_err(SetError::Invalid)?;
        if !self.rates.contains_key(&(from.clone(), to.clone())) && self.rates.len() >= MAX_RATES {
            return Err(SetError::Invalid(RateError {
                field: "rate",
                message: format!("at most {MAX_RATES} rates"),
            }));
        }
        let old = self.rates.insert((from.clone(), to.clone()), rate);
        if let Err(e) = self.save() {
            match old {
                Some(r) => self.rates.insert((from, to), r),
                None => self.rates.remove(&(from, to)),
            };
            return Err(SetError::Io(e));
        }
        self.rebuild();
        Ok(())
    }

    /// The file's text: a header and one row per rate, through the csv writer.
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["from", "to", "rate"]);
        for ((f, t), r) in &self.rates {
            let _ = w.write_record([f.as_str(), t.as_str(), &r.to_string()]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    fn rebuild(&mut self) {
        self.parsed = if self.rates.is_empty() {
            None
        } else {
            // Our own writer's output always parses; a failure would be a bug,
            // logged, and the rates left out rather than the server stopped.
            // The seller's rates over the built-in reference table (issue 18).
            match Rates::from_csv(&self.to_csv(), "rates").and_then(Rates::with_reference) {
                Ok(r) => Some(Arc::new(r)),
                Err(e) => {
                    tracing::error!(error = %e, "exchange rates do not parse");
                    None
                }
            }
        };
    }

    fn save(&self) -> std::io::Result<()> {
        crate::paths::write_durably(&self.path, self.to_csv().as_bytes())
    }
}

/// Why setting a rate failed.
#[derive(Debug)]
pub enum SetError {
    /// The rate does not validate.
    Invalid(RateError),
    /// The file could not be written.
    Io(std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_validated_typed_values() {
        assert!(parse_rate("usd", " eur ", "0.92").is_ok());
        for (f, t, r, field) in [
            ("AAA", "EUR", "0.9", "from"),
            ("USD", "EURO", "0.9", "to"),
            ("USD", "EUR", "\"0.9", "rate"),
            ("USD", "EUR", "0", "rate"),
            ("USD", "EUR", "-1", "rate"),
            ("USD", "EUR", "1e400", "rate"),
            ("USD", "USD", "1", "to"),
            ("USD", "EUR", "0.9\nGBP,EUR,1", "rate"),
        ] {
            assert_eq!(
                parse_rate(f, t, r).unwrap_err().field,
                field,
                "{f} {t} {r:?}"
            );
        }
    }

    #[test]
    fn the_file_round_trips_and_a_bad_one_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rates.csv");
        let (mut book, problem) = RateBook::load(&path);
        assert!(problem.is_none() && book.parsed().is_none());
        book.set("usd", "eur", "0.92").unwrap();
        book.set("GBP", "EUR", "1.17").unwrap();
        assert!(book.set("AAA", "EUR", "\"0.9").is_err());
        let (again, problem) = RateBook::load(&path);
        assert!(problem.is_none());
        assert_eq!(again.to_csv(), "from,to,rate\nGBP,EUR,1.17\nUSD,EUR,0.92\n");
        let rates = again.parsed().unwrap();
        assert_eq!(rates.rate("USD", "EUR"), Some(Decimal::new(92, 2)));

        std::fs::write(&path, "from,to,rate\nAAA,EUR,\"0.9\n").unwrap();
        let (book, problem) = RateBook::load(&path);
        let problem = problem.unwrap();
        assert!(
            problem.contains("line 2") && problem.contains("moved aside"),
            "{problem}"
        );
        assert!(book.parsed().is_none());
        assert!(!path.exists() && dir.path().join("rates.csv.bad").exists());
    }
}
