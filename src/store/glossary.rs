//! Glossaries: named lists of fixed translations (brand terms, product words)
//! for one language pair, which the localization pipeline must respect.

use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, StoreError, now};

/// One fixed translation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredGlossaryEntry {
    /// The source term.
    pub source: String,
    /// Its required translation.
    pub target: String,
    /// A note for people (context, why).
    #[serde(default)]
    pub note: String,
}

/// A glossary with its entries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredGlossary {
    /// Unique name.
    pub name: String,
    /// Source language, ISO 639-1.
    pub source_lang: String,
    /// Target language, ISO 639-1.
    pub target_lang: String,
    /// Entries, ordered by source term.
    pub entries: Vec<StoredGlossaryEntry>,
}

impl SqliteStore {
    /// Create or replace a glossary (its entries are replaced as a whole).
    pub fn put_glossary(&self, g: &StoredGlossary) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.err(e))?;
        let run = || -> rusqlite::Result<()> {
            tx.execute(
                "INSERT INTO glossaries (name, source_lang, target_lang, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET source_lang = ?2, target_lang = ?3, updated_at = ?4",
                params![g.name, g.source_lang, g.target_lang, now()],
            )?;
            let id: i64 = tx.query_row(
                "SELECT id FROM glossaries WHERE name = ?1",
                [&g.name],
                |r| r.get(0),
            )?;
            tx.execute("DELETE FROM glossary_entries WHERE glossary_id = ?1", [id])?;
            let mut ins = tx.prepare(
                "INSERT INTO glossary_entries (glossary_id, source, target, note) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (glossary_id, source) DO UPDATE SET target = ?3, note = ?4",
            )?;
            for e in &g.entries {
                ins.execute(params![id, e.source, e.target, e.note])?;
            }
            Ok(())
        };
        run().map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Delete a glossary and its entries; false when there was none.
    pub fn delete_glossary(&self, name: &str) -> Result<bool, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.err(e))?;
        let run = || -> rusqlite::Result<usize> {
            tx.execute(
                "DELETE FROM glossary_entries WHERE glossary_id IN (SELECT id FROM glossaries WHERE name = ?1)",
                [name],
            )?;
            tx.execute("DELETE FROM glossaries WHERE name = ?1", [name])
        };
        let n = run().map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    /// A glossary by name.
    pub fn glossary(&self, name: &str) -> Result<Option<StoredGlossary>, StoreError> {
        let c = self.conn();
        let head: Option<(i64, String, String)> = c
            .query_row(
                "SELECT id, source_lang, target_lang FROM glossaries WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((id, source_lang, target_lang)) = head else {
            return Ok(None);
        };
        let mut stmt = c
            .prepare("SELECT source, target, note FROM glossary_entries WHERE glossary_id = ?1 ORDER BY source")
            .map_err(|e| self.err(e))?;
        let entries = stmt
            .query_map([id], |r| {
                Ok(StoredGlossaryEntry {
                    source: r.get(0)?,
                    target: r.get(1)?,
                    note: r.get(2)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        Ok(Some(StoredGlossary {
            name: name.to_string(),
            source_lang,
            target_lang,
            entries,
        }))
    }

    /// Names of all glossaries, sorted.
    pub fn glossary_names(&self) -> Result<Vec<String>, StoreError> {
        let c = self.conn();
        let mut stmt = c
            .prepare("SELECT name FROM glossaries ORDER BY name")
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| self.err(e))
    }
}
