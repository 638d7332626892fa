//! Shopify's product CSV: consecutive rows with one `Handle` form one listing with
//! its variants (options, sku, price and per-variant columns) and images; writing
//! produces the column names and order of Shopify's product import template, with
//! product fields on a handle's first row and variant/image fields on the rows after.
//!
//! Mapping: Handle -> sku (a single-variant product takes its Variant SKU as sku and
//! keeps the handle in `extra["Handle"]`), Title, Body (HTML) -> description,
//! Vendor -> brand, Product Category -> category, Tags -> keywords, Image Src ->
//! images, other product columns -> `extra`, other variant columns -> `Variant::extra`.
//! Shopify files carry no currency: prices get `--currency`, else `USD`.
//! Writing: bullets and attributes (which Shopify has no columns for) are appended
//! to Body (HTML) as `<ul>` lists; extra keys that are not Shopify columns are dropped.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::columns::{guard_formula, parse_price, unguard};
use super::csv::Rows;
use super::{
    CatalogError, CatalogWriter, Draft, Item, MAX_SHOPIFY_ROWS_PER_HANDLE, ReadOptions, Reject,
    persist, temp_for,
};
use crate::listing::{Attribute, Listing, Variant};

/// Columns written, in the order of Shopify's product import template.
pub const SHOPIFY_HEADER: [&str; 49] = [
    "Handle",
    "Title",
    "Body (HTML)",
    "Vendor",
    "Product Category",
    "Type",
    "Tags",
    "Published",
    "Option1 Name",
    "Option1 Value",
    "Option2 Name",
    "Option2 Value",
    "Option3 Name",
    "Option3 Value",
    "Variant SKU",
    "Variant Grams",
    "Variant Inventory Tracker",
    "Variant Inventory Qty",
    "Variant Inventory Policy",
    "Variant Fulfillment Service",
    "Variant Price",
    "Variant Compare At Price",
    "Variant Requires Shipping",
    "Variant Taxable",
    "Variant Barcode",
    "Image Src",
    "Image Position",
    "Image Alt Text",
    "Gift Card",
    "SEO Title",
    "SEO Description",
    "Google Shopping / Google Product Category",
    "Google Shopping / Gender",
    "Google Shopping / Age Group",
    "Google Shopping / MPN",
    "Google Shopping / AdWords Grouping",
    "Google Shopping / AdWords Labels",
    "Google Shopping / Condition",
    "Google Shopping / Custom Product",
    "Google Shopping / Custom Label 0",
    "Google Shopping / Custom Label 1",
    "Google Shopping / Custom Label 2",
    "Google Shopping / Custom Label 3",
    "Google Shopping / Custom Label 4",
    "Variant Image",
    "Variant Weight Unit",
    "Variant Tax Code",
    "Cost per item",
    "Status",
];

/// Columns mapped onto listing fields (not kept in `extra`).
const MAPPED: [&str; 13] = [
    "Handle",
    "Title",
    "Body (HTML)",
    "Vendor",
    "Product Category",
    "Tags",
    "Option1 Name",
    "Option2 Name",
    "Option3 Name",
    "Variant SKU",
    "Variant Price",
    "Image Src",
    "Image Position",
];

fn is_variant_column(name: &str) -> bool {
    name.starts_with("Variant ")
        || (name.starts_with("Option")
            && (name.ends_with(" Value") || name.ends_with(" Linked To")))
        || name == "Cost per item"
        || name.starts_with("Price / ")
        || name.starts_with("Compare At Price / ")
        || name.starts_with("Included / ")
}

/// Does a header look like a Shopify product export?
pub(crate) fn looks_like_shopify(header: &[String]) -> bool {
    let has = |n: &str| header.iter().any(|h| h.eq_ignore_ascii_case(n));
    has("Handle") && (has("Variant SKU") || has("Variant Price") || has("Body (HTML)"))
}

/// Groups rows by handle into listings.
pub(crate) struct ShopifySource {
    rows: Box<dyn Rows>,
    header: Vec<String>,
    handle_col: usize,
    file: String,
    currency: String,
    pending: Option<(u64, Vec<String>)>,
    queued: VecDeque<Reject>,
    done: bool,
}

impl ShopifySource {
    pub fn new(
        rows: Box<dyn Rows>,
        header: Vec<String>,
        file: &str,
        path: &Path,
        opts: &ReadOptions,
    ) -> Result<Self, CatalogError> {
        // use Shopify's spelling for headers that differ only in case
        let header: Vec<String> = header
            .into_iter()
            .map(|h| {
                SHOPIFY_HEADER
                    .iter()
                    .find(|s| s.eq_ignore_ascii_case(&h))
                    .map_or(h, |s| s.to_string())
            })
            .collect();
        let handle_col = header.iter().position(|h| h == "Handle").ok_or_else(|| {
            CatalogError::unusable(path, "a Shopify product CSV needs a `Handle` column")
        })?;
        Ok(Self {
            rows,
            header,
            handle_col,
            file: file.to_string(),
            currency: opts
                .currency
                .clone()
                .unwrap_or_else(|| "USD".into())
                .to_uppercase(),
            pending: None,
            queued: VecDeque::new(),
            done: false,
        })
    }

    fn pull(&mut self) -> Option<(u64, Vec<String>)> {
        if let Some(p) = self.pending.take() {
            return Some(p);
        }
        loop {
            if self.done {
                return None;
            }
            match self.rows.next_row() {
                None => {
                    self.done = true;
                    return None;
                }
                Some(Err(r)) => self.queued.push_back(r),
                Some(Ok((line, cells))) => {
                    return Some((line, cells.iter().map(|c| unguard(c).to_string()).collect()));
                }
            }
        }
    }

    fn cell<'a>(&self, row: &'a [String], name: &str) -> &'a str {
        self.header
            .iter()
            .position(|h| h == name)
            .and_then(|i| row.get(i))
            .map_or("", |s| s.as_str())
    }

    fn build(&self, group: &[(u64, Vec<String>)]) -> Result<Listing, Reject> {
        let (first_line, first) = &group[0];
        let reject = |line: u64, column: &str, reason: String| Reject {
            file: self.file.clone(),
            line,
            column: Some(column.to_string()),
            reason,
        };
        let handle = self.cell(first, "Handle").to_string();
        let mut l = Listing {
            sku: handle.clone(),
            title: self.cell(first, "Title").to_string(),
            description: self.cell(first, "Body (HTML)").to_string(),
            brand: Some(self.cell(first, "Vendor").to_string()).filter(|s| !s.is_empty()),
            category: Some(self.cell(first, "Product Category").to_string())
                .filter(|s| !s.is_empty()),
            keywords: self
                .cell(first, "Tags")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            ..Default::default()
        };
        for (i, h) in self.header.iter().enumerate() {
            if MAPPED.contains(&h.as_str()) || is_variant_column(h) {
                continue;
            }
            if let Some(v) = first.get(i).filter(|v| !v.is_empty()) {
                l.extra.insert(h.clone(), v.clone());
            }
        }
        let option_names: Vec<String> = (1..=3)
            .map(|n| self.cell(first, &format!("Option{n} Name")).to_string())
            .collect();
        for (line, row) in group {
            let src = self.cell(row, "Image Src");
            if !src.is_empty() && !l.images.iter().any(|i| i == src) {
                l.images.push(src.to_string());
            }
            let is_variant = (1..=3)
                .any(|n| !self.cell(row, &format!("Option{n} Value")).is_empty())
                || !self.cell(row, "Variant SKU").is_empty()
                || !self.cell(row, "Variant Price").is_empty();
            if !is_variant {
                continue;
            }
            let mut v = Variant::default();
            for (n, name) in option_names.iter().enumerate() {
                let value = self.cell(row, &format!("Option{} Value", n + 1));
                if !value.is_empty() {
                    let name = if name.is_empty() {
                        format!("Option{}", n + 1)
                    } else {
                        name.clone()
                    };
                    v.options.push(Attribute::new(name, value));
                }
            }
            let sku = self.cell(row, "Variant SKU");
            v.sku = (!sku.is_empty()).then(|| sku.to_string());
            let price = self.cell(row, "Variant Price");
            if !price.trim().is_empty() {
                let p = parse_price(price, Some(&self.currency), None)
                    .map_err(|e| reject(*line, "Variant Price", e))?;
                if l.price.is_none() {
                    l.price = Some(p.clone());
                }
                v.price = Some(p.amount);
            }
            for (i, h) in self.header.iter().enumerate() {
                if is_variant_column(h)
                    && !MAPPED.contains(&h.as_str())
                    && !h.starts_with("Option")
                    && let Some(val) = row.get(i).filter(|v| !v.is_empty())
                {
                    v.extra.insert(h.clone(), val.clone());
                }
            }
            l.variants.push(v);
        }
        // Shopify's single "Default Title" variant is the product itself
        let single_default = l.variants.len() == 1
            && (l.variants[0].options.is_empty()
                || (l.variants[0].options.len() == 1
                    && l.variants[0].options[0].name == "Title"
                    && l.variants[0].options[0].value == "Default Title"));
        if single_default && let Some(v) = l.variants.pop() {
            if let Some(sku) = v.sku.filter(|s| *s != handle) {
                l.sku = sku;
                l.extra.insert("Handle".into(), handle.clone());
            }
            l.extra.extend(v.extra);
        }
        let _ = first_line;
        Ok(l)
    }
}

impl Iterator for ShopifySource {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        if let Some(r) = self.queued.pop_front() {
            return Some(Err(r));
        }
        let first = self.pull();
        if let Some(r) = self.queued.pop_front() {
            self.pending = first;
            return Some(Err(r));
        }
        let (line, row) = first?;
        let handle = row.get(self.handle_col).cloned().unwrap_or_default();
        if handle.trim().is_empty() {
            return Some(Err(Reject {
                file: self.file.clone(),
                line,
                column: Some("Handle".into()),
                reason: "missing Handle".into(),
            }));
        }
        let mut group = vec![(line, row)];
        let mut too_many = false;
        while let Some((l, r)) = self.pull() {
            if r.get(self.handle_col) == Some(&handle) {
                if group.len() < MAX_SHOPIFY_ROWS_PER_HANDLE {
                    group.push((l, r));
                } else {
                    too_many = true;
                }
            } else {
                self.pending = Some((l, r));
                break;
            }
        }
        if too_many {
            return Some(Err(Reject {
                file: self.file.clone(),
                line,
                column: Some("Handle".into()),
                reason: format!("handle `{handle}` spans over {MAX_SHOPIFY_ROWS_PER_HANDLE} rows"),
            }));
        }
        Some(self.build(&group).map(|listing| Draft::new(line, listing)))
    }
}

fn is_handle(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c == '-' || (c.is_alphanumeric() && !c.is_uppercase()))
}

/// A Shopify handle from a sku: lower case, runs of other characters as `-`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "product".into()
    } else {
        out
    }
}

/// Writes Shopify's product CSV.
pub(crate) struct ShopifyWriter {
    wtr: csv::Writer<tempfile::NamedTempFile>,
    path: PathBuf,
}

impl ShopifyWriter {
    pub fn create(path: &Path) -> Result<Self, CatalogError> {
        let mut wtr = csv::Writer::from_writer(temp_for(path)?);
        wtr.write_record(SHOPIFY_HEADER)
            .map_err(|e| CatalogError::write(path, e.to_string()))?;
        Ok(Self {
            wtr,
            path: path.to_path_buf(),
        })
    }
}

fn col(name: &str) -> usize {
    SHOPIFY_HEADER.iter().position(|h| *h == name).unwrap_or(0)
}

impl CatalogWriter for ShopifyWriter {
    fn write(&mut self, l: &Listing) -> Result<(), CatalogError> {
        let err = |m: String| CatalogError::write(&self.path, format!("sku `{}`: {m}", l.sku));
        let handle = match l.extra.get("Handle") {
            Some(h) => h.clone(),
            None if is_handle(&l.sku) => l.sku.clone(),
            None => slug(&l.sku),
        };
        let variants: Vec<Variant> = if l.variants.is_empty() {
            vec![Variant {
                sku: Some(l.sku.clone()).filter(|s| *s != handle),
                options: vec![Attribute::new("Title", "Default Title")],
                price: l.price.as_ref().map(|p| p.amount),
                extra: l
                    .extra
                    .iter()
                    .filter(|(k, _)| is_variant_column(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<IndexMap<_, _>>(),
            }]
        } else {
            l.variants.clone()
        };
        let option_names: Vec<&str> = variants[0]
            .options
            .iter()
            .map(|o| o.name.as_str())
            .collect();
        if option_names.len() > 3 {
            return Err(err(format!(
                "Shopify allows 3 options, this listing has {}",
                option_names.len()
            )));
        }
        let mut body = l.description.clone();
        if !l.bullets.is_empty() {
            body.push_str("<ul>");
            for b in &l.bullets {
                body.push_str(&format!("<li>{}</li>", crate::html::escape_text(b)));
            }
            body.push_str("</ul>");
        }
        if !l.attributes.is_empty() {
            body.push_str("<ul>");
            for a in &l.attributes {
                body.push_str(&format!(
                    "<li>{}: {}</li>",
                    crate::html::escape_text(&a.name),
                    crate::html::escape_text(&a.value)
                ));
            }
            body.push_str("</ul>");
        }
        let n_rows = variants.len().max(l.images.len());
        for i in 0..n_rows {
            let mut row = vec![String::new(); SHOPIFY_HEADER.len()];
            row[col("Handle")] = handle.clone();
            if i == 0 {
                row[col("Title")] = l.title.clone();
                row[col("Body (HTML)")] = body.clone();
                row[col("Vendor")] = l.brand.clone().unwrap_or_default();
                row[col("Product Category")] = l.category.clone().unwrap_or_default();
                row[col("Tags")] = l.keywords.join(", ");
                for (n, name) in option_names.iter().enumerate() {
                    row[col(&format!("Option{} Name", n + 1))] = name.to_string();
                }
                for (k, v) in &l.extra {
                    if let Some(c) = SHOPIFY_HEADER.iter().position(|h| h == k)
                        && !MAPPED.contains(&k.as_str())
                        && !is_variant_column(k)
                    {
                        row[c] = v.clone();
                    }
                }
            }
            if let Some(v) = variants.get(i) {
                for (n, o) in v.options.iter().enumerate() {
                    if n < 3 {
                        row[col(&format!("Option{} Value", n + 1))] = o.value.clone();
                    }
                }
                row[col("Variant SKU")] = v.sku.clone().unwrap_or_default();
                row[col("Variant Price")] = v
                    .price
                    .or(l.price.as_ref().map(|p| p.amount))
                    .map(|p| p.to_string())
                    .unwrap_or_default();
                for (k, val) in &v.extra {
                    if let Some(c) = SHOPIFY_HEADER.iter().position(|h| h == k) {
                        row[c] = val.clone();
                    }
                }
            }
            if let Some(src) = l.images.get(i) {
                row[col("Image Src")] = src.clone();
                row[col("Image Position")] = (i + 1).to_string();
            }
            self.wtr
                .write_record(row.iter().map(|c| guard_formula(c).into_owned()))
                .map_err(|e| err(e.to_string()))?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), CatalogError> {
        let path = self.path;
        let tmp = self
            .wtr
            .into_inner()
            .map_err(|e| CatalogError::write(&path, e.to_string()))?;
        persist(tmp, &path)
    }
}
