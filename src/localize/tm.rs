//! Translation memory: exact-match reuse of segment translations, keyed by the
//! normalised segment, the languages, the model, the glossary and the market
//! profile version. The trait is implemented in memory here and on SQLite by the store.

use std::collections::HashMap;
use std::sync::Mutex;

/// What a stored translation depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TmKey {
    /// The source segment, normalised ([`normalise`]).
    pub segment: String,
    /// Source language.
    pub source_lang: String,
    /// Target language.
    pub target_lang: String,
    /// Model id.
    pub model: String,
    /// Glossary fingerprint (empty without a glossary).
    pub glossary: String,
    /// Market profile version key plus options that change the output.
    pub profile: String,
}

/// Collapse whitespace and trim: two segments differing only in spacing share a translation.
pub fn normalise(segment: &str) -> String {
    segment.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A store of translations that passed every check.
pub trait TranslationMemory: Send + Sync {
    /// The stored translation, if any.
    fn get(&self, key: &TmKey) -> Option<String>;
    /// Store a translation.
    fn put(&self, key: TmKey, translation: String);
}

/// A translation memory in a `HashMap` (for one process; the store persists).
#[derive(Debug, Default)]
pub struct InMemoryTm {
    map: Mutex<HashMap<TmKey, String>>,
}

impl InMemoryTm {
    /// An empty memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of stored translations.
    pub fn len(&self) -> usize {
        self.map.lock().map_or(0, |m| m.len())
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl TranslationMemory for InMemoryTm {
    fn get(&self, key: &TmKey) -> Option<String> {
        self.map.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: TmKey, translation: String) {
        if let Ok(mut m) = self.map.lock() {
            m.insert(key, translation);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seg: &str, model: &str) -> TmKey {
        TmKey {
            segment: normalise(seg),
            source_lang: "en".into(),
            target_lang: "de".into(),
            model: model.into(),
            glossary: String::new(),
            profile: "amazon.de@1".into(),
        }
    }

    #[test]
    fn exact_match_after_normalising_whitespace() {
        let tm = InMemoryTm::new();
        tm.put(
            key("Leak-proof  lid", "m1"),
            "Auslaufsicherer Deckel".into(),
        );
        assert_eq!(
            tm.get(&key(" Leak-proof lid ", "m1")).as_deref(),
            Some("Auslaufsicherer Deckel")
        );
        assert_eq!(tm.get(&key("Leak-proof lid", "m2")), None);
        assert_eq!(tm.len(), 1);
    }
}
