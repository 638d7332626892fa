//! The translation memory: a text already translated for a language pair,
//! market and model is not sent to the model again. Keyed by a SHA-256 of the
//! key's parts; the parts are stored beside it so the memory can be inspected.

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{SqliteStore, Store, StoreError, now};

/// What a translation depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MemoryKey {
    /// Source language, ISO 639-1.
    pub source_lang: String,
    /// Target language, ISO 639-1.
    pub target_lang: String,
    /// What else changes the output: the market profile's version key and the
    /// glossary's fingerprint, `profile|glossary` (stored in the table's
    /// `market` column, its name from when only the market id went there).
    pub rules: String,
    /// Model id (a different model translates differently).
    pub model: String,
    /// The source text.
    pub source_text: String,
}

impl MemoryKey {
    /// The key's hash, hex: SHA-256 over the parts, each length-prefixed so no
    /// two different keys share an encoding.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            &self.source_lang,
            &self.target_lang,
            &self.rules,
            &self.model,
            &self.source_text,
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl SqliteStore {
    /// The remembered translation for a key, counting the hit.
    pub fn tm_get(&self, key: &MemoryKey) -> Result<Option<String>, StoreError> {
        let hash = key.hash();
        let c = self.conn();
        let found: Option<String> = c
            .query_row(
                "UPDATE translation_memory SET hits = hits + 1 WHERE key_hash = ?1 RETURNING target_text",
                [&hash],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(found)
    }

    /// Remember a translation (replacing any earlier one for the key).
    pub fn tm_put(&self, key: &MemoryKey, target_text: &str) -> Result<(), StoreError> {
        let c = self.conn();
        c.execute(
            "INSERT INTO translation_memory
                 (key_hash, source_lang, target_lang, market, model, source_text, target_text, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (key_hash) DO UPDATE SET target_text = ?7, created_at = ?8",
            params![
                key.hash(),
                key.source_lang,
                key.target_lang,
                key.rules,
                key.model,
                key.source_text,
                target_text,
                now()
            ],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Number of entries in the translation memory.
    pub fn tm_len(&self) -> Result<u64, StoreError> {
        let c = self.conn();
        c.query_row("SELECT count(*) FROM translation_memory", [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n.max(0) as u64)
        .map_err(|e| self.err(e))
    }
}

/// The store is the pipeline's persistent translation memory: the pipeline's
/// key (segment, languages, model, glossary fingerprint, profile version) maps
/// onto the store's, with the profile and glossary parts joined in `market`.
/// A failing read is a miss and a failing write is logged: the memory only
/// saves work, it never decides what a listing says.
impl crate::localize::TranslationMemory for Store {
    fn get(&self, key: &crate::localize::TmKey) -> Option<String> {
        match self.tm_get(&store_key(key)) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "translation memory read failed");
                None
            }
        }
    }

    fn put(&self, key: crate::localize::TmKey, translation: String) {
        if let Err(e) = self.tm_put(&store_key(&key), &translation) {
            tracing::warn!(error = %e, "translation memory write failed");
        }
    }
}

fn store_key(k: &crate::localize::TmKey) -> MemoryKey {
    MemoryKey {
        source_lang: k.source_lang.clone(),
        target_lang: k.target_lang.clone(),
        rules: format!("{}|{}", k.profile, k.glossary),
        model: k.model.clone(),
        source_text: k.segment.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> MemoryKey {
        MemoryKey {
            source_lang: "en".into(),
            target_lang: "de".into(),
            rules: "amazon.de".into(),
            model: "m".into(),
            source_text: text.into(),
        }
    }

    #[test]
    fn key_parts_do_not_run_together() {
        let mut a = key("x");
        a.rules = "ab".into();
        a.model = "c".into();
        let mut b = key("x");
        b.rules = "a".into();
        b.model = "bc".into();
        assert_ne!(a.hash(), b.hash());
    }
}
