#!/usr/bin/env python3
"""Writes the catalog test files in this directory (made for silkroute, nothing
copied from elsewhere). Run from anywhere: `python3 tests/data/catalog/make.py`.
The output is deterministic; the generated files are committed and
tests/catalog.rs asserts their exact counts, lines, columns and reasons.

Files:
  shopify_products.csv  Shopify product export: 4 handles, multi-variant products
                        (Option1/Option2), Body (HTML) with quotes and line breaks,
                        image-only rows.
  gbk_products.csv      GBK-encoded CSV with Chinese headers (货号, 标题, 价格, 描述, ...).
  shift_jis_products.csv Shift_JIS CSV with Japanese headers and text.
  workbook.xlsx         two sheets, `Products` (first) and `Clearance` (for --sheet),
                        written here by hand with zipfile (inline strings, numbers).
  bad_rows.csv          UTF-8 CSV with bad rows and broken quoting (see BAD_ROWS below).
  utf8_bom.csv          UTF-8 with a BOM, English headers, numbered Bullet/Image columns.
  products.tsv          tab-separated, one quoted cell holding a tab and a line break.
  mapped.csv            headers silkroute does not know: needs --map.
  products.json         a JSON array with one bad element.
  products.jsonl        JSON Lines with one malformed line.
  examples/             the small per-format examples shown in README.md.
"""

import io
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, data: bytes):
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def csv_cell(s, delim=","):
    s = str(s)
    if any(c in s for c in (delim, '"', "\n", "\r")) or s != s.strip(" "):
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_text(rows, delim=",", eol="\r\n"):
    return "".join(delim.join(csv_cell(c, delim) for c in r) + eol for r in rows)


# ---------------------------------------------------------------- Shopify
SHOPIFY_HEADER = [
    "Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags",
    "Published", "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value",
    "Option3 Name", "Option3 Value", "Variant SKU", "Variant Grams",
    "Variant Inventory Tracker", "Variant Inventory Qty", "Variant Inventory Policy",
    "Variant Fulfillment Service", "Variant Price", "Variant Compare At Price",
    "Variant Requires Shipping", "Variant Taxable", "Variant Barcode", "Image Src",
    "Image Position", "Image Alt Text", "Gift Card", "SEO Title", "SEO Description",
    "Variant Image", "Variant Weight Unit", "Status",
]


def S(d):
    """A Shopify row from a dict keyed by the real header names."""
    row = [""] * len(SHOPIFY_HEADER)
    for k, v in d.items():
        row[SHOPIFY_HEADER.index(k)] = v
    return row


def variant(sku, price, grams, barcode, **opts):
    d = {
        "Variant SKU": sku, "Variant Grams": grams, "Variant Inventory Tracker": "shopify",
        "Variant Inventory Qty": "25", "Variant Inventory Policy": "deny",
        "Variant Fulfillment Service": "manual", "Variant Price": price,
        "Variant Requires Shipping": "TRUE", "Variant Taxable": "TRUE",
        "Variant Barcode": barcode, "Variant Weight Unit": "g",
    }
    d.update(opts)
    return d


shopify = [SHOPIFY_HEADER]
# 1. linen-shirt: Size x Color, 4 variants, 3 images (the third on an image-only row)
shopify.append(S({
    "Handle": "linen-shirt", "Title": "Linen Shirt",
    "Body (HTML)": '<p>Breathable <strong>linen</strong> shirt, "relaxed" fit.</p>',
    "Vendor": "Acme Apparel", "Product Category": "Apparel & Accessories > Clothing > Shirts & Tops",
    "Type": "Shirt", "Tags": "linen, summer, shirt", "Published": "TRUE",
    "Option1 Name": "Size", "Option1 Value": "S", "Option2 Name": "Color", "Option2 Value": "White",
    **variant("LS-S-WHT", "39.00", "220", "4006381333931", **{"Variant Compare At Price": "49.00"}),
    "Image Src": "https://cdn.example.com/linen-shirt-white.jpg", "Image Position": "1",
    "Image Alt Text": "Linen shirt in white", "Gift Card": "FALSE",
    "SEO Title": "Linen Shirt | Acme", "SEO Description": "A breathable linen shirt.",
    "Status": "active",
}))
shopify.append(S({
    "Handle": "linen-shirt", "Option1 Value": "S", "Option2 Value": "Blue",
    **variant("LS-S-BLU", "39.00", "220", "4006381333948"),
    "Image Src": "https://cdn.example.com/linen-shirt-blue.jpg", "Image Position": "2",
    "Variant Image": "https://cdn.example.com/linen-shirt-blue.jpg",
}))
shopify.append(S({
    "Handle": "linen-shirt", "Option1 Value": "M", "Option2 Value": "White",
    **variant("LS-M-WHT", "41.00", "240", "4006381333955"),
}))
shopify.append(S({
    "Handle": "linen-shirt", "Option1 Value": "M", "Option2 Value": "Blue",
    **variant("LS-M-BLU", "41.00", "240", "4006381333962"),
}))
shopify.append(S({
    "Handle": "linen-shirt", "Image Src": "https://cdn.example.com/linen-shirt-detail.jpg",
    "Image Position": "3",
}))
# 2. ceramic-mug: one "Default Title" variant: the listing takes the Variant SKU
shopify.append(S({
    "Handle": "ceramic-mug", "Title": "Ceramic Mug 350 ml",
    "Body (HTML)": "<p>Dishwasher safe, holds 350 ml.</p>", "Vendor": "Acme Home",
    "Product Category": "Home & Garden > Kitchen & Dining > Tableware > Drinkware > Mugs",
    "Type": "Mug", "Tags": "mug, kitchen", "Published": "TRUE",
    "Option1 Name": "Title", "Option1 Value": "Default Title",
    **variant("MUG-350", "12.50", "380", "4006381334006"),
    "Image Src": "https://cdn.example.com/mug.jpg", "Image Position": "1", "Gift Card": "FALSE",
    "Status": "active",
}))
# 3. travel-backpack: Color, 3 variants, Body (HTML) over several lines, 2 images
shopify.append(S({
    "Handle": "travel-backpack", "Title": "Travel Backpack 30 L",
    "Body (HTML)": "<p>Carry-on size.</p>\n<ul>\n<li>Laptop sleeve, 16\"</li>\n<li>Water-resistant</li>\n</ul>",
    "Vendor": "Acme Outdoor", "Product Category": "Luggage & Bags > Backpacks", "Type": "Backpack",
    "Tags": "travel, backpack, carry-on", "Published": "TRUE",
    "Option1 Name": "Color", "Option1 Value": "Black",
    **variant("BP-30-BLK", "89.90", "950", "4006381334013"),
    "Image Src": "https://cdn.example.com/backpack-black.jpg", "Image Position": "1",
    "Gift Card": "FALSE", "Status": "active",
}))
shopify.append(S({
    "Handle": "travel-backpack", "Option1 Value": "Grey",
    **variant("BP-30-GRY", "89.90", "950", "4006381334020"),
    "Image Src": "https://cdn.example.com/backpack-grey.jpg", "Image Position": "2",
}))
shopify.append(S({
    "Handle": "travel-backpack", "Option1 Value": "Navy",
    **variant("BP-30-NVY", "94.90", "950", "4006381334037"),
}))
# 4. bamboo-board: Size, 2 variants, no images
shopify.append(S({
    "Handle": "bamboo-board", "Title": "Bamboo Cutting Board",
    "Body (HTML)": "<p>Juice groove &amp; handle.</p>", "Vendor": "Acme Home",
    "Product Category": "Home & Garden > Kitchen & Dining > Kitchen Tools & Utensils > Cutting Boards",
    "Type": "Board", "Tags": "bamboo, kitchen", "Published": "FALSE",
    "Option1 Name": "Size", "Option1 Value": "Medium",
    **variant("BB-M", "19.99", "700", ""), "Gift Card": "FALSE", "Status": "draft",
}))
shopify.append(S({
    "Handle": "bamboo-board", "Option1 Value": "Large",
    **variant("BB-L", "24.99", "1100", ""),
}))
write("shopify_products.csv", csv_text(shopify).encode("utf-8"))

# ---------------------------------------------------------------- GBK
gbk_rows = [
    ["货号", "标题", "价格", "币种", "描述", "品牌", "类目", "颜色", "关键词"],
    ["CN-1001", "不锈钢保温杯 500毫升", "89.00", "CNY", "双层真空，保温12小时，保冷24小时。", "乐途", "家居 > 水杯", "银色", "保温杯，水杯，不锈钢"],
    ["CN-1002", "陶瓷马克杯 办公室 大容量", "45.50", "CNY", "高温烧制，可用洗碗机清洗。", "乐途", "家居 > 水杯", "白色", "马克杯，陶瓷"],
    ["CN-1003", "竹制砧板 加厚", "￥128", "", "天然竹材，不伤刀，带防滑\"槽\"设计。", "竹韵", "厨房 > 砧板", "", "砧板，竹子"],
    ["CN-1004", "折叠雨伞 自动开收", "59", "CNY", "十骨加固，防风，晴雨两用。\n附赠收纳袋。", "晴天", "雨具", "黑色", "雨伞，折叠伞"],
    ["CN-1005", "瑜伽垫 防滑 6毫米", "99.90", "CNY", "环保材料，轻便易携带，适合家用和健身房。", "", "运动 > 瑜伽", "紫色", "瑜伽垫"],
]
write("gbk_products.csv", csv_text(gbk_rows).encode("gbk"))

# ---------------------------------------------------------------- Shift_JIS
sjis_rows = [
    ["商品コード", "商品名", "価格", "説明", "ブランド", "カテゴリ", "カラー"],
    ["JP-2001", "ステンレス水筒 500ml", "1,980円", "真空断熱構造で、温かい飲み物も冷たい飲み物も長時間キープします。", "サクラ工房", "キッチン > 水筒", "シルバー"],
    ["JP-2002", "木製まな板 大きめ", "2,480円", "ひのき材を使用した、やさしい木のまな板です。", "サクラ工房", "キッチン > まな板", "ナチュラル"],
    ["JP-2003", "折りたたみ傘 軽量", "1,280円", "軽くて丈夫、カバンに入れても邪魔になりません。", "アメフリ", "雑貨 > 傘", "ネイビー"],
    ["JP-2004", "ヨガマット 滑り止め付き", "3,300円", "厚さ6ミリで膝にもやさしい、持ち運びに便利なストラップ付き。", "", "スポーツ > ヨガ", "パープル"],
]
write("shift_jis_products.csv", csv_text(sjis_rows).encode("shift_jis"))

# ---------------------------------------------------------------- XLSX (by hand)


def col_name(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def sheet_xml(rows):
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for r, row in enumerate(rows):
        if row is None:  # an empty row: nothing written, the row number is skipped
            continue
        out.append(f'<row r="{r + 1}">')
        for c, v in enumerate(row):
            ref = f"{col_name(c)}{r + 1}"
            if v is None or v == "":
                continue
            if isinstance(v, (int, float)):
                out.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                out.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{xml_escape(v)}</t></is></c>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out)


def xlsx(sheets):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        def add(name, text):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(len(sheets)))
        add("[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + overrides + '</Types>')
        add("_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>')
        sheets_xml = "".join(
            f'<sheet name="{xml_escape(name)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
            for i, (name, _) in enumerate(sheets))
        add("xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets>{sheets_xml}</sheets></workbook>')
        rels = "".join(
            f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(len(sheets)))
        add("xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + rels + '</Relationships>')
        for i, (_, rows) in enumerate(sheets):
            add(f"xl/worksheets/sheet{i + 1}.xml", sheet_xml(rows))
    return buf.getvalue()


products_sheet = [
    ["SKU", "Title", "Description", "Price", "Currency", "Brand", "Category", "Material"],
    ["XL-001", "Insulated Lunch Box", "Keeps food warm for 6 hours.\nLeak-proof lid.", 24.99, "EUR", "Acme", "Kitchen", "Stainless steel"],
    ["XL-002", "Glass Food Container Set", "Set of 3, oven safe.", 18.5, "EUR", "Acme", "Kitchen", "Glass"],
    None,  # row 4 is empty: skipped, row numbers stay the sheet's
    ["XL-003", "Silicone Baking Mat", "Non-stick, reusable, 40 x 30 cm.", 9, "EUR", "", "Baking", "Silicone"],
]
clearance_sheet = [
    ["SKU", "Title", "Description", "Price", "Currency", "Brand", "Category", "Material"],
    ["CL-100", "Garden Hose 15 m", "Expandable, with spray nozzle.", 15, "GBP", "Acme", "Garden", "Latex"],
    ["CL-101", "", "A row without a title.", 5, "GBP", "Acme", "Garden", ""],
    ["CL-102", "Plant Pot Set", "Three ceramic pots.", "7,50", "GBP", "Acme", "Garden", "Ceramic"],
]
write("workbook.xlsx", xlsx([("Products", products_sheet), ("Clearance", clearance_sheet)]))

# ---------------------------------------------------------------- bad rows
# Physical lines (1-based) are given on the right; tests/catalog.rs checks them.
big = "x" * 70_000
bad = []
bad.append("sku,title,description,price,currency,brand\n")                    # 1 header
bad.append("BR-001,Café au lait bowl,Stoneware bowl,9.99,USD,Acme\n")         # 2 ok
bad.append(",Bowl without sku,No sku on this row,5.00,USD,Acme\n")            # 3 missing sku
bad.append("BR-003,,No title on this row,5.00,USD,Acme\n")                    # 4 missing title
bad.append('BR-004,"Multi-line ""quoted"" cell","first line\n')               # 5 ok, spans 5-7
bad.append("second line, with a comma\n")                                      # 6
bad.append('third line",12.00,USD,Acme\n')                                     # 7
bad.append("\n")                                                               # 8 blank: skipped
bad.append("BR-001,Duplicate of the first row,Same sku as line 2,1.00,USD,Acme\n")  # 9 duplicate
bad.append("BR-010,Price is words,The price is not a number,twelve,USD,Acme\n")    # 10 bad price
bad.append(f"BR-011,Huge description,{big},1.00,USD,Acme\n")                   # 11 cell > 64 KiB
bad.append("BR-012,Seven fields,one too many,1.00,USD,Acme,surplus\n")         # 12 field count
bad.append('BR-013,5" screen protector – naïve quote,A bare quote inside an unquoted cell,3.00,USD,Acme\n')  # 13 ok
bad.append("BR-014,Latin-1 byte \xff here,This cell is fine,4.00,USD,Acme\n")  # 14 undecodable (see below)
bad.append("BR-015,Crème brûlée torch,Kitchen torch,19.00,EUR,Acme\n")        # 15 ok
bad.append('BR-016,"Unterminated quote,the quote never closes,2.00,USD,Acme\n')  # 16 broken quoting...
bad.append("BR-017,Swallowed by the open quote,desc,2.00,USD,Acme\n")         # 17 ...runs to the end
data = "".join(bad).encode("utf-8")
# line 14 carries a raw 0xFF byte (not UTF-8); the rest of the file is UTF-8
data = data.replace("\xff".encode("utf-8"), b"\xff")
write("bad_rows.csv", data)

# ---------------------------------------------------------------- UTF-8 BOM
bom_rows = [
    ["SKU", "Title", "Description", "Price", "Currency", "Brand", "Category", "Keywords",
     "Bullet 1", "Bullet 2", "Image 1", "Image 2", "Color", "Material"],
    ["EN-01", "Stainless Steel Water Bottle 750 ml", "Keeps drinks cold for 24 hours and hot for 12.",
     "24.95", "USD", "Acme", "Sports > Bottles", "water bottle, insulated, steel",
     "Leak-proof lid", "BPA free", "https://img.example.com/en-01-a.jpg", "https://img.example.com/en-01-b.jpg",
     "Silver", "Stainless steel"],
    ["DE-01", "Edelstahl Trinkflasche 750 ml", "Hält Getränke 24 Stunden kalt und 12 Stunden warm. Auslaufsicherer Deckel.",
     "22,95", "EUR", "Acme", "Sport > Flaschen", "trinkflasche, edelstahl",
     "Auslaufsicher", "", "https://img.example.com/de-01.jpg", "", "Silber", "Edelstahl"],
    ["FR-01", "Gourde en acier inoxydable 750 ml", "Garde les boissons froides pendant 24 heures et chaudes pendant 12 heures.",
     "€23,50", "", "Acme", "Sport > Gourdes", "gourde, inox", "", "", "", "", "Argent", "Acier inoxydable"],
]
write("utf8_bom.csv", b"\xef\xbb\xbf" + csv_text(bom_rows).encode("utf-8"))

# ---------------------------------------------------------------- TSV
tsv_rows = [
    ["sku", "title", "description", "price", "currency", "brand", "keywords"],
    ["TSV-1", "Wool Hiking Socks (3 pairs)", "Merino wool, cushioned sole.", "19.00", "USD", "Acme", "socks, hiking"],
    ["TSV-2", "LED Desk Lamp", "Five brightness levels\tUSB charging port\nTouch control", "34.00", "USD", "Acme", "lamp; desk"],
    ["TSV-3", "Phone Case, \"shockproof\"", "Card holder on the back.", "12.00", "USD", "", ""],
]
write("products.tsv", csv_text(tsv_rows, delim="\t", eol="\n").encode("utf-8"))

# ---------------------------------------------------------------- needs --map
mapped_rows = [
    ["Item Code", "Listing Headline", "Blurb", "Cost", "Cost Currency", "Shade"],
    ["M-1", "Garden Gloves", "Nitrile coated, size M.", "6.99", "USD", "Green"],
    ["M-2", "Pruning Shears", "Carbon steel blades.", "14.50", "USD", "Red"],
]
write("mapped.csv", csv_text(mapped_rows).encode("utf-8"))

# ---------------------------------------------------------------- JSON, JSON Lines
json_text = """[
  {"sku": "J-1", "title": "Espresso Cups, set of 2", "price": {"amount": "14.00", "currency": "EUR"},
   "attributes": [{"name": "Material", "value": "Porcelain"}], "language": "en"},
  {"sku": "J-2",
   "description": "no title here"},
  {"sku": "J-3", "title": "Milk Frother", "price": "29.90 EUR", "bullets": ["Handheld", "Battery powered"],
   "color": "Black"}
]
"""
write("products.json", json_text.encode("utf-8"))
jsonl_text = (
    '{"sku": "L-1", "title": "Tea Infuser", "price": {"amount": "6.50", "currency": "USD"}}\n'
    '{"sku": "L-2", "title": "Broken line", "price": \n'
    '\n'
    '{"sku": "L-3", "title": "Teapot 1 L", "keywords": ["teapot", "glass"]}\n'
)
write("products.jsonl", jsonl_text.encode("utf-8"))

# ---------------------------------------------------------------- README examples
example_csv = [
    ["sku", "title", "description", "price", "currency", "brand", "color"],
    ["BOTTLE-750", "Insulated Water Bottle 750 ml", "Keeps drinks cold for 24 hours.", "24.95", "USD", "Acme", "Silver"],
    ["MUG-350", "Ceramic Mug 350 ml", "Dishwasher safe.", "12.50", "USD", "Acme", "White"],
]
write("examples/example.csv", csv_text(example_csv, eol="\n").encode("utf-8"))
write("examples/example.tsv", csv_text(example_csv, delim="\t", eol="\n").encode("utf-8"))
write("examples/example.json", (
    '[\n'
    '  {"sku": "BOTTLE-750", "title": "Insulated Water Bottle 750 ml",\n'
    '   "price": {"amount": "24.95", "currency": "USD"}, "brand": "Acme",\n'
    '   "attributes": [{"name": "Color", "value": "Silver"}]}\n'
    ']\n').encode("utf-8"))
write("examples/example.jsonl", (
    '{"sku": "BOTTLE-750", "title": "Insulated Water Bottle 750 ml", "price": "24.95 USD"}\n'
    '{"sku": "MUG-350", "title": "Ceramic Mug 350 ml", "price": "12.50 USD"}\n').encode("utf-8"))
example_shopify = [
    ["Handle", "Title", "Body (HTML)", "Vendor", "Option1 Name", "Option1 Value", "Variant SKU", "Variant Price", "Image Src"],
    ["linen-shirt", "Linen Shirt", "<p>Breathable linen.</p>", "Acme", "Size", "S", "LS-S", "39.00", "https://cdn.example.com/shirt.jpg"],
    ["linen-shirt", "", "", "", "", "M", "LS-M", "41.00", ""],
]
write("examples/example.shopify.csv", csv_text(example_shopify, eol="\n").encode("utf-8"))
write("examples/example.gbk.csv", csv_text([
    ["货号", "标题", "价格", "币种", "描述"],
    ["CN-1", "不锈钢保温杯", "89.00", "CNY", "保温12小时"],
], eol="\n").encode("gbk"))
write("examples/example.xlsx", xlsx([("Sheet1", [
    ["sku", "title", "price", "currency"],
    ["BOTTLE-750", "Insulated Water Bottle 750 ml", 24.95, "USD"],
])]))
print("wrote catalog test data to", HERE)
