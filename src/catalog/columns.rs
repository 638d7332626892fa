//! Tabular rows <-> listings: header recognition (English, Chinese, Japanese, Korean
//! names, case-insensitive), `--map` column mappings, list cells, prices and the
//! formula-injection guard. Used by the CSV, TSV and XLSX readers and writers.

use indexmap::IndexMap;
use rust_decimal::Decimal;
use std::str::FromStr;

use super::{BarePrice, CatalogError, Problem};
use crate::listing::{Attribute, Listing, MAX_CELL_BYTES, Price, Variant};

/// The header silkroute writes to CSV, TSV and XLSX files, in order.
pub const CANONICAL_HEADER: [&str; 14] = [
    "sku",
    "title",
    "description",
    "bullets",
    "brand",
    "category",
    "price",
    "currency",
    "keywords",
    "images",
    "language",
    "attributes",
    "variants",
    "extra",
];

/// What one column of a tabular file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    Sku,
    Title,
    Description,
    /// A cell with all bullets (one per line, or a JSON array).
    Bullets,
    /// One bullet per column (`Bullet 1`, `Bullet 2`).
    Bullet,
    Brand,
    Category,
    Price,
    Currency,
    Keywords,
    Images,
    /// One image per column (`Image 1`).
    Image,
    Language,
    /// A cell with `Name: Value` lines (or a JSON array).
    Attributes,
    /// A column named after one attribute (`Color`, `材质`).
    Attribute(String),
    /// A JSON array of variants.
    Variants,
    /// A JSON object of pass-through columns.
    ExtraJson,
    /// Anything else, kept under its header.
    Extra(String),
}

impl Field {
    /// Fields that can appear in a `--map` (`title=Product Name`).
    fn from_map_name(name: &str) -> Option<Field> {
        Some(match name.trim().to_lowercase().as_str() {
            "sku" => Field::Sku,
            "title" => Field::Title,
            "description" => Field::Description,
            "bullets" => Field::Bullets,
            "bullet" => Field::Bullet,
            "brand" => Field::Brand,
            "category" => Field::Category,
            "price" => Field::Price,
            "currency" => Field::Currency,
            "keywords" => Field::Keywords,
            "images" => Field::Images,
            "image" => Field::Image,
            "language" => Field::Language,
            "attributes" => Field::Attributes,
            _ => {
                // Keep the user's spelling of the attribute name: split the
                // original at its own `:` (lowercasing can change byte lengths,
                // `ẞ` becomes `ß`, so no index of the lowercased text is used on it).
                let (prefix, attr) = name.trim().split_once(':')?;
                let prefix = prefix.trim().to_ascii_lowercase();
                if prefix != "attr" && prefix != "attribute" {
                    return None;
                }
                return Some(Field::Attribute(attr.trim().to_string()));
            }
        })
    }

    /// Scalar fields may be filled by one column only; later columns become extras.
    fn is_single(&self) -> bool {
        !matches!(
            self,
            Field::Bullet | Field::Image | Field::Attribute(_) | Field::Extra(_)
        )
    }
}

/// Lower case, `_`/`-` as spaces, collapsed whitespace.
fn normalize(header: &str) -> String {
    let h = header.trim_start_matches('\u{feff}').trim().to_lowercase();
    let h: String = h
        .chars()
        .map(|c| if c == '_' || c == '-' { ' ' } else { c })
        .collect();
    h.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Recognise a header without a map. `None` means "keep as extra".
fn recognise(header: &str) -> Option<Field> {
    let h = normalize(header);
    let f = match h.as_str() {
        "sku" | "item no" | "item number" | "item sku" | "seller sku" | "article number"
        | "art no" | "product code" | "product id" | "model" | "model number" | "货号"
        | "商品货号" | "商品编码" | "商品编号" | "编码" | "sku编码" | "款号" | "品番"
        | "商品コード" | "商品番号" | "상품코드" | "상품번호" | "artikelnummer" | "référence"
        | "reference" => Field::Sku,
        "title" | "name" | "product name" | "product title" | "item name" | "item title"
        | "标题" | "商品名称" | "商品标题" | "商品名" | "名称" | "产品名称" | "产品标题"
        | "品名" | "宝贝标题" | "タイトル" | "商品タイトル" | "상품명" | "제목" | "titel"
        | "titre" | "nombre" | "produktname" => Field::Title,
        "description"
        | "desc"
        | "body"
        | "body (html)"
        | "long description"
        | "product description"
        | "details"
        | "描述"
        | "商品描述"
        | "产品描述"
        | "详情"
        | "商品详情"
        | "说明"
        | "説明"
        | "商品説明"
        | "설명"
        | "상품설명"
        | "beschreibung" => Field::Description,
        "bullets" | "bullet points" | "features" | "key features" | "highlights" | "卖点"
        | "五点描述" | "产品卖点" | "特点" | "要点" | "特徴" | "특징" => {
            Field::Bullets
        }
        "brand" | "vendor" | "manufacturer" | "brand name" | "品牌" | "品牌名称" | "ブランド"
        | "メーカー" | "브랜드" | "marke" | "marque" | "marca" => Field::Brand,
        "category" | "product category" | "product type" | "type" | "类目" | "分类" | "类别"
        | "商品类目" | "商品分类" | "カテゴリ" | "カテゴリー" | "카테고리" | "kategorie"
        | "catégorie" | "categoría" => Field::Category,
        "price" | "sale price" | "unit price" | "retail price" | "价格" | "售价" | "单价"
        | "零售价" | "価格" | "販売価格" | "가격" | "판매가" | "preis" | "prix" | "precio" => {
            Field::Price
        }
        "currency" | "币种" | "货币" | "通貨" | "통화" | "währung" | "devise" | "moneda" => {
            Field::Currency
        }
        "keywords" | "tags" | "search terms" | "关键词" | "关键字" | "搜索词" | "标签"
        | "キーワード" | "タグ" | "키워드" | "태그" | "schlüsselwörter" => {
            Field::Keywords
        }
        "images" | "image" | "image url" | "image urls" | "image src" | "picture" | "pictures"
        | "photo" | "photos" | "main image" | "图片" | "主图" | "图片链接" | "商品图片"
        | "画像" | "이미지" | "bilder" => Field::Images,
        "language" | "lang" | "语言" | "言語" | "언어" | "sprache" | "langue" | "idioma" => {
            Field::Language
        }
        "attributes" | "属性" | "商品属性" | "属性値" | "속성" => Field::Attributes,
        "variants" => Field::Variants,
        "extra" => Field::ExtraJson,
        "color" | "colour" | "material" | "size" | "weight" | "dimensions" | "颜色" | "材质"
        | "尺寸" | "尺码" | "重量" | "规格" | "色" | "カラー" | "素材" | "サイズ" | "重さ"
        | "색상" | "소재" | "크기" | "무게" => Field::Attribute(header.trim().to_string()),
        _ => {
            // numbered columns: "Bullet 1", "bullet_point_2", "Image 3", "图片2"
            let base = h.trim_end_matches(|c: char| c.is_ascii_digit()).trim_end();
            if base.len() == h.len() {
                return None;
            }
            match base {
                "bullet" | "bullet point" | "feature" | "卖点" => Field::Bullet,
                "image" | "image url" | "picture" | "photo" | "图片" | "画像" | "이미지" => {
                    Field::Image
                }
                _ => return None,
            }
        }
    };
    Some(f)
}

/// How the columns of one file map onto listing fields.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    pub headers: Vec<String>,
    fields: Vec<Field>,
    /// The header is exactly silkroute's own: undo the formula guard when reading.
    pub written_by_silkroute: bool,
    /// The header is written in Chinese (`SKU,标题,价格`): a Chinese catalog.
    chinese: bool,
}

/// One row made into a listing: what [`Columns::listing`] returns.
#[derive(Debug, Clone)]
pub(crate) struct ParsedRow {
    pub listing: Listing,
    /// Every problem found in the row's cells.
    pub problems: Vec<Problem>,
    /// A price that names no currency, when no default was given either.
    pub bare_price: Option<BarePrice>,
}

impl Columns {
    /// Resolve headers with an optional `--map` (field -> header, case-insensitive).
    pub fn new(headers: Vec<String>, mapping: &[(String, String)]) -> Result<Self, CatalogError> {
        let mut fields: Vec<Option<Field>> = vec![None; headers.len()];
        let norm: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
        for (field, header) in mapping {
            let f = Field::from_map_name(field).ok_or_else(|| {
                CatalogError::Mapping(format!(
                    "unknown field `{field}` (sku, title, description, bullets, bullet, brand, category, price, currency, keywords, images, image, language, attributes, attr:NAME)"
                ))
            })?;
            let want = normalize(header);
            let idx = norm.iter().position(|h| *h == want).ok_or_else(|| {
                CatalogError::Mapping(format!(
                    "`{field}={header}`: no column named `{header}` (columns: {})",
                    headers.join(", ")
                ))
            })?;
            fields[idx] = Some(f);
        }
        let mut taken: Vec<Field> = fields
            .iter()
            .flatten()
            .filter(|f| f.is_single())
            .cloned()
            .collect();
        let mut out = Vec::with_capacity(headers.len());
        for (i, h) in headers.iter().enumerate() {
            let f = match fields[i].take() {
                Some(f) => f,
                None => match recognise(h) {
                    Some(f) if f.is_single() && taken.contains(&f) => Field::Extra(h.clone()),
                    Some(f) => {
                        if f.is_single() {
                            taken.push(f.clone());
                        }
                        f
                    }
                    None => Field::Extra(h.clone()),
                },
            };
            out.push(f);
        }
        let written_by_silkroute = headers.len() == CANONICAL_HEADER.len()
            && headers.iter().zip(CANONICAL_HEADER).all(|(a, b)| a == b);
        let chinese = crate::listing::detect_language(&headers.join(" ")) == Some("zh");
        Ok(Self {
            headers,
            fields: out,
            written_by_silkroute,
            chinese,
        })
    }

    /// True when some column holds the sku and some the title.
    pub fn has_required(&self) -> Result<(), String> {
        for (want, name) in [(Field::Sku, "sku"), (Field::Title, "title")] {
            if !self.fields.contains(&want) {
                return Err(format!(
                    "no {name} column recognised in header [{}]; name one with --map {name}=HEADER",
                    self.headers.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Build a listing from one row, with every problem of the row (each naming
    /// its column) and a price whose currency nothing in the row names.
    pub fn listing(&self, row: &[String], default_currency: Option<&str>) -> ParsedRow {
        let mut problems: Vec<Problem> = Vec::new();
        let mut l = Listing::default();
        let mut price_cell: Option<(&str, &str)> = None;
        let mut currency: Option<String> = None;
        let mut attrs_from_columns = Vec::new();
        let mut json_extra: Option<IndexMap<String, String>> = None;
        for (i, raw) in row.iter().enumerate() {
            let header = self.headers.get(i).map(String::as_str).unwrap_or("");
            let col = || Some(header.to_string());
            if raw.len() > MAX_CELL_BYTES {
                problems.push(Problem::new(
                    col(),
                    format!(
                        "cell is {} bytes, over the {MAX_CELL_BYTES}-byte limit",
                        raw.len()
                    ),
                ));
                continue;
            }
            let mut bad = |e: String| problems.push(Problem::new(col(), e));
            let cell: String = if self.written_by_silkroute {
                unguard(raw).to_string()
            } else {
                raw.clone()
            };
            let Some(field) = self.fields.get(i) else {
                if !cell.is_empty() {
                    l.extra.insert(format!("column {}", i + 1), cell);
                }
                continue;
            };
            match field {
                Field::Sku => l.sku = cell,
                Field::Title => l.title = cell,
                Field::Description => l.description = cell,
                Field::Bullets => match decode_bullets(&cell) {
                    Ok(b) => l.bullets.extend(b),
                    Err(e) => bad(e),
                },
                Field::Bullet => {
                    if !cell.is_empty() {
                        l.bullets.push(cell)
                    }
                }
                Field::Brand => l.brand = non_empty(cell),
                Field::Category => l.category = non_empty(cell),
                Field::Price => {
                    if !cell.trim().is_empty() {
                        price_cell = Some((header, raw.as_str()));
                    }
                }
                Field::Currency => currency = non_empty(cell.trim().to_uppercase()),
                Field::Keywords => match decode_keywords(&cell) {
                    Ok(k) => l.keywords.extend(k),
                    Err(e) => bad(e),
                },
                Field::Images => match decode_images(&cell) {
                    Ok(i) => l.images.extend(i),
                    Err(e) => bad(e),
                },
                Field::Image => {
                    if !cell.trim().is_empty() {
                        l.images.push(cell.trim().to_string())
                    }
                }
                Field::Language => l.language = non_empty(cell.trim().to_lowercase()),
                Field::Attributes => match decode_attributes(&cell) {
                    Ok(a) => l.attributes.extend(a),
                    Err(e) => bad(e),
                },
                Field::Attribute(name) => {
                    if !cell.is_empty() {
                        attrs_from_columns.push(Attribute::new(name.clone(), cell))
                    }
                }
                Field::Variants => {
                    if !cell.trim().is_empty() {
                        match serde_json::from_str::<Vec<Variant>>(&cell) {
                            Ok(v) => l.variants = v,
                            Err(e) => bad(format!("not a JSON array of variants: {e}")),
                        }
                    }
                }
                Field::ExtraJson => {
                    if !cell.trim().is_empty() {
                        match serde_json::from_str::<IndexMap<String, String>>(&cell) {
                            Ok(m) => json_extra = Some(m),
                            Err(_) => {
                                l.extra.insert(header.to_string(), cell);
                            }
                        }
                    }
                }
                Field::Extra(name) => {
                    if !cell.is_empty() {
                        l.extra.insert(name.clone(), cell);
                    }
                }
            }
        }
        l.attributes.extend(attrs_from_columns);
        if let Some(m) = json_extra {
            l.extra.extend(m);
        }
        let mut bare_price = None;
        if let Some((header, raw)) = price_cell {
            let cell = if self.written_by_silkroute {
                unguard(raw)
            } else {
                raw
            };
            match parse_amount(cell) {
                Err(e) => problems.push(Problem::new(Some(header.to_string()), e)),
                Ok((amount, named)) => {
                    match named
                        .or(currency)
                        .or(default_currency.map(str::to_uppercase))
                    {
                        Some(currency) => l.price = Some(Price { amount, currency }),
                        None => {
                            bare_price = Some(BarePrice {
                                column: header.to_string(),
                                cell: cell.trim().to_string(),
                                amount,
                                chinese_header: self.chinese,
                            })
                        }
                    }
                }
            }
        }
        ParsedRow {
            listing: l,
            problems,
            bare_price,
        }
    }
}

/// The canonical row for one listing (without the formula guard; writers add it).
pub(crate) fn canonical_row(l: &Listing) -> Vec<String> {
    let (price, currency) = match &l.price {
        Some(p) => (p.amount.to_string(), p.currency.clone()),
        None => (String::new(), String::new()),
    };
    vec![
        l.sku.clone(),
        l.title.clone(),
        l.description.clone(),
        encode_bullets(&l.bullets),
        l.brand.clone().unwrap_or_default(),
        l.category.clone().unwrap_or_default(),
        price,
        currency,
        encode_keywords(&l.keywords),
        encode_images(&l.images),
        l.language.clone().unwrap_or_default(),
        encode_attributes(&l.attributes),
        if l.variants.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&l.variants).unwrap_or_default()
        },
        if l.extra.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&l.extra).unwrap_or_default()
        },
    ]
}

fn non_empty(s: String) -> Option<String> {
    (!s.trim().is_empty()).then_some(s)
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_default()
}

fn decode_json_list(cell: &str) -> Option<Vec<String>> {
    if cell.starts_with('[') {
        serde_json::from_str(cell).ok()
    } else {
        None
    }
}

/// Bullets: one per line; a JSON array when a bullet is empty, holds a line break
/// or the first one starts with `[`.
pub(crate) fn encode_bullets(items: &[String]) -> String {
    let needs_json = items
        .iter()
        .any(|b| b.is_empty() || b.contains('\n') || b.ends_with('\r'))
        || items.first().is_some_and(|b| b.starts_with('['));
    if needs_json {
        json_list(items)
    } else {
        items.join("\n")
    }
}

fn decode_bullets(cell: &str) -> Result<Vec<String>, String> {
    if let Some(v) = decode_json_list(cell) {
        return Ok(v);
    }
    if cell.is_empty() {
        return Ok(Vec::new());
    }
    Ok(cell
        .split('\n')
        .map(|s| s.strip_suffix('\r').unwrap_or(s).to_string())
        .collect())
}

const KEYWORD_SEPARATORS: [char; 7] = [',', ';', '\n', '\r', '，', '、', '；'];

/// Keywords: `a, b, c`; a JSON array when a keyword holds a separator or spaces at its ends.
pub(crate) fn encode_keywords(items: &[String]) -> String {
    let needs_json = items
        .iter()
        .any(|k| k.is_empty() || k.trim() != k || k.contains(KEYWORD_SEPARATORS))
        || items.first().is_some_and(|k| k.starts_with('['));
    if needs_json {
        json_list(items)
    } else {
        items.join(", ")
    }
}

fn decode_keywords(cell: &str) -> Result<Vec<String>, String> {
    if let Some(v) = decode_json_list(cell) {
        return Ok(v);
    }
    Ok(cell
        .split(KEYWORD_SEPARATORS)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect())
}

/// Images: one URL per line; a JSON array when a URL is empty or holds whitespace.
pub(crate) fn encode_images(items: &[String]) -> String {
    let needs_json = items
        .iter()
        .any(|u| u.is_empty() || u.contains(char::is_whitespace))
        || items.first().is_some_and(|u| u.starts_with('['));
    if needs_json {
        json_list(items)
    } else {
        items.join("\n")
    }
}

fn decode_images(cell: &str) -> Result<Vec<String>, String> {
    if let Some(v) = decode_json_list(cell) {
        return Ok(v);
    }
    Ok(cell.split_whitespace().map(String::from).collect())
}

/// Attributes: `Name: Value` lines; a JSON array when a name or value would not survive that.
pub(crate) fn encode_attributes(items: &[Attribute]) -> String {
    let needs_json = items.iter().any(|a| {
        a.name.is_empty()
            || a.name.trim() != a.name
            || a.name.contains([':', '：', '\n', '\r'])
            || a.value.contains(['\n', '\r'])
    }) || items.first().is_some_and(|a| a.name.starts_with('['));
    if needs_json {
        return serde_json::to_string(items).unwrap_or_default();
    }
    items
        .iter()
        .map(|a| format!("{}: {}", a.name, a.value))
        .collect::<Vec<_>>()
        .join("\n")
}

fn decode_attributes(cell: &str) -> Result<Vec<Attribute>, String> {
    if cell.starts_with('[')
        && let Ok(v) = serde_json::from_str::<Vec<Attribute>>(cell)
    {
        return Ok(v);
    }
    let mut out = Vec::new();
    for (i, line) in cell.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let Some(pos) = line.find([':', '：']) else {
            return Err(format!(
                "line {} of the cell is not `Name: Value`: {line:?}",
                i + 1
            ));
        };
        let sep_len = line[pos..].chars().next().map_or(1, char::len_utf8);
        let value = &line[pos + sep_len..];
        out.push(Attribute::new(
            line[..pos].trim(),
            value.strip_prefix(' ').unwrap_or(value),
        ));
    }
    Ok(out)
}

/// Parse `19.99`, `19.99 USD`, `USD 19.99`, `$19.99`, `¥99`, `€12,99`, `1,299.00`:
/// the amount and the currency the cell itself names, if any.
pub(crate) fn parse_amount(cell: &str) -> Result<(Decimal, Option<String>), String> {
    let s = cell.trim();
    let mut code: Option<String> = None;
    let mut rest = s.to_string();
    for (sym, c) in [
        ("US$", "USD"),
        ("R$", "BRL"),
        ("$", "USD"),
        ("€", "EUR"),
        ("£", "GBP"),
        ("￥", "CNY"),
        ("¥", "CNY"),
        ("元", "CNY"),
        ("円", "JPY"),
        ("₩", "KRW"),
        ("₽", "RUB"),
        ("₺", "TRY"),
        ("₫", "VND"),
        ("฿", "THB"),
        ("zł", "PLN"),
    ] {
        if let Some(r) = rest.strip_prefix(sym).or_else(|| rest.strip_suffix(sym)) {
            code = Some(c.to_string());
            rest = r.trim().to_string();
            break;
        }
    }
    if code.is_none() {
        let parts: Vec<&str> = rest.split_whitespace().collect();
        if parts.len() == 2 {
            let is_code = |p: &str| p.len() == 3 && p.chars().all(|c| c.is_ascii_alphabetic());
            if is_code(parts[1]) {
                code = Some(parts[1].to_uppercase());
                rest = parts[0].to_string();
            } else if is_code(parts[0]) {
                code = Some(parts[0].to_uppercase());
                rest = parts[1].to_string();
            }
        }
    }
    let mut num = rest.trim().to_string();
    if num.contains(',') {
        if num.contains('.') {
            num = num.replace(',', "");
        } else {
            let after = num.rsplit(',').next().map_or(0, str::len);
            num = if after <= 2 && num.matches(',').count() == 1 {
                num.replace(',', ".")
            } else {
                num.replace(',', "")
            };
        }
    }
    let amount = Decimal::from_str(&num)
        .or_else(|_| Decimal::from_scientific(&num))
        .map_err(|_| format!("price `{s}` is not a number"))?;
    Ok((amount, code))
}

/// Why a price without a currency is refused, and how to give one.
pub(crate) fn no_currency(cell: &str) -> String {
    format!(
        "price `{cell}` has no currency: add a currency column, write `{cell} USD`, pass \
         --currency, or set the data directory's default currency (`currency` in config.toml \
         or the settings page)"
    )
}

/// [`parse_amount`], with the currency from the cell, else the currency column,
/// else `default_currency`; an error when none names one.
pub(crate) fn parse_price(
    cell: &str,
    currency_column: Option<&str>,
    default_currency: Option<&str>,
) -> Result<Price, String> {
    let (amount, code) = parse_amount(cell)?;
    let currency = code
        .or_else(|| currency_column.map(str::to_uppercase))
        .or_else(|| default_currency.map(str::to_uppercase))
        .ok_or_else(|| no_currency(cell.trim()))?;
    Ok(Price { amount, currency })
}

/// Does this cell start like a spreadsheet formula (after any leading apostrophes)?
fn looks_like_formula(s: &str) -> bool {
    s.trim_start_matches('\'')
        .starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Formula-injection guard for CSV and XLSX cells: a cell that a spreadsheet would
/// run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading apostrophe.
pub fn guard_formula(s: &str) -> std::borrow::Cow<'_, str> {
    if looks_like_formula(s) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// Undo [`guard_formula`]; only applied to files whose header is silkroute's own.
pub fn unguard(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if looks_like_formula(rest) => rest,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_and_english_headers_are_recognised() {
        let h: Vec<String> = [
            "货号",
            "商品名称",
            "价格",
            "币种",
            "描述",
            "品牌",
            "类目",
            "关键词",
            "图片",
            "颜色",
            "Notes",
        ]
        .map(String::from)
        .to_vec();
        let c = Columns::new(h, &[]).unwrap();
        c.has_required().unwrap();
        let row: Vec<String> = [
            "A1",
            "水杯",
            "99",
            "cny",
            "好",
            "乐扣",
            "家居",
            "杯子，水杯",
            "http://x/1.jpg",
            "红色",
            "n",
        ]
        .map(String::from)
        .to_vec();
        let parsed = c.listing(&row, None);
        assert!(parsed.problems.is_empty() && parsed.bare_price.is_none());
        assert!(c.chinese, "a Chinese header");
        let l = parsed.listing;
        assert_eq!(l.sku, "A1");
        assert_eq!(l.title, "水杯");
        assert_eq!(l.price.unwrap().currency, "CNY");
        assert_eq!(l.keywords, vec!["杯子", "水杯"]);
        assert_eq!(l.attributes, vec![Attribute::new("颜色", "红色")]);
        assert_eq!(l.extra.get("Notes").map(String::as_str), Some("n"));
    }

    #[test]
    fn map_overrides_and_unknown_map_header_is_an_error() {
        let h: Vec<String> = ["Item No", "Product Name", "Title"]
            .map(String::from)
            .to_vec();
        let c = Columns::new(h.clone(), &[("title".into(), "product name".into())]).unwrap();
        let l = c
            .listing(&["1".into(), "a".into(), "b".into()], None)
            .listing;
        assert_eq!(l.title, "a");
        assert_eq!(l.extra.get("Title").map(String::as_str), Some("b"));
        assert!(Columns::new(h, &[("title".into(), "Nope".into())]).is_err());
    }

    #[test]
    fn prices() {
        let p = |s| parse_price(s, None, None);
        assert_eq!(p("$19.99").unwrap().amount, Decimal::new(1999, 2));
        assert_eq!(p("€12,99").unwrap().currency, "EUR");
        assert_eq!(p("1,299.00 usd").unwrap().amount, Decimal::new(129900, 2));
        assert!(p("12").unwrap_err().contains("no currency"));
        assert_eq!(p("R$ 59,90").unwrap().currency, "BRL");
        assert_eq!(p("1 990 ₽").unwrap_err(), "price `1 990 ₽` is not a number");
        assert_eq!(
            parse_amount("59.00").unwrap(),
            (Decimal::new(5900, 2), None)
        );
        assert!(p("abc USD").unwrap_err().contains("not a number"));
    }

    #[test]
    fn guard_round_trips() {
        for s in ["=1+1", "'=x", "-5", "plain", "'quote", "''@"] {
            assert_eq!(unguard(&guard_formula(s)), s);
        }
        assert_eq!(guard_formula("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn list_cells_round_trip() {
        let b = vec!["a".to_string(), "line\nbreak".into()];
        assert_eq!(decode_bullets(&encode_bullets(&b)).unwrap(), b);
        let k = vec!["x, y".to_string(), "z".into()];
        assert_eq!(decode_keywords(&encode_keywords(&k)).unwrap(), k);
        let a = vec![Attribute::new("Color", " red"), Attribute::new("Size", "")];
        assert_eq!(decode_attributes(&encode_attributes(&a)).unwrap(), a);
    }
}
