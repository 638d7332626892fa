//! Text analysis per language: which tokenizer and filters each language group
//! uses, registered on every index under the names in [`super::schema::LANGS`].
//!
//! - en, de, fr, es, it, pt, nl, sv, ru, ar: tantivy's Snowball stemmers.
//! - tr: tantivy's Turkish stemmer after a Turkish lower-caser (`I` -> `ı`,
//!   `İ` -> `i`, which a plain lower-caser gets wrong).
//! - pl, id (and ms, which shares the Indonesian slot): the Snowball Polish and
//!   Indonesian stemmers from `frostem` (tantivy ships neither).
//! - ja, ko: CJK bigrams ([`CjkTokenizer`] in bigram mode). Lindera's IPADIC crate
//!   downloads its dictionary in its build script, which cannot work offline, and no
//!   crate on the registry ships the dictionary inside its package, so Japanese uses
//!   overlapping bigrams the way Lucene's CJKAnalyzer does: every substring of two or
//!   more characters is found, at the cost of some precision. Korean, whose words are
//!   spaced but inflected by suffixes, gets the same bigrams.
//! - zh: jieba segmentation in search mode (`jieba-rs`, dictionary embedded).
//! - th: Thai has no spaces between words: overlapping bigrams of Thai character
//!   clusters (a consonant with its vowel and tone marks), as for Japanese. ICU4X's
//!   word segmenter was tried first: on "ขวดน้ำสแตนเลสเก็บความเย็น" its dictionary
//!   splits the loanword สแตนเลส ("stainless") as "สแตนเ|ลสเ" and every word after
//!   it goes wrong, and its LSTM model joins "น้ำสแตนเลส", so a search for น้ำ
//!   ("water") would miss; product text is full of such loanwords. Bigrams find
//!   every substring of two or more clusters, at some cost in precision.
//! - other (vi among them: its syllables are spaced and uninflected): lower-cased,
//!   ASCII-folded words.
//!
//! Every analyzer drops tokens over [`MAX_TOKEN_BYTES`], so a pathological cell cannot
//! blow up the term dictionary.

use std::borrow::Cow;

use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

use super::schema::{LANGS, WORDS_TOKENIZER};

/// Longest token kept, in bytes.
pub(crate) const MAX_TOKEN_BYTES: usize = 40;

/// The analyzer for one language code of [`LANGS`] (or the `words` field).
pub(crate) fn analyzer(tokenizer_name: &str) -> TextAnalyzer {
    let stemmed = |lang: Language| {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(Stemmer::new(lang))
            .filter(AsciiFoldingFilter)
            .build()
    };
    match tokenizer_name {
        "sr_en" => stemmed(Language::English),
        "sr_de" => stemmed(Language::German),
        "sr_fr" => stemmed(Language::French),
        "sr_es" => stemmed(Language::Spanish),
        "sr_it" => stemmed(Language::Italian),
        "sr_pt" => stemmed(Language::Portuguese),
        "sr_nl" => stemmed(Language::Dutch),
        "sr_sv" => stemmed(Language::Swedish),
        "sr_ru" => stemmed(Language::Russian),
        "sr_ar" => stemmed(Language::Arabic),
        "sr_tr" => TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(MapFilter(TokenMap::TurkishLower))
            .filter(Stemmer::new(Language::Turkish))
            .filter(AsciiFoldingFilter)
            .build(),
        "sr_pl" => snowball(frostem::Algorithm::Polish),
        "sr_id" => snowball(frostem::Algorithm::Indonesian),
        "sr_th" => TextAnalyzer::builder(CjkTokenizer::new(CjkMode::Bigram))
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(AsciiFoldingFilter)
            .build(),
        "sr_ja" | "sr_ko" => TextAnalyzer::builder(CjkTokenizer::new(CjkMode::Bigram))
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(AsciiFoldingFilter)
            .build(),
        "sr_zh" => TextAnalyzer::builder(CjkTokenizer::new(CjkMode::Jieba))
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(AsciiFoldingFilter)
            .build(),
        WORDS_TOKENIZER => TextAnalyzer::builder(CjkTokenizer::new(CjkMode::Skip))
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(AsciiFoldingFilter)
            .build(),
        _ => TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    }
}

/// Lower-cased words through a `frostem` Snowball stemmer, then ASCII-folded.
fn snowball(algorithm: frostem::Algorithm) -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(MapFilter(TokenMap::Snowball(algorithm)))
        .filter(AsciiFoldingFilter)
        .build()
}

/// Register every silkroute analyzer on `index`.
pub(crate) fn register(index: &Index) {
    let manager = index.tokenizers();
    for l in LANGS {
        manager.register(l.tokenizer, analyzer(l.tokenizer));
    }
    manager.register(WORDS_TOKENIZER, analyzer(WORDS_TOKENIZER));
}

/// The words of `text` as the index analyses `lang` (ISO 639-1): lower-cased,
/// stemmed and folded for the Snowball languages, segmented for CJK. Inflection-
/// tolerant comparisons (terminology checks) use it.
pub fn stems(lang: &str, text: &str) -> Vec<String> {
    let slot = super::schema::lang_slot(lang);
    let mut a = analyzer(LANGS[slot].tokenizer);
    tokens(&mut a, text).into_iter().map(|(_, t)| t).collect()
}

/// Run `text` through an analyzer and collect `(position, term)` pairs.
pub(crate) fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        out.push((t.position, t.text.clone()));
    }
    out
}

// ---------------------------------------------------------------------------
// Token filters that rewrite each token's text: frostem's Snowball stemmers and
// the Turkish lower-caser.

/// How [`MapFilter`] rewrites a token.
#[derive(Clone, Copy, Debug)]
enum TokenMap {
    /// A Snowball stemmer from `frostem` (Polish, Indonesian).
    Snowball(frostem::Algorithm),
    /// Lower case the Turkish way: dotted and dotless i are two letters.
    TurkishLower,
}

/// Token filter applying a [`TokenMap`].
#[derive(Clone, Copy)]
struct MapFilter(TokenMap);

impl TokenFilter for MapFilter {
    type Tokenizer<T: Tokenizer> = MapFilterWrapper<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MapFilterWrapper<T> {
        MapFilterWrapper {
            inner: tokenizer,
            map: self.0,
        }
    }
}

#[derive(Clone)]
struct MapFilterWrapper<T> {
    inner: T,
    map: TokenMap,
}

impl<T: Tokenizer> Tokenizer for MapFilterWrapper<T> {
    type TokenStream<'a> = MapStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MapStream {
            tail: self.inner.token_stream(text),
            stemmer: match self.map {
                TokenMap::Snowball(a) => Some(frostem::Stemmer::new(a)),
                TokenMap::TurkishLower => None,
            },
        }
    }
}

struct MapStream<S> {
    tail: S,
    /// The stemmer, or `None` for the Turkish lower-caser.
    stemmer: Option<frostem::Stemmer>,
}

/// `s` lower-cased by Turkish rules.
fn turkish_lower(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            'I' => "ı".chars().collect::<Vec<_>>(),
            'İ' => vec!['i'],
            c => c.to_lowercase().collect(),
        })
        .collect()
}

impl<S: TokenStream> TokenStream for MapStream<S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        match &self.stemmer {
            Some(stemmer) => {
                if let Cow::Owned(stem) = stemmer.stem(&token.text) {
                    token.text = stem;
                }
            }
            None => token.text = turkish_lower(&token.text),
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

// ---------------------------------------------------------------------------
// CJK segmentation.

/// What [`CjkTokenizer`] does with runs of CJK characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CjkMode {
    /// Overlapping bigrams (a lone character stays a unigram).
    Bigram,
    /// jieba search-mode segmentation.
    Jieba,
    /// Drop them (the `words` field only keeps Latin-script words).
    Skip,
}

/// Splits text into lower-cased alphanumeric words, runs of Han, kana or Hangul
/// characters into bigrams or jieba words, and runs of Thai into dictionary words
/// (every mode but `Skip`, which drops them). Positions count tokens.
#[derive(Clone)]
pub(crate) struct CjkTokenizer {
    mode: CjkMode,
    tokens: Vec<Token>,
}

impl CjkTokenizer {
    pub(crate) fn new(mode: CjkMode) -> Self {
        Self {
            mode,
            tokens: Vec::new(),
        }
    }
}

pub(crate) use crate::script::is_cjk;

/// Whether `c` is Thai (letters, vowel signs, tone marks, digits): written
/// without spaces between words.
pub(crate) fn is_thai(c: char) -> bool {
    matches!(c as u32, 0x0E01..=0x0E5B)
}

/// Whether `c` is a Thai combining mark (above or below vowel, tone mark): it
/// belongs to the character cluster of the consonant before it.
fn is_thai_mark(c: char) -> bool {
    matches!(c as u32, 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E)
}

fn push(tokens: &mut Vec<Token>, text: String, from: usize, to: usize) {
    let position = tokens.len();
    tokens.push(Token {
        offset_from: from,
        offset_to: to,
        position,
        text,
        position_length: 1,
    });
}

impl CjkTokenizer {
    fn segment(&mut self, text: &str) {
        self.tokens.clear();
        let mut chars = text.char_indices().peekable();
        while let Some(&(start, c)) = chars.peek() {
            if is_cjk(c) {
                let mut end = start;
                while let Some(&(i, c)) = chars.peek() {
                    if !is_cjk(c) {
                        break;
                    }
                    end = i + c.len_utf8();
                    chars.next();
                }
                self.cjk_run(&text[start..end], start);
            } else if is_thai(c) {
                let mut end = start;
                while let Some(&(i, c)) = chars.peek() {
                    if !is_thai(c) {
                        break;
                    }
                    end = i + c.len_utf8();
                    chars.next();
                }
                if self.mode != CjkMode::Skip {
                    self.thai_run(&text[start..end], start);
                }
            } else if c.is_alphanumeric() {
                let mut end = start;
                while let Some(&(i, c)) = chars.peek() {
                    if !c.is_alphanumeric() || is_cjk(c) || is_thai(c) {
                        break;
                    }
                    end = i + c.len_utf8();
                    chars.next();
                }
                push(
                    &mut self.tokens,
                    text[start..end].to_lowercase(),
                    start,
                    end,
                );
            } else {
                chars.next();
            }
        }
    }

    /// Overlapping bigrams of a Thai run's character clusters (a lone cluster
    /// stays a unigram); Thai punctuation (ฯ, ๆ) and digits are clusters too.
    fn thai_run(&mut self, run: &str, base: usize) {
        let mut starts: Vec<usize> = run
            .char_indices()
            .filter(|(i, c)| *i == 0 || !is_thai_mark(*c))
            .map(|(i, _)| i)
            .collect();
        starts.push(run.len());
        if starts.len() == 2 {
            push(&mut self.tokens, run.to_string(), base, base + run.len());
            return;
        }
        for w in starts.windows(3) {
            push(
                &mut self.tokens,
                run[w[0]..w[2]].to_string(),
                base + w[0],
                base + w[2],
            );
        }
    }

    fn cjk_run(&mut self, run: &str, base: usize) {
        match self.mode {
            CjkMode::Skip => {}
            CjkMode::Bigram => {
                let idx: Vec<(usize, char)> = run.char_indices().collect();
                if idx.len() == 1 {
                    push(&mut self.tokens, run.to_string(), base, base + run.len());
                    return;
                }
                for w in idx.windows(2) {
                    let from = w[0].0;
                    let to = w[1].0 + w[1].1.len_utf8();
                    push(
                        &mut self.tokens,
                        run[from..to].to_string(),
                        base + from,
                        base + to,
                    );
                }
            }
            CjkMode::Jieba => {
                for t in crate::script::jieba().cut_for_search(run, true) {
                    if t.word.trim().is_empty() {
                        continue;
                    }
                    // `word` is a slice of `run`: its byte offset is the pointer distance.
                    let from = t.word.as_ptr() as usize - run.as_ptr() as usize;
                    push(
                        &mut self.tokens,
                        t.word.to_string(),
                        base + from,
                        base + from + t.word.len(),
                    );
                }
            }
        }
    }
}

impl Tokenizer for CjkTokenizer {
    type TokenStream<'a> = CjkTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CjkTokenStream<'a> {
        self.segment(text);
        CjkTokenStream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

/// The stream [`CjkTokenizer`] returns.
pub(crate) struct CjkTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    next: usize,
}

impl TokenStream for CjkTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(name: &str, s: &str) -> Vec<String> {
        tokens(&mut analyzer(name), s)
            .into_iter()
            .map(|(_, t)| t)
            .collect()
    }

    #[test]
    fn german_stems_plural_to_singular() {
        assert_eq!(texts("sr_de", "Flaschen"), texts("sr_de", "Flasche"));
    }

    #[test]
    fn polish_stems() {
        assert_eq!(texts("sr_pl", "butelki"), texts("sr_pl", "butelka"));
    }

    #[test]
    fn new_languages_stem_their_inflections() {
        // plural or case forms meet the singular's stem
        for (lang, a, b) in [
            ("sr_pt", "garrafas", "garrafa"),
            ("sr_ru", "бутылки", "Бутылка"),
            ("sr_ar", "الزجاجة", "زجاجة"),
            ("sr_nl", "flessen", "fles"),
            ("sr_tr", "bardaklar", "bardak"),
            ("sr_id", "minuman", "minum"),
        ] {
            assert_eq!(texts(lang, a), texts(lang, b), "{lang}: {a} / {b}");
        }
        // Turkish capitals lower-case the Turkish way before stemming
        assert_eq!(texts("sr_tr", "IŞIKLI"), texts("sr_tr", "ışıklı"));
        assert_eq!(texts("sr_tr", "İSTANBUL"), texts("sr_tr", "istanbul"));
    }

    #[test]
    fn thai_is_cut_into_cluster_bigrams() {
        // น้ is one cluster (a consonant and its tone mark)
        assert_eq!(texts("sr_th", "ขวดน้ำ"), ["ขว", "วด", "ดน้", "น้ำ"]);
        assert_eq!(texts("sr_th", "น้"), ["น้"]);
        let t = texts("sr_th", "ขวดน้ำสแตนเลสเก็บความเย็น 24 ชั่วโมง");
        assert!(t.iter().any(|w| w == "น้ำ"), "{t:?}");
        assert!(t.iter().any(|w| w == "24"), "{t:?}");
        // the words field leaves Thai to the Thai fields
        assert_eq!(texts(WORDS_TOKENIZER, "ขวดน้ำ bottle"), vec!["bottle"]);
    }

    #[test]
    fn japanese_bigrams_and_latin_words() {
        assert_eq!(
            texts("sr_ja", "ステンレス製 WH-1000XM5"),
            vec!["ステ", "テン", "ンレ", "レス", "ス製", "wh", "1000xm5"]
        );
        assert_eq!(texts("sr_ja", "水"), vec!["水"]);
    }

    #[test]
    fn chinese_is_segmented_by_jieba() {
        let t = texts("sr_zh", "不锈钢保温杯");
        assert!(t.iter().any(|w| w == "不锈钢"), "{t:?}");
    }

    #[test]
    fn words_field_skips_cjk_and_folds() {
        assert_eq!(
            texts(WORDS_TOKENIZER, "Café ボトル Bottle"),
            vec!["cafe", "bottle"]
        );
    }
}
