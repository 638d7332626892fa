//! The seller's glossary: a CSV of `source,target_lang,target` rows. An empty target
//! (or `DNT`, `do-not-translate`) keeps the term as is; otherwise the term must be
//! translated exactly so. Both are enforced through protected spans and checked.

use sha2::{Digest, Sha256};

use super::LocalizeError;
use super::spans::Term;
use super::terminology::contains_term;

/// Largest glossary file accepted (1 MiB) and most rows.
const MAX_GLOSSARY_BYTES: usize = 1024 * 1024;
const MAX_GLOSSARY_ROWS: usize = 20_000;
const MAX_TERM_CHARS: usize = 200;

/// One glossary row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlossaryEntry {
    /// Source term.
    pub source: String,
    /// Target language (ISO 639-1), or `*` for every language.
    pub language: String,
    /// Target term; `None` = do not translate.
    pub target: Option<String>,
}

/// A seller glossary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Glossary {
    entries: Vec<GlossaryEntry>,
    fingerprint: String,
}

impl Glossary {
    /// Parse the CSV (header row `source,target_lang,target`); errors name the file,
    /// line and column.
    pub fn from_csv(text: &str, source_name: &str) -> Result<Self, LocalizeError> {
        let input = |line: usize, field: &str, message: String| LocalizeError::Input {
            file: source_name.to_string(),
            line,
            field: field.to_string(),
            message,
        };
        if text.len() > MAX_GLOSSARY_BYTES {
            return Err(input(
                0,
                "",
                format!("file is over {MAX_GLOSSARY_BYTES} bytes"),
            ));
        }
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut entries = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            if i >= MAX_GLOSSARY_ROWS {
                return Err(input(
                    line,
                    "",
                    format!("more than {MAX_GLOSSARY_ROWS} rows"),
                ));
            }
            let rec = rec.map_err(|e| input(line, "", e.to_string()))?;
            let source = rec.get(0).unwrap_or("").to_string();
            if source.is_empty() {
                return Err(input(line, "source", "is empty".into()));
            }
            let language = rec.get(1).unwrap_or("").to_ascii_lowercase();
            if !(language == "*"
                || (language.len() == 2 && language.chars().all(|c| c.is_ascii_lowercase())))
            {
                return Err(input(
                    line,
                    "target_lang",
                    format!("`{language}` is not an ISO 639-1 code or `*`"),
                ));
            }
            let target = rec.get(2).unwrap_or("").to_string();
            for (f, v) in [("source", &source), ("target", &target)] {
                if v.chars().count() > MAX_TERM_CHARS {
                    return Err(input(
                        line,
                        f,
                        format!("longer than {MAX_TERM_CHARS} characters"),
                    ));
                }
            }
            let dnt = target.is_empty()
                || target.eq_ignore_ascii_case("dnt")
                || target.eq_ignore_ascii_case("do-not-translate");
            entries.push(GlossaryEntry {
                source,
                language,
                target: (!dnt).then_some(target),
            });
        }
        let digest = Sha256::digest(text.as_bytes());
        let fingerprint = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self {
            entries,
            fingerprint,
        })
    }

    /// A glossary from rows already validated (several stored glossaries
    /// merged in memory, so no single file's limits apply to the union). The
    /// fingerprint is the hash of the rows, as the CSV's would be.
    pub fn from_entries(entries: Vec<GlossaryEntry>) -> Self {
        if entries.is_empty() {
            return Self::default();
        }
        let mut h = Sha256::new();
        for e in &entries {
            for part in [&e.source, &e.language, e.target.as_deref().unwrap_or("")] {
                h.update((part.len() as u64).to_le_bytes());
                h.update(part.as_bytes());
            }
        }
        let fingerprint = h.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Self {
            entries,
            fingerprint,
        }
    }

    /// The terms that apply to a target language.
    pub fn terms_for(&self, language: &str) -> Vec<Term> {
        self.entries
            .iter()
            .filter(|e| e.language == "*" || e.language == language)
            .map(|e| Term {
                source: e.source.clone(),
                target: e.target.clone(),
            })
            .collect()
    }

    /// Short content hash (part of translation-memory keys); empty for no glossary.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// All rows.
    pub fn entries(&self) -> &[GlossaryEntry] {
        &self.entries
    }
}

/// Glossary terms whose source occurs in `source` but whose target (or the term
/// itself, for do-not-translate) is not in `output`, compared inflection-tolerantly
/// in `lang`: `(source term, required text)` pairs.
pub fn violations(source: &str, output: &str, terms: &[Term], lang: &str) -> Vec<(String, String)> {
    let src = source.to_lowercase();
    terms
        .iter()
        .filter(|t| src.contains(&t.source.to_lowercase()))
        .filter_map(|t| {
            let want = t.target.as_deref().unwrap_or(&t.source);
            (!contains_term(output, want, lang)).then(|| (t.source.clone(), want.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::localize::spans::{ProtectRules, protect, restore};

    #[test]
    fn glossary_is_parsed_and_enforced() {
        let csv = "source,target_lang,target\nstainless steel,de,Edelstahl\nHydroFlow,*,DNT\nlid,fr,couvercle\n";
        let g = Glossary::from_csv(csv, "g.csv").unwrap();
        let terms = g.terms_for("de");
        assert_eq!(terms.len(), 2);
        let rules = ProtectRules {
            terms: &terms,
            ..Default::default()
        };
        let src = "HydroFlow bottle, stainless steel";
        let p = protect(src, &rules);
        assert_eq!(p.text, "{1} bottle, {2}");
        // Whatever the model does with the rest, the glossary terms come back as required.
        let out = restore("{1} Flasche, {2}", &p).text;
        assert_eq!(out, "HydroFlow Flasche, Edelstahl");
        assert!(violations(src, &out, &terms, "de").is_empty());
        // A model that copied the wrong words is caught.
        let v = violations(src, "HydroFlow Flasche, rostfreier Stahl", &terms, "de");
        assert_eq!(
            v,
            [("stainless steel".to_string(), "Edelstahl".to_string())]
        );
        // An inflected form of the required term is fine.
        let terms = [Term {
            source: "socket set".into(),
            target: Some("Steckschlüsselsatz".into()),
        }];
        assert!(
            violations(
                "socket set case",
                "Koffer des Steckschlüsselsatzes",
                &terms,
                "de"
            )
            .is_empty()
        );
    }

    #[test]
    fn bad_rows_name_line_and_field() {
        let e = Glossary::from_csv("source,target_lang,target\nlid,french,couvercle\n", "g.csv")
            .unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("g.csv") && s.contains("line 2") && s.contains("target_lang"),
            "{s}"
        );
        let e = Glossary::from_csv("source,target_lang,target\n,de,x\n", "g.csv").unwrap_err();
        assert!(e.to_string().contains("source"));
    }

    #[test]
    fn merged_entries_keep_every_term() {
        let row = |i: usize| GlossaryEntry {
            source: format!("term{i}"),
            language: "de".into(),
            target: Some(format!("Begriff{i}")),
        };
        // More rows than one file may hold: merging is not re-parsing.
        let g = Glossary::from_entries((0..MAX_GLOSSARY_ROWS + 10).map(row).collect());
        assert_eq!(g.terms_for("de").len(), MAX_GLOSSARY_ROWS + 10);
        assert!(!g.fingerprint().is_empty());
        assert_ne!(
            g.fingerprint(),
            Glossary::from_entries(vec![row(1)]).fingerprint()
        );
        assert!(Glossary::from_entries(Vec::new()).fingerprint().is_empty());
    }
}
