//! JSON (an array of listings) and JSON Lines, both streamed: the array reader finds
//! element boundaries itself (serde_json has no iterator over the elements of a
//! top-level array that reports line numbers), parses each element on its own, and
//! carries on after a bad one. Unknown keys are kept in `extra`.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::columns::parse_amount;
use super::{
    BarePrice, CatalogError, CatalogWriter, Draft, Format, Item, MAX_RECORD_BYTES, Reject,
    STOP_PREFIX, persist, temp_for,
};
use crate::listing::{Listing, Price};

const KNOWN_KEYS: [&str; 13] = [
    "sku",
    "title",
    "description",
    "bullets",
    "brand",
    "category",
    "attributes",
    "price",
    "keywords",
    "images",
    "language",
    "variants",
    "extra",
];

/// Open a JSON or JSON Lines file. A `.json` file whose first value is an object is
/// read as JSON Lines.
pub(crate) fn open(
    path: &Path,
    file: &str,
    format: Format,
    currency: Option<&str>,
) -> Result<(Box<dyn Iterator<Item = Item> + Send>, Format), CatalogError> {
    let f = File::open(path).map_err(|e| CatalogError::io(path, e))?;
    let mut r = BufReader::with_capacity(64 * 1024, f);
    // skip a BOM and leading whitespace to see the first value
    let first = {
        let buf = r.fill_buf().map_err(|e| CatalogError::io(path, e))?;
        let mut skip = 0;
        if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            skip = 3;
        }
        r.consume(skip);
        let buf = r.fill_buf().map_err(|e| CatalogError::io(path, e))?;
        buf.iter().copied().find(|b| !b.is_ascii_whitespace())
    };
    let format = match (format, first) {
        (Format::Json, Some(b'{')) => Format::JsonLines,
        (Format::Json, Some(b'[')) | (Format::Json, None) => Format::Json,
        (Format::Json, Some(_)) => {
            return Err(CatalogError::unusable(
                path,
                "a JSON catalog must be an array of listings (`[{...}, ...]`)",
            ));
        }
        (f, _) => f,
    };
    let file = file.to_string();
    let currency = currency.map(str::to_uppercase);
    Ok(if format == Format::Json {
        (
            Box::new(JsonArray {
                r,
                file,
                line: 1,
                started: false,
                done: false,
                currency,
            }),
            format,
        )
    } else {
        (
            Box::new(JsonLines {
                r,
                file,
                line: 0,
                done: false,
                buf: Vec::new(),
                currency,
            }),
            format,
        )
    })
}

/// A listing read with the JSON catalog's rules (a price as `"24.95 USD"`, a
/// number with a `"currency"` key or `{"amount", "currency"}`; unknown keys kept in
/// `extra`), for the API: one listing, two dialects would surprise a seller who
/// tried the README's catalog example on `PUT /api/v1/listings/{sku}`. A price
/// must name its currency (the API has no data-directory default to fall back on).
/// The error names the field at fault.
pub fn listing_from_json(v: Value) -> Result<Listing, String> {
    match listing_from_value(v, None) {
        Ok((listing, None)) => Ok(listing),
        Ok((_, Some(bare))) => Err(format!(
            "`price`: price `{}` has no currency: write `{} USD` or add a \"currency\" key",
            bare.cell, bare.cell
        )),
        Err((Some(field), msg)) => Err(format!("`{field}`: {msg}")),
        Err((None, msg)) => Err(msg),
    }
}

/// `#[serde(deserialize_with)]` for a [`Listing`] read by [`listing_from_json`].
pub fn deserialize_listing<'de, D>(d: D) -> Result<Listing, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let v = <Value as serde::Deserialize>::deserialize(d)?;
    listing_from_json(v).map_err(serde::de::Error::custom)
}

/// Turn one parsed JSON value into a listing, naming the field at fault; a price
/// that names no currency (and no `default_currency`) comes back apart.
fn listing_from_value(
    v: Value,
    default_currency: Option<&str>,
) -> Result<(Listing, Option<BarePrice>), (Option<String>, String)> {
    let Value::Object(mut obj) = v else {
        return Err((None, "element is not a JSON object".into()));
    };
    let mut bare_price = None;
    // friendly prices: "19.99 USD" or a bare number with a "currency" key
    if let Some(p) = obj.get("price").cloned() {
        let currency = obj
            .get("currency")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut friendly = |cell: String| -> Result<Option<Price>, (Option<String>, String)> {
            let (amount, named) = parse_amount(&cell).map_err(|e| (Some("price".into()), e))?;
            let code = named
                .or(currency.as_deref().map(str::to_uppercase))
                .or(default_currency.map(str::to_uppercase));
            Ok(match code {
                Some(currency) => Some(Price { amount, currency }),
                None => {
                    bare_price = Some(BarePrice {
                        column: "price".into(),
                        cell: cell.trim().to_string(),
                        amount,
                        chinese_header: false,
                    });
                    None
                }
            })
        };
        let price = match p {
            Value::Null => None,
            Value::String(s) => friendly(s)?,
            Value::Number(n) => friendly(n.to_string())?,
            other => Some(serde_json::from_value::<Price>(other).map_err(|e| {
                (
                    Some("price".into()),
                    format!("not a price ({{\"amount\": \"19.99\", \"currency\": \"USD\"}}): {e}"),
                )
            })?),
        };
        if currency.is_some() {
            obj.remove("currency");
        }
        obj.insert(
            "price".into(),
            serde_json::to_value(price).unwrap_or(Value::Null),
        );
    }
    // keep unknown keys instead of dropping them
    let unknown: Vec<String> = obj
        .keys()
        .filter(|k| !KNOWN_KEYS.contains(&k.as_str()))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        let mut extra = match obj.remove("extra") {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        for k in unknown {
            if let Some(v) = obj.remove(&k) {
                let s = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                extra.insert(k, Value::String(s));
            }
        }
        obj.insert("extra".into(), Value::Object(extra));
    }
    for (key, v) in &obj {
        let ok = match key.as_str() {
            "sku" | "title" | "description" => v.is_string(),
            "brand" | "category" | "language" => v.is_string() || v.is_null(),
            _ => true,
        };
        if !ok {
            return Err((Some(key.clone()), format!("`{key}` must be a string")));
        }
    }
    let listing = serde_json::from_value::<Listing>(Value::Object(obj)).map_err(|e| {
        let msg = e.to_string();
        let column = msg
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
            .map(String::from);
        match column {
            Some(c) => (Some(c.clone()), format!("missing {c}")),
            None => (None, msg),
        }
    })?;
    Ok((listing, bare_price))
}

fn item(file: &str, line: u64, bytes: &[u8], currency: Option<&str>) -> Item {
    let reject = |column, reason| Reject {
        file: file.to_string(),
        line,
        column,
        reason,
    };
    let v: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            let reason = if e.is_data() && std::str::from_utf8(bytes).is_err() {
                "undecodable byte sequence (JSON must be UTF-8)".to_string()
            } else {
                format!("invalid JSON: {e}")
            };
            return Err(reject(None, reason));
        }
    };
    listing_from_value(v, currency)
        .map(|(listing, bare_price)| Draft {
            bare_price,
            ..Draft::new(line, listing)
        })
        .map_err(|(c, r)| reject(c, r))
}

struct JsonArray {
    r: BufReader<File>,
    file: String,
    line: u64,
    started: bool,
    done: bool,
    currency: Option<String>,
}

impl JsonArray {
    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        Ok(self.r.fill_buf()?.first().copied())
    }
    fn bump(&mut self) -> std::io::Result<Option<u8>> {
        let b = self.peek()?;
        if let Some(b) = b {
            self.r.consume(1);
            if b == b'\n' {
                self.line += 1;
            }
        }
        Ok(b)
    }
    fn skip_ws(&mut self) -> std::io::Result<Option<u8>> {
        while let Some(b) = self.peek()? {
            if b.is_ascii_whitespace() {
                self.bump()?;
            } else {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }
    fn stop(&mut self, reason: String) -> Option<Item> {
        self.done = true;
        Some(Err(Reject {
            file: self.file.clone(),
            line: self.line,
            column: None,
            reason: format!("{STOP_PREFIX}{reason}"),
        }))
    }

    fn step(&mut self) -> std::io::Result<Option<Item>> {
        if !self.started {
            self.started = true;
            match self.skip_ws()? {
                Some(b'[') => {
                    self.bump()?;
                }
                None => {
                    self.done = true;
                    return Ok(None);
                }
                Some(_) => return Ok(self.stop("expected `[`".into())),
            }
        }
        loop {
            match self.skip_ws()? {
                None => return Ok(self.stop("the array is not closed (missing `]`)".into())),
                Some(b']') => {
                    self.done = true;
                    return Ok(None);
                }
                Some(b',') => {
                    self.bump()?;
                }
                Some(_) => break,
            }
        }
        // one element: track depth and strings until it closes
        let start = self.line;
        let mut buf = Vec::new();
        let mut over = false;
        let (mut depth, mut in_str, mut esc) = (0i64, false, false);
        loop {
            let Some(b) = self.peek()? else {
                return Ok(self.stop("the file ends inside an element".into()));
            };
            if !in_str && depth == 0 && (b == b',' || b == b']') && !buf.is_empty() {
                break;
            }
            self.bump()?;
            if buf.len() < MAX_RECORD_BYTES {
                buf.push(b);
            } else {
                over = true;
            }
            if in_str {
                if esc {
                    esc = false;
                } else if b == b'\\' {
                    esc = true;
                } else if b == b'"' {
                    in_str = false;
                }
                continue;
            }
            match b {
                b'"' => in_str = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth <= 0 {
                        break;
                    }
                }
                _ => {}
            }
        }
        if over {
            return Ok(Some(Err(Reject {
                file: self.file.clone(),
                line: start,
                column: None,
                reason: format!("element is over {MAX_RECORD_BYTES} bytes"),
            })));
        }
        Ok(Some(item(
            &self.file,
            start,
            &buf,
            self.currency.as_deref(),
        )))
    }
}

impl Iterator for JsonArray {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(i) => i,
            Err(e) => self.stop(e.to_string()),
        }
    }
}

struct JsonLines {
    r: BufReader<File>,
    file: String,
    line: u64,
    done: bool,
    buf: Vec<u8>,
    currency: Option<String>,
}

impl Iterator for JsonLines {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        loop {
            if self.done {
                return None;
            }
            self.buf.clear();
            self.line += 1;
            // read one line, keeping at most MAX_RECORD_BYTES of it
            let mut over = false;
            let mut got_any = false;
            loop {
                let chunk = match self.r.fill_buf() {
                    Ok(c) => c,
                    Err(e) => {
                        self.done = true;
                        return Some(Err(Reject {
                            file: self.file.clone(),
                            line: self.line,
                            column: None,
                            reason: format!("{STOP_PREFIX}{e}"),
                        }));
                    }
                };
                if chunk.is_empty() {
                    self.done = true;
                    break;
                }
                got_any = true;
                let (take, end) = match chunk.iter().position(|&b| b == b'\n') {
                    Some(i) => (i, true),
                    None => (chunk.len(), false),
                };
                let room = MAX_RECORD_BYTES.saturating_sub(self.buf.len());
                if take > room {
                    over = true;
                }
                self.buf.extend_from_slice(&chunk[..take.min(room)]);
                self.r.consume(take + usize::from(end));
                if end {
                    break;
                }
            }
            if !got_any {
                return None;
            }
            if over {
                return Some(Err(Reject {
                    file: self.file.clone(),
                    line: self.line,
                    column: None,
                    reason: format!("line is over {MAX_RECORD_BYTES} bytes"),
                }));
            }
            let text = if self.line == 1 && self.buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
                &self.buf[3..]
            } else {
                &self.buf[..]
            };
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(item(&self.file, self.line, text, self.currency.as_deref()));
        }
    }
}

/// Writes a JSON array (one listing per line inside it) or JSON Lines.
pub(crate) struct JsonWriter {
    w: BufWriter<tempfile::NamedTempFile>,
    path: PathBuf,
    lines: bool,
    first: bool,
}

impl JsonWriter {
    pub fn create(path: &Path, lines: bool) -> Result<Self, CatalogError> {
        let tmp = temp_for(path)?;
        let mut w = BufWriter::with_capacity(256 * 1024, tmp);
        if !lines {
            w.write_all(b"[").map_err(|e| CatalogError::io(path, e))?;
        }
        Ok(Self {
            w,
            path: path.to_path_buf(),
            lines,
            first: true,
        })
    }
}

impl CatalogWriter for JsonWriter {
    fn write(&mut self, listing: &Listing) -> Result<(), CatalogError> {
        let sep: &[u8] = match (self.lines, self.first) {
            (true, _) => b"",
            (false, true) => b"\n",
            (false, false) => b",\n",
        };
        self.first = false;
        self.w
            .write_all(sep)
            .map_err(|e| CatalogError::io(&self.path, e))?;
        serde_json::to_writer(&mut self.w, listing)
            .map_err(|e| CatalogError::write(&self.path, format!("sku `{}`: {e}", listing.sku)))?;
        if self.lines {
            self.w
                .write_all(b"\n")
                .map_err(|e| CatalogError::io(&self.path, e))?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), CatalogError> {
        if !self.lines {
            self.w
                .write_all(b"\n]\n")
                .map_err(|e| CatalogError::io(&self.path, e))?;
        }
        let path = self.path;
        let tmp = self
            .w
            .into_inner()
            .map_err(|e| CatalogError::io(&path, e.into_error()))?;
        persist(tmp, &path)
    }
}
