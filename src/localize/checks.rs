//! Checks on every translated field, each a named warning code:
//! `wrong_language`, `placeholder_missing`, `number_missing`, `number_changed`,
//! `unit_unknown`, `unit_added`, `unit_missing`, `rate_unit_missing`, `label_leaked`,
//! `limit_lost`, `limit_added`, `approximation_lost` (a warning, see
//! [`super::approx`]), `property_mismatch` (a warning, see [`super::property`]), `pieces_as_sets`
//! (see [`super::pieces`]), `version_unnamed`, `light_swapped`,
//! `braces_added`, `placeholders_heaped`, `acronym_missing`, `name_missing`, `copied_example`, `broken_character`,
//! `untranslated` (see [`super::untranslated`]), `numbers_swapped` (see
//! [`super::terminology::Terminology::swapped_numbers`]), `negation_lost` (see
//! [`super::terminology::Terminology::negations_lost`]), `opposite_term` (see
//! [`super::terminology::Terminology::opposites`]), `prohibition_lost`,
//! `length_ratio`, `repetition_loop`, `low_confidence`, `glossary_violation`,
//! `truncated` (the pipeline's: a generation cut off at its token budget)
//! (errors: the field needs review), `material_added` (see
//! [`super::terminology::Terminology::added_materials`]; a warning: retried
//! once, and if it stays the field needs review), `colour_added` (the same for
//! the colours, [`super::terminology::Terminology::added_colours`]), `season_added`
//! (the same for a season, [`super::seasons::added`]), `gender_changed` (a
//! men's product written as a women's, or a unisex one as one gender's,
//! [`super::gender::changed`]), `age_changed` (the same for children and
//! adults: an adults' jump rope "for Adults and Kids", [`super::ages::changed`]),
//! `animal_added` (the same for an animal: a cat's feeder written as a
//! sheep's, [`super::animals::added`]),
//! `language_added` (the target's own language
//! named where the source names another or none, a manual "in Polish" for
//! 中文说明书, [`super::language_names::added`]), `claim_added` (the same for
//! a certification, standard or health claim: CE, FDA, IPX7, BPA, ECG,
//! [`super::claims::added`]), `connectivity_added`
//! (the same for Bluetooth, Wi-Fi, NFC, GPS, Zigbee,
//! [`super::connectivity::added`]), `quote_added` (the same for words in
//! quotation marks the source does not quote, [`quote_added`]), `example_leaked`
//! (the same for a product, part or material of a worked example,
//! [`super::terminology::Terminology::leaked_terms`]) and `terminology` (a warning:
//! retried once, then shown but not blocking). Pure functions over strings.
//!
//! Every number in an output must be explained: it is in the source, or silkroute
//! wrote it itself converting a unit (the spans record it), which is what
//! [`numbers`] compares against; a unit-like token after a number that is no unit of
//! the table (`544 gkg`, `36,6 m-lb`) is `unit_unknown`.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use super::language;
use super::spans::{Protected, Span, SpanIssue, SpanKind};
use super::units;
use crate::script;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing; the field can still be presented as done.
    Info,
    /// Retried once with the problem named; if it stays, shown but not blocking.
    Warning,
    /// The field needs a person's review.
    Error,
}

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Warning code (the rule).
    pub code: &'static str,
    /// What is wrong, in English.
    pub message: String,
    /// Severity.
    pub severity: Severity,
    /// The words or numbers at fault, as they are in the output (or the term
    /// expected, for terminology).
    pub evidence: Vec<String>,
}

impl Finding {
    /// An error finding.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            severity: Severity::Error,
            evidence: Vec::new(),
        }
    }
    /// A warning: worth one retry, not blocking.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, message)
        }
    }
    /// An informational finding.
    pub fn info(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Info,
            ..Self::error(code, message)
        }
    }
    /// The same finding naming the words or numbers at fault.
    pub fn with_evidence(mut self, evidence: Vec<String>) -> Self {
        self.evidence = evidence;
        self
    }

    /// The problem as the model is told it on a retry, for findings a model can fix
    /// when told what is wrong (`None`: retry by sampling instead).
    pub fn problem_for_model(&self, target_name: &str) -> Option<String> {
        let ev = self
            .evidence
            .iter()
            .map(|e| format!("\"{e}\""))
            .collect::<Vec<_>>()
            .join(", ");
        Some(match self.code {
            "untranslated" if !ev.is_empty() => {
                format!("these words are not {target_name}: {ev}. Translate them into {target_name}.")
            }
            "untranslated" => format!("the text is not translated. Translate it into {target_name}."),
            "wrong_language" => format!("the answer is not in {target_name}. Write it in {target_name}."),
            "unit_unknown" => format!(
                "{ev} after a number is not a unit. Do not write units or numbers yourself: copy every placeholder such as {{1}} exactly once."
            ),
            "unit_missing" => format!(
                "the source writes {ev}: write that unit after the number, in {target_name}."
            ),
            "limit_added" => format!(
                "the source sets no limit on the number of {ev}: translate that number as the source gives it, without such a word."
            ),
            "light_swapped" => format!(
                "{ev}: a light of 5000 K or more is cool (bluish), one of 3500 K or less warm (yellowish). Describe each light as the source does."
            ),
            "version_unnamed" => format!(
                "the source writes {ev}: write that name right before its number."
            ),
            "pieces_as_sets" => format!(
                "the source counts pieces, and {ev} counts sets or packs: write the number as a count of pieces (a set of that many pieces)."
            ),
            "property_mismatch" => format!(
                "the translation gives a quantity as another property than the source does ({ev}): give each number with the property the source names, a weight in units of mass, a running time in units of time."
            ),
            "approximation_lost" => format!(
                "the source gives {ev} as approximate: write it as approximate in {target_name} too (a word such as \"about\" next to the number)."
            ),
            "limit_lost" => format!(
                "the source writes {ev}, a limit on that number: write the same limit in {target_name}, next to the number."
            ),
            "number_word_added" => format!(
                "the source gives no such number as {ev}. Translate the source's numbers as it writes them and add none."
            ),
            "count_missing" => format!(
                "the source counts {ev}: write that number in the translation too."
            ),
            "prohibition_added" => format!(
                "the source forbids nothing, and the translation says {ev}: translate what the source says, with no warning of your own."
            ),
            "prohibition_lost" => format!(
                "the source forbids something ({ev}): keep the warning, with a negation such as \"do not\" in {target_name}."
            ),
            "opposite_term" => format!(
                "the source says {ev}, and the translation says the opposite. Write {ev}."
            ),
            "negation_lost" => format!(
                "the source says {ev}, and the translation has the word without its negation, which means the opposite. Write {ev}."
            ),
            "ends_unfinished" => format!(
                "the translation stops on \"{ev}\" before its end. Translate the whole text, to its last word."
            ),
            "pair_count_changed" => format!(
                "the source gives no such number of pairs as {ev}: translate the number of pairs as the source writes it (一对, 一双 and \"a pair\" are one pair)."
            ),
            "multiplier_parted" => format!(
                "{ev} multiplies the quantity before it: write it right after that quantity, with no comma between, as the source does."
            ),
            "code_glued" => format!(
                "{ev}: letters are glued to the end of a placeholder. Copy each placeholder such as {{1}} as it is, with a space before the next word, and add no ending to it."
            ),
            "unit_added" => format!(
                "{ev}: the source gives that number no such unit. Translate the words around each placeholder as the source writes them and add no unit to a number."
            ),
            "number_changed" | "number_missing" | "placeholder_missing" => {
                "numbers and measurements must come only from the placeholders: copy every placeholder such as {1} exactly once and write no numbers yourself.".to_string()
            }
            "label_leaked" => format!("reply with the translation only, without a label such as {ev}."),
            "assistant_reply" => format!(
                "the reply speaks about the task ({ev}) instead of translating it. Reply with the translation of the source only, even where it is hard."
            ),
            "instruction_leaked" => format!(
                "the reply holds words of the instructions ({ev}), not of the source. Reply with the translation of the source only."
            ),
            "rate_unit_missing" => format!(
                "the source writes {ev}: a rate, per that unit. Translate it as a rate (\"per ...\") with the same unit."
            ),
            "name_missing" => format!(
                "the source writes {ev} in Latin letters: a name, to be kept exactly as written."
            ),
            "broken_character" => format!(
                "{ev} holds a broken character. Write every word in full, in {target_name}."
            ),
            "copied_example" => format!(
                "that answer repeats a worked example, not this text. Translate only the text given into {target_name}."
            ),
            "placeholders_heaped" => format!(
                "{ev}: those placeholders stand together, and the source gives each with its own words. Put each placeholder where the source has it, with the words around it."
            ),
            "numbers_swapped" => format!(
                "the numbers of {ev} are swapped: keep each placeholder with the words the source gives it."
            ),
            "material_added" => format!(
                "the source names no {ev}: translate the materials the source gives and add none."
            ),
            "example_leaked" => format!(
                "the source does not mention {ev}: that was an example's product. Translate only what the source says."
            ),
            "colour_added" => format!(
                "the source names no colour {ev}: translate the colours the source gives and add none."
            ),
            "quote_added" => format!(
                "{ev} is in quotation marks, and the source quotes nothing: translate only the source's text, with no notes and no quotation marks."
            ),
            "season_added" => format!(
                "the source names no season {ev}: name only the seasons the source names."
            ),
            "gender_changed" => format!(
                "{ev}: the source says whom the product is for otherwise. Keep it for the same buyers (men, women, or both) as the source."
            ),
            "animal_added" => format!(
                "the source does not name {ev}: keep the animal the source names (a cat's product stays a cat's) and add none."
            ),
            "age_changed" => format!(
                "{ev}: the source says otherwise whether the product is for children or adults. Keep it for the same buyers as the source, and add no age group."
            ),
            "language_added" => format!(
                "the source does not name the language {ev}: name the language the source names (a manual, an interface or a voice in Chinese stays in Chinese), or none."
            ),
            "range_mixed" => format!(
                "{ev} are two different things (quantities, or a name and a quantity), not the ends of a range: give each on its own, as the source does."
            ),
            "claim_added" => format!(
                "the source does not claim {ev}: name only the certifications, ratings and functions the source names."
            ),
            "connectivity_added" => format!(
                "the source does not name {ev}: keep the wireless technology the source names (Bluetooth, Wi-Fi, NFC …) and add none."
            ),
            "measure_renamed" => format!(
                "the source gives that number as {ev}: name each measurement as the source does."
            ),
            "mark_added" => format!(
                "the source names no {ev}: write the brands the source names, as it names them, and add none."
            ),
            "load_lost" => format!(
                "the source gives {ev} as the most it holds (a load capacity): say so, as the source does."
            ),
            "dimension_changed" => format!(
                "the source gives {ev}: name each measurement (length, width, height, thickness, diameter, depth) as the source does."
            ),
            "unit_without_number" => format!(
                "{ev} stands with no number before it: write each measurement with its number as the source gives it, and add none."
            ),
            "braces_added" => format!(
                "{ev}: the source has no such braces. Write those words without braces; only placeholders such as {{1}} are copied with theirs."
            ),
            "terminology" | "glossary_violation" if !self.evidence.is_empty() => {
                format!("use the term {ev}.")
            }
            _ => return None,
        })
    }
}

/// Thresholds of the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOptions {
    /// Mean token log-probability below which a generation is `low_confidence`.
    pub min_mean_logprob: f32,
    /// Output/source length ratio bounds for same-script pairs.
    pub length_ratio: (f32, f32),
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            min_mean_logprob: -1.6,
            length_ratio: (0.4, 2.6),
        }
    }
}

/// Everything the checks look at for one translated segment.
#[derive(Debug, Clone)]
pub struct SegmentCheck<'a> {
    /// Source text with placeholders.
    pub source_protected: &'a str,
    /// Source text with spans as they should come back (converted units …).
    pub source_expected: &'a str,
    /// Model output with placeholders (before restoring).
    pub output_raw: &'a str,
    /// Restored output.
    pub output: &'a str,
    /// Placeholder problems from restoring.
    pub span_issues: &'a [SpanIssue],
    /// The segment's protected spans (their texts may appear literally).
    pub spans: &'a [Span],
    /// Other texts the output may hold as written (in any case): the seller's
    /// glossary targets for this segment and the built-in terminology's
    /// translations of its terms (English words in them are no leftovers).
    pub literal: &'a [&'a str],
    /// Source language.
    pub source_lang: &'a str,
    /// Target language.
    pub target_lang: &'a str,
    /// Mean log-probability of the generated tokens, when a model wrote it.
    pub mean_logprob: Option<f32>,
}

/// Words of the prompt's and the retries' instructions in the languages
/// silkroute writes, which no product text says: "placeholder" ("copy every
/// placeholder such as {1}"), "copy exactly" and "negation" ("with a negation
/// such as \"do not\""). A Japanese bullet of a flower pot came back as the
/// retry's instruction in Japanese ("数字と測定値は、プレースホルダ…から
/// コピーして…"), a drill's "无刷电机，寿命更长，效率高30%" in Spanish as "No
/// se pueden usar números ni medidas reales; deben copiar exactamente cada
/// una de las siguientes: 30%", and a French care rule as "Le rappel doit
/// être conservé, avec une négation comme …".
#[rustfmt::skip]
const INSTRUCTION_WORDS: &[&str] = &[
    "copy every", "copy exactly", "copiar exactamente", "copier exactement",
    "copiare esattamente", "exakt kopieren", "genau kopieren", "copiar exatamente",
    "precies kopiëren", "dokładnie skopiuj", "skopiuj dokładnie", "точно скопир",
    "tam olarak kopyala", "sao chép chính xác", "salin persis", "正確にコピー", "准确复制",
    "정확히 복사",
    "negation", "négation", "negación", "negazione", "negação", "negatie", "negacj",
    "отрицани", "phủ định", "否定词", "否定語", "부정어", "การปฏิเสธ",
    // "numbers and measurements must come only from the placeholders": a
    // down jacket's Korean bullet came back "90%의 숫자와 측정값은 반드시 650에서
    // 복사하여 작성하지 마세요".
    "numbers and measurements", "zahlen und maße", "zahlen und messwerte",
    "nombres et mesures", "chiffres et mesures", "números y medidas", "números ni medidas",
    "números e medidas", "numeri e misure", "getallen en metingen", "cijfers en maten",
    "liczby i pomiary", "liczby i miary", "числа и измерения", "цифры и измерения",
    "sayılar ve ölçümler", "angka dan pengukuran", "nombor dan ukuran", "số và phép đo",
    "数字と測定値", "数字和测量", "숫자와 측정", "ตัวเลขและการวัด", "الأرقام والقياسات",
    "placeholder",
    "プレースホルダ",
    "占位符",
    "platzhalter",
    "espace réservé",
    "marcador de posición",
    "segnaposto",
    "espaço reservado",
    "заполнител",
    "عنصر نائب",
    "자리 표시자",
    "플레이스홀더",
    "trình giữ chỗ",
    "ตัวยึดตำแหน่ง",
    "tempat penampung",
    "pemegang tempat",
    "symbol zastępczy",
    "tijdelijke aanduiding",
    "yer tutucu",
];

/// Words of the prompt's instructions ([`INSTRUCTION_WORDS`]) in `output` that
/// `source` does not have (case-insensitive).
pub fn instruction_words(source: &str, output: &str) -> Vec<String> {
    let (src, out) = (source.to_lowercase(), output.to_lowercase());
    INSTRUCTION_WORDS
        .iter()
        .filter(|w| out.contains(*w) && !src.contains(*w))
        .map(|w| w.to_string())
        .collect()
}

/// What an assistant says about the task and no product text does: a word of
/// translating, or an apology, in the languages silkroute writes. An Arabic
/// title of a dash camera came back ending "عذراً، لا أستطيع ترجمة هذا عنوان"
/// ("Sorry, I cannot translate this title"). Lower case; matched as parts of
/// words. Forms that are also product words are left out: Russian "перев…"
/// (перевернуть, to turn over), Turkish "çevir" (to turn), Vietnamese "dịch"
/// alone (dịch vụ, service), Thai "แปล" (แปลง, to convert).
const ASSISTANT_WORDS: &[&str] = &[
    "translat",
    "sorry",
    "as an ai",
    "übersetz",
    "entschuldig",
    "tradu",
    "désolé",
    "lo siento",
    "mi dispiace",
    "desculp",
    "翻訳",
    "申し訳",
    "翻译",
    "抱歉",
    "对不起",
    "не могу перевести",
    "извин",
    "ترجم",
    "عذرا",
    "عذراً",
    "آسف",
    "번역",
    "죄송",
    "xin lỗi",
    "bản dịch",
    "không thể dịch",
    "ขออภัย",
    "คำแปล",
    "การแปล",
    "terjemah",
    "maaf",
    "tłumacz",
    "przepraszam",
    "przykro mi",
    "vertaal",
    "tercüme",
    "çeviri",
    "üzgünüm",
];

/// Words an assistant says about the task ([`ASSISTANT_WORDS`]) in `output`
/// when `source` has none of them: a source about translating (a translator
/// device, "翻译机") may be translated with such words.
pub fn assistant_words(source: &str, output: &str) -> Vec<String> {
    let (src, out) = (source.to_lowercase(), output.to_lowercase());
    if ASSISTANT_WORDS.iter().any(|w| src.contains(w)) {
        return Vec::new();
    }
    ASSISTANT_WORDS
        .iter()
        .filter(|w| out.contains(*w))
        .map(|w| w.to_string())
        .collect()
}

/// The words before a colon that an attribute value's translation has and
/// its source does not: a label the model put before the value, imitating
/// the worked examples' "Name: value" ("PLA" came back in Russian as "…ное
/// значение: PLA", under the attribute name "Материал"). A value rarely has a
/// colon of its own; where the source has one (a ratio, "16:9"), nothing is
/// read. The built-in bank's attribute values, derived ones included: 0 of
/// 2,006 has one the source lacks.
pub fn value_label(source: &str, output: &str) -> Option<String> {
    let colon = |c: char| matches!(c, ':' | '：');
    if source.contains(colon) {
        return None;
    }
    let (head, _) = output.split_once(colon)?;
    let head = head.trim();
    (!head.is_empty()).then(|| head.to_string())
}

/// Three placeholders or more heaped together, joined by nothing or a
/// hyphen ("{1}-{2}-{3}"), that the source keeps apart: the model has put
/// every number at the end to pass the number checks, not where each belongs
/// (a shower head's title ended "Interface 水韵-30%-G1/2": the brand, its
/// water saving and its thread in one word). Returns each heap.
pub fn placeholders_heaped(source: &str, output: &str) -> Vec<String> {
    static HEAP: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\{\d+\}(?:[-–_+]?\{\d+\}){2,}").expect("static regex"));
    static ONE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\{\d+\}").expect("static regex"));
    // Where the source has placeholders side by side (at most two
    // characters and no letter between them), they may stay so.
    let together = |a: &str, b: &str| {
        source.match_indices(a).any(|(i, _)| {
            let rest = &source[i + a.len()..];
            rest.char_indices()
                .take(3)
                .take_while(|(_, c)| !c.is_alphanumeric() || *c == '{')
                .any(|(j, _)| rest[j..].starts_with(b))
        })
    };
    HEAP.find_iter(output)
        .filter(|m| {
            let ids: Vec<&str> = ONE.find_iter(m.as_str()).map(|p| p.as_str()).collect();
            ids.windows(2).any(|w| !together(w[0], w[1]))
        })
        .map(|m| m.as_str().to_string())
        .collect()
}

/// The span a placeholder as the model wrote it (`{1}`, `{ 1 }`) stands for.
fn span_of<'a>(placeholder: &str, spans: &'a [Span]) -> Option<&'a Span> {
    placeholder
        .trim_matches(|c: char| c == '{' || c == '}' || c.is_whitespace())
        .parse::<usize>()
        .ok()
        .and_then(|i| spans.get(i.wrapping_sub(1)))
}

/// Run every check on one segment.
pub fn check_segment(c: &SegmentCheck<'_>, opts: &CheckOptions) -> Vec<Finding> {
    let mut f = Vec::new();
    if !c.span_issues.is_empty() {
        let msg: Vec<String> = c.span_issues.iter().map(|i| i.to_string()).collect();
        f.push(Finding::error("placeholder_missing", msg.join("; ")));
    }
    f.extend(numbers(c.source_expected, c.output));
    f.extend(unknown_units(c.source_expected, c.output));
    let missing = super::spans::missing_units(
        c.source_protected,
        c.output_raw,
        c.spans,
        c.source_lang,
        c.target_lang,
    );
    if !missing.is_empty() {
        f.push(
            Finding::error(
                "unit_missing",
                format!(
                    "the unit the source gives a number is missing: {}",
                    missing.join(", ")
                ),
            )
            .with_evidence(missing),
        );
    }
    let added = super::spans::added_units(c.source_protected, c.output_raw, c.spans, c.target_lang);
    if !added.is_empty() {
        f.push(
            Finding::error(
                "unit_added",
                format!(
                    "a unit the source does not give that number: {}",
                    added.join(", ")
                ),
            )
            .with_evidence(added),
        );
    }
    // A quantity's unit is written in the target language ("6,1 pulgadas"):
    // without it a short sentence may read as another.
    let text = PLACEHOLDER.replace_all(c.output_raw, |m: &regex::Captures| {
        match span_of(&m[0], c.spans) {
            Some(s) if s.kind == super::spans::SpanKind::Quantity => format!(" {} ", s.restore),
            _ => " ".to_string(),
        }
    });
    if let Some(x) = wrong_language(&text, c.target_lang) {
        f.push(x);
    }
    let labels = language::data().labels(&[c.target_lang, c.source_lang]);
    let leaked = language::leaked_labels(c.output_raw, c.source_protected, &labels);
    if !leaked.is_empty() {
        f.push(
            Finding::error(
                "label_leaked",
                format!("prompt label in the text: {}", leaked.join(", ")),
            )
            .with_evidence(leaked),
        );
    }
    let told = instruction_words(c.source_protected, c.output_raw);
    if !told.is_empty() {
        f.push(
            Finding::error(
                "instruction_leaked",
                format!(
                    "words of the prompt's instructions in the text: {}",
                    told.join(", ")
                ),
            )
            .with_evidence(told),
        );
    }
    let said = assistant_words(c.source_protected, c.output_raw);
    if !said.is_empty() {
        f.push(
            Finding::error(
                "assistant_reply",
                format!(
                    "words of an assistant, not of the source: {}",
                    said.join(", ")
                ),
            )
            .with_evidence(said),
        );
    }
    // A mark the listing names elsewhere (its own brand, a car a bullet
    // names) is among the segment's literal texts: the model writing it where
    // this segment's source does not is no invented brand.
    let marks: Vec<String> = super::marks::added(c.source_expected, c.output)
        .into_iter()
        .filter(|m| !c.literal.contains(&m.as_str()))
        .collect();
    if !marks.is_empty() {
        f.push(
            Finding::error(
                "mark_added",
                format!("a brand the source does not name: {}", marks.join(", ")),
            )
            .with_evidence(marks),
        );
    }
    let parted = multiplier_parted(c.source_protected, c.output_raw, c.spans);
    if !parted.is_empty() {
        f.push(
            Finding::error(
                "multiplier_parted",
                format!(
                    "a multiplier stands alone, parted from the quantity it multiplies: {}",
                    parted.join(", ")
                ),
            )
            .with_evidence(parted),
        );
    }
    let glued = glued_to_code(c.source_expected, c.output, c.spans);
    if !glued.is_empty() {
        f.push(
            Finding::error(
                "code_glued",
                format!(
                    "letters glued to a kept name or quantity, a word the source does not have: {}",
                    glued.join(", ")
                ),
            )
            .with_evidence(glued),
        );
    }
    let bare = super::spans::bare_units(c.source_expected, c.output);
    if !bare.is_empty() {
        f.push(
            Finding::error(
                "unit_without_number",
                format!("a unit with no number before it: {}", bare.join(", ")),
            )
            .with_evidence(bare),
        );
    }
    let braces = braces_added(c.source_expected, c.output);
    if !braces.is_empty() {
        f.push(
            Finding::error(
                "braces_added",
                format!("braces the source does not have: {}", braces.join(", ")),
            )
            .with_evidence(braces),
        );
    }
    let heaped = placeholders_heaped(c.source_protected, c.output_raw);
    if !heaped.is_empty() {
        let shown: Vec<String> = heaped.iter().map(|h| with_originals(h, c.spans)).collect();
        f.push(
            Finding::error(
                "placeholders_heaped",
                format!(
                    "numbers heaped together, not where the source gives them: {}",
                    shown.join(", ")
                ),
            )
            .with_evidence(heaped),
        );
    }
    let skip: Vec<&str> = c
        .spans
        .iter()
        .flat_map(|s| [s.original.as_str(), s.restore.as_str()])
        .chain(c.literal.iter().copied())
        .collect();
    if let Some(x) = super::untranslated::untranslated(
        c.source_protected,
        c.output_raw,
        c.source_lang,
        c.target_lang,
        &skip,
    ) {
        f.push(x);
    }
    if let Some(x) = acronyms_missing(c.source_protected, c.output_raw) {
        f.push(x);
    }
    // A name with a number in it is written with the number, not its
    // placeholder ("iPhone 15 Pro Max", not "iPhone {1} Pro Max"); so is a
    // number whose limit is lost.
    let originals = |mut x: Finding| {
        x.evidence = x
            .evidence
            .iter()
            .map(|e| with_originals(e, c.spans))
            .collect();
        x.message = with_originals(&x.message, c.spans);
        x
    };
    let (src, out, sl, tl) = (
        c.source_protected,
        c.output_raw,
        c.source_lang,
        c.target_lang,
    );
    // A measurement is no part of a name: "Micro USB {3}" ({3} = "3A") may
    // come back "Micro USB, {3}" ("Micro USB, 3 A").
    let measured =
        PLACEHOLDER.replace_all(src, |m: &regex::Captures| match span_of(&m[0], c.spans) {
            Some(s)
                if s.kind == super::spans::SpanKind::Quantity
                    && !super::spans::span_units(s).is_empty() =>
            {
                "|".to_string()
            }
            _ => m[0].to_string(),
        });
    if let Some(x) = names_missing(&measured, out, sl, tl) {
        f.push(originals(x));
    }
    if let Some(x) = versions_unnamed(src, out, c.spans) {
        f.push(x);
    }
    if let Some(x) = limits_lost(src, out, sl, tl) {
        f.push(originals(x));
    }
    if let Some(x) = limits_added(src, out, sl, tl) {
        f.push(originals(x));
    }
    // A quantity given as a property it does not measure, where the source
    // does not give it so itself ("超长续航 5000mAh" is the seller's own).
    let props = super::property::mismatched(c.output, tl);
    if !props.is_empty() && super::property::mismatched(c.source_expected, sl).is_empty() {
        f.push(
            Finding::warning(
                "property_mismatch",
                format!(
                    "a quantity is given as a property its unit does not measure: {}",
                    props.join("; ")
                ),
            )
            .with_evidence(props),
        );
    }
    let sets = super::pieces::as_sets(c.source_expected, c.output, tl);
    if !sets.is_empty() {
        f.push(
            Finding::error(
                "pieces_as_sets",
                format!(
                    "a count of pieces is written as a count of sets or packs: {}",
                    sets.join(", ")
                ),
            )
            .with_evidence(sets),
        );
    }
    let approx = super::approx::lost(src, out, sl, tl);
    if !approx.is_empty() {
        f.push(originals(
            Finding::warning(
                "approximation_lost",
                format!(
                    "a number the source gives as approximate is given as exact: {}",
                    approx.join(", ")
                ),
            )
            .with_evidence(approx),
        ));
    }
    if let Some(x) = lights_swapped(c.source_expected, c.output, sl, tl) {
        f.push(x);
    }
    if let Some(x) = ranges_reversed(src, out, c.spans) {
        f.push(x);
    } else if let Some(x) = ranges_mixed(src, out, c.spans) {
        f.push(x);
    }
    if let Some(x) = rate_units_missing(
        c.source_protected,
        c.output_raw,
        c.source_lang,
        c.target_lang,
    ) {
        f.push(x);
    }
    if let Some(x) = rate_denominators_lost(c.source_expected, c.output) {
        f.push(x);
    }
    let per = super::spans::per_unit_lost(
        c.source_protected,
        c.output_raw,
        c.source_lang,
        c.target_lang,
    );
    if !per.is_empty() {
        f.push(
            Finding::error(
                "rate_unit_missing",
                format!(
                    "the unit of a rate of the source is missing: {}",
                    per.join(", ")
                ),
            )
            .with_evidence(per),
        );
    }
    if let Some(x) = number_words_added(c.source_protected, c.spans, c.output_raw, c.target_lang) {
        f.push(x);
    }
    if let Some(x) = cjk_counts_missing(c.source_protected, c.source_lang, c.output, c.target_lang)
    {
        f.push(x);
    }
    if let Some(x) = pair_counts_changed(c.source_expected, c.source_lang, c.output, c.target_lang)
    {
        f.push(x);
    }
    if let Some(x) = length_ratio(
        c.source_protected,
        c.output_raw,
        c.source_lang,
        c.target_lang,
        opts,
    ) {
        f.push(x);
    }
    if let Some(x) = repetition_loop(c.source_protected, c.output_raw) {
        f.push(x);
    }
    if let Some(x) = broken_characters(c.source_protected, c.output_raw) {
        f.push(x);
    }
    if let Some(lp) = c.mean_logprob
        && lp < opts.min_mean_logprob
    {
        f.push(Finding::error(
            "low_confidence",
            format!(
                "mean token log-probability {lp:.2} is below {:.2}",
                opts.min_mean_logprob
            ),
        ));
    }
    f
}

/// Characters of the output that are no text: U+FFFD, where the model wrote
/// bytes that are no UTF-8 (a byte-level model can start a character and not
/// finish it: "Großečker\u{fffd}en"), and control characters, unless the
/// source has them too. Each is a word the seller cannot publish.
pub fn broken_characters(source: &str, output: &str) -> Option<Finding> {
    let broken = |c: char| {
        c == char::REPLACEMENT_CHARACTER || c.is_control() && !matches!(c, '\n' | '\t' | '\r')
    };
    let found: Vec<String> = output
        .split_whitespace()
        .filter(|w| w.chars().any(|c| broken(c) && !source.contains(c)))
        .map(|w| {
            w.chars()
                .map(|c| {
                    if c.is_control() {
                        c.escape_unicode().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect();
    (!found.is_empty()).then(|| {
        Finding::error(
            "broken_character",
            format!("characters that are no text: {}", found.join(", ")),
        )
        .with_evidence(found)
    })
}

/// Acronyms that languages translate or write out ("EU" is "UE" in French and
/// Spanish, "TV" テレビ, "AC adapter" "adaptateur secteur"): no check.
const TRANSLATED_ACRONYMS: [&str; 19] = [
    "EU", "US", "USA", "UK", "UN", "TV", "PC", "AC", "DC", "ID", "OK", "DIY", "FAQ", "VAT",
    // Wi-Fi, Ethernet, induction heating (IH調理器), mountain bike (VTT).
    "WLAN", "LAN", "IH", "VTT", "MTB",
];

/// Acronyms that are common English words by frequency (so the shouting rule
/// of [`acronyms_missing`] would let them go) but that every language writes as
/// they are in a listing: materials, connectors, standards. "Free of PVC" came
/// back "Libre d'acrylique", unflagged. Not those a language may write out or
/// in its own script (`UV` 紫外線, `LCD` 液晶, `SSD`, `RAM`, `ANC`, `TF`, `WIFI`
/// "WLAN").
const KEPT_ACRONYMS: [&str; 21] = [
    "PVC", "ABS", "EVA", "PU", "PE", "PP", "USB", "HDMI", "LED", "GPS", "NFC", "SD", "CE", "FCC",
    "ISO", "TSA", "SIM", "DVD", "LAN", "AUX", "LTE",
];

/// A word of capitals (two to eight letters, not joined to another word by a
/// hyphen or a digit).
static ACRONYM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Z]{2,8}").expect("static regex"));

/// Acronyms of the source left out of the translation: every language writes
/// `TSA`, `UVA`, `AMOLED`, `BPA` as they are, and a small model shortens or
/// drops them ("AMOLED" came back "OLED", "UVA and UVB" "UV y UVB", both
/// unflagged: a changed fact the number checks cannot see). Acronyms that are
/// common English words are checked only when [`KEPT_ACRONYMS`] has them: the
/// common-words list holds the words a listing shouts (`NEW`, `FREE`, `HOT`) but
/// also acronyms every reader knows (`USB`, `PVC`, `LED`, `TSA`); neither are
/// acronyms that languages translate ([`TRANSLATED_ACRONYMS`]), nor a source
/// written mostly in capitals. Found in the output without regard to case or
/// full-width letters (`ＵＳＢ`).
pub fn acronyms_missing(source: &str, output: &str) -> Option<Finding> {
    // Chinese and Japanese write the next word without a space: "PP塑料"
    // (PP plastic) is the acronym PP, which came back "Plastik nhựa".
    let word = |c: char| c.is_alphanumeric() && !script::is_cjk(c) || c == '-';
    let found: Vec<&str> = ACRONYM
        .find_iter(source)
        .filter(|m| !source[..m.start()].ends_with(word) && !source[m.end()..].starts_with(word))
        .map(|m| m.as_str())
        .collect();
    let latin_words = source
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
        .count();
    if found.is_empty() || (found.len() >= 3 && found.len() * 2 >= latin_words) {
        return None;
    }
    // A warning written in capitals ("ADVERTENCIA: RIESGO DE ASFIXIA"): a
    // word of nine capitals or more is no acronym, and the words of five or
    // more beside it are words too.
    let shouting = source
        .split(|c: char| !c.is_alphabetic())
        .any(|w| w.chars().count() >= 9 && w.chars().all(char::is_uppercase));
    let found: Vec<&str> = found
        .into_iter()
        .filter(|a| !(shouting && a.len() >= 5))
        .collect();
    let out: String = output
        .chars()
        .map(|c| match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            c => c,
        })
        .collect::<String>()
        .to_uppercase();
    let has = |a: &str| {
        out.match_indices(a).any(|(i, _)| {
            // Digits may touch it ("56HRC" in Japanese), letters may not,
            // but for a plural "s" ("LEDs").
            let rest = &out[i + a.len()..];
            let rest = rest.strip_prefix('S').unwrap_or(rest);
            !out[..i].ends_with(|c: char| c.is_ascii_alphabetic())
                && !rest.starts_with(|c: char| c.is_ascii_alphabetic())
        })
    };
    let mut gone: Vec<String> = Vec::new();
    for a in found {
        if TRANSLATED_ACRONYMS.contains(&a)
            || super::language::common_english(a) && !KEPT_ACRONYMS.contains(&a)
            || has(a)
            || gone.iter().any(|g| g == a)
        {
            continue;
        }
        gone.push(a.to_string());
    }
    if gone.is_empty() {
        return None;
    }
    Some(
        Finding::error(
            "acronym_missing",
            format!("acronyms of the source missing: {}", gone.join(", ")),
        )
        .with_evidence(gone),
    )
}

/// Latin words of a Chinese, Japanese or Korean source left out of, or changed
/// in, a translation into a language written in Latin letters. In such a source
/// a word in Latin letters is a name the seller writes so (a material, a
/// series, a standard: "Tritan材质", "FreeBuds", "Type-C接口"), to be kept as
/// written; a small model turned "Tritan" into "Titanate", unflagged. Words of
/// fewer than three letters, all-capital acronyms ([`acronyms_missing`]
/// checks those) and common English words ("App", "mini", "Pro", which a
/// translation may put in lower case or drop) are not checked. Found without
/// regard to case, a hyphen as a space or nothing ("Type C", "TypeC").
pub fn names_missing(
    source: &str,
    output: &str,
    src_lang: &str,
    tgt_lang: &str,
) -> Option<Finding> {
    static LATIN_WORD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*").expect("static regex")
    });
    if !crate::listing::is_cjk_language(src_lang) || !language::data().writes_only_latin(tgt_lang) {
        return None;
    }
    let source_with_placeholders = source;
    let source = strip_placeholders(source);
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    // The output's Latin words, and each run of two or three of them joined,
    // squashed ("Type C" and "Type-C" are both "typec").
    let words: Vec<String> = LATIN_WORD
        .find_iter(output)
        .map(|m| squash(m.as_str()))
        .collect();
    let mut found: HashSet<String> = HashSet::new();
    for n in 1..=3 {
        for w in words.windows(n) {
            found.insert(w.concat());
        }
    }
    // And each part of a hyphenated compound ("LiFePO4-Akku", "microSD-Karten").
    for m in LATIN_WORD.find_iter(output) {
        if m.as_str().contains('-') {
            found.extend(m.as_str().split('-').map(squash));
        }
    }
    let mut gone: Vec<String> = Vec::new();
    for m in LATIN_WORD.find_iter(&source) {
        let w = m.as_str();
        let letters = w.chars().filter(char::is_ascii_alphabetic).count();
        // Part of a longer Latin token ("3A", "x12x8cm" in a dimension), or
        // no name.
        if letters < 3
            || source[..m.start()].ends_with(|c: char| c.is_ascii_alphanumeric())
            || ACRONYM.find(w).is_some_and(|a| a.len() == w.len())
            || (w.split(['-', '\'']).all(super::language::common_english) && !mixed_case(w))
            || found.contains(&squash(w))
            || translated_kind(w, output)
            || gone.iter().any(|g| g == w)
        {
            continue;
        }
        gone.push(w.to_string());
    }
    let runs: Vec<String> = name_runs_broken(source_with_placeholders, output)
        .into_iter()
        .filter(|r| !gone.iter().any(|g| r.contains(g.as_str())))
        .collect();
    gone.extend(runs);
    (!gone.is_empty()).then(|| {
        Finding::error(
            "name_missing",
            format!("names of the source missing: {}", gone.join(", ")),
        )
        .with_evidence(gone)
    })
}

/// A word with a capital after a small letter ("iPad", "AirPods", "eBay"): a
/// name as its maker writes it, whatever English word it also spells.
fn mixed_case(w: &str) -> bool {
    w.chars()
        .zip(w.chars().skip(1))
        .any(|(a, b)| a.is_lowercase() && b.is_uppercase())
}

/// `output` with the source's names written as the source writes them, where
/// the output has them in other capitals: a Turkish title had "iPad" as
/// "İPad" (Turkish capitals give i a dot), which neither the seller nor a
/// buyer's search writes. Only names with a capital after a small letter
/// ([`mixed_case`]: "iPad", "AirPods"), whose case is the maker's; a word
/// capitalised at the start of a sentence ("Usb") is left to the other
/// checks. `None` when nothing changed.
pub fn names_recased(source: &str, output: &str) -> Option<String> {
    static WORD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[\p{L}\p{N}]+(?:[-'][\p{L}\p{N}]+)*").expect("static regex"));
    let fold = |w: &str| -> String {
        w.chars()
            .map(|c| match c {
                'İ' | 'ı' => 'i',
                c => c,
            })
            .flat_map(char::to_lowercase)
            .collect()
    };
    let names: Vec<&str> = WORD
        .find_iter(source)
        .map(|m| m.as_str())
        .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()) && mixed_case(w))
        .collect();
    if names.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(output.len());
    let mut last = 0;
    for m in WORD.find_iter(output) {
        let w = m.as_str();
        if let Some(name) = names.iter().find(|n| **n != w && fold(n) == fold(w)) {
            out.push_str(&output[last..m.start()]);
            out.push_str(name);
            last = m.end();
        }
    }
    if last == 0 {
        return None;
    }
    out.push_str(&output[last..]);
    Some(out)
}

/// A name of a common English word and one letter or digit ("Type-C",
/// "Type A") that `output` writes with the word translated, the letter kept
/// ("Typ-C" in German, "Tipo C" in Spanish).
fn translated_kind(name: &str, output: &str) -> bool {
    let Some((word, tail)) = name.rsplit_once(['-', ' ']) else {
        return false;
    };
    if !super::language::common_english(word) || tail.chars().count() != 1 {
        return false;
    }
    // The letter as a word of its own, after a space or hyphen that follows
    // two letters.
    output.match_indices(tail).any(|(i, _)| {
        let mut before = output[..i].chars().rev();
        matches!(before.next(), Some('-' | ' '))
            && before.take(2).filter(|c| c.is_alphabetic()).count() == 2
            && !output[i + tail.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
    })
}

/// The model names of a CJK source written as a run of Latin words and numbers
/// ("iPhone 15 Pro Max", "Galaxy S24 Ultra", "{1}") that the translation
/// breaks up: each word is there, but the run is not, as one name, in order
/// ("iPhone 15, Pro, Max"). Case, spaces and hyphens between the parts do not
/// matter. A run counts where it has a number (or a placeholder) and a
/// capitalised word that is no acronym ("iPhone", "Pro") or a code, a letter
/// then digits ("S24"); words in lower case end it. Only
/// runs whose every word the translation has are judged: one with a word
/// translated ("Fits iPhone 15" → "Passend für iPhone 15") is not broken up.
fn name_runs_broken(source: &str, output: &str) -> Vec<String> {
    static ITEM: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:\{\d+\}|[A-Za-z0-9])(?:[A-Za-z0-9'-]|\{\d+\})*").expect("static regex")
    });
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '‐' | '–' | '_'))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let numbered = |w: &str| w.contains(|c: char| c.is_ascii_digit());
    let in_run = |w: &str| numbered(w) || w.contains(|c: char| c.is_ascii_uppercase());
    // A capitalised word that is no acronym ("iPhone", "Pro"), or a code
    // ("S24").
    let name_like = |w: &str| {
        let letters = w.chars().filter(char::is_ascii_alphabetic).count();
        !w.starts_with('{')
            && (letters >= 2
                && w.contains(|c: char| c.is_ascii_uppercase())
                && w.contains(|c: char| c.is_ascii_lowercase())
                || w.starts_with(|c: char| c.is_ascii_alphabetic()) && numbered(w))
    };
    // Runs: items joined by one space, none of them a word in lower case.
    let mut runs: Vec<Vec<&str>> = Vec::new();
    let mut last_end: Option<usize> = None;
    for m in ITEM.find_iter(source) {
        let w = m.as_str();
        let glued = source[..m.start()].ends_with(|c: char| c.is_ascii_alphanumeric());
        if glued || !in_run(w) {
            last_end = None;
            continue;
        }
        match (last_end, runs.last_mut()) {
            (Some(e), Some(run)) if &source[e..m.start()] == " " => run.push(w),
            _ => runs.push(vec![w]),
        }
        last_end = Some(m.end());
    }
    let out = squash(output);
    let out_words: HashSet<String> = ITEM
        .find_iter(output)
        .map(|m| m.as_str().to_lowercase())
        .collect();
    let mut broken = Vec::new();
    for run in runs {
        // A run with a word the translation does not have is not broken up
        // but translated in part ("Fits"), which the words' own check judges.
        if run.len() < 2
            || !run.iter().any(|w| numbered(w))
            || !run.iter().any(|w| name_like(w))
            || !run.iter().all(|w| out_words.contains(&w.to_lowercase()))
        {
            continue;
        }
        let name = run.join(" ");
        if !out.contains(&squash(&name)) && !broken.contains(&name) {
            broken.push(name);
        }
    }
    broken
}

/// Words that say "per" before a time unit, per source language (a CJK source
/// writes 每 or 毎 in front of the unit, or a slash after a counted word).
const PER_WORDS: [(&str, &[&str]); 5] = [
    ("en", &["per", "every", "each"]),
    ("de", &["pro", "je", "jede", "jeden", "jedes"]),
    ("fr", &["par", "chaque"]),
    ("es", &["por", "cada"]),
    ("it", &["al", "alla", "ogni", "per"]),
];

/// Words that name a time unit's rate in one word, per target language
/// ("daily" is per day, "rpm" per minute), beside the unit names of
/// `markets/units.toml`.
const RATE_WORDS: [(&str, &[(&str, &str)]); 10] = [
    (
        "en",
        &[
            ("daily", "day"),
            ("weekly", "week"),
            ("monthly", "month"),
            ("yearly", "year"),
            ("annual", "year"),
            ("rpm", "min"),
            ("bpm", "min"),
        ],
    ),
    (
        "de",
        &[
            ("täglich", "day"),
            ("wöchentlich", "week"),
            ("monatlich", "month"),
            ("jährlich", "year"),
            ("stündlich", "h"),
        ],
    ),
    (
        "fr",
        &[
            ("quotidien", "day"),
            ("hebdomadaire", "week"),
            ("mensuel", "month"),
            ("annuel", "year"),
            ("tr/min", "min"),
        ],
    ),
    (
        "es",
        &[
            ("diari", "day"),
            ("semanal", "week"),
            ("mensual", "month"),
            ("anual", "year"),
            ("rpm", "min"),
        ],
    ),
    (
        "it",
        &[
            ("giornalier", "day"),
            ("quotidian", "day"),
            ("settimanal", "week"),
            ("mensil", "month"),
            ("annual", "year"),
        ],
    ),
    (
        "pt",
        &[
            ("diári", "day"),
            ("semanal", "week"),
            ("mensal", "month"),
            ("anual", "year"),
            ("rpm", "min"),
        ],
    ),
    (
        "nl",
        &[
            ("dagelijks", "day"),
            ("wekelijks", "week"),
            ("maandelijks", "month"),
            ("jaarlijks", "year"),
        ],
    ),
    (
        "ja",
        &[
            ("毎時", "h"),
            ("時速", "h"),
            ("毎月", "month"),
            ("月額", "month"),
        ],
    ),
    (
        "zh",
        &[
            ("每日", "day"),
            ("日均", "day"),
            ("每月", "month"),
            ("月均", "month"),
            ("时速", "h"),
        ],
    ),
    (
        "ko",
        &[
            ("매월", "month"),
            ("매시", "h"),
            ("하루", "day"),
            ("매일", "day"),
            ("매주", "week"),
            ("매년", "year"),
        ],
    ),
];

/// The time units a rate has: the names of `markets/units.toml` (and its
/// symbols), by unit id.
const RATE_UNITS: [&str; 7] = ["s", "min", "h", "day", "week", "month", "year"];

/// A rate's time unit of the source missing from, or changed in, the
/// translation: "每分钟7000次声波震动" came back "7000 sonic vibrations per
/// second", unflagged, because the number and its count were right and the
/// minute has no number of its own. A rate is a time unit after "per" (每 or
/// 毎 in a Chinese or Japanese source, "per", "every", "each" in English and
/// their like in German, French, Spanish and Italian) or after a slash that
/// follows a word or a placeholder ("次/分钟", "{1}/min"); a time unit after a
/// number is a quantity, which the placeholders and `unit_missing` check. The
/// translation must name the same unit: one of its names or symbols in the
/// target language, or a word such as "daily", "rpm", "monatlich". Nothing is
/// checked into a language the unit table has no names of that unit for.
pub fn rate_units_missing(
    source: &str,
    output: &str,
    src_lang: &str,
    tgt_lang: &str,
) -> Option<Finding> {
    let src = crate::listing::base_language(src_lang);
    let tgt = crate::listing::base_language(tgt_lang);
    if src == tgt {
        return None;
    }
    let table = units::table();
    let names = |u: &units::Unit, lang: &str| u.names_in(lang);
    // The source's rate units, with the words that say so. `lower` keeps the
    // source's byte offsets: a letter whose lower case is longer or shorter
    // ("İ" is two characters in lower case) stays as written.
    let lower: String = source
        .chars()
        .map(|c| {
            let l: String = c.to_lowercase().collect();
            if l.len() == c.len_utf8() {
                l
            } else {
                c.to_string()
            }
        })
        .collect();
    let cjk = crate::listing::is_cjk_language(src);
    let mut rates: Vec<(&str, String)> = Vec::new();
    // Each unit's names in the source language, longest first (个小时 before
    // 小时), and for a CJK source the one-character forms that follow 每
    // ("每日", "每月", "毎時", Japanese "毎分").
    let mut src_names: Vec<(String, &str)> = Vec::new();
    for id in RATE_UNITS {
        let Some(u) = table.get(id) else { continue };
        for n in names(u, src) {
            src_names.push((n, id));
        }
        if !cjk {
            for s in &u.symbols {
                src_names.push((s.to_lowercase(), id));
            }
        }
    }
    if cjk {
        for (n, id) in [("日", "day"), ("月", "month"), ("时", "h"), ("時", "h")] {
            src_names.push((n.to_string(), id));
        }
        if src == "ja" {
            src_names.push(("分".to_string(), "min"));
        }
    }
    src_names.sort_by_key(|(n, _)| std::cmp::Reverse(n.chars().count()));
    let unit_at = |rest: &str| -> Option<(&str, usize)> {
        src_names.iter().find_map(|(n, id)| {
            let tail = rest.strip_prefix(n.as_str())?;
            // A Latin name ends at a word's end ("per month", not "per monitor").
            let whole = !n.starts_with(|c: char| c.is_ascii_alphabetic())
                || !tail.starts_with(|c: char| c.is_alphanumeric());
            whole.then_some((*id, n.len()))
        })
    };
    if cjk {
        for (i, c) in lower.char_indices() {
            let start = match c {
                '每' | '毎' => {
                    let rest = &lower[i + c.len_utf8()..];
                    let skip = ["一个", "一", "1", "个", "個"]
                        .iter()
                        .find(|p| rest.starts_with(**p))
                        .map_or(0, |p| p.len());
                    i + c.len_utf8() + skip
                }
                '/' | '／' if lower[..i].ends_with(|p: char| p == '}' || script::is_cjk(p)) => {
                    i + c.len_utf8()
                }
                _ => continue,
            };
            if let Some((id, len)) = unit_at(&lower[start..]) {
                rates.push((id, source[i..start + len].to_string()));
            }
        }
    } else {
        let per = PER_WORDS
            .iter()
            .find(|(l, _)| *l == src)
            .map_or(&[][..], |(_, w)| *w);
        static WORD: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"[\p{L}]+|/").expect("static regex"));
        let toks: Vec<regex::Match<'_>> = WORD.find_iter(&lower).collect();
        for (k, t) in toks.iter().enumerate() {
            let slash = t.as_str() == "/"
                && lower[..t.start()].ends_with(|p: char| p.is_alphabetic() || p == '}');
            if !(slash || per.contains(&t.as_str())) {
                continue;
            }
            let Some(next) = toks.get(k + 1) else {
                continue;
            };
            // Only a space between ("per hour"; "/min"): "per 2 hours" is a
            // quantity.
            if !lower[t.end()..next.start()]
                .chars()
                .all(char::is_whitespace)
            {
                continue;
            }
            if let Some((id, len)) = unit_at(&lower[next.start()..]) {
                rates.push((id, source[t.start()..next.start() + len].to_string()));
            }
        }
    }
    if rates.is_empty() {
        return None;
    }
    let out = output.to_lowercase();
    let rate_words = RATE_WORDS
        .iter()
        .find(|(l, _)| *l == tgt)
        .map_or(&[][..], |(_, w)| *w);
    let mut gone: Vec<String> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for (id, said) in rates {
        let Some(u) = table.get(id) else { continue };
        let tgt_names = names(u, tgt);
        if tgt_names.is_empty() || !seen.insert(id) {
            continue;
        }
        // Another unit's name that holds this one's is not this one (Korean
        // 일주일, a week, holds 일, a day: "每天两次", twice a day, had come
        // back "일주일에 두 번", twice a week).
        let mut out = out.clone();
        for other in RATE_UNITS.iter().filter(|o| **o != id) {
            for o in table.get(other).map(|o| names(o, tgt)).unwrap_or_default() {
                if tgt_names
                    .iter()
                    .any(|n| o.len() > n.len() && o.contains(n.as_str()))
                {
                    out = out.replace(o.as_str(), " ");
                }
            }
        }
        let named = tgt_names.iter().any(|n| out.contains(n.as_str()))
            || u.symbols.iter().chain(u.local.get(tgt)).any(|s| {
                let s = s.to_lowercase();
                out.match_indices(s.as_str()).any(|(at, m)| {
                    !out[..at].ends_with(char::is_alphanumeric)
                        && !out[at + m.len()..].starts_with(char::is_alphanumeric)
                })
            })
            || rate_words
                .iter()
                .any(|(w, of)| *of == id && out.contains(w))
            // Bits per second, in any language ("Gbit/s" as "Gbps").
            || id == "s" && out.contains("bps");
        if !named {
            gone.push(said);
        }
    }
    (!gone.is_empty()).then(|| {
        Finding::error(
            "rate_unit_missing",
            format!(
                "the time unit of a rate of the source is missing or changed: {}",
                gone.join(", ")
            ),
        )
        .with_evidence(gone)
    })
}

/// A unit the source divides by, written in the translation as a quantity of
/// that unit: an air purifier's "负离子浓度约1000万个/cm³" (10 million ions per
/// cubic centimetre) came back in German "Ionen konzentration von ca.
/// 10.000.000 cm³", a volume. Every number and unit is there, and the
/// rate is gone. Read for the units of length, area, volume and mass after a
/// slash in the source (`/cm³`, `g/m²`, `mg/L`; time is
/// [`rate_units_missing`]'s), where the source never writes that unit after
/// a number; flagged where the translation writes it right after a number
/// (not after a slash or a word for "per").
pub fn rate_denominators_lost(source: &str, output: &str) -> Option<Finding> {
    static AFTER_SLASH: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[/／]\s*([\p{L}µμ][\p{L}µμ²³23]*)").expect("static regex"));
    let table = units::table();
    let mut lost: Vec<(String, String)> = Vec::new();
    for c in AFTER_SLASH.captures_iter(source) {
        let Some(tok) = c.get(1) else { continue };
        let Some(m) = table.lookup(tok.as_str()) else {
            continue;
        };
        if m.spelled_out
            || !matches!(
                m.unit.dimension.as_str(),
                "length" | "area" | "volume" | "mass"
            )
        {
            continue;
        }
        let u = m.unit;
        // Each way the unit is written after a number, as a quantity.
        let after_number = |text: &str| -> Option<String> {
            u.symbols.iter().chain(u.local.values()).find_map(|sym| {
                text.match_indices(sym.as_str()).find_map(|(at, hit)| {
                    let end = at + hit.len();
                    if text[end..].starts_with(|ch: char| ch.is_alphanumeric()) {
                        return None;
                    }
                    let before = text[..at].trim_end_matches([' ', '\u{a0}']);
                    let number = before.ends_with(|ch: char| ch.is_ascii_digit() || ch == '}');
                    (number && !text[..at].ends_with(['/', '／'])).then(|| {
                        let start = before
                            .rfind(|ch: char| ch.is_whitespace() || ch == '(')
                            .map_or(0, |i| i + 1);
                        format!("{} {}", &before[start..], hit)
                    })
                })
            })
        };
        if after_number(source).is_some() {
            continue;
        }
        let per = format!("/{}", tok.as_str());
        if let Some(said) = after_number(output)
            && !lost.iter().any(|(p, _)| *p == per)
        {
            lost.push((per, said));
        }
    }
    (!lost.is_empty()).then(|| {
        Finding::error(
            "rate_unit_missing",
            format!(
                "a rate of the source is written as a quantity: {}",
                lost.iter()
                    .map(|(per, said)| format!("{per} as \"{said}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with_evidence(lost.into_iter().map(|(per, _)| per).collect())
    })
}

/// `t` with each placeholder replaced by the source text it stands for.
fn with_originals(t: &str, spans: &[Span]) -> String {
    PLACEHOLDER
        .replace_all(t, |m: &regex::Captures<'_>| {
            let n: usize = m[0]
                .trim_matches(|c: char| c == '{' || c == '}' || c.is_whitespace())
                .parse()
                .unwrap_or(0);
            n.checked_sub(1)
                .and_then(|i| spans.get(i))
                .map_or_else(|| m[0].to_string(), |s| s.original.clone())
        })
        .into_owned()
}

/// Technologies whose version a listing gives after their name ("蓝牙5.3",
/// "Wi-Fi 6", "USB 3.0"), with the ways languages write the name.
const VERSIONED: [(&str, &[&str]); 4] = [
    (
        "bluetooth",
        &[
            "bluetooth",
            "蓝牙",
            "藍牙",
            "ブルートゥース",
            "블루투스",
            "บลูทูธ",
            "بلوتوث",
            "блютуз",
            "bt",
        ],
    ),
    (
        "wi-fi",
        &[
            "wi-fi",
            "wifi",
            "wlan",
            "вай-фай",
            "ไวไฟ",
            "와이파이",
            "واي فاي",
            "ワイファイ",
        ],
    ),
    ("usb", &["usb"]),
    ("hdmi", &["hdmi"]),
];

/// A technology's name and the version after it.
static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(蓝牙|藍牙|ブルートゥース|bluetooth|wi-?fi|usb|hdmi)\s*(?:v(?:er\.?)?\s*)?(\{\s*\d{1,3}\s*\}|\d{1,2}(?:\.\d{1,2})?)",
    )
    .expect("static regex")
});

/// A version the source gives a technology ("蓝牙5.3") that the translation
/// writes without that name near it: "蓝牙5.3" of a speaker's title came back
/// "batterijduur 5.3" (battery life 5.3), unflagged, because 5.3 was there. The
/// name may stand a few words before the number or right after it, in any of
/// its spellings ([`VERSIONED`]). Only a bare version is read ("USB 5V" is a
/// voltage).
pub fn versions_unnamed(source: &str, output: &str, spans: &[Span]) -> Option<Finding> {
    static BARE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[vV]?\d{1,2}(?:\.\d{1,2})?[eE]?$").expect("static regex"));
    let out = output.to_lowercase();
    let mut missing: Vec<String> = Vec::new();
    for c in VERSION.captures_iter(source) {
        let (Some(name), Some(num)) = (c.get(1), c.get(2)) else {
            continue;
        };
        // Not inside a word ("busb", "HDMI2") or a longer number ("USB 3.0A").
        if source[..name.start()].ends_with(|ch: char| ch.is_ascii_alphanumeric())
            || source[num.end()..].starts_with(|ch: char| ch.is_ascii_alphanumeric() || ch == '.')
        {
            continue;
        }
        let number = num.as_str();
        let original = match PLACEHOLDER.is_match(number) {
            true => {
                let n: usize = number
                    .trim_matches(|ch: char| ch == '{' || ch == '}' || ch.is_whitespace())
                    .parse()
                    .unwrap_or(0);
                match n.checked_sub(1).and_then(|i| spans.get(i)) {
                    Some(s) => s.original.clone(),
                    None => continue,
                }
            }
            false => number.to_string(),
        };
        // A whole number before a Chinese or Japanese counter is a count
        // ("蓝牙 6键": Bluetooth, six buttons).
        if !BARE.is_match(original.trim())
            || !original.contains('.')
                && source[num.end()..].trim_start().starts_with(script::is_cjk)
        {
            continue;
        }
        let key = name.as_str().to_lowercase().replace("wifi", "wi-fi");
        let Some((label, forms)) = VERSIONED
            .iter()
            .find(|(k, forms)| *k == key || forms.iter().any(|f| *f == key))
        else {
            continue;
        };
        let (mut found, mut named) = (false, false);
        for m in LIMIT_NUMBER.find_iter(&out) {
            if m.as_str().replace(' ', "") != number.to_lowercase().replace(' ', "") {
                continue;
            }
            found = true;
            let near = clause_near(&out, m.start(), m.end(), 30, 16);
            named |= forms.iter().any(|f| has_limit_word(&near, f))
                || near.contains("bluetooth") && *label == "bluetooth";
        }
        let shown = format!("{} {}", name.as_str(), original.trim());
        if found && !named && !missing.contains(&shown) {
            missing.push(shown);
        }
    }
    if missing.is_empty() {
        return None;
    }
    Some(
        Finding::error(
            "version_unnamed",
            format!(
                "a version the source gives a technology is not next to its name: {}",
                missing.join(", ")
            ),
        )
        .with_evidence(missing),
    )
}

/// Which side a limit bounds a number from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    /// At most: 以下, "less than", "max.".
    Upper,
    /// At least: 以上, "more than", "min.".
    Lower,
    /// One side or the other, under a negation that a translation may turn
    /// ("请勿超过10分钟", do not run for more than 10 minutes: "10分までに").
    Either,
    /// "Up to", as much as (最高, 高达, [`SOFT_UPPER_BEFORE`]): a good translation
    /// may leave it out ("lasts 24 hours"), but never turns it into a lower
    /// bound.
    SoftUpper,
}

/// Words right before a number that make it the most it reaches, softly (up
/// to, as much as), per source language: read by [`limits_lost`] only where
/// the translation turns them around ("最高{1}气压", up to 150 PSI, came back
/// in Arabic "يتجاوز" 150 PSI, exceeds).
const SOFT_UPPER_BEFORE: [(&str, &[&str]); 3] = [
    (
        "zh",
        &["最高", "最大", "最长", "高达", "可达", "长达", "至多"],
    ),
    ("ja", &["最大", "最高", "最長"]),
    ("en", &["up to"]),
];

/// Words that negate a clause, which a translation may say with the limit
/// of the other side.
const LIMIT_NEGATIONS: [&str; 14] = [
    "勿", "不要", "不得", "不能", "不可", "禁止", "避免", "防止", "ない", "not", "never", "don't",
    "avoid", "prevent",
];

/// Words of a source that make a number a limit, written right before it
/// (`before`) or right after it (`after`). Only hard limits: "up to" (高达,
/// 长达) is as often dropped by a good translation as kept ("lasts 24 hours"),
/// and is not read.
struct LimitTriggers {
    upper_before: &'static [&'static str],
    upper_after: &'static [&'static str],
    lower_before: &'static [&'static str],
    lower_after: &'static [&'static str],
}

/// The source languages whose limits are read.
const LIMIT_TRIGGERS: [(&str, LimitTriggers); 3] = [
    (
        "zh",
        LimitTriggers {
            upper_before: &[
                "不超过",
                "不大于",
                "不高于",
                "最多",
                "至多",
                "低于",
                "小于",
                "少于",
                "不足",
                "不到",
                "未满",
                "≤",
                "<",
            ],
            upper_after: &["以下", "以内", "之内", "及以下", "或以下", "及以内"],
            lower_before: &[
                "至少",
                "最少",
                "不低于",
                "不少于",
                "不小于",
                "大于",
                "高于",
                "超过",
                "多于",
                "≥",
                ">",
            ],
            lower_after: &["以上", "及以上", "或以上"],
        },
    ),
    (
        "ja",
        LimitTriggers {
            upper_before: &["≤", "<"],
            upper_after: &["以下", "以内", "未満"],
            lower_before: &["≥", ">"],
            lower_after: &["以上"],
        },
    ),
    (
        "en",
        LimitTriggers {
            upper_before: &[
                "no more than",
                "not more than",
                "less than",
                "at most",
                "maximum",
                "max.",
                "max",
                "under",
                "below",
                "≤",
                "<",
            ],
            upper_after: &["or less", "or below", "max", "maximum"],
            lower_before: &[
                "no less than",
                "not less than",
                "more than",
                "at least",
                "minimum",
                "min.",
                "min",
                "over",
                "above",
                "≥",
                ">",
            ],
            lower_after: &[
                "or more",
                "or older",
                "and up",
                "and older",
                "and above",
                "+",
            ],
        },
    ),
];

/// Words that bound a number from above and from below, per target language,
/// looked for near the number (the same clause, a few words either side).
/// Soft limits ("up to", "bis zu", "jusqu'à") count as upper ones.
const LIMIT_WORDS: [(&str, &[&str], &[&str]); 18] = [
    (
        "en",
        &[
            "up to",
            "max",
            "maximum",
            "at most",
            "no more than",
            "not more than",
            "less than",
            "under",
            "below",
            "within",
            "not exceeding",
            "or less",
            "younger than",
            "than",
            "≤",
            "<",
        ],
        &[
            "at least",
            "min",
            "minimum",
            "more than",
            "over",
            "above",
            "no less than",
            "not less than",
            "or more",
            "and up",
            "and above",
            "or above",
            "and over",
            "or over",
            "or higher",
            "or older",
            "and older",
            "from",
            "exceed",
            "exceeds",
            "exceeding",
            "older than",
            "than",
            "+",
            "≥",
            ">",
        ],
    ),
    (
        "de",
        &[
            "oder weniger",
            "und weniger",
            "oder darunter",
            "und darunter",
            "oder kleiner",
            "oder niedriger",
            "oder jünger",
            "und jünger",
            "bis",
            "max",
            "maximal",
            "maximum",
            "höchstens",
            "unter",
            "weniger als",
            "nicht mehr als",
            "unterhalb",
            "innerhalb",
            "als",
            "≤",
            "<",
        ],
        &[
            "mindestens",
            "min",
            "minimal",
            "ab",
            "über",
            "mehr als",
            "nicht weniger als",
            "oberhalb",
            "oder mehr",
            "und mehr",
            "und älter",
            "oder älter",
            "oder höher",
            "und höher",
            "und darüber",
            "oder darüber",
            "als",
            "überschreiten",
            "übersteigen",
            "+",
            "≥",
            ">",
        ],
    ),
    (
        "fr",
        &[
            "ou moins",
            "ou inférieur",
            "ou inférieure",
            "jusqu'à",
            "jusqu’à",
            "max",
            "maximum",
            "maximale",
            "maximal",
            "au plus",
            "moins de",
            "inférieur",
            "inférieurs",
            "inférieures",
            "inférieure",
            "en dessous",
            "en-dessous",
            "sous",
            "pas plus de",
            "ne dépassant pas",
            "≤",
            "<",
            "moins",
        ],
        &[
            "au moins",
            "min",
            "minimum",
            "plus de",
            "supérieur",
            "supérieurs",
            "supérieures",
            "supérieure",
            "au-dessus",
            "à partir de",
            "dès",
            "ou plus",
            "et plus",
            "dépasser",
            "dépasse",
            "dépassant",
            "+",
            "≥",
            ">",
            "plus",
        ],
    ),
    (
        "es",
        &[
            "o menos",
            "o inferior",
            "hasta",
            "máx",
            "max",
            "máximo",
            "máxima",
            "menos de",
            "inferior",
            "inferiores",
            "por debajo",
            "bajo",
            "no más de",
            "dentro de",
            "menores de",
            "menor de",
            "≤",
            "<",
            "menos",
        ],
        &[
            "al menos",
            "mín",
            "min",
            "mínimo",
            "mínima",
            "más de",
            "superior",
            "superiores",
            "por encima",
            "a partir de",
            "desde",
            "o más",
            "y más",
            "en adelante",
            "mayores de",
            "mayor de",
            "superar",
            "supere",
            "supera",
            "exceder",
            "+",
            "≥",
            ">",
            "más",
        ],
    ),
    (
        "it",
        &[
            "o meno",
            "o inferiore",
            "fino a",
            "max",
            "massimo",
            "massima",
            "al massimo",
            "meno di",
            "inferiore",
            "inferiori",
            "sotto",
            "non più di",
            "entro",
            "minori di",
            "≤",
            "<",
            "meno",
        ],
        &[
            "almeno",
            "min",
            "minimo",
            "minima",
            "più di",
            "oltre",
            "superiore",
            "superiori",
            "sopra",
            "a partire da",
            "dai",
            "da",
            "o più",
            "e più",
            "e oltre",
            "o superiore",
            "in su",
            "superare",
            "supera",
            "superano",
            "superi",
            "+",
            "≥",
            ">",
            "più",
        ],
    ),
    (
        "ja",
        &["以下", "以内", "最大", "未満", "まで", "最高", "≤", "<"],
        &[
            "以上",
            "最低",
            "最小",
            "超",
            "から",
            "少なくとも",
            "+",
            "≥",
            ">",
        ],
    ),
    (
        "zh",
        &[
            "以下",
            "以内",
            "最多",
            "最大",
            "不超过",
            "低于",
            "小于",
            "内",
            "至多",
            "≤",
            "<",
        ],
        &[
            "以上",
            "至少",
            "最低",
            "最少",
            "不低于",
            "不少于",
            "超过",
            "大于",
            "高于",
            "起",
            "多",
            "+",
            "≥",
            ">",
        ],
    ),
    (
        "pt",
        &[
            "ou menos",
            "ou inferior",
            "até",
            "máx",
            "max",
            "máximo",
            "máxima",
            "no máximo",
            "menos de",
            "inferior",
            "inferiores",
            "abaixo",
            "sob",
            "não mais de",
            "dentro de",
            "menores de",
            "≤",
            "<",
            "menos",
        ],
        &[
            "pelo menos",
            "no mínimo",
            "mín",
            "min",
            "mínimo",
            "mínima",
            "mais de",
            "acima",
            "superior",
            "superiores",
            "a partir de",
            "ou mais",
            "desde",
            "maiores de",
            "ultrapassar",
            "exceder",
            "superar",
            "+",
            "≥",
            ">",
            "mais",
        ],
    ),
    (
        "ru",
        &[
            "или меньше",
            "и меньше",
            "или ниже",
            "и ниже",
            "до",
            "макс",
            "максимум",
            "максимальный",
            "максимальная",
            "максимальное",
            "максимальной",
            "не более",
            "менее",
            "меньше",
            "ниже",
            "не выше",
            "не больше",
            "в пределах",
            "младше",
            "≤",
            "<",
        ],
        &[
            "от",
            "не менее",
            "минимум",
            "мин",
            "минимальный",
            "минимальная",
            "более",
            "больше",
            "свыше",
            "выше",
            "не ниже",
            "старше",
            "превышать",
            "превышает",
            "+",
            "≥",
            ">",
        ],
    ),
    (
        "ar",
        &[
            "حتى",
            "أقصى",
            "الأقصى",
            "أقل من",
            "تحت",
            "لا يزيد",
            "لا تزيد",
            "لا تتجاوز",
            "لا يتجاوز",
            "خلال",
            "≤",
            "<",
            "أقل",
        ],
        &[
            "على الأقل",
            "أدنى",
            "الأدنى",
            "أكثر من",
            "فوق",
            "أعلى من",
            "لا يقل",
            "لا تقل",
            "من عمر",
            "تتجاوز",
            "يتجاوز",
            "+",
            "≥",
            ">",
            "أكثر",
        ],
    ),
    (
        "ko",
        &["이하", "최대", "미만", "이내", "까지", "넘지", "≤", "<"],
        &["이상", "최소", "초과", "넘는", "부터", "+", "≥", ">"],
    ),
    (
        "vi",
        &[
            "lên đến",
            "lên tới",
            "tới",
            "đến",
            "tối đa",
            "dưới",
            "ít hơn",
            "không quá",
            "trong vòng",
            "nhỏ hơn",
            "≤",
            "<",
        ],
        &[
            "ít nhất",
            "tối thiểu",
            "trên",
            "hơn",
            "từ",
            "trở lên",
            "vượt quá",
            "+",
            "≥",
            ">",
        ],
    ),
    (
        "th",
        &["สูงสุด", "ไม่เกิน", "ต่ำกว่า", "น้อยกว่า", "ถึง", "ภายใน", "≤", "<"],
        &[
            "อย่างน้อย",
            "ขั้นต่ำ",
            "ขึ้นไป",
            "มากกว่า",
            "เกิน",
            "สูงกว่า",
            "ตั้งแต่",
            "+",
            "≥",
            ">",
        ],
    ),
    (
        "id",
        &[
            "hingga",
            "sampai",
            "maks",
            "maksimal",
            "maksimum",
            "paling banyak",
            "kurang dari",
            "di bawah",
            "tidak lebih dari",
            "dalam",
            "≤",
            "<",
            "atau kurang",
            "kurang",
        ],
        &[
            "minimal",
            "minimum",
            "min",
            "setidaknya",
            "paling sedikit",
            "lebih dari",
            "di atas",
            "mulai",
            "ke atas",
            "melebihi",
            "+",
            "≥",
            ">",
            "atau lebih",
            "lebih",
        ],
    ),
    (
        "ms",
        &[
            "hingga",
            "sehingga",
            "sampai",
            "maks",
            "maksimum",
            "paling banyak",
            "kurang daripada",
            "kurang dari",
            "di bawah",
            "tidak lebih daripada",
            "dalam",
            "≤",
            "<",
            "atau kurang",
            "kurang",
        ],
        &[
            "minimum",
            "min",
            "sekurang-kurangnya",
            "setidaknya",
            "lebih daripada",
            "lebih dari",
            "di atas",
            "mulai",
            "ke atas",
            "melebihi",
            "+",
            "≥",
            ">",
            "atau lebih",
            "lebih",
        ],
    ),
    (
        "pl",
        &[
            "lub mniej",
            "lub niżej",
            "lub poniżej",
            "i mniej",
            "do",
            "maks",
            "maksymalnie",
            "maksymalny",
            "maksymalna",
            "maksymalne",
            "najwyżej",
            "co najwyżej",
            "mniej niż",
            "poniżej",
            "nie więcej niż",
            "nie przekracza",
            "w ciągu",
            "≤",
            "<",
        ],
        &[
            "co najmniej",
            "min",
            "minimum",
            "minimalnie",
            "minimalny",
            "ponad",
            "powyżej",
            "więcej niż",
            "od",
            "lub więcej",
            "nie mniej niż",
            "przekraczać",
            "+",
            "≥",
            ">",
        ],
    ),
    (
        "nl",
        &[
            "of minder",
            "of lager",
            "of kleiner",
            "en lager",
            "tot",
            "max",
            "maximaal",
            "hoogstens",
            "ten hoogste",
            "minder dan",
            "onder",
            "beneden",
            "niet meer dan",
            "binnen",
            "jonger dan",
            "≤",
            "<",
        ],
        &[
            "minstens",
            "ten minste",
            "min",
            "minimaal",
            "meer dan",
            "boven",
            "vanaf",
            "of meer",
            "en ouder",
            "ouder dan",
            "overschrijden",
            "+",
            "≥",
            ">",
        ],
    ),
    (
        "tr",
        &[
            "veya daha az",
            "veya altı",
            "ve altı",
            "veya daha düşük",
            "kadar",
            "maks",
            "maksimum",
            "en fazla",
            "en çok",
            "altında",
            "altı",
            "az",
            "içinde",
            "≤",
            "<",
        ],
        &[
            "en az",
            "min",
            "minimum",
            "fazla",
            "üzeri",
            "üzerine",
            "üstü",
            "üstüne",
            "üstünde",
            "üzerinde",
            "itibaren",
            "büyük",
            "aşmamalı",
            "aşan",
            "+",
            "≥",
            ">",
        ],
    ),
];

/// A number of a text: a placeholder or digits.
pub(super) static LIMIT_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\s*\d{1,3}\s*\}|\d+(?:[.,]\d+)*").expect("static regex"));

/// A unit after a number, before the limit word that bounds it.
pub(super) static LIMIT_UNIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:(?:kg|g|mg|lbs?|oz|km|m|cm|mm|in|ft|l|ml|kw|w|v|mah|wh|h|hrs?|mins?|s|db|pcs|",
        r"years?|months?|days?|hours?|minutes?|seconds?|times)\b|[°℃℉%²³]+|",
        r"[岁個个件只小时分钟秒天年月米厘毫克斤升瓦伏度倍层寸次人]{1,2})"
    ))
    .expect("static regex")
});

/// A Korean or Japanese counter after a number in a translation, before the
/// limit word that bounds it ("0-36개월 이상", "6ヶ月以上"): read on the
/// output's side only ([`limits_added`]); a Japanese source's "6か月以内"
/// is read as the source's units are.
static LIMIT_COUNTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:개월|시간|세|살|분|초|일|년|개|명|회|배|층|ヶ月|か月|カ月|歳|時間|日|個|回|枚)",
    )
    .expect("static regex")
});

/// A Korean word of one to three syllables and the space after it, which in
/// Korean may stand between a number and its limit where it is no counter
/// ("5-12 세대 이상", 5-12 generations or more, for 5-12岁): read on the
/// output's side only, beside [`LIMIT_COUNTER`].
static LIMIT_KO_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[가-힣]{1,3}\s+").expect("static regex"));

/// Where a clause ends: a limit word beyond it bounds another number.
fn clause_break(c: char) -> bool {
    matches!(
        c,
        ',' | ';'
            | '，'
            | '；'
            | '。'
            | '、'
            | '،'
            | '؛'
            | '|'
            | '\n'
            | '('
            | ')'
            | '（'
            | '）'
            | '/'
            | '·'
    )
}

/// The clause around `text[start..end]`: up to `before` characters before it
/// and `after` after it, not past a clause break or another number, joined by
/// " # ".
pub(super) fn clause_near(
    text: &str,
    start: usize,
    end: usize,
    before: usize,
    after: usize,
) -> String {
    let b: Vec<char> = text[..start].chars().rev().take(before).collect();
    let cut = b
        .iter()
        .position(|c| clause_break(*c) || c.is_ascii_digit() || *c == '}')
        .unwrap_or(b.len());
    let head: String = b[..cut].iter().rev().collect();
    let tail: String = text[end..]
        .chars()
        .take(after)
        .take_while(|c| !clause_break(*c) && !c.is_ascii_digit() && *c != '{')
        .collect();
    format!("{head} # {tail}")
}

/// Whether `word` is written in letters of a script that spaces its words (not
/// Chinese, Japanese, Korean or Thai, nor a symbol).
fn spaced_word(word: &str) -> bool {
    word.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() && !script::is_cjk(c) && !script::is_hangul(c))
        && !word.chars().any(|c| ('\u{0E00}'..='\u{0E7F}').contains(&c))
}

/// Whether `text` ends with `word`, a whole word where it is written in
/// letters of a spaced script ("до", not the end of "годо"), anywhere where it
/// is Chinese, Japanese, Korean, Thai or a symbol.
pub(super) fn ends_with_word(text: &str, word: &str) -> bool {
    text.ends_with(word)
        && (!spaced_word(word)
            || !text[..text.len() - word.len()]
                .ends_with(|c: char| c.is_alphabetic() && !script::is_cjk(c)))
}

/// Whether a word of `lang` that bounds a number ([`LIMIT_WORDS`]: "up to",
/// "до", "ถึง") stands near `text[start..end]`, in its clause.
pub(super) fn limit_word_near(text: &str, start: usize, end: usize, lang: &str) -> bool {
    let Some((_, upper, lower)) = LIMIT_WORDS.iter().find(|(l, _, _)| *l == lang) else {
        return false;
    };
    let near = clause_near(text, start, end, 40, 24);
    upper
        .iter()
        .chain(lower.iter())
        .any(|w| *w != "+" && has_limit_word(&near, w))
}

/// Whether `word` stands in `hay`: at word boundaries where it is written in
/// letters of a spaced script, anywhere where it is Chinese, Japanese, Korean,
/// Thai or a symbol.
pub(super) fn has_limit_word(hay: &str, word: &str) -> bool {
    let spaced = spaced_word(word);
    let mut from = 0;
    while let Some(i) = hay.get(from..).and_then(|h| h.find(word)) {
        let (s, e) = (from + i, from + i + word.len());
        from = e;
        // Chinese or Japanese next to a word is no letter of it ("2个USB").
        let letter = |c: char| c.is_alphabetic() && !script::is_cjk(c);
        if !spaced || (!hay[..s].ends_with(letter) && !hay[e..].starts_with(letter)) {
            return true;
        }
    }
    false
}

/// The limits a source sets on its numbers ([`LIMIT_TRIGGERS`]): each number
/// (a placeholder, or digits) with the side it bounds.
fn source_limits(source: &str, lang: &str) -> Vec<(String, Limit, String)> {
    let Some((_, t)) = LIMIT_TRIGGERS.iter().find(|(l, _)| *l == lang) else {
        return Vec::new();
    };
    let lower = source.to_lowercase();
    let mut out: Vec<(String, Limit, String)> = Vec::new();
    for m in LIMIT_NUMBER.find_iter(&lower) {
        // Not a part of a longer token ("A1", "v5.3").
        if lower[..m.start()].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '.') {
            continue;
        }
        let before = lower[..m.start()].trim_end();
        // A limit word may follow the number's unit ("150kg以内", "3岁以上",
        // "5 kg or less").
        let after = lower[m.end()..].trim_start();
        let after = LIMIT_UNIT
            .find(after)
            .map_or(after, |u| after[u.end()..].trim_start());
        let ends = |w: &&str| ends_with_word(before, w);
        let starts = |w: &&str| {
            after.starts_with(*w)
                && (!w.ends_with(|c: char| c.is_ascii_alphabetic())
                    || !after[w.len()..].starts_with(char::is_alphabetic))
        };
        // "+" is a limit only glued to its number ("3+", not "3 + 1").
        let plus = lower[m.end()..].starts_with('+')
            && !lower[m.end() + 1..]
                .trim_start()
                .starts_with(|c: char| c.is_ascii_digit() || c == '{');
        // The source's own words for the limit, from the limit word to the
        // number or from the number to it ("less than {1}", "{1}以下"): what a
        // retry is told, never a description the model could copy.
        let after_at = lower.len() - after.len();
        let phrase = |before_word: Option<&str>, after_word: Option<&str>| {
            let s = before_word.map_or(m.start(), |w| before.len() - w.len());
            let e = after_word.map_or(m.end(), |w| after_at + w.len());
            lower[s..e].to_string()
        };
        let (limit, phrase) = if let Some(w) = t.upper_before.iter().find(|w| ends(w)) {
            (Limit::Upper, phrase(Some(w), None))
        } else if let Some(w) = t.upper_after.iter().find(|w| starts(w)) {
            (Limit::Upper, phrase(None, Some(w)))
        } else if let Some(w) = t.lower_before.iter().find(|w| ends(w)) {
            (Limit::Lower, phrase(Some(w), None))
        } else if let Some(w) = t
            .lower_after
            .iter()
            .filter(|w| **w != "+")
            .find(|w| starts(w))
        {
            (Limit::Lower, phrase(None, Some(w)))
        } else if plus && t.lower_after.contains(&"+") {
            (Limit::Lower, lower[m.start()..m.end() + 1].to_string())
        } else if let Some(w) = SOFT_UPPER_BEFORE
            .iter()
            .find(|(l, _)| *l == lang)
            .and_then(|(_, words)| words.iter().find(|w| ends(w)))
        {
            (Limit::SoftUpper, phrase(Some(w), None))
        } else {
            continue;
        };
        // Under a negation, either side may say it.
        let clause = |t: &str, rev: bool| -> String {
            if rev {
                let b: Vec<char> = t.chars().rev().take_while(|c| !clause_break(*c)).collect();
                b.into_iter().rev().collect()
            } else {
                t.chars().take_while(|c| !clause_break(*c)).collect()
            }
        };
        let around = format!(
            "{} # {}",
            clause(&lower[..m.start()], true),
            clause(&lower[m.end()..], false)
        );
        let limit = if limit != Limit::SoftUpper
            && LIMIT_NEGATIONS.iter().any(|w| has_limit_word(&around, w))
        {
            Limit::Either
        } else {
            limit
        };
        // Read from the lower-cased copy: its offsets are not the source's
        // where lower case is longer ("İ").
        let number = lower[m.start()..m.end()].to_string();
        if !out.iter().any(|(n, _, _)| *n == number) {
            out.push((number, limit, phrase));
        }
    }
    out
}

/// A limit of the source's numbers that the translation drops or turns
/// around: "建议30℃以下冷水手洗" (wash below 30 °C) came back "lavar 30 °C". A
/// number the source bounds (以下, 以上, "less than", "at least", "3+" …,
/// [`LIMIT_TRIGGERS`]) must have a word of its target language that bounds it
/// the same way near it ([`LIMIT_WORDS`]); one with only the other side's
/// words is turned around. A soft upper bound ("up to", 最高,
/// [`SOFT_UPPER_BEFORE`]) may be dropped, but is flagged where a lower bound's
/// word stands right beside the number instead. Read from Chinese, Japanese
/// and English sources.
pub fn limits_lost(
    source: &str,
    output: &str,
    source_lang: &str,
    target_lang: &str,
) -> Option<Finding> {
    let (_, upper, lower) = LIMIT_WORDS.iter().find(|(l, _, _)| *l == target_lang)?;
    let limits = source_limits(source, source_lang);
    if limits.is_empty() {
        return None;
    }
    let out = output.to_lowercase();
    let norm = |n: &str| n.replace(',', ".").replace(' ', "");
    let (mut lost, mut phrases): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    // The target's hard words after a number ("or more"), for a soft bound.
    let after_words = LIMIT_ADDED_WORDS
        .iter()
        .find(|(l, _, _)| *l == target_lang)
        .map_or(&[][..], |(_, _, a)| *a);
    for (number, limit, phrase) in limits {
        let want = norm(&number.to_lowercase());
        let (mut found, mut same, mut other) = (false, false, false);
        for m in LIMIT_NUMBER.find_iter(&out) {
            if norm(m.as_str()) != want {
                continue;
            }
            found = true;
            let near = clause_near(&out, m.start(), m.end(), 40, 24);
            let glued_plus = out[m.end()..].starts_with('+');
            let has = |words: &[&str]| {
                words.iter().any(|w| {
                    if *w == "+" {
                        glued_plus
                    } else {
                        has_limit_word(&near, w)
                    }
                })
            };
            let (mut u, mut l) = (has(upper), has(lower));
            // The word right before the number says which end it is: "od 30
            // dB do 40 dB" bounds 30 from below, whatever "do" (to) says of
            // 40. A number the source bounds from above, with only the other
            // side's word right before it, is turned around.
            let pre = out[..m.start()].trim_end();
            let right_before =
                |words: &[&str]| words.iter().any(|w| *w != "+" && ends_with_word(pre, w));
            match (right_before(upper), right_before(lower)) {
                (false, true) => u = false,
                (true, false) => l = false,
                _ => {}
            }
            // Turned around right beside the number: a lower bound's word
            // right before it, or right after it and its unit, that is no
            // upper bound's too ("لا يتجاوز", does not exceed, ends with
            // "يتجاوز", exceeds).
            let rest = out[m.end()..].trim_start();
            let tail = LIMIT_UNIT
                .find(rest)
                .map_or(rest, |x| rest[x.end()..].trim_start());
            let starts_tail = |w: &str| {
                tail.strip_prefix(w)
                    .is_some_and(|r| !spaced_word(w) || !r.starts_with(|c: char| c.is_alphabetic()))
            };
            // The longest word of either side there says which ("more than"
            // over "than"); one before the number over one after it, and after
            // it only a hard one ("or more", not "from a single port").
            let side_at = |words: &mut dyn Iterator<Item = &&str>, at: &dyn Fn(&str) -> bool| {
                words
                    .filter(|w| **w != "+" && at(w))
                    .max_by_key(|w| w.len())
                    .map(|w| lower.contains(w) && !upper.contains(w))
            };
            let reversed = || {
                side_at(&mut upper.iter().chain(lower.iter()), &|w: &str| {
                    ends_with_word(pre, w)
                })
                .or_else(|| side_at(&mut after_words.iter(), &starts_tail))
                .unwrap_or(false)
            };
            match limit {
                Limit::SoftUpper => {
                    let reversed = reversed();
                    same |= u && !reversed;
                    other |= reversed;
                }
                Limit::Upper => {
                    same |= u;
                    other |= l;
                }
                Limit::Lower => {
                    same |= l;
                    other |= u;
                }
                Limit::Either => same |= u || l,
            }
        }
        if found && !same && (limit != Limit::SoftUpper || other) {
            let side = match limit {
                Limit::Upper | Limit::SoftUpper => "at most",
                Limit::Lower => "at least",
                Limit::Either => "a limit",
            };
            let how = if other { "turned around" } else { "dropped" };
            lost.push(format!("{number} ({side}, {how})"));
            phrases.push(phrase);
        }
    }
    if lost.is_empty() {
        return None;
    }
    Some(
        Finding::error(
            "limit_lost",
            format!(
                "a limit the source sets on a number is missing or turned around: {}",
                lost.join(", ")
            ),
        )
        .with_evidence(phrases),
    )
}

/// Words and signs that join the two ends of a range ("5-7", "3 to 8", "từ 3
/// đến 8", "30至55"), in the languages silkroute writes.
static RANGE_JOIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:\s*[-–—~〜～至到]\s*|\s*(?:から|부터|ถึง)\s*|\s+(?:to|bis|à|a|al|ao|đến|tới|до|по|tot|hingga|sampai|ke|ila|إلى)\s+)$",
    )
    .expect("static regex")
});

/// The value a number token of a segment stands for: its digits, or for a
/// placeholder the first number of what it restores ("{2}" = "55 °C" is 55).
fn token_value(token: &str, spans: &[Span]) -> Option<f64> {
    let text = match PLACEHOLDER.find(token) {
        Some(m) => {
            let i: usize = m
                .as_str()
                .trim_matches(|c: char| c == '{' || c == '}' || c.is_whitespace())
                .parse()
                .ok()?;
            let sp = spans.get(i.checked_sub(1)?)?;
            if sp.kind != SpanKind::Quantity {
                return None;
            }
            sp.restore.clone()
        }
        None => token.to_string(),
    };
    let t = text.trim_start();
    let m = LIMIT_NUMBER.find(t).filter(|m| m.start() == 0)?;
    m.as_str().replace(',', ".").parse().ok()
}

/// A range the translation writes from its larger number down to its smaller
/// one, that the source does not: "三档风速两档温度" (three fan speeds, two heat
/// settings) came back "Tốc độ gió từ 3 đến 2" (fan speed from 3 to 2). Two
/// numbers of the source became the ends of a range, a fact it never states.
/// A range written upwards may rephrase two numbers the source gives apart
/// ("最低-20℃，最高60℃", from -20 to 60 °C) and is not read; the source's own
/// ranges, and numbers it joins by a word of going down ("从60降到30"), are
/// kept.
pub fn ranges_reversed(source: &str, output: &str, spans: &[Span]) -> Option<Finding> {
    let joined = number_pairs(source, false);
    let mut found: Vec<String> = Vec::new();
    for (a, b) in number_pairs(output, true) {
        let (Some(x), Some(y)) = (token_value(&a, spans), token_value(&b, spans)) else {
            continue;
        };
        if x > y && !joined.iter().any(|(p, q)| *p == a && *q == b) {
            found.push(format!(
                "{} … {}",
                with_originals(&a, spans),
                with_originals(&b, spans)
            ));
        }
    }
    if found.is_empty() {
        return None;
    }
    Some(
        Finding::error(
            "range_reversed",
            format!(
                "a range from a larger number down to a smaller one that the source does not give: {}",
                found.join(", ")
            ),
        )
        .with_evidence(found),
    )
}

/// Chinese counting words after a number that make it a count of settings,
/// kinds or things ("4档", four height settings), for [`ranges_mixed`].
const COUNT_WORDS: &str = "档挡级种个件次组层节只台把片包盒双套款色";

/// What a number token of a segment measures, for [`ranges_mixed`]: the
/// dimension of a placeholder's unit (its span's, or a counting word right
/// after it in the source: "count"), or of the unit right after digits in
/// `text`. `None` where nothing tells.
fn token_kind(token: &str, text: &str, at: usize, source: &str, spans: &[Span]) -> Option<String> {
    if let Some(m) = PLACEHOLDER.find(token) {
        let i: usize = m
            .as_str()
            .trim_matches(|c: char| c == '{' || c == '}' || c.is_whitespace())
            .parse()
            .ok()?;
        let sp = spans.get(i.checked_sub(1)?)?;
        // A brand or a model number is no end of a range: a dash cam's
        // "{1}行车记录仪工作温度{2}至{3}" (brand 70迈, -10°C to 60°C) came back
        // in Arabic "from {1} to {2}, and up to {3}".
        if matches!(sp.kind, SpanKind::Brand | SpanKind::ModelNumber) {
            return Some("name".to_string());
        }
        if sp.kind != SpanKind::Quantity {
            return None;
        }
        if let Some(u) = super::spans::span_units(sp).first() {
            return Some(u.dimension.clone());
        }
        let (pos, _) = source.match_indices(m.as_str()).next()?;
        let next = source[pos + m.as_str().len()..].chars().next()?;
        return COUNT_WORDS.contains(next).then(|| "count".to_string());
    }
    super::property::unit_after(&text[at + token.len()..]).map(|u| u.dimension.clone())
}

/// A range whose two ends the source gives apart as quantities of different
/// kinds: a children's scooter's "4档高度调节，车把高度66-86cm" (four height
/// settings, handlebar height 66-86 cm) came back in Spanish "Se ajusta de 4
/// a 66-86 cm", and a rice cooker's "220V~50Hz" in Vietnamese "từ 220V đến
/// 50Hz". Every number is there, and the buyer reads a range the product
/// does not have. Ends of one kind (最低-20℃，最高60℃: from -20 to 60 °C)
/// and the source's own ranges are left, as are numbers whose kind nothing
/// tells.
pub fn ranges_mixed(source: &str, output: &str, spans: &[Span]) -> Option<Finding> {
    let joined = number_pairs(source, false);
    let mut found: Vec<String> = Vec::new();
    let toks: Vec<regex::Match<'_>> = LIMIT_NUMBER.find_iter(output).collect();
    for w in toks.windows(2) {
        let (a, b) = (w[0].as_str(), w[1].as_str());
        // Digits may have their unit before the range word ("220V đến 50Hz").
        let mut between = &output[w[0].end()..w[1].start()];
        if super::property::unit_after(between).is_some() {
            let rest = between.trim_start();
            let unit: usize = rest
                .chars()
                .take_while(|c| c.is_alphabetic() && !script::is_cjk(*c) || "°℃℉%²³·".contains(*c))
                .map(char::len_utf8)
                .sum();
            between = &rest[unit..];
        }
        // "a", "à", "al", "ao" are "at" as often as "to" ("4K a 30 Hz"):
        // a range only after "de", "da", "desde", "du", "dal" ("de 4 a 66").
        let at_word = between
            .split_whitespace()
            .last()
            .is_some_and(|w| matches!(w, "a" | "à" | "al" | "ao"));
        let opened = output[..w[0].start()]
            .trim_end()
            .rsplit(char::is_whitespace)
            .next()
            .is_some_and(|w| {
                matches!(
                    w.to_lowercase().as_str(),
                    "de" | "da" | "desde" | "du" | "dal" | "dalla" | "dai" | "dos" | "das"
                )
            });
        if !RANGE_JOIN.is_match(between)
            || at_word && !opened
            || a == b
            || joined.iter().any(|(p, q)| p == a && q == b)
        {
            continue;
        }
        let (Some(x), Some(y)) = (
            token_kind(a, output, w[0].start(), source, spans),
            token_kind(b, output, w[1].start(), source, spans),
        ) else {
            continue;
        };
        if x != y {
            found.push(format!(
                "{} … {}",
                with_originals(a, spans),
                with_originals(b, spans)
            ));
        }
    }
    if found.is_empty() {
        return None;
    }
    Some(
        Finding::error(
            "range_mixed",
            format!(
                "a range between two numbers of different kinds that the source gives apart: {}",
                found.join(", ")
            ),
        )
        .with_evidence(found),
    )
}

/// The pairs of number tokens (digits or placeholders) of `text` joined as a
/// range: by a range sign or word alone (`strict`, as a translation writes a
/// range), or loosely, within a short stretch with a range word or nothing
/// between (as a source may give one).
fn number_pairs(text: &str, strict: bool) -> Vec<(String, String)> {
    {
        let toks: Vec<regex::Match<'_>> = LIMIT_NUMBER.find_iter(text).collect();
        toks.windows(2)
            .filter(|w| {
                let between = &text[w[0].end()..w[1].start()];
                if strict {
                    RANGE_JOIN.is_match(between)
                } else {
                    // A slash joins too ("18/10" steel, written "18-10").
                    between.trim() == "/"
                        || between.chars().count() <= 12
                            && !between.chars().any(clause_break)
                            && (between.trim().is_empty()
                                || [
                                    "-", "–", "~", "～", "至", "到", "to", "bis", "à", "a", "down",
                                ]
                                .iter()
                                .any(|w| has_limit_word(&between.to_lowercase(), w)))
                }
            })
            .map(|w| (w[0].as_str().to_string(), w[1].as_str().to_string()))
            .collect()
    }
}

/// Comparatives that bound a number hard, per target language, for
/// [`limits_added`]: those written right before a number ("more than", "at
/// least", Thai "กว่า") and right after it or its unit ("or more", 以上). Not
/// the soft or ambiguous ones ("up to", "over", "from", "bis", "ab"): a good
/// translation writes them for many a source word.
const LIMIT_ADDED_WORDS: [(&str, &[&str], &[&str]); 18] = [
    (
        "en",
        &[
            "more than",
            "less than",
            "fewer than",
            "at least",
            "at most",
        ],
        &["or more", "or less"],
    ),
    (
        "de",
        &["mehr als", "weniger als", "mindestens", "höchstens"],
        &["oder mehr", "oder weniger"],
    ),
    (
        "fr",
        &[
            "plus de",
            "moins de",
            "au moins",
            "au plus",
            "supérieur à",
            "inférieur à",
        ],
        &["ou plus", "ou moins"],
    ),
    (
        "es",
        &[
            "más de",
            "menos de",
            "al menos",
            "como mínimo",
            "como máximo",
        ],
        &["o más", "o menos"],
    ),
    (
        "it",
        &["più di", "meno di", "almeno", "al massimo"],
        &["o più", "o meno"],
    ),
    (
        "pt",
        &[
            "mais de",
            "menos de",
            "pelo menos",
            "no mínimo",
            "no máximo",
        ],
        &["ou mais", "ou menos"],
    ),
    (
        "nl",
        &[
            "meer dan",
            "minder dan",
            "minstens",
            "ten minste",
            "hoogstens",
        ],
        &["of meer", "of minder"],
    ),
    (
        "pl",
        &[
            "ponad",
            "więcej niż",
            "mniej niż",
            "co najmniej",
            "najwyżej",
        ],
        &["lub więcej", "lub mniej"],
    ),
    (
        "tr",
        &["en az", "en fazla"],
        &["veya daha fazla", "veya daha az"],
    ),
    (
        "ru",
        &["более", "менее", "не менее", "не более", "свыше"],
        &[],
    ),
    (
        "ar",
        &["أكثر من", "أقل من", "على الأقل"],
        &["أو أكثر", "أو أقل"],
    ),
    ("ja", &[], &["以上", "以下", "未満"]),
    (
        "zh",
        &["超过", "不少于", "不超过", "至少"],
        &["以上", "以下"],
    ),
    ("ko", &[], &["이상", "이하", "미만", "초과"]),
    (
        "vi",
        &["hơn", "ít nhất", "không quá", "không dưới"],
        &["trở lên"],
    ),
    (
        "th",
        &["มากกว่า", "น้อยกว่า", "กว่า", "อย่างน้อย", "ไม่เกิน"],
        &["ขึ้นไป"],
    ),
    (
        "id",
        &["lebih dari", "kurang dari", "setidaknya", "paling sedikit"],
        &["atau lebih", "atau kurang"],
    ),
    (
        "ms",
        &[
            "lebih daripada",
            "kurang daripada",
            "lebih dari",
            "kurang dari",
            "sekurang-kurangnya",
        ],
        &["atau lebih", "atau kurang"],
    ),
];

/// Words near a source's number that allow a translation to bound it, beside
/// the hard limits of [`LIMIT_TRIGGERS`] and the words of [`LIMIT_WORDS`]:
/// "up to", "approx.", Chinese 高达 (as much as), 多 and 余 ("20多", twenty-odd).
/// An approximation (约, "about") is none: "约30分钟" (about 30 minutes) came
/// back in Portuguese "no máximo 30 minutos" (at most).
const LIMIT_SOFT_SOURCE: [&str; 18] = [
    "up to", "nearly", "almost", "over", "under", "above", "below", "高达", "可达", "长达", "最高",
    "最多", "最少", "多", "余", "近", "超", "最大",
];

/// A bound the translation puts on a number the source leaves unbounded: the
/// power bank's "20000mAh大容量" (large capacity of 20000 mAh) came back in
/// Thai as "ความจุขนาดใหญ่กว่า 20000mAh" (a capacity larger than 20000 mAh). A
/// hard comparative of the target ([`LIMIT_ADDED_WORDS`]) right beside a
/// number whose source clause has no limit word of any kind
/// ([`LIMIT_TRIGGERS`], [`LIMIT_WORDS`], [`LIMIT_SOFT_SOURCE`]).
pub fn limits_added(
    source: &str,
    output: &str,
    source_lang: &str,
    target_lang: &str,
) -> Option<Finding> {
    let mut added = tolerances_added(source, output);
    let none: (&str, &[&str], &[&str]) = ("", &[], &[]);
    let (_, before, after) = LIMIT_ADDED_WORDS
        .iter()
        .find(|(l, _, _)| *l == target_lang)
        .unwrap_or(&none);
    let src = source.to_lowercase();
    let out = output.to_lowercase();
    let norm = |n: &str| n.replace(',', ".").replace(' ', "");
    let mut source_words: Vec<&str> = LIMIT_SOFT_SOURCE.to_vec();
    if let Some((_, up, low)) = LIMIT_WORDS.iter().find(|(l, _, _)| *l == source_lang) {
        source_words.extend(up.iter().chain(low.iter()));
    }
    if let Some((_, t)) = LIMIT_TRIGGERS.iter().find(|(l, _)| *l == source_lang) {
        source_words.extend(
            t.upper_before
                .iter()
                .chain(t.upper_after)
                .chain(t.lower_before)
                .chain(t.lower_after),
        );
    }
    for m in LIMIT_NUMBER.find_iter(&out) {
        let want = norm(m.as_str());
        // Right before the number, or right after it and its unit.
        let head = out[..m.start()].trim_end();
        let rest = out[m.end()..].trim_start();
        let tail = LIMIT_UNIT
            .find(rest)
            .or_else(|| LIMIT_COUNTER.find(rest))
            .map_or(rest, |u| rest[u.end()..].trim_start());
        let mut tails = vec![tail];
        if target_lang == "ko"
            && let Some(w) = LIMIT_KO_WORD.find(rest)
        {
            tails.push(&rest[w.end()..]);
        }
        // A word of a spaced script stands alone ("demás de" is no "más de").
        let letter = |c: char| c.is_alphabetic() && !script::is_cjk(c);
        let number = m.as_str();
        let told = before
            .iter()
            .find(|w| {
                head.strip_suffix(**w)
                    .is_some_and(|rest| !spaced_word(w) || !rest.ends_with(letter))
            })
            .map(|w| format!("{w} {number}"))
            .or_else(|| {
                after
                    .iter()
                    .find(|w| {
                        tails.iter().any(|tail| {
                            tail.strip_prefix(**w)
                                .is_some_and(|rest| !spaced_word(w) || !rest.starts_with(letter))
                        })
                    })
                    .map(|w| format!("{number} {w}"))
            });
        let Some(told) = told else {
            continue;
        };
        let mut in_source = LIMIT_NUMBER
            .find_iter(&src)
            .filter(|n| norm(n.as_str()) == want)
            .peekable();
        if in_source.peek().is_none() {
            continue;
        }
        let bounded = in_source.any(|n| {
            let around = clause_near(&src, n.start(), n.end(), 40, 24);
            source_words.iter().any(|w| has_limit_word(&around, w))
                || src[n.end()..].starts_with('+')
        });
        if !bounded && !added.contains(&told) {
            added.push(told);
        }
    }
    if added.is_empty() {
        return None;
    }
    Some(
        Finding::error(
            "limit_added",
            format!(
                "a limit the source does not set on a number: {}",
                added.join(", ")
            ),
        )
        .with_evidence(added),
    )
}

/// A tolerance sign before a number: ±, "+/-", "+-".
static TOLERANCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:±|\+\s*/\s*-|\+-)\s*(\{\s*\d{1,3}\s*\}|\d+(?:[.,]\d+)*)").expect("static regex")
});

/// Words right before a source's number that make it a tolerance, beside the
/// sign itself: 误差 1-2cm is "±1-2 cm".
const TOLERANCE_WORDS: [&str; 9] = [
    "误差",
    "公差",
    "偏差",
    "正负",
    "tolerance",
    "error",
    "deviation",
    "toleranz",
    "+/-",
];

/// A tolerance sign the translation puts before a number of the source that
/// has none: a filament's "1.75mm 1kg 精度±0.02mm" came back in Portuguese
/// "precisão ±1,75 mm …": its diameter became a tolerance. Read only for a
/// number the source writes, none of whose occurrences has the sign or a word
/// of tolerance ([`TOLERANCE_WORDS`]) right before it.
fn tolerances_added(source: &str, output: &str) -> Vec<String> {
    let src = source.to_lowercase();
    let norm = |n: &str| n.replace(',', ".").replace(' ', "");
    let mut added = Vec::new();
    for c in TOLERANCE.captures_iter(output) {
        let number = &c[1];
        let want = norm(number);
        let mut in_source = LIMIT_NUMBER
            .find_iter(&src)
            .filter(|n| norm(n.as_str()) == want)
            .peekable();
        if in_source.peek().is_none() {
            continue;
        }
        let signed = in_source.any(|n| {
            let head = src[..n.start()].trim_end_matches([' ', ':', '：', '\u{a0}']);
            head.ends_with(['±', '~']) || TOLERANCE_WORDS.iter().any(|w| head.ends_with(w))
        });
        let told = format!("±{number}");
        if !signed && !added.contains(&told) {
            added.push(told);
        }
    }
    added
}

/// Words that call a light warm (yellowish, a low colour temperature) and cool
/// (bluish, a high one), per language: stems matched at the start of a word in
/// spaced scripts ("warm" finds "Warmweiß", "froid" "froide"), anywhere in
/// Chinese, Japanese, Korean, Thai and Arabic (which joins its article:
/// "الدافئ"). Not Arabic حرارة (heat: also the colour temperature's name).
const LIGHT_WORDS: [(&str, &[&str], &[&str]); 18] = [
    ("en", &["warm"], &["cool", "cold", "daylight"]),
    ("de", &["warm"], &["kalt", "kühl", "tageslicht"]),
    ("fr", &["chaud"], &["froid", "lumière du jour"]),
    (
        "es",
        &["cálid", "calid"],
        &["frí", "fria", "luz de día", "luz diurna"],
    ),
    ("it", &["cald"], &["fredd", "luce diurna"]),
    ("pt", &["quente"], &["fria", "frio", "luz do dia"]),
    ("nl", &["warm"], &["koud", "koel", "daglicht"]),
    ("pl", &["ciepł"], &["zimn", "chłodn", "dzienn"]),
    ("tr", &["sıcak"], &["soğuk", "gün ışığı"]),
    ("ru", &["тёпл", "тепл"], &["холодн", "дневн"]),
    ("ar", &["دافئ", "دافئة", "ساخن"], &["بارد", "باردة"]),
    (
        "ja",
        &["暖", "電球色", "ウォーム"],
        &["寒", "冷", "昼光", "昼白", "クール"],
    ),
    ("zh", &["暖"], &["冷"]),
    (
        "ko",
        &["따뜻", "웜", "전구색"],
        &["차가운", "차갑", "쿨", "주광"],
    ),
    ("vi", &["ấm"], &["lạnh", "ánh sáng ban ngày"]),
    ("th", &["อบอุ่น", "วอร์ม"], &["เย็น", "คูล"]),
    ("id", &["hangat"], &["dingin", "sejuk"]),
    ("ms", &["hangat", "suam"], &["sejuk", "dingin"]),
];

/// A colour temperature in kelvin, lower-cased: "3000k", "6500 k".
static KELVIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d{4,5})\s?k").expect("static regex"));

/// Whether `text` holds one of the stems `words` (see [`LIGHT_WORDS`]).
fn has_light_word(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| {
        let joined = w.chars().next().is_some_and(|c| {
            script::is_cjk(c)
                || script::is_hangul(c)
                || ('\u{0E00}'..='\u{0E7F}').contains(&c)
                || ('\u{0600}'..='\u{06FF}').contains(&c)
        });
        text.match_indices(w)
            .any(|(at, _)| joined || !text[..at].ends_with(char::is_alphabetic))
    })
}

/// The colour temperatures of `text` that its words call the wrong way round: a
/// light of 5000 K or more (bluish) called warm, one of 3500 K or less
/// (yellowish) called cool, by the words of its clause ([`LIGHT_WORDS`]).
fn lights_miscalled(text: &str, lang: &str) -> Vec<(String, &'static str)> {
    let Some((_, warm, cool)) = LIGHT_WORDS.iter().find(|(l, _, _)| *l == lang) else {
        return Vec::new();
    };
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    for c in KELVIN.captures_iter(&lower) {
        let (Some(m), Some(n)) = (c.get(0), c.get(1)) else {
            continue;
        };
        let Ok(kelvin) = n.as_str().parse::<u32>() else {
            continue;
        };
        // No part of a longer token ("A3000K", "3000kg"); Chinese may follow.
        if lower[..m.start()].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '.')
            || lower[m.end()..].starts_with(|c: char| c.is_ascii_alphanumeric())
        {
            continue;
        }
        let near = clause_near(&lower, m.start(), m.end(), 24, 24);
        let (w, k) = (has_light_word(&near, warm), has_light_word(&near, cool));
        let wrong = match (w, k) {
            (true, false) if kelvin >= 5000 => "a cool light called warm",
            (false, true) if kelvin <= 3500 => "a warm light called cool",
            _ => continue,
        };
        out.push((m.as_str().to_string(), wrong));
    }
    out
}

/// A colour temperature the translation calls the wrong way round that the
/// source does not: "6500K冷光" (cool light) came back "6500K ضوء ساخن" (hot
/// light) in Arabic. Physics decides, not the source's words: 5000 K and more
/// is a cool (bluish) light, 3500 K and less a warm one; a number the source
/// itself miscalls is the seller's to fix, not this check's.
pub fn lights_swapped(
    source: &str,
    output: &str,
    source_lang: &str,
    target_lang: &str,
) -> Option<Finding> {
    let norm = |n: &str| n.replace(' ', "");
    let in_source: Vec<String> = lights_miscalled(source, source_lang)
        .into_iter()
        .map(|(n, _)| norm(&n))
        .collect();
    let wrong: Vec<(String, &str)> = lights_miscalled(output, target_lang)
        .into_iter()
        .filter(|(n, _)| !in_source.contains(&norm(n)))
        .collect();
    if wrong.is_empty() {
        return None;
    }
    let told: Vec<String> = wrong.iter().map(|(n, w)| format!("{n} ({w})")).collect();
    Some(
        Finding::error(
            "light_swapped",
            format!(
                "a colour temperature is called the wrong way round: {}",
                told.join(", ")
            ),
        )
        .with_evidence(wrong.into_iter().map(|(n, _)| n).collect()),
    )
}

/// Numbers a translation writes as words, per target language: the cardinals two
/// to twelve and the fractions half and quarter (Russian and Polish with their
/// case forms). Not "one" and its forms (also the article), and no word that
/// is as often another word (French "neuf" is new, Italian "sei" you are,
/// Spanish "cuarto" a room, Vietnamese "năm" a year and "chín" cooked, Turkish
/// "altı" under, "yedi" ate and "on" the switch's ON). Thai, Korean, Arabic and
/// Chinese write numbers inside words and are not read; Japanese is read by
/// its counter つ ([`JA_TSU`]).
const NUMBER_WORDS: [(&str, &[(&str, f64)]); 13] = [
    (
        "en",
        &[
            ("two", 2.0),
            ("three", 3.0),
            ("four", 4.0),
            ("five", 5.0),
            ("six", 6.0),
            ("seven", 7.0),
            ("eight", 8.0),
            ("nine", 9.0),
            ("ten", 10.0),
            ("eleven", 11.0),
            ("twelve", 12.0),
            ("half", 0.5),
            ("quarter", 0.25),
            ("twice", 2.0),
        ],
    ),
    (
        "de",
        &[
            ("zwei", 2.0),
            ("drei", 3.0),
            ("vier", 4.0),
            ("fünf", 5.0),
            ("sechs", 6.0),
            ("sieben", 7.0),
            ("acht", 8.0),
            ("neun", 9.0),
            ("zehn", 10.0),
            ("elf", 11.0),
            ("zwölf", 12.0),
            ("halb", 0.5),
            ("hälfte", 0.5),
            ("viertel", 0.25),
        ],
    ),
    (
        "fr",
        &[
            ("deux", 2.0),
            ("trois", 3.0),
            ("quatre", 4.0),
            ("cinq", 5.0),
            ("six", 6.0),
            ("sept", 7.0),
            ("huit", 8.0),
            ("dix", 10.0),
            ("onze", 11.0),
            ("douze", 12.0),
            ("moitié", 0.5),
            ("quart", 0.25),
        ],
    ),
    (
        "es",
        &[
            ("dos", 2.0),
            ("tres", 3.0),
            ("cuatro", 4.0),
            ("cinco", 5.0),
            ("seis", 6.0),
            ("siete", 7.0),
            ("ocho", 8.0),
            ("nueve", 9.0),
            ("diez", 10.0),
            ("once", 11.0),
            ("doce", 12.0),
            ("mitad", 0.5),
        ],
    ),
    (
        "it",
        &[
            ("due", 2.0),
            ("tre", 3.0),
            ("quattro", 4.0),
            ("cinque", 5.0),
            ("sette", 7.0),
            ("otto", 8.0),
            ("nove", 9.0),
            ("dieci", 10.0),
            ("undici", 11.0),
            ("dodici", 12.0),
            ("metà", 0.5),
        ],
    ),
    (
        "pt",
        &[
            ("dois", 2.0),
            ("duas", 2.0),
            ("três", 3.0),
            ("quatro", 4.0),
            ("cinco", 5.0),
            ("seis", 6.0),
            ("sete", 7.0),
            ("oito", 8.0),
            ("nove", 9.0),
            ("dez", 10.0),
            ("onze", 11.0),
            ("doze", 12.0),
            ("metade", 0.5),
        ],
    ),
    (
        "nl",
        &[
            ("twee", 2.0),
            ("drie", 3.0),
            ("vier", 4.0),
            ("vijf", 5.0),
            ("zes", 6.0),
            ("zeven", 7.0),
            ("acht", 8.0),
            ("negen", 9.0),
            ("tien", 10.0),
            ("twaalf", 12.0),
            ("helft", 0.5),
            ("kwart", 0.25),
        ],
    ),
    (
        "pl",
        &[
            ("dwa", 2.0),
            ("dwie", 2.0),
            ("dwóch", 2.0),
            ("dwoma", 2.0),
            ("trzy", 3.0),
            ("trzech", 3.0),
            ("trzema", 3.0),
            ("cztery", 4.0),
            ("czterech", 4.0),
            ("pięć", 5.0),
            ("pięciu", 5.0),
            ("sześć", 6.0),
            ("sześciu", 6.0),
            ("siedem", 7.0),
            ("siedmiu", 7.0),
            ("osiem", 8.0),
            ("ośmiu", 8.0),
            ("dziewięć", 9.0),
            ("dziesięć", 10.0),
            ("jedenaście", 11.0),
            ("dwanaście", 12.0),
            ("połowa", 0.5),
            ("połowę", 0.5),
            ("ćwierć", 0.25),
        ],
    ),
    (
        "ru",
        &[
            ("два", 2.0),
            ("две", 2.0),
            ("двух", 2.0),
            ("двумя", 2.0),
            ("три", 3.0),
            ("трёх", 3.0),
            ("трех", 3.0),
            ("тремя", 3.0),
            ("четыре", 4.0),
            ("четырёх", 4.0),
            ("четырех", 4.0),
            ("пять", 5.0),
            ("пяти", 5.0),
            ("шесть", 6.0),
            ("шести", 6.0),
            ("семь", 7.0),
            ("семи", 7.0),
            ("восемь", 8.0),
            ("восьми", 8.0),
            ("девять", 9.0),
            ("девяти", 9.0),
            ("десять", 10.0),
            ("десяти", 10.0),
            ("одиннадцать", 11.0),
            ("двенадцать", 12.0),
            ("половина", 0.5),
            ("половину", 0.5),
            ("половины", 0.5),
            ("четверть", 0.25),
        ],
    ),
    (
        "tr",
        &[
            ("iki", 2.0),
            ("üç", 3.0),
            ("dört", 4.0),
            ("beş", 5.0),
            ("sekiz", 8.0),
            ("dokuz", 9.0),
            ("yarım", 0.5),
            ("yarısı", 0.5),
        ],
    ),
    (
        "id",
        &[
            ("dua", 2.0),
            ("tiga", 3.0),
            ("empat", 4.0),
            ("lima", 5.0),
            ("enam", 6.0),
            ("tujuh", 7.0),
            ("delapan", 8.0),
            ("sembilan", 9.0),
            ("sepuluh", 10.0),
            ("sebelas", 11.0),
            ("setengah", 0.5),
            ("seperempat", 0.25),
        ],
    ),
    (
        "ms",
        &[
            ("dua", 2.0),
            ("tiga", 3.0),
            ("empat", 4.0),
            ("lima", 5.0),
            ("enam", 6.0),
            ("tujuh", 7.0),
            ("lapan", 8.0),
            ("sembilan", 9.0),
            ("sepuluh", 10.0),
            ("sebelas", 11.0),
            ("setengah", 0.5),
            ("separuh", 0.5),
            ("suku", 0.25),
        ],
    ),
    (
        "vi",
        &[
            ("hai", 2.0),
            ("ba", 3.0),
            ("bốn", 4.0),
            ("sáu", 6.0),
            ("bảy", 7.0),
            ("tám", 8.0),
            ("mười", 10.0),
            ("nửa", 0.5),
        ],
    ),
];

/// Words that make a number word next to them part of a larger number ("two
/// hundred", "dua belas" twelve, "mười hai" twelve, "on iki" twelve): such a
/// word is not read alone. Languages that write their numbers as one word
/// (German "zweihundert") need none.
const NUMBER_SCALES: [(&str, &[&str]); 13] = [
    (
        "en",
        &[
            "hundred", "thousand", "million", "twenty", "thirty", "forty", "fifty", "sixty",
            "seventy", "eighty", "ninety",
        ],
    ),
    ("de", &["hundert", "tausend", "million", "millionen"]),
    (
        "fr",
        &[
            "cent",
            "cents",
            "mille",
            "million",
            "millions",
            "vingt",
            "trente",
            "quarante",
            "cinquante",
            "soixante",
        ],
    ),
    (
        "es",
        &[
            "cien", "ciento", "cientos", "mil", "millón", "millones", "veinte", "treinta",
        ],
    ),
    ("it", &["cento", "mila", "mille", "milioni"]),
    (
        "pt",
        &[
            "cem", "cento", "mil", "milhão", "milhões", "vinte", "trinta",
        ],
    ),
    ("nl", &["honderd", "duizend", "miljoen"]),
    (
        "pl",
        &[
            "sto",
            "tysiąc",
            "tysiące",
            "tysięcy",
            "milion",
            "miliony",
            "milionów",
            "dwadzieścia",
            "trzydzieści",
            "czterdzieści",
        ],
    ),
    (
        "ru",
        &[
            "сто",
            "тысяча",
            "тысячи",
            "тысяч",
            "миллион",
            "миллиона",
            "миллионов",
            "двадцать",
            "тридцать",
            "сорок",
        ],
    ),
    (
        "tr",
        &[
            "on", "yirmi", "otuz", "kırk", "elli", "yüz", "bin", "milyon",
        ],
    ),
    ("id", &["belas", "puluh", "ratus", "ribu", "juta"]),
    ("ms", &["belas", "puluh", "ratus", "ribu", "juta"]),
    (
        "vi",
        &[
            "mươi", "mười", "trăm", "nghìn", "ngàn", "triệu", "linh", "lẻ",
        ],
    ),
];

/// A number word and the word after it that together are no number:
/// Vietnamese "ba lô" is a backpack.
const NOT_NUMBERS: [(&str, &str, &str); 2] = [("vi", "ba", "lô"), ("vi", "ba", "lo")];

/// Source words that give a number besides the cardinals of [`NUMBER_WORDS`]:
/// "a pair" is two, "a dozen" twelve.
const SOURCE_NUMBER_WORDS: [(&str, f64); 9] = [
    ("double", 2.0),
    ("pair", 2.0),
    ("dual", 2.0),
    ("both", 2.0),
    ("couple", 2.0),
    ("twin", 2.0),
    ("triple", 3.0),
    ("quad", 4.0),
    ("dozen", 12.0),
];

/// Chinese and Japanese characters that give a number: numerals, 双/对 (a pair),
/// 倍 (twice), 半 (half).
const CJK_NUMBERS: [(char, f64); 15] = [
    ('一', 1.0),
    ('二', 2.0),
    ('两', 2.0),
    ('三', 3.0),
    ('四', 4.0),
    ('五', 5.0),
    ('六', 6.0),
    ('七', 7.0),
    ('八', 8.0),
    ('九', 9.0),
    ('十', 10.0),
    ('双', 2.0),
    ('对', 2.0),
    ('倍', 2.0),
    ('半', 0.5),
];

/// A word in lower case for the number-word tables: Turkish "İki" is "iki"
/// (a plain lower-caser writes "İ" as "i" and a combining dot).
fn lower_word(w: &str) -> String {
    w.to_lowercase().replace('\u{307}', "")
}

/// A number in digits, or a fraction written with a slash.
static SOURCE_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d+)\s*/\s*(\d+)|\d+(?:[.,]\d+)?").expect("static regex"));

/// Every number the source gives, in digits or in words of any language
/// ([`NUMBER_WORDS`], [`SOURCE_NUMBER_WORDS`], [`CJK_NUMBERS`], 几分之几
/// fractions, ½ and ¼).
pub(crate) fn source_numbers(texts: &[&str]) -> Vec<f64> {
    let mut out = Vec::new();
    for t in texts {
        for c in SOURCE_NUMBER.captures_iter(t) {
            if let (Some(a), Some(b)) = (c.get(1), c.get(2)) {
                let (a, b) = (a.as_str().parse::<f64>(), b.as_str().parse::<f64>());
                if let (Ok(a), Ok(b)) = (a, b)
                    && b != 0.0
                {
                    out.push(a / b);
                }
            } else if let Ok(v) = c[0].replace(',', ".").parse::<f64>() {
                out.push(v);
            }
        }
        for w in t
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| !w.is_empty())
        {
            let w = lower_word(w);
            let words = NUMBER_WORDS.iter().flat_map(|(_, ws)| ws.iter());
            for (name, v) in words.chain(SOURCE_NUMBER_WORDS.iter()) {
                if *name == w {
                    out.push(*v);
                }
            }
        }
        let mut before = None;
        for c in t.chars() {
            // 双 and 对 after a number or 每 (each) count pairs and give no two:
            // "每双重约40g" (each pair weighs about 40 g) came back in Italian
            // "ciascuna di due coppie" (each of two pairs), unflagged.
            let counter = matches!(c, '双' | '对')
                && before.is_some_and(|b: char| b.is_ascii_digit() || "#}每几".contains(b));
            if !c.is_whitespace() {
                before = Some(c);
            }
            if counter {
                continue;
            }
            out.extend(CJK_NUMBERS.iter().filter(|(n, _)| *n == c).map(|(_, v)| *v));
            match c {
                '½' => out.push(0.5),
                '¼' => out.push(0.25),
                _ => {}
            }
        }
        for (i, _) in t.match_indices("分之") {
            let den = t[..i].chars().next_back();
            let num = t[i + "分之".len()..].chars().next();
            let val =
                |c: Option<char>| CJK_NUMBERS.iter().find(|(n, _)| Some(*n) == c).map(|x| x.1);
            if let (Some(d), Some(n)) = (val(den), val(num)) {
                out.push(n / d);
            }
        }
    }
    out
}

/// Japanese counts written with the native counter つ (二つ to 九つ): "Four
/// 360° spinner wheels" → "四つの…".
const JA_TSU: [(&str, f64); 8] = [
    ("二つ", 2.0),
    ("三つ", 3.0),
    ("四つ", 4.0),
    ("五つ", 5.0),
    ("六つ", 6.0),
    ("七つ", 7.0),
    ("八つ", 8.0),
    ("九つ", 9.0),
];

/// The numbers `text` writes as words of `lang` ([`NUMBER_WORDS`], Japanese
/// [`JA_TSU`]), each with the word as written. A word next to another number
/// word or a scale word ([`NUMBER_SCALES`]) is part of a larger number and not
/// read; nor are the pairs of [`NOT_NUMBERS`].
pub(crate) fn number_words_in<'a>(text: &'a str, lang: &str) -> Vec<(&'a str, f64)> {
    if lang == "ja" {
        return JA_TSU
            .iter()
            .flat_map(|(w, v)| text.match_indices(w).map(move |(_, m)| (m, *v)))
            .collect();
    }
    let Some((_, words)) = NUMBER_WORDS.iter().find(|(l, _)| *l == lang) else {
        return Vec::new();
    };
    let scales = NUMBER_SCALES
        .iter()
        .find(|(l, _)| *l == lang)
        .map_or(&[][..], |(_, s)| *s);
    // The words of the text with their byte ranges.
    let mut tokens: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphabetic(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                tokens.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        tokens.push((s, text.len()));
    }
    let lower: Vec<String> = tokens
        .iter()
        .map(|&(s, e)| lower_word(&text[s..e]))
        .collect();
    let value = |w: &str| words.iter().find(|(n, _)| *n == w).map(|(_, v)| *v);
    let numeric = |i: usize| value(&lower[i]).is_some() || scales.contains(&lower[i].as_str());
    // Words `i` and `i + 1` stand together: only spaces or a hyphen between.
    let joined = |i: usize| {
        text[tokens[i].1..tokens[i + 1].0]
            .chars()
            .all(|c| c.is_whitespace() || c == '-')
    };
    let mut out = Vec::new();
    for (i, &(s, e)) in tokens.iter().enumerate() {
        let Some(v) = value(&lower[i]) else { continue };
        let before = i > 0 && joined(i - 1) && numeric(i - 1);
        let after = i + 1 < tokens.len() && joined(i) && numeric(i + 1);
        let not_number = i + 1 < tokens.len()
            && joined(i)
            && NOT_NUMBERS
                .iter()
                .any(|(l, w, next)| *l == lang && *w == lower[i] && *next == lower[i + 1]);
        if !before && !after && !not_number {
            out.push((&text[s..e], v));
        }
    }
    out
}

/// Numbers the translation writes as words that the source does not give: "体积仅为
/// 传统充电器的一半" (half the size) came back "one-quarter of traditional
/// chargers", unflagged, because the number checks compare digits. The words are
/// the target language's cardinals two to twelve and its half and quarter
/// ([`NUMBER_WORDS`]); a source gives a number in digits, as a fraction, or as a
/// word of any language ("Three Squirrels", "两", "一半", "pair"). A number the
/// source has in any form passes, wherever it stands.
pub fn number_words_added(
    source: &str,
    spans: &[Span],
    output: &str,
    target_lang: &str,
) -> Option<Finding> {
    if !NUMBER_WORDS.iter().any(|(l, _)| *l == target_lang) {
        return None;
    }
    let written = number_words_in(output, target_lang);
    if written.is_empty() {
        return None;
    }
    // A placeholder is a number: "#", not a digit to read.
    let source = PLACEHOLDER.replace_all(source, " # ");
    let mut texts = vec![source.as_ref()];
    texts.extend(
        spans
            .iter()
            .flat_map(|s| [s.original.as_str(), s.restore.as_str()]),
    );
    let given = source_numbers(&texts);
    let mut added: Vec<String> = Vec::new();
    for (w, v) in written {
        if !given.iter().any(|g| (g - v).abs() < 1e-9) && !added.iter().any(|a| a == w) {
            added.push(w.to_string());
        }
    }
    if added.is_empty() {
        return None;
    }
    Some(
        Finding::error(
            "number_word_added",
            format!(
                "a number in words the source does not give: {}",
                added.join(", ")
            ),
        )
        .with_evidence(added),
    )
}

/// Chinese and Japanese counters of things a buyer receives (pieces, pairs,
/// bags, sheets …). Counters of kinds, layers or colours (种, 层, 色) are left
/// out: a good translation often says those without the number ("三层复合钢"
/// tri-ply steel, "两种模式" corded and cordless modes).
const THING_COUNTERS: &str = "个件只双袋包片块支根条把瓶盒套枚卷对台张颗粒组";

/// Counters of the settings a buyer chooses between: speeds and levels (档,
/// 挡, 速, 级, 段) and colour temperatures (色温). "三色温 五档亮度" came back
/// in Italian "diverse temperature di colore e livelli di luminosità", the
/// three and the five gone, unflagged. The built-in bank's 37 sources with
/// one of them all keep their number (`measure_cjk_counts_missing`).
const LEVEL_COUNTERS: &str = "档|挡|速|级|段|色温";

/// A count written with one Chinese numeral (两, 二 … 九; not 一, also the
/// article, nor 十, part of larger numerals) before a counter of things or of
/// settings; the numeral must not end a larger number ([`CJK_NUMERAL_BEFORE`]).
static CJK_COUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "([两二三四五六七八九])([{THING_COUNTERS}]|{LEVEL_COUNTERS})"
    ))
    .expect("static regex")
});

/// Languages whose compounds begin with the number word ("dreistufig").
const COMPOUNDS_WITH_NUMBER_WORDS: [&str; 2] = ["de", "nl"];

/// Words for "both", which count two things ("两块电池" → "beide Akkus",
/// "ambas baterías"), in the languages whose number words are read.
const BOTH_WORDS: [&str; 16] = [
    "beide", "beiden", "beider", "ambas", "ambos", "entrambe", "entrambi", "ambedue", "oba",
    "obie", "obydwa", "obydwie", "оба", "обе", "keduanya", "kedua",
];

/// The first part of a compound word that gives its number, in the languages
/// that write "three-level" as one word in another form than the number's
/// ("trzystopniowy", "трёхуровневый") or with a Latin prefix ("tri-color"):
/// such a word writes the count. German and Dutch compounds begin with the
/// number word itself ("dreistufig", "drietraps"): [`NUMBER_WORDS`] of
/// [`COMPOUNDS_WITH_NUMBER_WORDS`] are read as prefixes too.
const NUMBER_PREFIXES: [(&str, &[(&str, f64)]); 7] = [
    (
        "pl",
        &[
            ("dwu", 2.0),
            ("trzy", 3.0),
            ("cztero", 4.0),
            ("pięcio", 5.0),
            ("sześcio", 6.0),
            ("siedmio", 7.0),
            ("ośmio", 8.0),
            ("dziewięcio", 9.0),
        ],
    ),
    (
        "ru",
        &[
            ("двух", 2.0),
            ("трёх", 3.0),
            ("трех", 3.0),
            ("четырёх", 4.0),
            ("четырех", 4.0),
            ("пяти", 5.0),
            ("шести", 6.0),
            ("семи", 7.0),
            ("восьми", 8.0),
            ("девяти", 9.0),
        ],
    ),
    ("en", &[("tri", 3.0), ("quad", 4.0), ("penta", 5.0)]),
    ("fr", &[("tri", 3.0), ("quadri", 4.0), ("penta", 5.0)]),
    ("es", &[("tri", 3.0), ("cuatri", 4.0), ("penta", 5.0)]),
    ("it", &[("tri", 3.0), ("quadri", 4.0), ("penta", 5.0)]),
    ("pt", &[("tri", 3.0), ("quadri", 4.0), ("penta", 5.0)]),
];

/// Characters that make a numeral after them part of a larger number.
const CJK_NUMERAL_BEFORE: &str = "一二两三四五六七八九十百千万0123456789０１２３４５６７８９";

/// The value of the one Chinese numeral `numeral` that starts at byte `at`
/// of `source` ([`CJK_NUMBERS`]); `None` where it ends a larger number (a
/// numeral or digit right before it, [`CJK_NUMERAL_BEFORE`]) or is none.
fn lone_cjk_numeral(source: &str, at: usize, numeral: &str) -> Option<f64> {
    if source[..at]
        .chars()
        .next_back()
        .is_some_and(|p| CJK_NUMERAL_BEFORE.contains(p))
    {
        return None;
    }
    let numeral = numeral.chars().next()?;
    CJK_NUMBERS
        .iter()
        .find(|(n, _)| *n == numeral)
        .map(|(_, v)| *v)
}

/// Counts of things the source writes in Chinese numerals that the translation
/// leaves out: "纯棉四件套" (a four-piece cotton set) came back "Pure Cotton
/// Quilt Set", unflagged, because the number checks compare digits. A count
/// passes when the translation writes its number in digits or as a word of
/// its language ([`NUMBER_WORDS`], or "pair", "double" … for two); checked for
/// Chinese and Japanese sources into the languages whose number words are known.
pub fn cjk_counts_missing(
    source: &str,
    source_lang: &str,
    output: &str,
    target_lang: &str,
) -> Option<Finding> {
    if !matches!(source_lang, "zh" | "ja") || !NUMBER_WORDS.iter().any(|(l, _)| *l == target_lang) {
        return None;
    }
    let mut written: Vec<f64> = SOURCE_NUMBER
        .find_iter(output)
        .filter_map(|m| m.as_str().replace(',', ".").parse::<f64>().ok())
        .collect();
    written.extend(
        number_words_in(output, target_lang)
            .into_iter()
            .map(|(_, v)| v),
    );
    let compounds = COMPOUNDS_WITH_NUMBER_WORDS.contains(&target_lang);
    let prefixes: Vec<(&str, f64)> = NUMBER_PREFIXES
        .iter()
        .filter(|(l, _)| *l == target_lang)
        .flat_map(|(_, p)| p.iter().copied())
        .chain(
            NUMBER_WORDS
                .iter()
                .filter(|(l, _)| compounds && *l == target_lang)
                .flat_map(|(_, w)| w.iter().copied())
                .filter(|(_, v)| (2.0..=9.0).contains(v) && v.fract() == 0.0),
        )
        .collect();
    for w in output
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
    {
        let w = lower_word(w);
        written.extend(
            prefixes
                .iter()
                .filter(|(p, _)| w == *p || (w.len() > p.len() + 2 && w.starts_with(p)))
                .map(|(_, v)| *v),
        );
        if BOTH_WORDS.contains(&w.as_str()) {
            written.push(2.0);
        }
        let w = w.strip_suffix('s').unwrap_or(&w);
        written.extend(
            SOURCE_NUMBER_WORDS
                .iter()
                .filter(|(n, _)| *n == w)
                .map(|(_, v)| *v),
        );
    }
    let mut missing: Vec<String> = Vec::new();
    for c in CJK_COUNT.captures_iter(source) {
        let at = c.get(0).map_or(0, |m| m.start());
        let Some(v) = lone_cjk_numeral(source, at, &c[1]) else {
            continue;
        };
        let count = format!("{}{}", &c[1], &c[2]);
        if !written.iter().any(|w| (w - v).abs() < 1e-9) && !missing.contains(&count) {
            missing.push(count);
        }
    }
    if missing.is_empty() {
        return None;
    }
    Some(
        Finding::error(
            "count_missing",
            format!(
                "a count the source gives is missing: {}",
                missing.join(", ")
            ),
        )
        .with_evidence(missing),
    )
}

/// The words for a pair (of socks, earrings, dumbbells …) in the languages
/// silkroute writes, as a count after a number ("2 pares", "两双", "3쌍").
const PAIR_WORDS: [(&str, &[&str]); 18] = [
    ("en", &["pair", "pairs"]),
    ("de", &["paar", "paare"]),
    ("fr", &["paire", "paires"]),
    ("es", &["par", "pares"]),
    ("it", &["paio", "paia"]),
    ("pt", &["par", "pares"]),
    ("nl", &["paar", "paren"]),
    ("pl", &["para", "pary", "par"]),
    ("ru", &["пара", "пары", "пар"]),
    ("tr", &["çift"]),
    ("id", &["pasang"]),
    ("ms", &["pasang"]),
    ("vi", &["đôi", "cặp"]),
    ("th", &["คู่"]),
    ("ar", &["زوج", "أزواج", "زوجين", "زوجان"]),
    ("ja", &["組", "ペア", "足", "対"]),
    ("ko", &["쌍", "켤레"]),
    ("zh", &["对", "双", "副"]),
];

/// A count of pairs in a Chinese or Japanese source: a number in digits or one
/// Chinese numeral, then 对, 双 or 副 (zh) or 組, 対, 足 or ペア (ja; 足 only
/// after digits: 十足 is "fully").
static CJK_PAIR_COUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d+|[一二两三四五六七八九十])\s*(对|双|副|組|対|ペア|足)").expect("static regex")
});

/// A count of pairs in an English source: "a pair", "one pair", "3 pairs",
/// "two pairs".
static EN_PAIR_COUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+pairs?\b")
        .expect("static regex")
});

/// The numbers of pairs a source counts; empty where it counts none.
fn source_pair_counts(source: &str, source_lang: &str) -> Vec<f64> {
    let mut out = Vec::new();
    match source_lang {
        "zh" | "ja" => {
            for c in CJK_PAIR_COUNT.captures_iter(source) {
                let (n, counter) = (&c[1], &c[2]);
                let at = c.get(0).map_or(0, |m| m.start());
                let v = match n.parse::<f64>() {
                    Ok(v) => Some(v),
                    Err(_) if counter == "足" => None,
                    // "十" may end a larger numeral (二十双): no count then.
                    Err(_) => lone_cjk_numeral(source, at, n),
                };
                out.extend(v);
            }
        }
        "en" => {
            for c in EN_PAIR_COUNT.captures_iter(source) {
                let n = c[1].to_lowercase();
                let v = match n.as_str() {
                    "a" | "one" => 1.0,
                    _ => match n.parse::<f64>() {
                        Ok(v) => v,
                        Err(_) => match number_words_in(&n, "en").first() {
                            Some((_, v)) => *v,
                            None => continue,
                        },
                    },
                };
                out.push(v);
            }
        }
        _ => {}
    }
    out
}

/// The numbers of pairs `output` counts in `lang`: digits or a number word of
/// the language ([`NUMBER_WORDS`]) right before a word for a pair
/// ([`PAIR_WORDS`]), with only spaces between; each with the count as written.
fn output_pair_counts(output: &str, lang: &str) -> Vec<(String, f64)> {
    let Some((_, words)) = PAIR_WORDS.iter().find(|(l, _)| *l == lang) else {
        return Vec::new();
    };
    // Japanese, Chinese and Korean write the count right before the word;
    // Thai runs words together, so its word must end where a letter does not
    // follow ("2 คู่มือ" is two manuals).
    let cjk = matches!(lang, "ja" | "zh" | "ko");
    // The pair word at byte `at` stands alone (not inside a longer word).
    let is_word_at = |at: usize, w: &str| {
        let after = output[at + w.len()..].chars().next();
        let before = output[..at].chars().next_back();
        let alpha = |c: Option<char>| c.is_some_and(|c| c.is_alphabetic());
        cjk || (!alpha(after) && !alpha(before))
    };
    let mut out = Vec::new();
    let lower = output.to_lowercase();
    if lower.len() != output.len() {
        return out;
    }
    for w in words.iter() {
        for (at, _) in lower.match_indices(w) {
            if !is_word_at(at, w) {
                continue;
            }
            let head = output[..at].trim_end_matches([' ', '\u{a0}']);
            let digits: String = head
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if !digits.is_empty() {
                // A decimal or a range's first number is no count of pairs.
                let before = head[..head.len() - digits.len()].chars().next_back();
                if before.is_some_and(|c| matches!(c, '.' | ',' | '-' | '–' | '/' | '×' | 'x')) {
                    continue;
                }
                if let Ok(v) = digits.parse::<f64>() {
                    let from = head.len() - digits.len();
                    out.push((output[from..at + w.len()].to_string(), v));
                }
                continue;
            }
            if head.len() == output[..at].len() {
                continue;
            }
            if let Some((word, v)) = number_words_in(head, lang).last()
                && word.as_ptr() as usize + word.len() == head.as_ptr() as usize + head.len()
            {
                let from = word.as_ptr() as usize - output.as_ptr() as usize;
                out.push((output[from..at + w.len()].to_string(), *v));
            }
        }
    }
    out
}

/// A count of pairs the translation changes: "每只2.5-20kg，共一对" (one pair of
/// dumbbells) came back in Spanish "… y hay dos pares", unflagged, because 对
/// (a pair) gives the number two and "dos" passed. Read where the source counts
/// pairs (一对, 两双, 3副, "a pair", "3 pairs"): every count of pairs the
/// translation writes, in digits or words, must be one of the source's.
pub fn pair_counts_changed(
    source: &str,
    source_lang: &str,
    output: &str,
    target_lang: &str,
) -> Option<Finding> {
    let given = source_pair_counts(source, source_lang);
    if given.is_empty() {
        return None;
    }
    let mut changed: Vec<String> = Vec::new();
    for (written, v) in output_pair_counts(output, target_lang) {
        if !given.iter().any(|g| (g - v).abs() < 1e-9) && !changed.contains(&written) {
            changed.push(written);
        }
    }
    if changed.is_empty() {
        return None;
    }
    Some(
        Finding::error(
            "pair_count_changed",
            format!(
                "the source counts other numbers of pairs than {}",
                changed.join(", ")
            ),
        )
        .with_evidence(changed),
    )
}

/// Words a phrase never ends on, per language: conjunctions, prepositions
/// and articles that join it to what comes after ([`ends_unfinished`]).
const UNFINISHED_ENDS: [(&str, &[&str]); 14] = [
    (
        "en",
        &["and", "or", "with", "for", "of", "the", "a", "an", "from"],
    ),
    (
        "de",
        &[
            "und", "oder", "mit", "für", "von", "der", "die", "das", "den", "dem", "zum", "zur",
            "ohne", "ein", "eine",
        ],
    ),
    (
        "fr",
        &[
            "et", "ou", "avec", "pour", "sans", "de", "du", "des", "le", "la", "les", "au", "aux",
        ],
    ),
    (
        "es",
        &[
            "y", "o", "con", "para", "por", "sin", "de", "del", "el", "los", "las", "al",
        ],
    ),
    (
        "pt",
        &[
            "e", "ou", "com", "para", "por", "sem", "de", "do", "da", "dos", "das", "os",
        ],
    ),
    (
        "it",
        &[
            "e", "o", "con", "per", "senza", "di", "del", "della", "il", "lo", "gli", "dei",
            "delle",
        ],
    ),
    ("nl", &["en", "of", "met", "voor", "van", "het", "een"]),
    // Polish prepositions too: a smart plug's title ended "2 szt. dołączone
    // do" (2 pcs. attached to).
    (
        "pl",
        &[
            "i", "oraz", "dla", "lub", "do", "z", "ze", "w", "we", "na", "od", "bez", "przez",
        ],
    ),
    ("ru", &["и", "или", "для", "с", "из"]),
    ("tr", &["ve", "veya"]),
    ("id", &["dan", "dengan", "untuk", "atau"]),
    ("ms", &["dan", "dengan", "untuk", "atau"]),
    ("vi", &["và", "với", "hoặc"]),
    ("ar", &["و"]),
];

/// Words of a Chinese or Japanese source that forbid (请勿 "do not", 禁止,
/// 严禁, 切勿, 不得, 不可, 不能, 不宜; ないでください, 禁止): a safety warning
/// or a care rule. Not 避免 ("so that it is not pulled too tight" in the
/// bank), nor 不要, which Japanese writes for "not needed" (ドライバー不要).
const PROHIBITIONS: [&str; 11] = [
    "不能",
    "不宜",
    "请勿",
    "切勿",
    "禁止",
    "严禁",
    "不得",
    "不可",
    "勿",
    "ないでください",
    "ないで下さい",
];

/// Words that keep a prohibition in each target language: a negation, "avoid",
/// "keep away", "forbidden", or a limit ("at most", まで: "请勿超过10分钟" came
/// back "10分までにし") (matched at the start of a word, in lower case;
/// anywhere in Japanese, Chinese, Korean and Thai). Turkish, which negates
/// with a suffix of the verb (kullanmayın), is not read.
#[rustfmt::skip]
const PROHIBITION_KEPT: [(&str, &[&str]); 17] = [
    ("en", &["not", "no", "never", "don't", "cannot", "can't", "won't", "isn't", "aren't", "doesn't", "shouldn't", "mustn't", "non", "avoid", "keep away", "keep out", "away from", "without", "nor", "prohibit", "forbid", "only", "at most", "up to", "max", "less than", "keep off", "out of"]),
    ("de", &["nicht", "kein", "nie", "vermeid", "verbot", "fern", "ohne", "nur", "untersagt", "höchstens", "max"]),
    ("fr", &["ne", "n'", "pas", "non", "jamais", "évite", "éviter", "interdit", "sans", "uniquement", "seulement", "à l'écart", "au plus", "max", "hors"]),
    ("es", &["no", "non", "nunca", "evit", "prohibid", "sin", "solo", "sólo", "lejos", "fuera", "ni", "máx", "max"]),
    ("it", &["non", "mai", "evita", "vietat", "senza", "solo", "lontano", "fuori", "né", "mass", "max"]),
    ("pt", &["não", "nunca", "evit", "proibid", "sem", "apenas", "somente", "longe", "fora", "nem", "máx", "max"]),
    ("nl", &["niet", "geen", "non", "nooit", "vermijd", "verboden", "zonder", "alleen", "uit de buurt", "maxim", "hooguit", "max"]),
    ("pl", &["nie", "nigdy", "unika", "zakaz", "zabronion", "bez", "tylko", "z dala", "maks", "najwyżej"]),
    ("ru", &["не", "нельзя", "никогда", "избега", "запрещ", "без", "только", "вдали", "макс"]),
    ("vi", &["không", "đừng", "chớ", "tránh", "cấm", "chỉ", "xa", "tối đa"]),
    ("id", &["jangan", "tidak", "hindari", "dilarang", "tanpa", "hanya", "jauh", "bukan", "maks", "paling lama"]),
    ("ms", &["jangan", "tidak", "elak", "dilarang", "tanpa", "hanya", "jauh", "bukan", "maks", "paling lama"]),
    ("ar", &["لا", "عدم", "تجنب", "يمنع", "ممنوع", "بدون", "فقط", "بعيد", "غير", "يحظر", "أقصى", "حد"]),
    ("th", &["ห้าม", "อย่า", "ไม่", "หลีกเลี่ยง", "เท่านั้น", "ห่าง", "สูงสุด"]),
    ("ja", &["ない", "禁止", "遠慮", "避け", "ません", "不可", "ず", "のみ", "離", "まで", "以内", "以下"]),
    ("ko", &["마", "금지", "불가", "않", "피하", "말", "안 ", "없", "만 ", "멀리", "까지", "이내", "이하"]),
    ("zh", &["勿", "禁止", "不", "避免", "严禁", "仅", "远离", "最多", "以内"]),
];

/// Words that forbid in each target language: an imperative with a negation
/// ("do not", "đừng", "jangan", "ห้าม"), "forbidden", "never" (matched at the
/// start of a word, in lower case; a word of four letters or fewer whole;
/// anywhere in Japanese, Chinese, Korean and Thai). Only words that forbid:
/// a plain negation ("not", "sans", "không") is how a translation says "leak-
/// proof" or "BPA-free".
#[rustfmt::skip]
const PROHIBITION_SAID: [(&str, &[&str]); 18] = [
    ("en", &["do not", "don't", "never", "must not", "prohibited", "forbidden"]),
    ("de", &["verboten", "untersagt", "niemals", "nicht verwenden", "darf nicht", "dürfen nicht"]),
    ("fr", &["interdit", "jamais", "ne pas", "n'utilisez pas", "ne doit pas"]),
    ("es", &["prohibido", "nunca", "no utilice", "no use", "no debe"]),
    ("it", &["vietato", "mai", "non utilizzare", "non usare", "non deve"]),
    ("pt", &["proibido", "nunca", "não use", "não utilize", "não deve"]),
    ("nl", &["verboden", "nooit", "niet gebruiken"]),
    ("pl", &["zakaz", "nigdy", "nie wolno", "nie używać", "nie należy"]),
    ("ru", &["нельзя", "запрещ", "никогда", "не используйте"]),
    ("tr", &["yasak", "asla"]),
    ("vi", &["đừng", "chớ", "cấm", "không được"]),
    ("id", &["jangan", "dilarang"]),
    ("ms", &["jangan", "dilarang"]),
    ("th", &["ห้าม", "อย่า"]),
    ("ja", &["ないでください", "ないで下さい", "禁止"]),
    ("ko", &["마세요", "마십시오", "금지"]),
    ("ar", &["يمنع", "ممنوع", "يحظر", "لا تستخدم"]),
    ("zh", &["请勿", "禁止", "不要", "切勿", "严禁"]),
];

/// A source that negates or forbids anything, or says "against", "without",
/// "only", "avoid" or a limit (不, 无, 免, 防, 止, 避, 以内 …; ない, ず, まで;
/// "not", "without", "-proof", "-free", "anti-", "keep away", "up to"): a
/// translation may say any of these with a word that forbids ("10分までにし",
/// at most 10 minutes, is "do not run it for more than 10 minutes").
static SOURCE_NEGATES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)[不无無没沒勿禁免非未别別莫否防止避忌严嚴拒仅僅只]|ない|ず|ません|まで|以内|以下|控え|超过|超過|最多|至多|上限|\b(?:not|no|never|nor|neither|without|avoid\w*|prevent\w*|keep|away|only|stop\w*|resist\w*|anti\w*|non\w*|\w*n't|\w*proof|\w*free|cannot|up to|more than|at most|max\w*|limit\w*)\b",
    )
    .expect("static regex")
});

/// Whether `word` begins a word of `text`: no letter or digit before it,
/// and, unless it may be a `prefix` (a stem: "vermeid", "запрещ"), none after.
fn starts_word(text: &str, word: &str, prefix: bool) -> bool {
    text.match_indices(word).any(|(i, _)| {
        !text[..i].ends_with(char::is_alphanumeric)
            && (prefix || !text[i + word.len()..].starts_with(char::is_alphanumeric))
    })
}

/// `prohibition_added`: a translation that forbids something where the source
/// negates nothing: an electric kettle's "干烧自动断电" (it switches itself
/// off when boiled dry) came back in Vietnamese "Đừng tắt điện khi nấu nướng"
/// (do not switch off the power while cooking), a warning the source never
/// gave, and the opposite of its fact. Returns the words that forbid.
pub fn prohibition_added(
    source: &str,
    output: &str,
    source_lang: &str,
    target_lang: &str,
) -> Option<Finding> {
    // Sources whose negations and limits [`SOURCE_NEGATES`] reads.
    if !matches!(source_lang, "zh" | "ja" | "en") || SOURCE_NEGATES.is_match(source) {
        return None;
    }
    let (_, said) = PROHIBITION_SAID.iter().find(|(l, _)| *l == target_lang)?;
    let glued = matches!(target_lang, "ja" | "zh" | "ko" | "th");
    let lower = output.to_lowercase();
    let found: Vec<String> = said
        .iter()
        .filter(|w| {
            if glued {
                // Thai อย่า (do not) begins อย่าง (in a way of), and ห้าม
                // (forbid) ห้ามล้อ (a brake).
                let goes_on = |rest: &str| match **w {
                    "อย่า" => rest.starts_with('ง'),
                    "ห้าม" => rest.starts_with("ล้อ"),
                    _ => false,
                };
                return lower
                    .match_indices(*w)
                    .any(|(i, _)| !goes_on(&lower[i + w.len()..]));
            }
            starts_word(&lower, w, w.chars().count() > 4)
        })
        .map(|w| w.to_string())
        .collect();
    if found.is_empty() {
        return None;
    }
    Some(
        Finding::error(
            "prohibition_added",
            format!(
                "the translation forbids something ({}), and the source forbids nothing",
                found.join(", ")
            ),
        )
        .with_evidence(found),
    )
}

/// `prohibition_lost`: a source that forbids something (请勿使用, do not use)
/// whose translation has no word of its language that keeps a prohibition:
/// a massage gun's "孕妇及心脏病患者请勿使用" (pregnant women and heart
/// patients must not use it) came back in Polish "… prosimy o niezawodne
/// korzystanie" (please use it reliably), the warning turned into its
/// opposite, and nothing flagged it. A translation may say it in other ways
/// ("keep away from", "avoid", "only"), all of which count.
pub fn prohibition_lost(source: &str, output: &str, target_lang: &str) -> Option<Finding> {
    let forbids = PROHIBITIONS.iter().find(|p| source.contains(*p))?;
    let (_, kept) = PROHIBITION_KEPT.iter().find(|(l, _)| *l == target_lang)?;
    let glued = matches!(target_lang, "ja" | "zh" | "ko" | "th");
    let keeps = |text: &str| {
        let lower = text.to_lowercase();
        kept.iter().any(|w| {
            if glued {
                return lower.contains(w);
            }
            // A short word whole ("nie", not "niezawodne"; "bez", not
            // "bezpieczny"); a longer one, a stem or "max" as a prefix
            // ("vermeiden", "evitare", "maximal").
            let prefix = w.chars().count() >= 4
                || w.ends_with(|c: char| !c.is_alphanumeric())
                || w.starts_with("max")
                || w.starts_with("máx");
            starts_word(&lower, w, prefix)
        })
    };
    // Sentence by sentence where both have as many: another sentence's "nie"
    // ("nie więcej niż 2 min", no more than 2 minutes) keeps no warning.
    let sentences = |t: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut cs = t.chars().peekable();
        while let Some(c) = cs.next() {
            cur.push(c);
            let end = matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';')
                || c == '.' && cs.peek().is_none_or(|n| n.is_whitespace());
            if end {
                out.push(std::mem::take(&mut cur));
            }
        }
        out.push(cur);
        out.retain(|x| x.chars().any(char::is_alphanumeric));
        out
    };
    let (src, out) = (sentences(source), sentences(output));
    let each_kept = |src: &[String], out: &[String]| {
        src.iter()
            .zip(out)
            .all(|(a, b)| !PROHIBITIONS.iter().any(|p| a.contains(p)) || keeps(b))
    };
    // Clause by clause (at commas too) where the sentences do not pair and
    // the clauses do: "请勿放入微波炉，不可装碳酸饮料" came back in Korean
    // "… 사용하지 마세요. 탄산음료는 세트로 사용하세요" (use carbonated
    // drinks as a set), the first clause's negation keeping the second's
    // lost one.
    let clauses = |t: &str| -> Vec<String> {
        sentences(t)
            .iter()
            .flat_map(|x| {
                // Not at a decimal comma ("1,5 cm").
                let mut parts = Vec::new();
                let mut cur = String::new();
                let mut cs = x.chars().peekable();
                while let Some(c) = cs.next() {
                    if c == '，' || c == ',' && cs.peek().is_none_or(|n| !n.is_ascii_digit()) {
                        parts.push(std::mem::take(&mut cur));
                    } else {
                        cur.push(c);
                    }
                }
                parts.push(cur);
                parts
            })
            .filter(|x| x.chars().any(char::is_alphanumeric))
            .collect()
    };
    let (src_c, out_c) = (clauses(source), clauses(output));
    let kept_all = if src.len() == out.len() && src.len() > 1 {
        each_kept(&src, &out)
    } else if src_c.len() == out_c.len() && src_c.len() > 1 {
        each_kept(&src_c, &out_c)
    } else {
        keeps(output)
    };
    if kept_all {
        return None;
    }
    Some(
        Finding::error(
            "prohibition_lost",
            format!("the source forbids (\"{forbids}\"), and the translation says nothing of it"),
        )
        .with_evidence(vec![forbids.to_string()]),
    )
}

/// A phrase in quotation marks.
static QUOTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|[^\d\w])("[^"\d]{1,40}"|“[^”]{1,40}”|«[^»]{1,40}»|„[^“]{1,40}“)"#)
        .expect("static regex")
});

/// `quote_added`: a phrase in quotation marks ("…", “…”, «…», „…“) in a
/// translation whose source has no quotation mark of any kind. A model that
/// quotes is writing about the text, not translating it: a French retry of
/// 可手洗，不可机洗，不可暴晒 came back "Le rappel doit être conservé, avec
/// une négation comme "ne pas"", the retry's own instruction translated,
/// and passed every other check. Inch marks (3/4") and Chinese and Japanese
/// brackets (「カチッ」) are no quotation; no good translation of the dev set
/// nor of the bank quotes where its source does not (0 of 2,630 and of
/// 16,200).
pub fn quote_added(source: &str, output: &str) -> Option<Finding> {
    let quotes = |c: char| {
        matches!(
            c,
            '"' | '“' | '”' | '«' | '»' | '„' | '「' | '」' | '『' | '』' | '\'' | '‘' | '’'
        )
    };
    if source.chars().any(quotes) {
        return None;
    }
    let q = QUOTED.captures(output)?.get(1)?.as_str().to_string();
    Some(
        Finding::warning(
            "quote_added",
            format!("the translation quotes {q}, and the source quotes nothing"),
        )
        .with_evidence(vec![q]),
    )
}

/// A translation that stops before its end: its last word joins it to words
/// that never came ("… With Spinning Reel, Pack of" for "…含纺车轮 套装", a
/// set). The last word, in lower case, is a conjunction, preposition or
/// article of the target language that never ends a phrase
/// ([`UNFINISHED_ENDS`]: not "in" or "on", which end "plug in", nor Turkish
/// "için", a postposition), or the text ends with a comma or "&", where the
/// source does not end so.
pub fn ends_unfinished(source: &str, output: &str, target_lang: &str) -> Option<Finding> {
    let (_, words) = UNFINISHED_ENDS.iter().find(|(l, _)| *l == target_lang)?;
    let source_lang_words: Vec<&str> = UNFINISHED_ENDS
        .iter()
        .flat_map(|(_, ws)| ws.iter().copied())
        .collect();
    let open_end = |t: &str| -> Option<String> {
        let t = t.trim_end();
        if t.ends_with([',', '&', '，', '、']) {
            return t.chars().last().map(String::from);
        }
        let (_, last) = t.rsplit_once(char::is_whitespace)?;
        (!last.is_empty() && last.chars().all(char::is_lowercase) && words.contains(&last))
            .then(|| last.to_string())
    };
    let word = open_end(output)?;
    // A source that ends open too (in any language's words).
    let src = source.trim_end();
    if src.ends_with([',', '&', '，', '、'])
        || src
            .rsplit_once(char::is_whitespace)
            .is_some_and(|(_, w)| source_lang_words.contains(&w))
    {
        return None;
    }
    Some(
        Finding::error(
            "ends_unfinished",
            format!("the translation stops on \"{word}\": its end is missing"),
        )
        .with_evidence(vec![word]),
    )
}

/// A placeholder `{n}` as the model may write it back (`{ 1 }` too).
pub(super) static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\s*\d{1,3}\s*\}").expect("static regex"));
/// A word or two in braces, or a brace alone.
static BRACED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{[^{}\n]{0,40}\}|[{}]").expect("static regex"));

/// Braces in the restored output beyond those of the restored source: the
/// model wrote a word in a placeholder's shape ("für sicheren {einfach}
/// Gebrauch"), which no reader of the listing should see. A placeholder it
/// made up with a number is `placeholder_missing`'s and is already removed.
fn braces_added(source: &str, output: &str) -> Vec<String> {
    let count = |t: &str| t.chars().filter(|c| matches!(c, '{' | '}')).count();
    if count(output) <= count(source) {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for m in BRACED.find_iter(output) {
        let m = m.as_str().to_string();
        if !source.contains(&m) && !out.contains(&m) {
            out.push(m);
        }
    }
    out
}

static DIGITS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d+").expect("static regex"));

/// `s` with a space for each placeholder.
pub(super) fn strip_placeholders(s: &str) -> String {
    PLACEHOLDER.replace_all(s, " ").into_owned()
}

/// How often each digit run occurs in a text, full-width digits read as ASCII
/// and leading zeros dropped (`007` and `7` are one number; `1.5` and `1,5` are
/// the same two runs).
fn digit_runs(s: &str) -> HashMap<String, i64> {
    let s = ascii_digits(s);
    let mut m: HashMap<String, i64> = HashMap::new();
    for d in DIGITS.find_iter(&s) {
        *m.entry(d.as_str().trim_start_matches('0').to_string())
            .or_default() += 1;
    }
    m
}

/// Every digit run of the expected text must be in the output as often, and the
/// output may not have digits the source has not (`number_missing`, `number_changed`),
/// except a number the source gives in words ("纯棉四件套" → "4-Piece Bedding
/// Set", "two batteries" → "2 Akkus").
pub fn numbers(expected: &str, output: &str) -> Vec<Finding> {
    let (want, got) = (digit_runs(expected), digit_runs(output));
    let no_digits: String = expected
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect();
    let in_words = source_numbers(&[&no_digits]);
    let mut missing: Vec<String> = want
        .iter()
        .filter(|(k, n)| got.get(*k).copied().unwrap_or(0) < **n)
        .map(|(k, _)| if k.is_empty() { "0".into() } else { k.clone() })
        .collect();
    let mut extra: Vec<String> = got
        .iter()
        .filter(|(k, n)| want.get(*k).copied().unwrap_or(0) < **n)
        .filter(|(k, _)| {
            let v = k.parse::<f64>().unwrap_or(0.0);
            !in_words.iter().any(|w| (w - v).abs() < 1e-9)
        })
        .map(|(k, _)| if k.is_empty() { "0".into() } else { k.clone() })
        .collect();
    missing.sort();
    extra.sort();
    let mut f = Vec::new();
    if !missing.is_empty() {
        f.push(
            Finding::error(
                "number_missing",
                format!("source numbers missing: {}", missing.join(", ")),
            )
            .with_evidence(missing),
        );
    }
    if !extra.is_empty() {
        // A number the source gives, said more often than it does, is no
        // number "neither in the source".
        let key = |k: &str| {
            if k == "0" {
                String::new()
            } else {
                k.to_string()
            }
        };
        let count = |m: &HashMap<String, i64>, k: &str| m.get(&key(k)).copied().unwrap_or(0);
        let (more, new): (Vec<&String>, Vec<&String>) =
            extra.iter().partition(|k| count(&want, k) > 0);
        let mut said = Vec::new();
        if !new.is_empty() {
            said.push(format!(
                "numbers neither in the source nor converted by silkroute: {}",
                new.iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !more.is_empty() {
            let times = |n: i64| match n {
                1 => "once".to_string(),
                2 => "twice".to_string(),
                n => format!("{n} times"),
            };
            said.push(format!(
                "numbers said more often than in the source: {}",
                more.iter()
                    .map(|k| format!(
                        "{k} ({}, the source {})",
                        times(count(&got, k)),
                        times(count(&want, k))
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        f.push(Finding::error("number_changed", said.join("; ")).with_evidence(extra));
    }
    f
}

/// A person's edit of a translated field, against the field's source with its
/// spans (`source`, from [`spans::protect`](super::spans::protect) with the
/// market's rules): every number of the source must still be in the edit, as
/// the source writes it or as silkroute rewrites it for the market (a span's
/// `restore`: `16 oz` may be `473 ml`, `1.5 kg` may be `1,5 kg`). Digit runs
/// are compared as [`numbers`] compares them, so a decimal separator is no
/// change. Numbers the edit adds are the person's own and pass.
///
/// Returns `number_changed` with, as evidence, each source number (a span's
/// source text, or a bare digit run) the edit no longer has.
pub fn edited_numbers(source: &Protected, edited: &str) -> Option<Finding> {
    let mut have = digit_runs(edited);
    // Takes `need` out of `have` when all of it is there.
    let take = |have: &mut HashMap<String, i64>, need: &HashMap<String, i64>| {
        if need
            .iter()
            .any(|(k, n)| have.get(k).copied().unwrap_or(0) < *n)
        {
            return false;
        }
        for (k, n) in need {
            if let Some(h) = have.get_mut(k) {
                *h -= n;
            }
        }
        true
    };
    let mut gone: Vec<String> = Vec::new();
    for span in &source.spans {
        let original = digit_runs(&span.original);
        if original.is_empty() || take(&mut have, &original) {
            continue;
        }
        if span.restore != span.original && take(&mut have, &digit_runs(&span.restore)) {
            continue;
        }
        gone.push(span.original.clone());
    }
    let mut bare: Vec<(String, i64)> = digit_runs(&strip_placeholders(&source.text))
        .into_iter()
        .collect();
    bare.sort();
    for (k, n) in bare {
        if have.get(&k).copied().unwrap_or(0) < n {
            gone.push(if k.is_empty() { "0".into() } else { k });
        } else if let Some(h) = have.get_mut(&k) {
            *h -= n;
        }
    }
    if gone.is_empty() {
        return None;
    }
    Some(
        Finding::error(
            "number_changed",
            format!("source numbers missing from the edit: {}", gone.join(", ")),
        )
        .with_evidence(gone),
    )
}

/// Full-width digits (`１２`) as ASCII.
fn ascii_digits(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(|c| ('０'..='９').contains(&c)) {
        s.chars()
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                c => c,
            })
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

/// `multiplier_parted`: a multiplier the source writes after a quantity
/// ("80抽×10包", 80 wipes × 10 packs: two placeholders, "{1}抽{2}包") that the
/// translation puts at the start of the text or after a comma, where it
/// multiplies nothing: baby wipes' Korean title came back "아기가 80, ×10,
/// 99% …". Returns the multipliers as restored.
pub fn multiplier_parted(source_protected: &str, output_raw: &str, spans: &[Span]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, sp) in spans.iter().enumerate() {
        let times = sp.original.trim_start().strip_prefix(['×', 'x', 'X']);
        if sp.kind != SpanKind::Quantity
            || !times.is_some_and(|t| t.starts_with(|c: char| c.is_ascii_digit()))
        {
            continue;
        }
        let ph = Protected::placeholder(i);
        // In the source, right after something (a placeholder, a counter).
        let Some(at) = source_protected.find(&ph) else {
            continue;
        };
        let before = source_protected[..at].trim_end();
        if before.is_empty() || before.ends_with([',', '，', '、', ';', '；']) {
            continue;
        }
        if let Some(at) = output_raw.find(&ph) {
            let before = output_raw[..at].trim_end();
            if before.is_empty() || before.ends_with([',', '，', '、', ';', '；', '(']) {
                out.push(sp.restore.clone());
            }
        }
    }
    out
}

/// `code_glued`: letters of a spaced script glued to the end of a kept model
/// number or quantity that ends in a letter, where the source has no such
/// word: a silk pillowcase's "6A级" (grade 6A) came back in a French title
/// "6Aème niveau", a code with an ordinal's ending. Not an English plural's
/// lone "s" ("30 mins"); not Chinese, Japanese, Korean or Thai letters, which
/// follow a word with no space.
pub fn glued_to_code(expected: &str, output: &str, spans: &[Span]) -> Vec<String> {
    let spaced_letter = |c: char| {
        c.is_alphabetic() && ((c as u32) < 0x0530 || (0x1E00..0x2000).contains(&(c as u32)))
    };
    let mut out: Vec<String> = Vec::new();
    for sp in spans {
        if !matches!(sp.kind, SpanKind::ModelNumber | SpanKind::Quantity) {
            continue;
        }
        let r = sp.restore.trim();
        // A quantity written with a space before its unit may take the
        // language's ending (Turkish "60 saate", Polish "30 sekund").
        if !r.chars().any(|c| c.is_ascii_digit())
            || !r.ends_with(|c: char| c.is_ascii_alphabetic())
            || sp.kind == SpanKind::Quantity && r.contains(char::is_whitespace)
        {
            continue;
        }
        for (i, _) in output.match_indices(r) {
            if output[..i].ends_with(char::is_alphanumeric) {
                continue;
            }
            let after = &output[i + r.len()..];
            let run: String = after.chars().take_while(|&c| spaced_letter(c)).collect();
            let word = format!("{r}{run}");
            if run.is_empty() || run == "s" || expected.contains(&word) || out.contains(&word) {
                continue;
            }
            out.push(word);
        }
    }
    out
}

/// A word glued to a number: its unit, when it has one.
static NUMBER_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d(?:[\d.,/]*\d)?)[ \u{a0}]?([\p{L}°µ²³][\p{L}°µ²³·/\-.]*)")
        .expect("static regex")
});

/// Tokens right after a number that read as units but are none (`gkg`, `m-lb`,
/// `kgkg`): two or more units of the table run together. Words ("Stunden",
/// "teilig") and real units pass; so does anything the expected text has itself.
pub fn unknown_units(expected: &str, output: &str) -> Vec<Finding> {
    let table = units::table();
    let mut bad: Vec<String> = Vec::new();
    for c in NUMBER_WORD.captures_iter(output) {
        // Japanese and Chinese write the next word without a space ("48 VVで",
        // "15.9 kgの"): the unit is the run before the first CJK character.
        let tok = c[2]
            .split(script::is_cjk)
            .next()
            .unwrap_or("")
            .trim_end_matches(['.', '-', '/', '·']);
        // Battery sizes count batteries ("2 AAA"), they are no amperes.
        if tok.is_empty() || table.lookup(tok).is_some() || matches!(tok, "AA" | "AAA" | "AAAA") {
            continue;
        }
        let sep = &c[0][c[1].len()..c[0].len() - c[2].len()];
        let whole = format!("{}{sep}{tok}", &c[1]);
        if expected.contains(&whole) {
            continue;
        }
        if glued_units(tok) && !bad.iter().any(|b| b == tok) {
            bad.push(tok.to_string());
        }
    }
    if bad.is_empty() {
        return Vec::new();
    }
    vec![
        Finding::error("unit_unknown", format!("not a unit: {}", bad.join(", ")))
            .with_evidence(bad),
    ]
}

/// Whether `tok` is two or more unit symbols of the table run together, with or
/// without a joiner (`gkg` = g + kg, `m-lb` = m + lb).
fn glued_units(tok: &str) -> bool {
    let table = units::table();
    let chars: Vec<(usize, char)> = tok.char_indices().collect();
    let n = chars.len();
    if !(2..=12).contains(&n) {
        return false;
    }
    let at = |i: usize| chars.get(i).map_or(tok.len(), |(b, _)| *b);
    let is_symbol = |a: usize, b: usize| {
        let part = &tok[at(a)..at(b)];
        table.lookup(part).is_some_and(|m| !m.spelled_out)
    };
    // parts[i]: the fewest units covering tok[..i] (None: cannot).
    let mut parts: Vec<Option<usize>> = vec![None; n + 1];
    parts[0] = Some(0);
    for i in 0..n {
        let Some(k) = parts[i] else { continue };
        // A joiner between two units.
        if i > 0 && matches!(chars[i].1, '-' | '·' | '/' | '.') {
            let j = i + 1;
            if parts[j].is_none_or(|p| p > k) {
                parts[j] = Some(k);
            }
            continue;
        }
        for (j, slot) in parts.iter_mut().enumerate().skip(i + 1) {
            if is_symbol(i, j) && slot.is_none_or(|p| p > k + 1) {
                *slot = Some(k + 1);
            }
        }
    }
    parts[n].is_some_and(|k| k >= 2)
}

/// Lower-cased words (letters, digits, apostrophes and hyphens) of `s`.
pub(super) fn words_lower(s: &str) -> Vec<String> {
    words_cased(s).into_iter().map(str::to_lowercase).collect()
}

/// The words of [`words_lower`], as written.
pub(super) fn words_cased(s: &str) -> Vec<&str> {
    s.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
        .filter(|w| w.chars().any(char::is_alphabetic))
        .collect()
}

/// Languages the detector cannot tell from another, as (target, what it answers):
/// whatlang has no Malay model and reads Malay as Indonesian.
const DETECTED_AS: [(&str, &str); 1] = [("ms", "id")];

/// A Japanese text of this many kanji or more with no kana is taken for Chinese.
const JA_KANJI_WITHOUT_KANA: usize = 16;

/// Detect the language of the output (`wrong_language`). Short texts (under three
/// words, or six CJK characters) are not judged.
pub fn wrong_language(text: &str, target: &str) -> Option<Finding> {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let cjk = letters
        .iter()
        .filter(|c| script::is_han_or_kana(**c))
        .count();
    let words = text
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count();
    if matches!(target, "ja" | "zh") {
        if letters.len() < 6 {
            return None;
        }
        // Brand names and model numbers are Latin; the rest must be CJK.
        if (cjk as f32) < 0.4 * letters.len() as f32 {
            return Some(Finding::error(
                "wrong_language",
                format!("expected {target}, the text is mostly Latin script"),
            ));
        }
        // Chinese, not Japanese: a simplified form Japanese never writes (钢, 锈), or a
        // long text with no kana at all. A short all-kanji field (対象年齢3歳以上,
        // 材質ステンレス鋼 without its kana) is good Japanese.
        if target == "ja" && cjk >= 6 {
            let han = letters.iter().filter(|c| script::is_han(**c)).count();
            let kana = letters.iter().any(|c| script::is_kana(*c));
            let simplified = letters
                .iter()
                .any(|c| script::is_han(*c) && !script::is_japanese_kanji(*c));
            if simplified || (!kana && han >= JA_KANJI_WITHOUT_KANA) {
                return Some(Finding::error(
                    "wrong_language",
                    "expected ja, the text reads as Chinese (simplified characters or no kana)",
                ));
            }
        }
        return None;
    }
    if cjk * 2 > letters.len() && letters.len() >= 4 {
        return Some(Finding::error(
            "wrong_language",
            format!("expected {target}, the text is CJK"),
        ));
    }
    if words < 3 {
        return None;
    }
    let (got, confidence) = crate::listing::detect_any_language(text)?;
    let same = got == target || DETECTED_AS.contains(&(target, got));
    (!same && confidence >= 0.5 && words >= 4).then(|| {
        Finding::error(
            "wrong_language",
            format!("expected {target}, detected {got} (confidence {confidence:.2})"),
        )
    })
}

/// How many Latin letters one character of `c` weighs in text of `lang`, for
/// [`length_ratio`]: a Chinese character carries about what 3.6 Latin letters do, a
/// kanji in Japanese (mixed with kana) 2.6, kana 1.6, a Hangul syllable block (two
/// or three letters) 2. Set from the translators' example bank (zh→en, en→zh and
/// en→ja, 366 pairs each: median output/source ratio 0.7 to 1.1 with these
/// weights), not from the eval set.
fn char_weight(c: char, lang: &str) -> f32 {
    if script::is_han(c) {
        if lang.starts_with("ja") { 2.6 } else { 3.6 }
    } else if script::is_kana(c) {
        1.6
    } else if script::is_hangul(c) {
        2.0
    } else {
        1.0
    }
}

/// Output length within bounds of the source's (`length_ratio`), both in Latin-letter
/// equivalents of their language ([`char_weight`]), so the same bounds hold for
/// zh→es and en→ko as for en→de. Sources under 12 equivalents are not judged.
pub fn length_ratio(
    source: &str,
    output: &str,
    src: &str,
    tgt: &str,
    opts: &CheckOptions,
) -> Option<Finding> {
    let weight = |s: &str, lang: &str| -> f32 { s.chars().map(|c| char_weight(c, lang)).sum() };
    let (s, o) = (weight(source, src), weight(output, tgt));
    if s < 12.0 {
        return (o == 0.0 && s > 0.0)
            .then(|| Finding::error("length_ratio", "the output is empty"));
    }
    let r = o / s;
    let (lo, hi) = opts.length_ratio;
    (r < lo || r > hi).then(|| {
        Finding::error(
            "length_ratio",
            format!("output/source length ratio {r:.2} outside {lo}–{hi}"),
        )
    })
}

/// Repeated n-gram loops (`repetition_loop`): a word trigram (or CJK 4-gram)
/// three or more times, more often than in the source.
pub fn repetition_loop(source: &str, output: &str) -> Option<Finding> {
    fn grams(s: &str) -> HashMap<String, usize> {
        let mut m = HashMap::new();
        let w = words_lower(s);
        for g in w.windows(3) {
            *m.entry(g.join(" ")).or_default() += 1;
        }
        let cjk: Vec<char> = s.chars().filter(|c| script::is_han_or_kana(*c)).collect();
        for g in cjk.windows(4) {
            *m.entry(g.iter().collect::<String>()).or_default() += 1;
        }
        // A single word repeated four times in a row.
        for g in w.windows(4) {
            if g.iter().all(|x| *x == g[0]) {
                *m.entry(format!("{0} {0} {0} {0}", g[0])).or_default() += 3;
            }
        }
        m
    }
    let src = grams(source);
    let out = grams(output);
    let worst = out
        .into_iter()
        .filter(|(g, n)| *n >= 3 && *n > src.get(g).copied().unwrap_or(0))
        // The most repeated; among equals the first in text order of the
        // n-gram, never the map's (random) iteration order: the same output
        // always gets the same message.
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))?;
    Some(Finding::error(
        "repetition_loop",
        format!("\"{}\" repeated {} times", worst.0, worst.1),
    ))
}

/// A phrase of three words said twice in a title that the source says once
/// (`repetition_loop`): a coffee machine's French title came back "…
/// boîte d'eau acier inoxydable 1,1 L, boîte d'eau acier inoxydable 1300W",
/// the water tank made of steel, twice. Three words in a row of three letters
/// or more (a title may say "para perros de 5 m, para perros de hasta 50
/// kg"); a title is short, and a good one names each thing once.
pub fn title_phrase_repeated(source: &str, output: &str) -> Option<Finding> {
    fn grams(s: &str) -> Vec<String> {
        // A unit's letter between them parts nothing ("Duvet Cover Bed, 1.8
        // m Duvet Cover").
        let letters = |w: &String| w.chars().filter(|c| c.is_alphabetic()).count();
        let w: Vec<String> = words_lower(s)
            .into_iter()
            .filter(|w| letters(w) >= 2)
            .collect();
        w.windows(3)
            .filter(|g| g.iter().all(|w| letters(w) >= 3))
            .map(|g| g.join(" "))
            .collect()
    }
    let src = grams(source);
    let out = grams(output);
    let count = |g: &String, all: &[String]| all.iter().filter(|x| *x == g).count();
    let g = out
        .iter()
        .find(|g| count(g, &out) >= 2 && count(g, &out) > count(g, &src))?;
    Some(Finding::error(
        "repetition_loop",
        format!("\"{g}\" repeated {} times", count(g, &out)),
    ))
}

/// Share of a worked example's word pairs that makes an output holding them a
/// copy of the whole example ([`copied_example`]).
const COPIED_EXAMPLE_SHARE: f64 = 0.9;
/// Share of a worked example's word pairs an output may repeat ([`copied_example`]).
const COPIED_OUTPUT_SHARE: f64 = 0.8;
/// Share of its words in that example's source the segment's source then stays under.
const COPIED_SOURCE_SHARE: f64 = 0.4;
/// Words in a row of a worked example's translation (numbers aside) that make
/// an output holding them a copy of its start ([`copied_example`]).
const COPIED_RUN: usize = 5;

/// The most words in a row, numbers (`0`) left out, that `a` and `b` share.
/// CJK characters are no words here: a run of them is a word or two
/// ("ステンレス", stainless), which unrelated texts share.
fn longest_shared_run(a: &[String], b: &[String]) -> usize {
    let words = |t: &[String]| -> Vec<String> { t.iter().filter(|w| *w != "0").cloned().collect() };
    let (a, b) = (words(a), words(b));
    let cjk = |w: &str| w.chars().next().is_some_and(script::is_han_or_kana);
    let mut best = 0;
    let mut row = vec![0usize; b.len() + 1];
    for x in &a {
        let mut prev = 0;
        for (j, y) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = if x == y && !cjk(x) { prev + 1 } else { 0 };
            best = best.max(row[j + 1]);
            prev = here;
        }
    }
    best
}

/// The most words, numbers (`0`) and CJK characters left out, that `a` and
/// `b` share in the same order (their longest common subsequence), and the
/// words of `b` counted.
fn shared_in_order(a: &[String], b: &[String]) -> (usize, usize) {
    let cjk = |w: &str| w.chars().next().is_some_and(script::is_han_or_kana);
    let words = |t: &[String]| -> Vec<String> {
        t.iter().filter(|w| *w != "0" && !cjk(w)).cloned().collect()
    };
    let (a, b) = (words(a), words(b));
    let mut row = vec![0usize; b.len() + 1];
    for x in &a {
        let mut prev = 0;
        for (j, y) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = if x == y {
                prev + 1
            } else {
                row[j + 1].max(row[j])
            };
            prev = here;
        }
    }
    (row[b.len()], b.len())
}

/// Tokens of a text for [`copied_example`]: each Chinese or Japanese
/// character, each run of letters and digits (Hangul too) in lower case, a number (or a placeholder) as `0`;
/// HTML tags and punctuation are skipped.
fn copy_tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, tokens: &mut Vec<String>| {
        if !word.is_empty() {
            let w = std::mem::take(word);
            tokens.push(if w.chars().all(|c| c.is_ascii_digit()) {
                "0".to_string()
            } else {
                w
            });
        }
    };
    for c in crate::html::strip_tags(text).chars() {
        // Korean is written in words parted by spaces: its syllables are
        // letters of a word, not words of their own.
        if script::is_han_or_kana(c) {
            flush(&mut word, &mut tokens);
            tokens.push(c.to_string());
        } else if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else {
            flush(&mut word, &mut tokens);
        }
    }
    flush(&mut word, &mut tokens);
    tokens
}

/// Share of `a`'s token pairs (neighbours) that occur in `b`, and how many
/// pairs `a` has.
fn pairs_within(a: &[String], b: &[String]) -> (f64, usize) {
    // `b`'s pairs, and those it has once its numbers are taken out: an output
    // that copies a fixed example without its placeholders ("Houdt dranken
    // koud en warm" for "Houdt dranken {1} koud en {2} warm") repeats them.
    let words: Vec<&str> = b.iter().map(String::as_str).filter(|w| *w != "0").collect();
    let inside: HashSet<(&str, &str)> = b
        .windows(2)
        .map(|w| (w[0].as_str(), w[1].as_str()))
        .chain(words.windows(2).map(|w| (w[0], w[1])))
        .collect();
    let pairs = a.len().saturating_sub(1);
    if pairs == 0 {
        return (0.0, 0);
    }
    let found = a
        .windows(2)
        .filter(|w| inside.contains(&(w[0].as_str(), w[1].as_str())))
        .count();
    (found as f64 / pairs as f64, pairs)
}

/// Share of `a`'s words in `b`, both as [`copy_tokens`], a run of CJK
/// characters counting as its character pairs (about its words).
fn words_within(a: &[String], b: &[String]) -> f64 {
    let words = |t: &[String]| -> Vec<String> {
        let cjk = |w: &str| w.chars().next().is_some_and(script::is_cjk);
        let mut out = Vec::new();
        for (i, w) in t.iter().enumerate() {
            if !cjk(w) {
                out.push(w.clone());
            } else if let Some(next) = t.get(i + 1).filter(|n| cjk(n)) {
                out.push(format!("{w}{next}"));
            } else if i == 0 || !cjk(&t[i - 1]) {
                // A CJK character on its own.
                out.push(w.clone());
            }
        }
        out
    };
    let (a, b) = (words(a), words(b));
    let inside: HashSet<&str> = b.iter().map(String::as_str).collect();
    if a.is_empty() {
        return 0.0;
    }
    a.iter().filter(|w| inside.contains(w.as_str())).count() as f64 / a.len() as f64
}

/// `copied_example`: the output repeats the translation of one of the worked
/// examples its prompt showed (`examples`: source and translation), numbers
/// aside, while the segment's source is not that example's. A small model
/// shown a water flosser's "Pulsating water jets at 1400 pulses per minute
/// flush out food stuck between teeth" answered a face brush's "7000 sonic
/// vibrations per minute, deep-cleans pores" with the same sentence and the
/// new number, which no number check sees. At least four word pairs of the
/// output, [`COPIED_OUTPUT_SHARE`] of them in the example's translation, and
/// under [`COPIED_SOURCE_SHARE`] of the source's words in the example's
/// source: an example of the same product in other words ("memory foam
/// relieves joint pain in older dogs" against "the memory foam base relieves
/// pressure on the joints of older dogs"), whose words a translation rightly
/// takes, does not count.
pub fn copied_example<'a>(
    source: &str,
    output: &str,
    examples: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<Finding> {
    let out = copy_tokens(output);
    let src = copy_tokens(source);
    for (ex_source, ex_target) in examples {
        let (ex_src, ex_tgt) = (copy_tokens(ex_source), copy_tokens(ex_target));
        let (copied, pairs) = pairs_within(&out, &ex_tgt);
        // Or the whole example inside a longer output ("Сохраняет напитки
        // холодными PD3.0 и горячими 30 мин, который можно зарядить до 50%"
        // for "支持PD3.0协议，30分钟可充至50%"), where the example's source is
        // not inside the segment's either.
        // Numbers (placeholders) are no words either source chose there.
        let (contained, ex_pairs) = pairs_within(&ex_tgt, &out);
        let words =
            |t: &[String]| -> Vec<String> { t.iter().filter(|w| *w != "0").cloned().collect() };
        let whole = ex_pairs >= 4
            && pairs >= ex_pairs + 3
            && contained >= COPIED_EXAMPLE_SHARE
            && words_within(&words(&ex_src), &words(&src)) < COPIED_SOURCE_SHARE
            && words_within(&words(&src), &words(&ex_src)) < COPIED_SOURCE_SHARE;
        if !whole && (pairs < 4 || copied < COPIED_OUTPUT_SHARE) {
            continue;
        }
        let shared = words_within(&src, &ex_src);
        if whole || shared < COPIED_SOURCE_SHARE {
            return Some(copied_finding(ex_target));
        }
    }
    None
}

/// The `copied_example` finding for an output that repeats `ex_target`: the
/// example's words, without its tags, and its placeholders (a fixed example's
/// "{1}") as what they stand for, some number.
fn copied_finding(ex_target: &str) -> Finding {
    let shown: String = PLACEHOLDER
        .replace_all(&crate::html::strip_tags(ex_target), "…")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(80)
        .collect();
    Finding::error(
        "copied_example",
        format!("repeats a worked example's translation (\"{shown}\"), not the source"),
    )
    .with_evidence(vec![shown])
}

/// `copied_example` of a fixed example (one that every prompt without
/// retrieved examples shows, whatever its product): the output holds
/// [`COPIED_RUN`] words in a row of its translation, numbers aside, while the
/// sources share little. "Mantém as bebidas geladas por à prova de vazamento"
/// (keeps drinks cold for leakproof) came back for a cup's "锁扣防漏" (a
/// leakproof lock): the start of a flask's example, then the source's words,
/// too few of the example's word pairs for [`copied_example`]. Or
/// [`COPIED_RUN`] of its words or more, four in five or more, in its order,
/// parted by the source's own. Retrieved
/// examples are chosen for sharing the product, and good translations share
/// their phrases ("folds down to just …"), so they are not read this way.
pub fn copied_fixed_example<'a>(
    source: &str,
    output: &str,
    examples: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<Finding> {
    let out = copy_tokens(output);
    let src: Vec<String> = copy_tokens(source)
        .into_iter()
        .filter(|w| w != "0")
        .collect();
    for (ex_source, ex_target) in examples {
        let ex_src: Vec<String> = copy_tokens(ex_source)
            .into_iter()
            .filter(|w| w != "0")
            .collect();
        let ex_tgt = copy_tokens(ex_target);
        // Or the example's words in its order, the source's put between them
        // ("Utrzymuje napoje zimne przez podświetlacz i gorące przez wykaz
        // daty": keeps drinks cold by the backlight and hot by the date list,
        // for a watch's "夜光指针，日历显示").
        let (shared, of) = shared_in_order(&out, &ex_tgt);
        let in_order = shared >= COPIED_RUN && shared * 5 >= of * 4;
        if longest_shared_run(&out, &ex_tgt) < COPIED_RUN && !in_order
            || words_within(&ex_src, &src) >= COPIED_SOURCE_SHARE
            || words_within(&src, &ex_src) >= COPIED_SOURCE_SHARE
        {
            continue;
        }
        return Some(copied_finding(ex_target));
    }
    None
}

/// Score of a candidate: lower is better (errors weigh most, then confidence).
pub fn score(findings: &[Finding], mean_logprob: Option<f32>) -> f32 {
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count() as f32;
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count() as f32;
    let infos = findings
        .iter()
        .filter(|f| f.severity == Severity::Info)
        .count() as f32;
    errors * 10.0 + warnings * 3.0 + infos - mean_logprob.unwrap_or(0.0).max(-10.0)
}

#[cfg(test)]
mod tests {
    use super::super::spans::{ProtectRules, protect};
    use super::*;

    /// `src` protected from `sl` for a translation into `tl`, with the
    /// default rules.
    fn protected(src: &str, sl: &str, tl: &str) -> Protected {
        protect(
            src,
            &ProtectRules {
                source_language: Some(sl),
                language: Some(tl),
                ..Default::default()
            },
        )
    }

    #[test]
    fn placeholders_heaped_at_the_end_are_caught() {
        // A shower head's title: the brand, the water saving and the thread
        // heaped into one word after "Interface".
        let src = "{1} 增压花洒 三档出水 节水{2} 可拆洗 通用{3}接口";
        assert_eq!(
            placeholders_heaped(
                src,
                "Alcachofa de ducha, tres niveles. Interface {1}-{2}-{3}"
            ),
            ["{1}-{2}-{3}"]
        );
        assert_eq!(
            placeholders_heaped(src, "Alcachofa {1}{2}{3}"),
            ["{1}{2}{3}"]
        );
        // Each with its words, two side by side, or side by side in the source
        // too ("12V/24V/220V", "{1}×{2}×{3}").
        assert!(placeholders_heaped(src, "{1} alcachofa, ahorra {2}, rosca {3}").is_empty());
        assert!(placeholders_heaped(src, "{1}-{2} alcachofa, rosca {3}").is_empty());
        let src = "三用 {1}/{2}/{3} 尺寸{4}×{5}×{6}";
        assert!(placeholders_heaped(src, "Tres usos {1}/{2}/{3}, {4}×{5}×{6}").is_empty());
        assert!(placeholders_heaped(src, "Tres usos {1}-{2}-{3}, {4}x{5}x{6}").is_empty());
    }

    #[test]
    fn an_output_that_repeats_another_products_example_is_caught() {
        let flosser = (
            "<p>冲牙器采用脉冲水流，每分钟1400次，轻松冲走牙缝残留。</p><p>300ml大水箱。</p>",
            "<p>Pulsating water jets at 1400 pulses per minute flush out food stuck between teeth.</p><p>The large 300 ml tank.</p>",
        );
        let brush = (
            "每分钟38000次声波震动，深层清洁牙缝。",
            "Up to 38,000 sonic vibrations per minute clean deep between teeth.",
        );
        let source = "每分钟{1}声波震动，深层清洁毛孔";
        // The flosser's sentence with the face brush's number: copied.
        let f = copied_example(
            source,
            "Pulsating water jets at {1} pulses per minute flush out food stuck between teeth",
            [brush, flosser],
        )
        .expect("copied");
        assert_eq!(f.code, "copied_example");
        assert!(f.evidence[0].starts_with("Pulsating water jets"), "{f:?}");
        // A translation of its own source, in words an example taught it.
        assert_eq!(
            copied_example(
                source,
                "{1} sonic vibrations per minute deep-clean your pores",
                [brush, flosser]
            ),
            None
        );
        // The example of the same sentence (a seller's approved translation of
        // the product) is there to be followed.
        assert_eq!(
            copied_example(
                "每分钟{1}次脉冲水流，轻松冲走牙缝残留",
                "Pulsating water jets at {1} pulses per minute flush out food stuck between teeth",
                [flosser]
            ),
            None
        );
        // Nor one of the same product in other words.
        assert_eq!(
            copied_example(
                "Memory foam relieves joint pain in older dogs",
                "Memory-Schaum entlastet die Gelenke älterer Hunde",
                [(
                    "The 10 cm memory foam base relieves pressure on the joints of older dogs.",
                    "Die 10 cm dicke Memory-Schaum-Basis entlastet die Gelenke älterer Hunde."
                )]
            ),
            None
        );
        // Too short to tell.
        assert_eq!(
            copied_example(
                "可机洗",
                "Machine washable",
                [("机洗可用", "Machine washable")]
            ),
            None
        );
    }

    #[test]
    fn a_phrase_that_stops_on_a_joining_word_is_unfinished() {
        let open =
            |src: &str, out: &str, lang: &str| ends_unfinished(src, out, lang).map(|f| f.evidence);
        assert_eq!(
            open(
                "渔乐 碳素海竿 2.1米 伸缩 含纺车轮 套装",
                "渔乐 Carbon Fiber Surf Casting Rod 2.1 metres, Foldable, With Spinning Reel, Pack of",
                "en"
            ),
            Some(vec!["of".to_string()])
        );
        assert_eq!(
            open("不锈钢水杯", "Edelstahl-Trinkflasche mit", "de"),
            Some(vec!["mit".to_string()])
        );
        assert_eq!(
            open("不锈钢水杯", "Botella de acero,", "es"),
            Some(vec![",".to_string()])
        );
        assert_eq!(
            open(
                "智能插座 2个装",
                "Inteligentne gniazdko, 2 szt. dołączone do",
                "pl"
            ),
            Some(vec!["do".to_string()])
        );
        // Words that end a phrase, a capital, a source that ends open too, and
        // languages without such a list.
        for (src, out, lang) in [
            (
                "红外感应，手放入自动亮灯",
                "Turns the lamp on when you put your hand in",
                "en",
            ),
            ("球拍2支，每支227g", "2 palas de 227 g cada una", "es"),
            ("左右手通用", "sağ ve sol elini kullananlar için", "tr"),
            ("Type A", "Typ A", "de"),
            ("Made of", "Hergestellt aus der", "de"),
            ("不锈钢", "ステンレスと", "ja"),
        ] {
            assert_eq!(open(src, out, lang), None, "{out}");
        }
    }

    #[test]
    #[ignore = "a measurement: run with --ignored --nocapture"]
    fn measure_ends_unfinished() {
        crate::localize::eval::print_precision(
            |_| true,
            |_, tl, a, b| ends_unfinished(a, b, tl).map(|f| format!("{:?}", f.evidence)),
        );
    }

    #[test]
    #[ignore]
    fn measure_cjk_counts_missing() {
        // The precision of `count_missing` on good translations whose source
        // has a count.
        crate::localize::eval::print_precision(
            |a| CJK_COUNT.is_match(a),
            |sl, tl, a, b| {
                if !NUMBER_WORDS.iter().any(|(l, _)| *l == tl) {
                    return None;
                }
                cjk_counts_missing(a, sl, b, tl).map(|f| format!("{:?}", f.evidence))
            },
        );
    }

    #[test]
    fn a_prohibition_must_stay_one() {
        let src = "每个部位使用不超过2分钟。孕妇及心脏病患者请勿使用。";
        // The massage gun's warning, turned into "please use it reliably".
        let out = "Nie więcej niż 2 min na jedną część. W przypadku osób z chorobą serca lub kobiety w ciąży, prosimy o niezawodne korzystanie.";
        assert_eq!(
            prohibition_lost(src, out, "pl").unwrap().code,
            "prohibition_lost"
        );
        for (out, lang) in [
            (
                "Nie więcej niż 2 min na jedną część. Kobiety w ciąży i osoby z chorobą serca nie powinny używać urządzenia.",
                "pl",
            ),
            (
                "Use for up to 2 minutes per area. Not for pregnant women or people with heart disease.",
                "en",
            ),
            (
                "各部位2分以内。妊婦や心臓病の方は使用しないでください。",
                "ja",
            ),
        ] {
            assert!(prohibition_lost(src, out, lang).is_none(), "{out}");
        }
        // Clause by clause where the sentences do not pair: the second
        // clause's prohibition lost in Korean ("use carbonated drinks as a
        // set") is not kept by the first's negation.
        let src = "请勿放入微波炉，不可装碳酸饮料";
        assert!(
            prohibition_lost(
                src,
                "전자레인지에 넣지 마세요. 탄산음료는 세트로 사용하세요",
                "ko"
            )
            .is_some()
        );
        for out in [
            "전자레인지에 넣지 마세요. 탄산음료를 담지 마세요",
            "전자레인지 사용 금지, 탄산음료 금지",
        ] {
            assert!(prohibition_lost(src, out, "ko").is_none(), "{out}");
        }
        assert!(
            prohibition_lost(
                src,
                "Not microwave safe, do not fill with 1,5 l of soda",
                "en"
            )
            .is_none()
        );
        // A negation written as a prefix ("non-lavable") keeps it.
        assert!(
            prohibition_lost(
                "可手洗，不可机洗，不可暴晒",
                "Lavage à la main, non-lavable en machine, non-exposition au soleil",
                "fr"
            )
            .is_none()
        );
        // Japanese 不要 is "not needed", no prohibition; Turkish is not read.
        assert!(prohibition_lost("ドライバー不要", "Plug and play", "en").is_none());
        assert!(prohibition_lost("请勿使用", "Kullanın", "tr").is_none());
    }

    #[test]
    fn a_quotation_the_source_does_not_have_is_read() {
        let src = "可手洗，不可机洗，不可暴晒";
        let f = quote_added(
            src,
            "Le rappel doit être conservé, avec une négation comme \"ne pas\"",
        );
        assert_eq!(f.map(|f| f.evidence), Some(vec!["\"ne pas\"".to_string()]));
        assert!(quote_added(src, "Lavage à la main, pas de machine « à sec »").is_some());
        for out in [
            "Lavage à la main, non-lavable en machine",
            "Raccords en laiton 3/4\", anti-fuite",
            "設定トルクに達すると「カチッ」という音",
            "l'acier, c'est \u{2019}solide",
        ] {
            assert!(quote_added(src, out).is_none(), "{out}");
        }
        // A source that quotes may be quoted.
        assert!(quote_added("印有“LOVE”字样", "Imprimé « LOVE »").is_none());
    }

    #[test]
    #[ignore]
    fn measure_instruction_words() {
        crate::localize::eval::print_precision(
            |_| true,
            |_, _, a, b| {
                let x = instruction_words(a, b);
                (!x.is_empty()).then(|| format!("{x:?}"))
            },
        );
    }

    #[test]
    #[ignore]
    fn measure_quote_added() {
        crate::localize::eval::print_precision(
            |_| true,
            |_, _, a, b| quote_added(a, b).map(|f| format!("{:?}", f.evidence)),
        );
    }

    #[test]
    fn a_prohibition_the_source_does_not_give_is_read() {
        // An electric kettle's boil-dry shut-off, in Vietnamese "do not
        // switch off the power while cooking".
        let src = "干烧自动断电，沸腾自动断电";
        let f = prohibition_added(src, "Đừng tắt điện khi nấu nướng", "zh", "vi").unwrap();
        assert_eq!(f.code, "prohibition_added");
        assert_eq!(f.evidence, ["đừng"]);
        assert!(prohibition_added(src, "Tự động ngắt điện khi cạn nước", "zh", "vi").is_none());
        // A source that negates, forbids or limits may be said with one.
        assert!(prohibition_added("微波炉不可加热", "Do not microwave", "zh", "en").is_none());
        assert!(
            prohibition_added(
                "连续使用10分钟以内",
                "Do not run it longer than 10 min",
                "zh",
                "en"
            )
            .is_none()
        );
        assert!(prohibition_added("Leak-proof lid", "Nie przecieka", "en", "pl").is_none());
        // Thai "in a way" and "brake" are no prohibition; a word inside
        // another is none.
        let src = "深层清洁毛孔";
        assert!(prohibition_added(src, "ทำความสะอาดรูขุมขนอย่างล้ำลึก", "zh", "th").is_none());
        assert!(prohibition_added("后轮刹车", "ห้ามล้อหลัง", "zh", "th").is_none());
        assert!(prohibition_added("轻便", "Leggero, maiolica", "zh", "it").is_none());
        // Another source language is not read.
        assert!(prohibition_added("Nie wieder", "Ne jamais", "de", "fr").is_none());
    }

    #[test]
    #[ignore]
    fn measure_prohibition_added() {
        // The pairs it reads: a Chinese, Japanese or English source that
        // negates nothing.
        let active =
            |sl: &str, a: &str| matches!(sl, "zh" | "ja" | "en") && !SOURCE_NEGATES.is_match(a);
        let dev = crate::localize::eval::dev_reference_pairs();
        let bank = crate::localize::retrieval::tests::builtin_pairs();
        println!(
            "read: dev {} of {}, bank {} of {}",
            dev.iter().filter(|(sl, _, a, _)| active(sl, a)).count(),
            dev.len(),
            bank.iter()
                .filter(|p| active(&p.source_lang, &p.source))
                .count(),
            bank.len()
        );
        crate::localize::eval::print_precision(
            |_| true,
            |sl, tl, a, b| prohibition_added(a, b, sl, tl).map(|f| format!("{:?}", f.evidence)),
        );
    }

    #[test]
    #[ignore]
    fn measure_prohibition_lost() {
        // The precision of `prohibition_lost` on good translations whose
        // source forbids.
        crate::localize::eval::print_precision(
            |a| PROHIBITIONS.iter().any(|p| a.contains(p)),
            |_, tl, a, b| prohibition_lost(a, b, tl).map(|f| format!("{:?}", f.evidence)),
        );
    }

    #[test]
    fn the_start_of_a_fixed_example_copied_is_read() {
        let ex = [(
            "饮品保冷{1}，保温{2}",
            "Mantém as bebidas geladas por {1} e quentes por {2}",
        )];
        let f = copied_fixed_example(
            "【防漏】一键弹盖，锁扣防漏",
            "Mantém as bebidas geladas por à prova de vazamento",
            ex,
        )
        .unwrap();
        assert_eq!(f.code, "copied_example");
        // The translation of a flask, which the example is about, is no copy.
        assert!(
            copied_fixed_example(
                "饮品保冷{1}，保温{2}，适合通勤",
                "Mantém as bebidas geladas por {1} e quentes por {2}, ideal para o trabalho",
                ex
            )
            .is_none()
        );
        // Nor four words in a row, nor a run of CJK characters.
        assert!(
            copied_fixed_example(
                "防漏杯盖",
                "Mantém as bebidas seguras, à prova de vazamento",
                ex
            )
            .is_none()
        );
        // The example's words in its order, parted by the source's.
        let pl = [(
            "饮品保冷{1}，保温{2}",
            "Utrzymuje napoje zimne przez {1} i gorące przez {2}",
        )];
        assert!(
            copied_fixed_example(
                "夜光指针，日历显示",
                "Utrzymuje napoje zimne przez podświetlacz i gorące przez wykaz daty",
                pl
            )
            .is_some()
        );
        assert!(
            copied_fixed_example(
                "夜光指针，日历显示",
                "Podświetlane wskazówki, wyświetlanie daty, utrzymuje zimne",
                pl
            )
            .is_none()
        );
        // Korean is read in words, not syllables: a down jacket's title came
        // back "… 90% 동안 차갑게, 180g 동안 따뜻하게 유지" (keeps cold for 90%,
        // warm for 180g), five of the example's six words in its order.
        let ko = [(
            "饮品保冷{1}，保温{2}",
            "음료를 {1} 동안 차갑게, {2} 동안 따뜻하게 유지",
        )];
        assert!(
            copied_fixed_example(
                "{1} 男士羽绒服 {2}白鸭绒 充绒量{3} 连帽",
                "{1} 남성용 패딩, 다운, {2} 동안 차갑게, {3} 동안 따뜻하게 유지",
                ko
            )
            .is_some()
        );
        assert!(
            copied_fixed_example(
                "{1} 男士羽绒服 连帽",
                "{1} 남성용 다운 패딩, 후드, 따뜻하게 유지",
                ko
            )
            .is_none()
        );
        let ja = [("{1} 保温水杯 不锈钢", "{1} 真空断熱 水筒 ステンレス製")];
        assert!(copied_fixed_example("304不锈钢螺丝", "ステンレス製のネジ", ja).is_none());
    }

    #[test]
    fn a_count_of_pairs_keeps_its_number() {
        let changed = |src: &str, sl: &str, out: &str, tl: &str| {
            pair_counts_changed(src, sl, out, tl).map(|f| f.evidence)
        };
        // 对 is two things; "dos pares" is four.
        assert_eq!(
            changed(
                "每只2.5-20kg可调，共一对",
                "zh",
                "cada una de 2,5-20 kg, y hay dos pares",
                "es"
            ),
            Some(vec!["dos pares".to_string()])
        );
        assert_eq!(
            changed("袜子 5双装", "zh", "Calzini, confezione da 2 paia", "it"),
            Some(vec!["2 paia".to_string()])
        );
        assert_eq!(
            changed("一对耳环", "zh", "2쌍 귀걸이", "ko"),
            Some(vec!["2쌍".to_string()])
        );
        assert_eq!(
            changed("Gloves, a pair", "en", "Handschuhe, zwei Paar", "de"),
            Some(vec!["zwei Paar".to_string()])
        );
        // The source's own count, in digits or words, and two things for a pair.
        for (src, out, tl) in [
            ("共一对", "un par en total", "es"),
            ("共一对", "2 piezas (un par)", "es"),
            ("袜子 5双装", "Calzini, confezione da 5 paia", "it"),
            ("两双", "две пары", "ru"),
            ("3 pairs of socks", "3 paires de chaussettes", "fr"),
            ("两双", "2足セット", "ja"),
        ] {
            assert_eq!(changed(src, "zh", out, tl), None, "{out}");
        }
        // A source that counts no pairs is not read; nor a decimal, a range's
        // start or a word that holds a pair word.
        assert_eq!(changed("双面防滑", "zh", "2 pares", "es"), None);
        assert_eq!(changed("一对", "zh", "1-2 pares", "es"), None);
        assert_eq!(changed("一对", "zh", "2 partes", "es"), None);
        assert_eq!(changed("一对", "zh", "2 คู่มือ", "th"), None);
        assert!(changed("一对", "zh", "2 คู่ ", "th").is_some());
        // 二十双 is twenty pairs, not ten.
        assert_eq!(changed("二十双", "zh", "20 pares", "es"), None);
    }

    #[test]
    fn a_count_in_chinese_numerals_must_be_translated() {
        let miss = |src: &str, out: &str, lang: &str| {
            cjk_counts_missing(src, "zh", out, lang).map(|f| f.evidence)
        };
        // The dev-set title whose four-piece set lost its four.
        assert_eq!(
            miss(
                "{1} 纯棉四件套 {2}床",
                "{1} Pure Cotton Quilt Set for {2} Bed",
                "en"
            ),
            Some(vec!["四件".to_string()])
        );
        // Digits, number words of the target and "pair" all count.
        for out in [
            "{1} Cotton Bedding Set of 4 for {2} Bed",
            "{1} Four-Piece Cotton Bedding Set",
        ] {
            assert_eq!(miss("{1} 纯棉四件套 {2}床", out, "en"), None, "{out}");
        }
        assert_eq!(miss("标配两块电池", "Comes with two batteries", "en"), None);
        assert_eq!(miss("两块电池", "Ambas baterías", "es"), None);
        // Speeds, levels and colour temperatures are counts too.
        assert_eq!(
            miss(
                "LED护眼台灯 三色温 五档亮度",
                "Lampada LED, diverse temperature di colore e livelli di luminosità",
                "it"
            ),
            Some(vec!["三色温".to_string(), "五档".to_string()])
        );
        for (out, lang) in [
            (
                "Lampada LED, 3 temperature di colore, 5 livelli di luminosità",
                "it",
            ),
            ("LED-Lampe, drei Farbtemperaturen, fünfstufig dimmbar", "de"),
            ("Tri-color LED lamp, five brightness levels", "en"),
            (
                "Lampa LED, trzy barwy światła, pięciostopniowa jasność",
                "pl",
            ),
        ] {
            assert_eq!(
                miss("LED护眼台灯 三色温 五档亮度", out, lang),
                None,
                "{out}"
            );
        }
        assert_eq!(
            miss("附赠两只替换刷头", "Inklusive zwei Ersatzbürsten", "de"),
            None
        );
        assert_eq!(miss("送两双袜子", "With a pair of socks", "en"), None);
        assert_eq!(
            miss("标配两块电池", "Livré avec une batterie", "fr"),
            Some(vec!["两块".to_string()])
        );
        // A count right after another count is read too (two boxes of six).
        assert_eq!(
            miss("中性笔 两盒六支装", "Gel pens, 2 boxes", "en"),
            Some(vec!["六支".to_string()])
        );
        assert_eq!(miss("两盒六支装", "Two boxes of six pens", "en"), None);
        assert_eq!(miss("二十三个", "23 pieces", "en"), None);
        // Counts of kinds, layers or colours, numbers of more than one numeral,
        // 一, and languages without known number words are not checked.
        assert_eq!(miss("三层复合钢", "Tri-ply steel", "en"), None);
        assert_eq!(
            miss(
                "两种模式自由切换",
                "Switch between corded and cordless modes",
                "en"
            ),
            None
        );
        assert_eq!(miss("二十个装", "Pack of many", "en"), None);
        assert_eq!(miss("一个收纳包", "A storage bag", "en"), None);
        assert_eq!(miss("四件套", "ชุดเครื่องนอน", "th"), None);
        // Portuguese, Russian, Vietnamese … are read as English is.
        assert_eq!(
            miss("四件套", "Jogo de cama", "pt"),
            Some(vec!["四件".to_string()])
        );
        assert_eq!(miss("四件套", "Jogo de cama de quatro peças", "pt"), None);
        assert_eq!(miss("两只装", "Набор из двух штук", "ru"), None);
        // A Turkish capital İ is the i of "iki" (two).
        assert_eq!(miss("附两块电池", "İki Pil ile", "tr"), None);
        assert_eq!(
            cjk_counts_missing("四件套", "en", "Bedding set", "de"),
            None
        );
    }

    #[test]
    fn a_number_in_words_must_be_one_the_source_gives() {
        let added = |src: &str, src_lang: &str, out: &str, lang: &str| {
            let p = protected(src, src_lang, lang);
            number_words_added(&p.text, &p.spans, out, lang).map(|f| f.evidence)
        };
        // The zh→en dev set's half that became a quarter.
        let half = "体积仅为传统充电器的一半";
        assert_eq!(
            added(
                half,
                "zh",
                "Volume is one-quarter of traditional chargers",
                "en"
            ),
            Some(vec!["quarter".to_string()])
        );
        assert_eq!(
            added(half, "zh", "Half the size of a conventional charger", "en"),
            None
        );
        // Counts the source gives in digits, in Chinese, in English words, as a
        // pair or inside a brand; one the source does not give.
        assert_eq!(
            added("三口同时输出", "zh", "Three ports at once", "en"),
            None
        );
        assert_eq!(
            added(
                "Three Squirrels 每日坚果 750 g",
                "zh",
                "Three Squirrels Daily Nuts",
                "en"
            ),
            None
        );
        assert_eq!(
            added(
                "Warm fleece with two zip pockets",
                "en",
                "Fleece mit zwei Taschen",
                "de"
            ),
            None
        );
        assert_eq!(
            added("Pack of 2 filters", "en", "Lot de deux filtres", "fr"),
            None
        );
        assert_eq!(
            added(
                "A pair of socks",
                "en",
                "Un par de calcetines, dos unidades",
                "es"
            ),
            None
        );
        assert_eq!(added("四分之一圆", "zh", "A quarter circle", "en"), None);
        // 双 after a number or 每 counts pairs: no two. Elsewhere it is two.
        assert_eq!(
            added(
                "5双装，每双重约40g",
                "zh",
                "5 paia, ciascuna di due coppie pesa 40 g",
                "it"
            ),
            Some(vec!["due".to_string()])
        );
        assert_eq!(added("双USB接口", "zh", "Due porte USB", "it"), None);
        assert_eq!(
            added(
                "Warm fleece with two zip pockets",
                "en",
                "Fleece mit drei Taschen",
                "de"
            ),
            Some(vec!["drei".to_string()])
        );
        // A placeholder's number is no number of the source; words inside other
        // words are none; a language without the table is not checked.
        assert_eq!(
            added(
                "Set of 5 boxes",
                "en",
                "Set mit {1} Kisten, zwei Deckel",
                "de"
            ),
            Some(vec!["zwei".to_string()])
        );
        assert_eq!(
            added("Semi-automatic", "en", "halbautomatisch, Dreierpack", "de"),
            None
        );
        assert_eq!(added("Warm fleece", "en", "二つのポケット", "ja"), None);
        // The languages read since: the triple filter that came back an eight
        // in Vietnamese, and the same class in Russian, Polish and Indonesian.
        let triple = "三重过滤：棉、活性炭、离子交换树脂";
        assert_eq!(
            added(triple, "zh", "Lọc tám lớp: bông, than hoạt tính", "vi"),
            Some(vec!["tám".to_string()])
        );
        assert_eq!(
            added(triple, "zh", "Lọc ba lớp: bông, than hoạt tính", "vi"),
            None
        );
        assert_eq!(
            added("三档风速", "zh", "Пять скоростей обдува", "ru"),
            Some(vec!["Пять".to_string()])
        );
        assert_eq!(added("三档风速", "zh", "Три скорости обдува", "ru"), None);
        assert_eq!(
            added(
                "双面可用",
                "zh",
                "Do użytku z obu stron, trzy warstwy",
                "pl"
            ),
            Some(vec!["trzy".to_string()])
        );
        // A word of a larger number is not read alone ("dua belas" is twelve,
        // "mười hai" twelve, "two hundred"), nor a backpack ("ba lô").
        assert_eq!(added("12支装", "zh", "Isi dua belas batang", "id"), None);
        assert_eq!(added("12支装", "zh", "Gồm mười hai cây", "vi"), None);
        assert_eq!(added("200张", "zh", "Two hundred sheets", "en"), None);
        assert_eq!(added("双肩背包", "zh", "Ba lô đeo hai vai", "vi"), None);
    }

    #[test]
    fn a_limit_on_a_number_stays_with_it() {
        let lost = |src: &str, sl: &str, out: &str, tl: &str| {
            let p = protected(src, sl, tl);
            limits_lost(&p.text, out, sl, tl).map(|f| f.evidence)
        };
        // "Up to" may be left out, but not turned into a lower bound: 最高150PSI
        // came back in Arabic "exceeds 150 PSI" (Z334), "more than" in
        // English; "does not exceed" is an upper bound still.
        assert_eq!(
            lost(
                "最高150PSI气压，适用汽车",
                "zh",
                "الضغط الأقصى يتجاوز {1} من المحمولة",
                "ar"
            ),
            Some(vec!["最高{1}".to_string()])
        );
        assert!(lost("最高150PSI气压", "zh", "Pressure of more than {1}", "en").is_some());
        assert!(lost("最高150PSI气压", "zh", "{1} or more of pressure", "en").is_some());
        assert_eq!(lost("最高150PSI气压", "zh", "Pressure {1}", "en"), None);
        assert_eq!(
            lost("最高150PSI气压", "zh", "Up to {1} pressure", "en"),
            None
        );
        assert_eq!(lost("最高150PSI气压", "zh", "ضغط لا يتجاوز {1}", "ar"), None);
        assert!(lost("续航长达12小时", "zh", "Autonomía de más de {1}", "es").is_some());
        assert!(lost("Runs up to 12 hours", "en", "Läuft mindestens {1}", "de").is_some());
        // Turkish "above" in a case form ("6 yaşından üstüne") keeps "or older".
        assert_eq!(
            lost(
                "适合6岁以上儿童",
                "zh",
                "Çocuklar için {1} yaşından üstüne uygun",
                "tr"
            ),
            None
        );
        assert!(
            lost(
                "适合6岁以上儿童",
                "zh",
                "Çocuklar için {1} yaşına uygun",
                "tr"
            )
            .is_some()
        );
        // "does not exceed" keeps "at most" in Polish.
        assert_eq!(
            lost(
                "每个部位使用不超过2分钟。",
                "zh",
                "Każde miejsce używane nie przekracza {1}.",
                "pl"
            ),
            None
        );
        // The leggings' washing temperature that lost its "below".
        let wash = "建议30℃以下冷水手洗";
        assert_eq!(
            lost(wash, "zh", "Recomenda lavar {1} com água fria", "pt"),
            Some(vec!["{1}以下".to_string()])
        );
        assert_eq!(
            lost(wash, "zh", "Lavar à mão em água fria abaixo de {1}", "pt"),
            None
        );
        assert_eq!(
            lost(wash, "zh", "Lavar à mão acima de {1}", "pt"),
            Some(vec!["{1}以下".to_string()])
        );
        // The word right before the number is its end: "od {1} do {2}"
        // bounds {1} from below, though "do" (to) is near it.
        let quiet = "运行噪音低于30dB，不打扰睡眠";
        assert_eq!(
            lost(quiet, "zh", "Hałas pracy od {1} do 40 dB", "pl"),
            Some(vec!["低于{1}".to_string()])
        );
        assert_eq!(lost(quiet, "zh", "Hałas pracy do {1}", "pl"), None);
        assert_eq!(lost(quiet, "zh", "Hałas od 0 do {1}", "pl"), None);
        // "or less" after the number, in each language's words.
        let tall = "适合身高185cm以下";
        for (out, tl) in [
            ("geeignet für eine Höhe von {1} oder weniger", "de"),
            ("adapté à une taille de {1} ou moins", "fr"),
            ("apto para una altura de {1} o menos", "es"),
            ("geschikt voor een lengte van {1} of minder", "nl"),
            ("dla wzrostu {1} lub mniej", "pl"),
            ("для роста {1} или меньше", "ru"),
        ] {
            assert_eq!(lost(tall, "zh", out, tl), None, "{out}");
        }
        // Arabic "or older" for 以下 turns a safety warning around.
        let toddlers = "警告：含小零件，有窒息危险，不适合3岁以下儿童。";
        assert_eq!(
            lost(
                toddlers,
                "zh",
                "تحذير: غير متوافق مع الأطفال من {1} أو أقدم.",
                "ar"
            ),
            Some(vec!["{1}岁以下".to_string()])
        );
        assert_eq!(
            lost(toddlers, "zh", "تحذير: غير مناسب للأطفال أقل من {1}.", "ar"),
            None
        );
        // 以上 and "at least" in any target; the word may follow the number.
        assert_eq!(
            lost("适合3岁以上儿童", "zh", "Für Kinder ab {1}", "de"),
            None
        );
        assert_eq!(
            lost("适合3岁以上儿童", "zh", "Cho trẻ {1} trở lên", "vi"),
            None
        );
        assert_eq!(
            lost("适合3岁以上儿童", "zh", "Для детей {1}", "ru"),
            Some(vec!["{1}岁以上".to_string()])
        );
        assert_eq!(lost("承重150kg以内", "zh", "最大荷重{1}", "ja"), None);
        // 不到 (less than), 及以上 (and above) and their like.
        assert_eq!(
            lost("待机功耗不到0.5W", "zh", "Consumo in standby {1}", "it"),
            Some(vec!["不到{1}".to_string()])
        );
        assert_eq!(
            lost(
                "兼容安卓8.0及以上系统",
                "zh",
                "Compatibile con Android {1}",
                "it"
            ),
            Some(vec!["{1}及以上".to_string()])
        );
        assert_eq!(
            lost(
                "兼容安卓8.0及以上系统",
                "zh",
                "Compatibile con Android {1} e superiori",
                "it"
            ),
            None
        );
        // A plural adjective is the limit word too ("superiores a -5 °C").
        assert_eq!(
            lost(
                "适合-5℃以上气温使用",
                "zh",
                "Para temperaturas superiores a {1}",
                "es"
            ),
            None
        );
        // Italian "da" before an age is its lower bound ("da 0 mesi", 0+ months).
        assert_eq!(lost("0个月以上", "zh", "Tettarelle da {1}", "it"), None);
        assert_eq!(
            lost("Holds less than 5 kg", "en", "Trägt {1}", "de"),
            Some(vec!["less than {1}".to_string()])
        );
        assert_eq!(
            lost("Holds less than 5 kg", "en", "Trägt weniger als {1}", "de"),
            None
        );
        // A limit word of another number's clause is not this one's.
        assert_eq!(
            lost(
                "30℃以下水洗，可承受100℃",
                "zh",
                "Washable in water, up to {2}, {1}",
                "en"
            ),
            Some(vec!["{1}以下".to_string()])
        );
        // "Up to" (高达) is no hard limit, and a number the output lacks is
        // another check's.
        assert_eq!(lost("续航高达24小时", "zh", "{1} battery life", "en"), None);
        assert_eq!(lost(wash, "zh", "Hand wash in cold water", "en"), None);
        assert_eq!(
            lost(
                "可弯折10000次以上",
                "zh",
                "Bisa ditekuk {1} kali atau lebih",
                "id"
            ),
            None
        );
        // Lower case longer than the source ("İ") moves no offset.
        assert_eq!(
            limits_lost("İİİİ less than 5 kg", "İİİİ 5 kg", "en", "de").map(|f| f.message),
            Some("a limit the source sets on a number is missing or turned around: 5 (at most, dropped)".to_string())
        );
        assert_eq!(
            limits_lost("İİİİ less than 5 kg", "İİİİ 5 kg", "en", "de").map(|f| f.evidence),
            Some(vec!["less than 5".to_string()])
        );
    }

    #[test]
    fn a_range_between_numbers_of_different_kinds_is_mixed() {
        let mixed = |src: &str, out: &str, tl: &str| {
            let p = protected(src, "zh", tl);
            ranges_mixed(&p.text, out, &p.spans).map(|f| f.evidence)
        };
        // The scooter's four height settings and its handlebar height.
        let scooter = "4档高度调节，车把高度66-86cm";
        assert_eq!(
            mixed(scooter, "Se ajusta de {1} a {2}", "es"),
            Some(vec!["4 … 66-86cm".to_string()])
        );
        assert_eq!(
            mixed(scooter, "{1} niveles de altura, manillar de {2}", "es"),
            None
        );
        // Volts and hertz, in digits too.
        assert_eq!(
            ranges_mixed("220V 50Hz", "từ 220V đến 50Hz", &[]).map(|f| f.evidence),
            Some(vec!["220 … 50".to_string()])
        );
        // Ends of one kind given apart, the source's own range, and a number
        // whose kind nothing tells.
        assert_eq!(mixed("最低-20℃，最高60℃", "de {1} a {2}", "es"), None);
        assert_eq!(mixed("适合3至6岁", "de {1} a {2}", "es"), None);
        assert_eq!(mixed("重量2kg，第3代", "von {1} bis {2}", "de"), None);
        // A count and a mass are of different kinds; "a" after no "de" is "at".
        assert!(mixed("重量2kg，共3个", "von {1} bis {2}", "de").is_some());
        assert_eq!(ranges_mixed("4K 30Hz", "la 4K a 30 Hz", &[]), None);
        // A brand is no end of a range.
        let p = protect(
            "70迈行车记录仪工作温度-10°C至60°C",
            &ProtectRules {
                brand: Some("70迈"),
                source_language: Some("zh"),
                language: Some("ar"),
                ..Default::default()
            },
        );
        assert_eq!(p.text, "{1}行车记录仪工作温度{2}至{3}");
        let mixed = |out: &str| ranges_mixed(&p.text, out, &p.spans).map(|f| f.evidence);
        assert_eq!(
            mixed("كاميرا تعمل في درجة حرارة من {1} إلى {2} وحتى {3}"),
            Some(vec!["70迈 … -10°C".to_string()])
        );
        assert_eq!(mixed("{1} كاميرا تعمل من {2} إلى {3}"), None);
    }

    #[test]
    #[ignore]
    fn measure_range_mixed() {
        // The precision of `range_mixed` on good translations, read on their
        // digits (no spans).
        crate::localize::eval::print_precision(
            |_| true,
            |_sl, _tl, a, b| ranges_mixed(a, b, &[]).map(|f| format!("{:?}", f.evidence)),
        );
    }

    #[test]
    fn a_range_the_source_does_not_give_is_not_written_downwards() {
        let reversed = |src: &str, out: &str, tl: &str| {
            let p = protected(src, "zh", tl);
            ranges_reversed(&p.text, out, &p.spans).map(|f| f.evidence)
        };
        // The hair dryer's three fan speeds and two heat settings.
        let p = protect(
            "3档风速2档温度",
            &ProtectRules {
                source_language: Some("zh"),
                language: Some("vi"),
                ..Default::default()
            },
        );
        assert_eq!(p.text, "{1}档风速{2}档温度");
        assert_eq!(
            reversed("3档风速2档温度", "Tốc độ gió từ {1} đến {2}", "vi"),
            Some(vec!["3 … 2".to_string()])
        );
        assert_eq!(
            reversed("3档风速2档温度", "{1} tốc độ gió, {2} mức nhiệt", "vi"),
            None
        );
        // Digits the model wrote itself are read too.
        assert_eq!(
            reversed("3档风速2档温度", "Vitesse de 3 à 2", "fr"),
            Some(vec!["3 … 2".to_string()])
        );
        // Upwards, the source's own range, and a fall the source states.
        assert_eq!(reversed("最低-20℃，最高60℃", "from {1} to {2}", "en"), None);
        assert_eq!(
            reversed("噪音从60dB降到30dB", "from {1} down to {2}", "en"),
            None
        );
        assert_eq!(reversed("倒计时10-1秒", "countdown {1}", "en"), None);
        assert_eq!(reversed("55℃至30℃自动调节", "{1}–{2}", "de"), None);
        // Dimensions and a ratio are no ranges.
        assert_eq!(reversed("尺寸30×20cm", "{1}", "en"), None);
        assert_eq!(reversed("5V/2A输出", "{1}/{2}", "en"), None);
        // A slash the translation writes as a dash ("18/10" steel), and a
        // unit "A" between two numbers, are no ranges.
        assert_eq!(
            ranges_reversed("18/10 stainless", "ステンレス鋼（18-10）", &[]),
            None
        );
        assert_eq!(ranges_reversed("2000 A peak, 12 V", "2000A 12V", &[]), None);
    }

    #[test]
    fn a_limit_the_source_lacks_is_added() {
        let added = |src: &str, sl: &str, out: &str, tl: &str| {
            limits_added(src, out, sl, tl).map(|f| f.evidence)
        };
        // An approximation is no limit: "about 30 minutes" is not "at most".
        assert_eq!(
            added(
                "安装简单，约{1}完成",
                "zh",
                "Instala-se de forma simples, no máximo {1} para completar",
                "pt"
            ),
            Some(vec!["no máximo {1}".to_string()])
        );
        assert_eq!(
            added("约{1}完成", "zh", "Concluída em cerca de {1}", "pt"),
            None
        );
        // A diameter that became a tolerance, in any language.
        let filament = "PLA 3D打印耗材 {1} {2} 精度{3}";
        assert_eq!(
            added(
                filament,
                "zh",
                "tinta PLA, precisão ±{1}, {2}, erro {3}",
                "pt"
            ),
            Some(vec!["±{1}".to_string()])
        );
        assert_eq!(added("精度±{1}", "zh", "精度 +/- {1}", "ja"), None);
        assert_eq!(added("误差{1}", "zh", "Toleranz ±{1}", "de"), None);
        assert_eq!(added("Größe {1}", "de", "Size {1} ± 5%", "en"), None);
        // The power bank's capacity that became "larger than" in Thai.
        let bank = "{1}大容量，可为手机充电{2}";
        assert_eq!(
            added(bank, "zh", "มีความจุขนาดใหญ่กว่า {1} ชาร์จโทรศัพท์ได้ {2}", "th"),
            Some(vec!["กว่า {1}".to_string()])
        );
        assert_eq!(
            added(
                bank,
                "zh",
                "Large capacity of {1}, charges a phone {2}",
                "en"
            ),
            None
        );
        assert_eq!(
            added(
                "Capacity 20000 mAh",
                "en",
                "Kapazität 20000 mAh oder mehr",
                "de"
            ),
            Some(vec!["20000 oder mehr".to_string()])
        );
        // After a Korean or Japanese counter: a baby carrier's 0-36 months
        // came back "0-36 months or more".
        assert_eq!(
            added("适合{1}个月宝宝", "zh", "아기를 {1}개월 이상 받는 데", "ko"),
            Some(vec!["{1} 이상".to_string()])
        );
        assert_eq!(
            added("适合{1}个月以上宝宝", "zh", "{1}개월 이상 아기", "ko"),
            None
        );
        // After a Korean word that is no counter: 5-12岁 came back "5-12
        // 세대 이상" (5-12 generations or more); glued, a counter still reads.
        assert_eq!(
            added("适合5-12岁儿童", "zh", "5-12 세대 이상 사용 가능", "ko"),
            Some(vec!["12 이상".to_string()])
        );
        assert_eq!(
            added("适合5-12岁儿童", "zh", "5-12 세 어린이용", "ko"),
            None
        );
        assert_eq!(
            added("可容纳3个", "zh", "3개이상 수납", "ko"),
            Some(vec!["3 이상".to_string()])
        );
        assert_eq!(
            added("适合{1}个月宝宝", "zh", "{1}ヶ月以上の赤ちゃん", "ja"),
            Some(vec!["{1} 以上".to_string()])
        );
        // A limit of the source's, soft ones too, and a word that only ends
        // another ("demás de") are not added.
        assert_eq!(
            added("适合3岁以上儿童", "zh", "Para niños de más de 3 años", "es"),
            None
        );
        assert_eq!(
            added("续航高达24小时", "zh", "Autonomía de más de 24 horas", "es"),
            None
        );
        assert_eq!(
            added("20多种颜色", "zh", "More than 20 colours", "en"),
            None
        );
        assert_eq!(added("{1} colores", "es", "Los demás de {1}", "es"), None);
        // Japanese 以上 belongs to the number before it.
        assert_eq!(
            added(
                "over 40 fonts and 450 icons",
                "en",
                "40種類以上のフォントと450種類",
                "ja"
            ),
            None
        );
    }

    #[test]
    fn a_colour_temperature_keeps_its_warmth() {
        let swapped = |src: &str, sl: &str, out: &str, tl: &str| {
            lights_swapped(src, out, sl, tl).map(|f| f.evidence)
        };
        // The desk lamp's three lights, the cool one called hot in Arabic.
        let lamp = "三种色温：3000K暖光、4500K自然光、6500K冷光";
        assert_eq!(
            swapped(
                lamp,
                "zh",
                "اللونات: 3000K حرارة، 4500K طبيعي، 6500K ضوء ساخن",
                "ar"
            ),
            Some(vec!["6500k".to_string()])
        );
        assert_eq!(
            swapped(
                lamp,
                "zh",
                "3 Farbtemperaturen: 3000K Warmweiß, 4500K Neutralweiß, 6500K Kaltweiß",
                "de"
            ),
            None
        );
        assert_eq!(
            swapped(lamp, "zh", "3000 K luz fría, 6500 K luz cálida", "es"),
            Some(vec!["3000 k".to_string(), "6500 k".to_string()])
        );
        // A neutral light, a range and words of another clause are not read.
        assert_eq!(
            swapped(
                "色温2700K-6500K可调",
                "zh",
                "Warm to cool: 2700K-6500K adjustable",
                "en"
            ),
            None
        );
        assert_eq!(swapped("4000K", "zh", "4000K warm", "en"), None);
        // A light the source itself miscalls is the seller's to fix.
        assert_eq!(swapped("6500K暖白光", "zh", "6500K Warmweiß", "de"), None);
    }

    #[test]
    fn a_version_stays_with_its_technology() {
        let unnamed = |src: &str, out: &str| {
            let p = protected(src, "zh", "nl");
            versions_unnamed(&p.text, out, &p.spans).map(|f| f.evidence)
        };
        // The speaker's Bluetooth version that became a battery life.
        let title = "便携蓝牙音箱 20W 重低音 蓝牙5.3 TWS串联";
        let p = protect(
            title,
            &ProtectRules {
                source_language: Some("zh"),
                language: Some("nl"),
                ..Default::default()
            },
        );
        let v = p
            .spans
            .iter()
            .position(|s| s.original == "5.3")
            .map(|i| format!("{{{}}}", i + 1))
            .unwrap();
        let w = p
            .spans
            .iter()
            .position(|s| s.original == "20W")
            .map(|i| format!("{{{}}}", i + 1))
            .unwrap();
        assert_eq!(
            unnamed(
                title,
                &format!("Bluetooth-speaker {w}, batterijduur {v}, TWS")
            ),
            Some(vec![format!("蓝牙 5.3")])
        );
        for out in [
            format!("Bluetooth-speaker {w}, Bluetooth {v}, TWS"),
            format!("Bluetooth-speaker {w}, Bluetooth versie {v}"),
        ] {
            assert_eq!(unnamed(title, &out), None, "{out}");
        }
        // Every script's spelling of the name; digits as well as placeholders.
        assert!(versions_unnamed("蓝牙5.3", "บลูทูธ 5.3", &[]).is_none());
        assert!(versions_unnamed("Bluetooth 5.0", "블루투스 5.0", &[]).is_none());
        assert!(versions_unnamed("Wi-Fi 6", "Поддержка вай-фай 6", &[]).is_none());
        assert!(versions_unnamed("USB 3.0", "Hız 3.0", &[]).is_some());
        // A voltage is no version; a count after the name keeps it near.
        assert!(versions_unnamed("USB 5V供电", "Zasilanie 5V", &[]).is_none());
        assert!(versions_unnamed("USB 2 ports", "2 USB-Anschlüsse", &[]).is_none());
        assert!(
            versions_unnamed("2.4GHz+蓝牙 6键", "2,4 GHz + Bluetooth, 6 Tasten", &[]).is_none()
        );
        assert!(versions_unnamed("2 x USB 3.0", "2个USB 3.0", &[]).is_none());
    }

    #[test]
    fn the_dev_set_references_write_no_number_the_source_lacks() {
        // The precision of `number_word_added`, `count_missing`, `limit_lost`,
        // `limit_added`, `light_swapped`, `range_reversed` and `version_unnamed`
        // on good translations: the dev set's references (titles and bullets) in every
        // language whose number words are read.
        let (mut n, mut hits) = (0, Vec::new());
        for (lang, t, a, b) in crate::localize::eval::dev_reference_pairs() {
            if !NUMBER_WORDS.iter().any(|(l, _)| *l == t) {
                continue;
            }
            n += 1;
            let p = protected(&a, &lang, &t);
            let found = [
                number_words_added(&p.text, &p.spans, &b, &t),
                cjk_counts_missing(&p.text, &lang, &b, &t),
                pair_counts_changed(&a, &lang, &b, &t),
                limits_lost(&a, &b, &lang, &t),
                versions_unnamed(&a, &b, &[]),
                lights_swapped(&a, &b, &lang, &t),
                limits_added(&a, &b, &lang, &t),
                ranges_reversed(&a, &b, &[]),
            ];
            for x in found.into_iter().flatten() {
                hits.push(format!("{lang}→{t} {:?}: {a} => {b}", x.evidence));
            }
        }
        assert!(n > 1500, "{n}");
        crate::localize::eval::assert_few_flagged(&hits, n);
        eprintln!("{} of {n}:\n{}", hits.len(), hits.join("\n"));
    }

    #[test]
    #[ignore]
    fn measure_per_unit_lost() {
        // The precision of a rate per length, area, volume or mass (每米) on
        // good translations whose source says 每 or 毎.
        crate::localize::eval::print_precision(
            |a| a.contains(['每', '毎']),
            |s, t, a, b| {
                let lost = super::super::spans::per_unit_lost(a, b, s, t);
                (!lost.is_empty()).then(|| lost.join(", "))
            },
        );
    }

    #[test]
    #[ignore]
    fn measure_rate_denominators_lost() {
        // The precision of a rate's unit written as a quantity on good
        // translations whose source writes a slash.
        crate::localize::eval::print_precision(
            |a| a.contains('/') || a.contains('／'),
            |_, _, a, b| rate_denominators_lost(a, b).map(|f| f.message),
        );
    }

    #[test]
    fn a_rate_per_length_area_volume_or_mass_written_as_a_quantity_is_caught() {
        // Ions per cubic centimetre came back a volume.
        let f = rate_denominators_lost(
            "负离子浓度约1000万个/cm³",
            "Ionen konzentration von ca. 10.000.000 cm³",
        )
        .unwrap();
        assert_eq!(f.evidence, ["/cm³"]);
        assert!(f.message.contains("10.000.000 cm³"), "{}", f.message);
        // Kept a rate: after a slash or a word for "per".
        for out in [
            "Ionenkonzentration ca. 10.000.000/cm³",
            "Ionenkonzentration ca. 10.000.000 pro cm³",
            "Tissu 200 g/m², 5000 g/m²/24h",
        ] {
            assert!(
                rate_denominators_lost("负离子浓度约1000万个/cm³ 200g/m² 5000g/m²/24h", out)
                    .is_none(),
                "{out}"
            );
        }
        // A unit the source also writes as a quantity, and time (another
        // check's), are not read.
        assert!(
            rate_denominators_lost("面积2m²，每平方米约5kg，5kg/m²", "2 m², 5 kg, 5 m²").is_none()
        );
        assert!(rate_denominators_lost("转速3000转/min", "3000 min").is_none());
    }

    #[test]
    #[ignore]
    fn measure_rate_units_missing() {
        // The precision of a rate's time unit on good translations whose
        // source says "per" (每, 毎, "per", "/").
        crate::localize::eval::print_precision(
            |a| a.contains(['每', '毎', '/']) || a.to_lowercase().contains("per "),
            |sl, tl, a, b| {
                // Numbers as placeholders on both sides, as the pipeline reads
                // them ("480 Mbit/s" is a quantity).
                let p = crate::localize::retrieval::Example {
                    kind: "bullet".into(),
                    source: a.into(),
                    target: b.into(),
                    origin: crate::localize::retrieval::ExampleOrigin::Builtin,
                    score: 0.0,
                }
                .prompt_pair(true);
                rate_units_missing(&p.source, &p.target, sl, tl).map(|f| f.message)
            },
        );
    }

    #[test]
    fn a_rate_keeps_its_unit_of_time() {
        let gone = |src: &str, out: &str, s: &str, t: &str| {
            rate_units_missing(src, out, s, t)
                .map(|f| f.evidence)
                .unwrap_or_default()
        };
        // Korean: a week holds the day's 일; 하루 is a day.
        assert_eq!(
            gone("每天两次，清洁更彻底", "일주일에 두 번 사용", "zh", "ko"),
            ["每天"]
        );
        assert!(gone("每天两次", "하루에 두 번", "zh", "ko").is_empty());
        assert!(gone("每天两次", "매일 두 번", "zh", "ko").is_empty());
        assert!(gone("每天两次", "1일 2회", "zh", "ko").is_empty());
        // A letter whose lower case is longer moves no offset (found by
        // fuzzing: a panic slicing the source at the lowercased text's index).
        assert_eq!(
            gone("İİ每分钟{1}次", "{1} times per second", "zh", "en"),
            ["每分钟"]
        );
        assert_eq!(
            gone(
                "İstanbul: {1} strokes Per Minute",
                "{1} Hübe pro Sekunde",
                "en",
                "de"
            ),
            ["Per Minute"]
        );
        // Per minute became per second: the number and its count are right.
        assert_eq!(
            gone(
                "每分钟{1}声波震动，深层清洁毛孔",
                "{1} sonic vibrations per second for deep cleansing",
                "zh",
                "en"
            ),
            ["每分钟"]
        );
        let kept = [
            (
                "每分钟{1}声波震动",
                "{1} sonic vibrations per minute",
                "zh",
                "en",
            ),
            (
                "每分钟{1}声波震动",
                "{1} sonic vibrations a min",
                "zh",
                "en",
            ),
            ("转速{1}转/分钟", "Speed {1} rpm", "zh", "en"),
            ("每分钟转速{1}转", "At {1} RPM", "zh", "en"),
            ("每天使用", "For daily use", "zh", "en"),
            (
                "每个月更换滤芯",
                "Replace the filter every month",
                "zh",
                "en",
            ),
            ("每月更换滤芯", "Replace the filter monthly", "zh", "en"),
            ("每秒钟{1}次", "{1} Mal pro Sekunde", "zh", "de"),
            ("每小时{1}", "{1} par heure", "zh", "fr"),
            ("毎分{1}回転", "{1} revolutions per minute", "ja", "en"),
            ("Cleans {1} per hour", "Reinigt {1} pro Stunde", "en", "de"),
            ("Cleans {1} per hour", "1時間あたり{1}", "en", "ja"),
            ("Cleans {1} per hour", "毎時{1}", "en", "ja"),
            ("Refill every month", "毎月補充", "en", "ja"),
            ("Refill every month", "每月补充", "en", "zh"),
            ("Cleans {1} per hour", "Czyści {1} na godzinę", "en", "pl"),
            ("{1} meals per day", "{1} refeições diárias", "en", "pt"),
            (
                "Use {1} times every day",
                "Täglich {1}-mal verwenden",
                "en",
                "de",
            ),
            ("{1} strokes/min", "{1} coups/min", "en", "fr"),
            // No rate: a time unit after a number is a quantity, and "each
            // side" is no second.
            ("Charges in {1} hours", "Lädt in {1}", "en", "de"),
            ("Print on each side", "Druck auf jeder Seite", "en", "de"),
            ("每次使用后清洗", "Clean after each use", "zh", "en"),
            // The same language: nothing to compare.
            ("每天使用", "每日使用", "zh", "zh"),
        ];
        for (src, out, s, t) in kept {
            assert!(gone(src, out, s, t).is_empty(), "{src} → {out}");
        }
        assert_eq!(
            gone("{1} Hübe pro Minute", "{1} strokes per second", "de", "en"),
            ["pro Minute"]
        );
        assert_eq!(
            gone(
                "Use twice every day",
                "Zweimal pro Woche verwenden",
                "en",
                "de"
            ),
            ["every day"]
        );
        assert_eq!(
            gone(
                "每周清洗一次，每年更换",
                "Clean once a week, replace every month",
                "zh",
                "en"
            ),
            ["每年"]
        );
        // The model is told which rate to keep.
        let f = rate_units_missing("每分钟{1}次", "{1} times per second", "zh", "en").unwrap();
        assert_eq!(f.severity, Severity::Error);
        assert!(f.problem_for_model("English").unwrap().contains("每分钟"));
    }

    #[test]
    fn a_makers_name_keeps_its_capitals() {
        // A Turkish title wrote "iPad" as "İPad"; the name check had let it
        // pass, "ipad" being a common English word.
        assert_eq!(
            names_recased("iPad Air 5 保护套", "İPad Air 5 Kılıfı, IPAD uyumlu").as_deref(),
            Some("iPad Air 5 Kılıfı, iPad uyumlu")
        );
        assert_eq!(names_recased("iPad 保护套", "iPad Kılıfı"), None);
        assert_eq!(names_recased("USB 充电", "Usb şarj"), None);
        assert!(names_missing("iPad Air 5 保护套", "Pad Air 5 Kılıfı", "zh", "tr").is_some());
        assert!(names_missing("iPad Air 5 保护套", "iPad Air 5 Kılıfı", "zh", "tr").is_none());
    }

    #[test]
    fn latin_names_of_a_cjk_source_must_stay_in_the_translation() {
        let gone = |src: &str, out: &str, s: &str, t: &str| {
            names_missing(src, out, s, t)
                .map(|f| f.evidence)
                .unwrap_or_default()
        };
        // A material name the model changed (zh→en dev-set output).
        assert_eq!(
            gone(
                "Tritan材质，不含BPA，耐摔",
                "Titanate material, BPA-free, durable",
                "zh",
                "en"
            ),
            ["Tritan"]
        );
        assert_eq!(
            gone(
                "FreeBuds系列 陶瓷白",
                "Free Buds series, ceramic white",
                "zh",
                "de"
            ),
            Vec::<String>::new(),
            "a space between its parts is the same name"
        );
        assert_eq!(
            gone(
                "Type-C接口 tritan材质",
                "Type C port, Tritan material",
                "zh",
                "en"
            ),
            Vec::<String>::new(),
            "case and hyphens do not matter"
        );
        assert_eq!(gone("Lumeya精华 {1}", "Serum {1}", "zh", "fr"), ["Lumeya"]);
        // Not checked: short words, acronyms, common English words, parts of
        // a dimension or a code, placeholders.
        assert_eq!(
            gone(
                "APP控制 迷你mini款 40x12x8cm 3A快充 {1}Pro USB",
                "Smart control, compact, fast charging {1}",
                "zh",
                "en"
            ),
            Vec::<String>::new()
        );
        // A model name is one name: its words in order, only spaces and
        // hyphens between them (a zh→en title: "iPhone 15, Pro, Max").
        assert_eq!(
            gone(
                "适用于iPhone {1} Pro Max手机壳 {2}透明TPU",
                "Clear Case for iPhone {1}, Pro, Max {2}",
                "zh",
                "en"
            ),
            ["iPhone {1} Pro Max"]
        );
        for good in [
            "Case for iPhone {1} Pro Max, clear",
            "iphone {1}-pro-max case",
        ] {
            assert_eq!(
                gone("适用于iPhone {1} Pro Max手机壳", good, "zh", "en"),
                Vec::<String>::new(),
                "{good}"
            );
        }
        assert_eq!(
            gone(
                "三星Galaxy S24 Ultra保护壳",
                "Galaxy S24 case Ultra",
                "zh",
                "de"
            ),
            ["Galaxy S24 Ultra"]
        );
        // Not a model name: no number, or no word that names anything; an
        // English word at the run's end ("Fits") may be translated.
        assert!(name_runs_broken("Wireless Charging支持", "Kabelloses Laden").is_empty());
        assert!(name_runs_broken("{1}Pro USB快充", "fast charging {1}").is_empty());
        assert_eq!(
            gone("Fits iPhone 15手机", "Passend für iPhone 15", "zh", "de"),
            Vec::<String>::new()
        );
        // Only a CJK source into a language written in Latin letters.
        // A kind's common word translated, its letter kept.
        assert!(names_missing("Type-C接口", "Typ-C-Anschluss", "zh", "de").is_none());
        assert!(names_missing("Type-C接口", "puerto Tipo C", "zh", "es").is_none());
        assert!(names_missing("Type-C接口", "puerto micro USB", "zh", "es").is_some());
        assert!(names_missing("Type-C接口", "puerto magnetic", "zh", "es").is_some());
        assert!(names_missing("Type-A接口", "puerto a la red", "zh", "es").is_some());
        assert!(names_missing("Tritan bottle", "Titanate Flasche", "en", "de").is_none());
        assert!(names_missing("Tritan材质", "Тритан", "zh", "ru").is_none());
        assert!(names_missing("Tritan材质", "トライタン素材", "zh", "ja").is_none());
        assert!(names_missing("Tritan素材", "Titanate material", "ja", "en").is_some());
    }

    #[test]
    fn acronyms_of_the_source_must_stay_in_the_translation() {
        let codes = |src: &str, out: &str| acronyms_missing(src, out).map(|f| f.evidence);
        // The en→es dev set's changed facts.
        assert_eq!(
            codes(
                "Blocks {1} of UVA and UVB rays",
                "Bloquea {1} de rayos UV y UVB"
            ),
            Some(vec!["UVA".to_string()])
        );
        assert_eq!(
            codes(
                "{1} {2} GPS Running Smartwatch, {3}, AMOLED",
                "{1} {2} Reloj GPS, {3}, OLED"
            ),
            Some(vec!["AMOLED".to_string()])
        );
        assert_eq!(
            codes("Four spinner wheels and TPU shell", "4つの回転車輪"),
            Some(vec!["TPU".to_string()])
        );
        // Acronyms that are common English words, kept in every language.
        assert_eq!(
            codes(
                "Free of PVC, latex and phthalates",
                "Libre d'acrylique, de latex et de phtalates"
            ),
            Some(vec!["PVC".to_string()])
        );
        assert_eq!(
            codes(
                "Desk lamp with LED light and USB port",
                "Schreibtischlampe mit Licht und Anschluss"
            ),
            Some(vec!["LED".to_string(), "USB".to_string()])
        );
        // Glued to Chinese ("PP塑料", PP plastic).
        assert_eq!(
            codes("PP塑料", "Plastik nhựa"),
            Some(vec!["PP".to_string()])
        );
        assert_eq!(codes("PP塑料", "Nhựa PP"), None);
        // Kept (any case, full width), translated ones, common words, shouting: fine.
        for (src, out) in [
            ("USB charging, BPA free", "Carga por usb, sin BPA"),
            ("USB charging", "ＵＳＢ充電"),
            ("Blade hardness {1} HRC", "刃の硬度は{1}HRC"),
            ("True HEPA {1} filter", "真のHEPA{1}フィルター"),
            ("EU plug, TV stand", "Prise UE, meuble télé"),
            ("NEW lamp, HOT deal", "Neue Lampe, Top-Angebot"),
            ("UV protection, LCD screen", "紫外線防止、液晶画面"),
            ("STAINLESS STEEL WATER BOTTLE", "Edelstahl-Trinkflasche"),
            ("USB-C cable", "Câble"),
            ("Lid", "Deckel"),
        ] {
            assert_eq!(codes(src, out), None, "{src}");
        }
    }

    #[test]
    fn a_phrase_said_twice_in_a_title_is_read() {
        let f = title_phrase_repeated(
            "{1} {2} 半自动咖啡机 {3} 意式浓缩 {4}水箱 不锈钢 {5}",
            "{1} Cafetière semi-auto {2}, espresso {3}, boîte d'eau acier inoxydable {4}, boîte d'eau acier inoxydable {5}",
        )
        .unwrap();
        assert_eq!(f.code, "repetition_loop");
        assert_eq!(f.message, "\"boîte d'eau acier\" repeated 2 times");
        // A unit's letter between the words parts nothing.
        assert_eq!(
            title_phrase_repeated(
                "x",
                "Bedding Set for 1.8 M Bed, Duvet Cover Bed, 1.8 m Duvet Cover"
            )
            .unwrap()
            .message,
            "\"bed duvet cover\" repeated 2 times"
        );
        assert!(title_phrase_repeated("x", "Bedding Set for 1.8 m Bed, Duvet Cover").is_none());
        // Short words, and a phrase the source says twice, are no repeat.
        assert!(
            title_phrase_repeated("x", "Correa para perros de 5 m, para perros de hasta 50 kg")
                .is_none()
        );
        assert!(
            title_phrase_repeated("Dog Bed, Dog Bed Cover", "Dog Bed, Dog Bed Cover").is_none()
        );
    }

    #[test]
    fn a_repetition_loop_is_named_the_same_way_every_time() {
        let out = "idée de décès de l'idée de décès de l'idée de décès de l'idée";
        let first = repetition_loop("x", out).unwrap().message;
        for _ in 0..50 {
            assert_eq!(repetition_loop("x", out).unwrap().message, first);
        }
    }

    fn codes(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|x| x.code).collect()
    }

    #[test]
    fn units_run_together_are_no_unit_in_any_script() {
        let bad = |expected: &str, out: &str| -> Vec<String> {
            unknown_units(expected, out)
                .into_iter()
                .flat_map(|f| f.evidence)
                .collect()
        };
        assert_eq!(bad("1,2 lb", "544 gkg"), ["gkg"]);
        assert_eq!(bad("120 ft-lb", "36,6 m-lb Drehmoment"), ["m-lb"]);
        // Japanese and Chinese write on without a space: the unit ends there.
        assert_eq!(bad("12 V～48 V", "12 V～48 VVで定格"), ["VV"]);
        assert!(bad("x", "重さ15.9 kgの本体、トルク203 Nmトルク").is_empty());
        assert!(bad("x", "功率1000 W的电饭煲").is_empty());
        // Words and real units pass; so does what the expected text has itself.
        assert!(bad("x", "24 Stunden, 12-teilig, 5 kg").is_empty());
        assert!(bad("kit 3 gkg", "3 gkg").is_empty());
        // Battery sizes are no amperes run together.
        assert!(bad("需2个AAA电池", "2 AAA 배터리").is_empty());
    }

    #[test]
    fn number_check_catches_missing_and_changed_numbers() {
        assert!(numbers("Socket 14,3 mm, 2 pack", "Stecknuss 14,3 mm, 2er Pack").is_empty());
        let f = numbers("Socket 9/16 in", "Stecknuss 1-9/16 in");
        assert_eq!(codes(&f), ["number_changed"]);
        let f = numbers("750 ml bottle", "Flasche");
        assert_eq!(codes(&f), ["number_missing"]);
        // A number the source gives in words may be written in digits; another may not.
        assert!(
            numbers(
                "纯棉四件套 1.8 m床",
                "Cotton 4-Piece Bedding Set, 1.8 m bed"
            )
            .is_empty()
        );
        assert!(numbers("with two batteries", "mit 2 Akkus").is_empty());
        let f = numbers("纯棉四件套", "Cotton 5-Piece Bedding Set");
        assert_eq!(codes(&f), ["number_changed"]);
        // A number the source gives, said twice, is said so; a zero too.
        let f = numbers(
            "12 inch wheel, 0 emissions",
            "12 inch 12 inch wheel, 0 0 emissions",
        );
        assert_eq!(
            f[0].message,
            "numbers said more often than in the source: 0 (twice, the source once), 12 (twice, the source once)"
        );
        let f = numbers("12 inch wheel", "12 inch wheel 14");
        assert!(f[0].message.starts_with("numbers neither in the source"));
    }

    #[test]
    fn an_edit_keeps_numbers_as_written_or_as_converted() {
        use crate::localize::spans::{ProtectRules, protect};
        use crate::market::{MeasurementSystem, NumberFormat};
        let de = NumberFormat {
            decimal: ",".into(),
            grouping: ".".into(),
        };
        let rules = ProtectRules {
            measurement: Some(MeasurementSystem::Metric),
            number_format: Some(&de),
            language: Some("de"),
            source_language: Some("en"),
            ..Default::default()
        };
        let p = protect("Travel mug 16 fl oz, weighs 1.5 kg, 2 lids", &rules);
        // The German decimal comma and the converted unit are no change.
        assert_eq!(
            edited_numbers(&p, "Reisebecher 473 ml, wiegt 1,5 kg, 2 Deckel"),
            None
        );
        // Neither is keeping the source's own form.
        assert_eq!(
            edited_numbers(&p, "Reisebecher 16 fl oz, wiegt 1.5 kg, 2 Deckel"),
            None
        );
        // A number the person added is theirs.
        assert_eq!(
            edited_numbers(&p, "Reisebecher 473 ml, wiegt 1,5 kg, 2 Deckel, 10 Jahre"),
            None
        );
        let f = edited_numbers(&p, "Reisebecher 500 ml, wiegt 1,5 kg, 3 Deckel")
            .expect("two numbers changed");
        assert_eq!(f.code, "number_changed");
        assert_eq!(f.evidence.len(), 2, "{:?}", f.evidence);
        assert!(f.evidence[0].contains("16"), "{:?}", f.evidence);
        assert!(f.evidence[1].contains('2'), "{:?}", f.evidence);
        // Full-width digits are digits.
        let p = protect("Model 2024 kettle", &ProtectRules::default());
        assert_eq!(edited_numbers(&p, "Wasserkocher Modell ２０２４"), None);
        assert!(edited_numbers(&p, "Wasserkocher").is_some());
    }

    #[test]
    fn language_check() {
        assert!(
            wrong_language(
                "Edelstahl Trinkflasche mit auslaufsicherem Deckel für Sport und Büro",
                "de"
            )
            .is_none()
        );
        assert!(
            wrong_language(
                "Stainless steel water bottle with a leak proof lid for sports and office",
                "de"
            )
            .is_some()
        );
        assert!(wrong_language("ステンレス製の水筒、漏れ防止の蓋付き", "ja").is_none());
        assert!(wrong_language("Stainless steel bottle with lid", "ja").is_some());
        assert!(wrong_language("不锈钢保温杯带防漏盖子", "ja").is_some());
        assert!(
            wrong_language("Deckel", "fr").is_none(),
            "too short to judge"
        );
        // Good Japanese with no kana, and Chinese with only characters Japanese shares.
        assert!(wrong_language("対象年齢3歳以上", "ja").is_none());
        assert!(wrong_language("電池容量5000mAh 急速充電対応", "ja").is_none());
        assert!(wrong_language("这款保温杯采用双层真空设计长效保温保冷", "ja").is_some());
        // Malay: the detector has no Malay and answers Indonesian.
        let ms = "Tikar yoga ini tebal dan tidak licin, sesuai untuk senaman di rumah dan di gimnasium setiap hari";
        assert!(wrong_language(ms, "ms").is_none());
        assert!(wrong_language(ms, "id").is_none());
        assert!(wrong_language(ms, "de").is_some());
    }

    #[test]
    fn length_ratio_holds_across_scripts() {
        let o = CheckOptions::default();
        let ok =
            |s: &str, t: &str, src: &str, tgt: &str| length_ratio(s, t, src, tgt, &o).is_none();
        // A dense Chinese title into a Latin language, English into Korean and Japanese.
        assert!(ok(
            "316不锈钢保温杯 大容量1000ml 男女学生便携水杯",
            "Termo de acero inoxidable 316 de 1000 ml, gran capacidad, botella portátil para hombre, mujer y estudiantes",
            "zh",
            "es"
        ));
        assert!(ok(
            "Non-slip yoga mat with carrying strap, 6 mm thick",
            "운반 스트랩이 있는 미끄럼 방지 요가 매트, 두께 6mm",
            "en",
            "ko"
        ));
        assert!(ok(
            "保温12小时，保冷24小时",
            "保温12時間、保冷24時間",
            "zh",
            "ja"
        ));
        // Still catches a truncated or padded answer.
        assert!(!ok(
            "316不锈钢保温杯 大容量1000ml 男女学生便携水杯",
            "Termo",
            "zh",
            "es"
        ));
        assert!(!ok(
            "Non-slip yoga mat with carrying strap, 6 mm thick",
            "요가",
            "en",
            "ko"
        ));
    }

    #[test]
    fn untranslated_length_and_loops() {
        let o = CheckOptions::default();
        assert!(
            length_ratio(
                "Keeps drinks cold for hours",
                "Hält Getränke stundenlang kalt",
                "en",
                "de",
                &o
            )
            .is_none()
        );
        assert!(length_ratio("Keeps drinks cold for hours", "Kalt", "en", "de", &o).is_some());
        assert!(
            length_ratio(
                "Keeps drinks cold for hours",
                "ドリンクを何時間も冷たく保つ",
                "en",
                "ja",
                &o
            )
            .is_none()
        );
        assert!(
            repetition_loop(
                "Batter ride",
                "バッターライド バッターライド バッターライド バッターライド"
            )
            .is_some()
        );
        assert!(repetition_loop("a b", "sehr sehr sehr sehr gut").is_some());
        assert!(repetition_loop("Keeps drinks cold", "Hält Getränke kalt").is_none());
    }

    #[test]
    fn segment_check_collects_codes_and_confidence() {
        let c = SegmentCheck {
            source_protected: "Keeps drinks cold for {1}",
            source_expected: "Keeps drinks cold for 24 h",
            output_raw: "Keeps drinks cold for",
            output: "Keeps drinks cold for",
            span_issues: &[SpanIssue::Missing(1)],
            spans: &[],
            literal: &[],
            source_lang: "en",
            target_lang: "de",
            mean_logprob: Some(-3.0),
        };
        let f = check_segment(&c, &CheckOptions::default());
        for code in [
            "placeholder_missing",
            "number_missing",
            "untranslated",
            "low_confidence",
        ] {
            assert!(codes(&f).contains(&code), "{code} in {f:?}");
        }
        assert!(score(&f, Some(-3.0)) > score(&[], Some(-0.2)));
    }

    #[test]
    fn a_multiplier_parted_from_its_quantity_is_read() {
        use super::super::spans::{ProtectRules, protect};
        let p = protect("婴儿湿巾 80抽×10包 不含酒精", &ProtectRules::default());
        assert_eq!(p.text, "婴儿湿巾 {1}抽{2}包 不含酒精");
        let parted = |out: &str| multiplier_parted(&p.text, out, &p.spans);
        assert_eq!(parted("아기 물티슈 {1}, {2}, 알코올 없음"), ["×10"]);
        assert_eq!(parted("{2} 물티슈"), ["×10"]);
        assert!(parted("아기 물티슈 {1}매 {2}팩, 알코올 없음").is_empty());
        assert!(parted("Baby wipes, {1} wipes {2} packs").is_empty());
        // A multiplier the source itself sets apart is none.
        let p = protect("尺寸：30cm，×2", &ProtectRules::default());
        assert!(multiplier_parted(&p.text, "Size: {1}, {2}", &p.spans).is_empty());
    }

    #[test]
    fn a_mark_the_listing_names_elsewhere_is_not_added() {
        // A coffee machine whose brand is 德龙 (De'Longhi): the model naming
        // the brand in a bullet whose source does not is no invented brand;
        // another mark is.
        let check = |output: &str, literal: &[&str]| {
            let c = SegmentCheck {
                source_protected: "蒸汽奶泡棒",
                source_expected: "蒸汽奶泡棒",
                output_raw: output,
                output,
                span_issues: &[],
                spans: &[],
                literal,
                source_lang: "zh",
                target_lang: "fr",
                mean_logprob: None,
            };
            codes(&check_segment(&c, &CheckOptions::default())).contains(&"mark_added")
        };
        assert!(check("Buse vapeur De'Longhi", &[]));
        assert!(!check("Buse vapeur De'Longhi", &["De'Longhi"]));
        assert!(check("Buse vapeur Philips", &["De'Longhi"]));
    }

    #[test]
    fn a_broken_name_is_reported_with_its_numbers() {
        let spans = [Span {
            kind: super::super::spans::SpanKind::ModelNumber,
            original: "15".into(),
            restore: "15".into(),
            note: None,
            inline: None,
        }];
        let c = SegmentCheck {
            source_protected: "适用于iPhone {1} Pro Max手机壳",
            source_expected: "适用于iPhone 15 Pro Max手机壳",
            output_raw: "Case for iPhone {1}, Pro, Max",
            output: "Case for iPhone 15, Pro, Max",
            span_issues: &[],
            spans: &spans,
            literal: &[],
            source_lang: "zh",
            target_lang: "en",
            mean_logprob: None,
        };
        let f = check_segment(&c, &CheckOptions::default());
        let name = f
            .iter()
            .find(|x| x.code == "name_missing")
            .expect("reported");
        assert_eq!(name.evidence, ["iPhone 15 Pro Max"]);
        assert!(
            name.message.contains("iPhone 15 Pro Max"),
            "{}",
            name.message
        );
    }

    #[test]
    fn broken_characters_are_errors() {
        let f = broken_characters(
            "Bamboo board with juice groove",
            "Bambus-Schneidebrett mit Saftrille",
        );
        assert_eq!(f, None);
        let f = broken_characters(
            "Bamboo board with juice groove",
            "Bambus-Schneidebrett mit Frucht-Großečker\u{fffd}en",
        )
        .expect("a replacement character is found");
        assert_eq!(f.code, "broken_character");
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.evidence, ["Frucht-Großečker\u{fffd}en"]);
        let f = broken_characters("a", "b\u{7}c d").expect("a control character is found");
        assert_eq!(f.evidence, ["b\\u{7}c"]);
        // Line breaks and tabs are text; so is what the source has itself.
        assert_eq!(broken_characters("a", "b\nc\td"), None);
        assert_eq!(broken_characters("x \u{fffd}", "y \u{fffd}"), None);
    }

    #[test]
    fn braces_the_source_does_not_have_are_reported() {
        let check = |source: &str, output: &str| {
            let c = SegmentCheck {
                source_protected: source,
                source_expected: source,
                output_raw: output,
                output,
                span_issues: &[],
                spans: &[],
                literal: &[],
                source_lang: "en",
                target_lang: "de",
                mean_logprob: None,
            };
            check_segment(&c, &CheckOptions::default())
                .into_iter()
                .filter(|f| f.code == "braces_added")
                .flat_map(|f| f.evidence)
                .collect::<Vec<_>>()
        };
        // A word in a placeholder's shape, and braces left alone.
        assert_eq!(
            check(
                "Auto shut-off for safe everyday use",
                "Automatische Abschaltung für sicheren {einfach} Gebrauch"
            ),
            ["{einfach}"]
        );
        assert_eq!(check("Quiet and fast", "Leise und } schnell {"), ["}", "{"]);
        // Braces the source has are the seller's: kept, not reported.
        assert!(check("Print {name} on the mug", "Druckt {name} auf die Tasse").is_empty());
        assert!(check("Keeps drinks cold", "Hält Getränke kalt").is_empty());
        // And the model is told what to mend.
        let f = Finding::error("braces_added", "x").with_evidence(vec!["{einfach}".into()]);
        let told = f.problem_for_model("German").unwrap_or_default();
        assert!(
            told.contains("\"{einfach}\"") && told.contains("{1}"),
            "{told}"
        );
    }

    #[test]
    fn a_label_before_an_attribute_value_is_read() {
        assert_eq!(
            value_label("PLA", "Материальное значение: PLA").as_deref(),
            Some("Материальное значение")
        );
        assert_eq!(
            value_label("棉", "Matériau：coton").as_deref(),
            Some("Matériau")
        );
        // A colon of the source's own, or none at all, is no label.
        assert_eq!(value_label("16:9", "16:9"), None);
        assert_eq!(value_label("100%棉", "100% coton"), None);
        assert_eq!(value_label("PLA", ": PLA"), None);
    }

    #[test]
    fn the_instructions_written_into_a_translation_are_read() {
        let src = "【陶瓷】高温烧制{1}";
        assert_eq!(
            instruction_words(
                src,
                "数字と測定値は、プレースホルダ{1}からコピーして、数を自分で作成しないでください"
            ),
            ["数字と測定値", "プレースホルダ"]
        );
        assert_eq!(
            instruction_words(src, "Copy every Placeholder such as {1}"),
            ["copy every", "placeholder"]
        );
        assert_eq!(
            instruction_words(
                "{1}白鸭绒，蓬松度{2}",
                "{1}의 숫자와 측정값은 반드시 {2}에서 복사하여 작성하지 마세요"
            ),
            ["숫자와 측정"]
        );
        // A retry's instruction in the target language, in place of the text.
        let src = "无刷电机，寿命更长，效率高{1}";
        assert_eq!(
            instruction_words(
                src,
                "No se pueden usar números ni medidas reales; deben copiar exactamente cada una de las siguientes: {1}"
            ),
            ["copiar exactamente", "números ni medidas"]
        );
        assert_eq!(
            instruction_words(
                src,
                "Le rappel doit être conservé, avec une négation comme ne pas"
            ),
            ["négation"]
        );
        assert!(
            instruction_words(src, "Motor sin escobillas, más duradero, {1} más eficiente")
                .is_empty()
        );
        assert!(instruction_words(src, "陶器：{1}の高温で焼成").is_empty());
        // A source about placeholders keeps its word.
        assert!(instruction_words("Placeholder text", "Platzhalter-Text placeholder").len() == 1);
    }

    #[test]
    fn an_assistant_speaking_about_the_task_is_read() {
        // An Arabic title of a dash camera ended in "Sorry, I cannot
        // translate this title".
        let src = "路眼 4K行车记录仪 前后双录 170°广角 夜视";
        let out = "كاميرا سيارة، عذراً، لا أستطيع ترجمة هذا عنوان";
        assert_eq!(assistant_words(src, out), ["ترجم", "عذرا", "عذراً"]);
        assert_eq!(
            assistant_words("高清夜视", "Here is the translation: night vision"),
            ["translat"]
        );
        assert!(assistant_words(src, "كاميرا سيارة 4K بزاوية 170°").is_empty());
        // A translator device is translated with the word.
        assert!(assistant_words("AI翻译机 离线翻译", "Traductor de voz IA").is_empty());
    }

    #[test]
    fn letters_glued_to_a_kept_code_are_read() {
        use super::super::spans::{ProtectRules, protect};
        let glued = |source: &str, output: &str| {
            let p = protect(source, &ProtectRules::default());
            glued_to_code(source, output, &p.spans)
        };
        // A silk pillowcase's grade with an ordinal's ending.
        assert_eq!(
            glued(
                "22姆米桑蚕丝枕套 6A级",
                "Taie d'oreiller en soie 6Aème niveau"
            ),
            ["6Aème"]
        );
        assert!(
            glued(
                "22姆米桑蚕丝枕套 6A级",
                "Taie d'oreiller en soie de grade 6A"
            )
            .is_empty()
        );
        // A code ending in a digit, a plural "s", a hyphen, a Japanese
        // particle: none.
        assert!(glued("定时30min", "Timer 30mins").is_empty());
        assert!(glued("USB-C接口", "USB-C-Anschluss").is_empty());
        assert!(glued("6A级", "6Aグレード").is_empty());
        // The source's own word.
        assert!(glued("Model X5Apro", "Modell X5Apro").is_empty());
    }
}
