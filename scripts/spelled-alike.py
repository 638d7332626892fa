#!/usr/bin/env python3
"""Generate terminology/spelled-alike/<lang>.txt and terminology/english-only/<lang>.txt
(the second: common English words that are no words of the language, see the README
there), and terminology/english-common/en.txt (English's own common words). The first holds the words each Latin-script target
language of silkroute writes exactly as English does and that are common words of
that language in their own right (fr "induction", "thermostat", "tubes"; es
"natural", "cable"). The `untranslated` check (src/localize/untranslated.rs) does
not report such a word when the model keeps it from an English source; it still
reports English that merely leaks into the target's corpora (de "finish",
"lifetime", "fits"; fr "quick", "release").

Source: the word frequencies of the `wordfreq` package (Robyn Speer et al.,
https://github.com/rspeer/wordfreq), read with its own API. Only this script needs
Python; silkroute compiles the generated lists in (src/localize/language.rs).

Rule, per target language T and word w (lower case, letters only, 3 letters or
more), with zipf(w, L) the Zipf frequency of w in language L (log10 of uses per
billion words):

    zipf(w, T) >= 2.5            a real word of T (about 1 use in 3 million words)
    zipf(w, en) >= 3.0           a real English word (one a source can leave behind)
    zipf(w, T) >= zipf(w, en) - 0.8
                                 about as common in T as in English: English that
                                 leaks into T's web text ("black", "finish") is
                                 several times rarer in T than in English.

Usage (wordfreq 3.1.1 was used for the committed lists):

    python3 -m venv /tmp/wf && /tmp/wf/bin/pip install wordfreq==3.1.1
    /tmp/wf/bin/python scripts/spelled-alike.py            # writes the lists
    /tmp/wf/bin/python scripts/spelled-alike.py --explain fr thermostat finish
"""

import argparse
import sys
from importlib.metadata import version
from pathlib import Path

from wordfreq import iter_wordlist, zipf_frequency

LANGUAGES = ["de", "fr", "es", "it", "pt", "nl", "pl", "tr", "id", "ms", "vi"]
MIN_TARGET = 2.5
MIN_ENGLISH = 3.0
MARGIN = 0.8
OUT = Path(__file__).resolve().parent.parent / "terminology" / "spelled-alike"
# The second list per language: common English words that are not words of the
# target language (English a translation leaves behind though the source never
# had it: "daily", "with", "finish" in German).
ENGLISH_ONLY_MIN = 4.0
ENGLISH_ONLY_GAP = 1.5
OUT_ENGLISH = OUT.parent / "english-only"
# The third list, one for English itself: its common words (Zipf 3.2 or more,
# letters only, two or more). A capitalised word of a title that is not one of
# them ("Forerunner", "PowerCore", "Technic") may name a product line.
ENGLISH_COMMON_MIN = 3.2
OUT_COMMON = OUT.parent / "english-common"


def spelled_alike(lang, word):
    """Whether `word` passes the rule for `lang`, and its two Zipf frequencies."""
    zt = zipf_frequency(word, lang)
    ze = zipf_frequency(word, "en")
    ok = (
        len(word) >= 3
        and word.isalpha()
        and zt >= MIN_TARGET
        and ze >= MIN_ENGLISH
        and zt >= ze - MARGIN
    )
    return ok, zt, ze


def words(lang):
    out = set()
    # iter_wordlist yields the most frequent words first.
    for w in iter_wordlist(lang, "best"):
        if zipf_frequency(w, lang) < MIN_TARGET:
            break
        if spelled_alike(lang, w)[0]:
            out.add(w)
    return sorted(out)


def english_only(lang):
    """Common English words (Zipf 4.0 or more, letters only, two or more) at
    least 1.5 rarer in `lang` (about 30 times fewer uses) and not spelled alike.
    Two-letter words ("to", "of", "up") are read only inside a run of source
    words left in a translation ("Up to"), never on their own."""
    out = []
    for w in iter_wordlist("en", "best"):
        ze = zipf_frequency(w, "en")
        if ze < ENGLISH_ONLY_MIN:
            break
        if (
            len(w) >= 2
            and w.isascii()
            and w.isalpha()
            and ze - zipf_frequency(w, lang) >= ENGLISH_ONLY_GAP
            and not spelled_alike(lang, w)[0]
        ):
            out.append(w)
    return sorted(set(out))


def english_common():
    """Common English words: Zipf ENGLISH_COMMON_MIN or more, letters only, two or more."""
    out = []
    for w in iter_wordlist("en", "best"):
        if zipf_frequency(w, "en") < ENGLISH_COMMON_MIN:
            break
        if len(w) >= 2 and w.isalpha():
            out.append(w)
    return sorted(set(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--explain", nargs="+", metavar=("LANG", "WORD"),
                    help="print the rule's verdict on words instead of writing files")
    args = ap.parse_args()
    if args.explain:
        lang, *ws = args.explain
        for w in ws:
            ok, zt, ze = spelled_alike(lang, w.lower())
            print(f"{lang}\t{w}\t{zt:.2f}\t{ze:.2f}\t{'accepted' if ok else 'flagged'}")
        return
    v = version("wordfreq")
    for out, make, what in [
        (OUT, words, "words spelled as in English that are common {lang} words"),
        (OUT_ENGLISH, english_only, "common English words that are not {lang} words"),
    ]:
        out.mkdir(parents=True, exist_ok=True)
        for lang in LANGUAGES:
            ws = make(lang)
            head = (
                f"# {lang}: {what.format(lang=lang)} "
                f"(scripts/spelled-alike.py, wordfreq {v};\n"
                "# data CC BY-SA 4.0, see README.md in this directory)\n"
            )
            (out / f"{lang}.txt").write_text(head + "\n".join(ws) + "\n", encoding="utf-8")
            print(f"{out.name}/{lang}.txt: {len(ws)} words", file=sys.stderr)
    ws = english_common()
    OUT_COMMON.mkdir(parents=True, exist_ok=True)
    head = (
        f"# en: common English words, Zipf {ENGLISH_COMMON_MIN} or more "
        f"(scripts/spelled-alike.py, wordfreq {v};\n"
        "# data CC BY-SA 4.0, see README.md in this directory)\n"
    )
    (OUT_COMMON / "en.txt").write_text(head + "\n".join(ws) + "\n", encoding="utf-8")
    print(f"{OUT_COMMON.name}/en.txt: {len(ws)} words", file=sys.stderr)

if __name__ == "__main__":
    main()
