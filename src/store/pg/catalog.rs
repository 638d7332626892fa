//! Listings, localizations (with history), glossaries and the translation
//! memory in PostgreSQL: the same statements as the SQLite backend's
//! (`../listings.rs`, `../glossary.rs`, `../memory.rs`) in PostgreSQL's dialect.

use postgres::Transaction;

use super::{PgStore, TxError, u32_of};
use crate::listing::{Listing, LocalizedListing};
use crate::store::{
    MemoryKey, StoreError, StoredGlossary, StoredGlossaryEntry, StoredLocalization, now,
};

/// Insert or replace a source listing inside a transaction.
pub(super) fn put_listing_tx(
    tx: &mut Transaction<'_>,
    source: &str,
    listing: &Listing,
) -> Result<(), TxError> {
    let json = serde_json::to_string(listing).map_err(|e| json_err("listings", e))?;
    tx.execute(
        "INSERT INTO listings (sku, source, json, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (sku) DO UPDATE SET source = $2, json = $3, updated_at = $4",
        &[&listing.sku, &source, &json, &now()],
    )?;
    Ok(())
}

/// Store a localization inside a transaction, keeping the one it replaces in
/// the history. Returns the new version number.
pub(super) fn put_localization_tx(
    tx: &mut Transaction<'_>,
    loc: &LocalizedListing,
) -> Result<u32, TxError> {
    let json = serde_json::to_string(loc).map_err(|e| json_err("localizations", e))?;
    let at = now();
    let prev: Option<i64> = tx
        .query_opt(
            "SELECT version FROM localizations WHERE sku = $1 AND market = $2 FOR UPDATE",
            &[&loc.sku, &loc.market],
        )?
        .map(|r| r.get(0));
    if prev.is_some() {
        tx.execute(
            "INSERT INTO localization_history (sku, market, version, json, status, replaced_at)
             SELECT sku, market, version, json, status, $3 FROM localizations
             WHERE sku = $1 AND market = $2",
            &[&loc.sku, &loc.market, &at],
        )?;
    }
    let version = prev.map_or(1, |v| v + 1);
    tx.execute(
        "INSERT INTO localizations (sku, market, language, json, status, warnings, model, version, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (sku, market) DO UPDATE SET language = $3, json = $4, status = $5,
             warnings = $6, model = $7, version = $8, updated_at = $9",
        &[
            &loc.sku,
            &loc.market,
            &loc.language,
            &json,
            &loc.status.as_str(),
            &(loc.warnings.len() as i64),
            &loc.provenance.model,
            &version,
            &at,
        ],
    )?;
    Ok(u32_of(version))
}

/// A value that does not encode, as the store's error.
fn json_err(table: &'static str, e: serde_json::Error) -> TxError {
    TxError::Store(StoreError::Corrupt {
        path: "postgres".into(),
        table,
        message: e.to_string(),
    })
}

impl PgStore {
    pub(super) fn put_listing(&self, source: &str, listing: &Listing) -> Result<(), StoreError> {
        self.tx(|tx| put_listing_tx(tx, source, listing))
    }

    pub(super) fn listing(&self, sku: &str) -> Result<Option<Listing>, StoreError> {
        let mut c = self.client()?;
        let json: Option<String> = c
            .query_opt("SELECT json FROM listings WHERE sku = $1", &[&sku])
            .map_err(|e| self.err(e))?
            .map(|r| r.get(0));
        json.map(|j| {
            serde_json::from_str(&j)
                .map_err(|e| self.corrupt("listings", format!("sku {sku}: {e}")))
        })
        .transpose()
    }

    pub(super) fn put_localization(&self, loc: &LocalizedListing) -> Result<u32, StoreError> {
        self.tx(|tx| put_localization_tx(tx, loc))
    }

    pub(super) fn localization(
        &self,
        sku: &str,
        market: &str,
    ) -> Result<Option<StoredLocalization>, StoreError> {
        Ok(self
            .query_locs(
                "localizations",
                "SELECT json, version, updated_at FROM localizations WHERE sku = $1 AND market = $2",
                &[&sku, &market],
            )?
            .into_iter()
            .next())
    }

    pub(super) fn localization_history(
        &self,
        sku: &str,
        market: &str,
    ) -> Result<Vec<StoredLocalization>, StoreError> {
        self.query_locs(
            "localization_history",
            "SELECT json, version, replaced_at FROM localization_history
             WHERE sku = $1 AND market = $2 ORDER BY version",
            &[&sku, &market],
        )
    }

    pub(super) fn localizations(&self) -> Result<Vec<StoredLocalization>, StoreError> {
        self.query_locs(
            "localizations",
            "SELECT json, version, updated_at FROM localizations ORDER BY sku COLLATE \"C\", market COLLATE \"C\"",
            &[],
        )
    }

    pub(super) fn listing_page(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<(Listing, String)>, StoreError> {
        let mut c = self.client()?;
        let rows = c
            .query(
                "SELECT sku, json, updated_at FROM listings
                 ORDER BY updated_at COLLATE \"C\" DESC, sku COLLATE \"C\" LIMIT $1 OFFSET $2",
                &[&(limit as i64), &(offset as i64)],
            )
            .map_err(|e| self.err(e))?;
        rows.into_iter()
            .map(|r| {
                let (sku, json, at): (String, String, String) = (r.get(0), r.get(1), r.get(2));
                serde_json::from_str(&json)
                    .map(|l| (l, at))
                    .map_err(|e| self.corrupt("listings", format!("sku {sku}: {e}")))
            })
            .collect()
    }

    pub(super) fn localizations_of(
        &self,
        sku: &str,
    ) -> Result<Vec<StoredLocalization>, StoreError> {
        self.query_locs(
            "localizations",
            "SELECT json, version, updated_at FROM localizations WHERE sku = $1 ORDER BY market COLLATE \"C\"",
            &[&sku],
        )
    }

    pub(super) fn delete_listing(&self, sku: &str) -> Result<bool, StoreError> {
        self.tx(|tx| {
            let n = tx.execute("DELETE FROM listings WHERE sku = $1", &[&sku])?;
            let m = tx.execute("DELETE FROM localizations WHERE sku = $1", &[&sku])?;
            tx.execute("DELETE FROM localization_history WHERE sku = $1", &[&sku])?;
            Ok(n + m > 0)
        })
    }

    fn query_locs(
        &self,
        table: &'static str,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<StoredLocalization>, StoreError> {
        let mut c = self.client()?;
        let rows = c.query(sql, params).map_err(|e| self.err(e))?;
        rows.into_iter()
            .map(|r| {
                let json: String = r.get(0);
                Ok(StoredLocalization {
                    listing: serde_json::from_str(&json).map_err(|e| self.corrupt(table, e))?,
                    version: u32_of(r.get(1)),
                    updated_at: r.get(2),
                })
            })
            .collect()
    }

    pub(super) fn put_glossary(&self, g: &StoredGlossary) -> Result<(), StoreError> {
        self.tx(|tx| {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO glossaries (name, source_lang, target_lang, updated_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (name) DO UPDATE SET source_lang = $2, target_lang = $3,
                         updated_at = $4
                     RETURNING id",
                    &[&g.name, &g.source_lang, &g.target_lang, &now()],
                )?
                .get(0);
            tx.execute(
                "DELETE FROM glossary_entries WHERE glossary_id = $1",
                &[&id],
            )?;
            let ins = tx.prepare(
                "INSERT INTO glossary_entries (glossary_id, source, target, note)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (glossary_id, source) DO UPDATE SET target = $3, note = $4",
            )?;
            for e in &g.entries {
                tx.execute(&ins, &[&id, &e.source, &e.target, &e.note])?;
            }
            Ok(())
        })
    }

    pub(super) fn glossary(&self, name: &str) -> Result<Option<StoredGlossary>, StoreError> {
        let mut c = self.client()?;
        let Some(head) = c
            .query_opt(
                "SELECT id, source_lang, target_lang FROM glossaries WHERE name = $1",
                &[&name],
            )
            .map_err(|e| self.err(e))?
        else {
            return Ok(None);
        };
        let id: i64 = head.get(0);
        // Byte order, as SQLite's BINARY collation sorts.
        let entries = c
            .query(
                "SELECT source, target, note FROM glossary_entries WHERE glossary_id = $1
                 ORDER BY source COLLATE \"C\"",
                &[&id],
            )
            .map_err(|e| self.err(e))?
            .into_iter()
            .map(|r| StoredGlossaryEntry {
                source: r.get(0),
                target: r.get(1),
                note: r.get(2),
            })
            .collect();
        Ok(Some(StoredGlossary {
            name: name.to_string(),
            source_lang: head.get(1),
            target_lang: head.get(2),
            entries,
        }))
    }

    pub(super) fn glossary_names(&self) -> Result<Vec<String>, StoreError> {
        let mut c = self.client()?;
        Ok(c.query(
            "SELECT name FROM glossaries ORDER BY name COLLATE \"C\"",
            &[],
        )
        .map_err(|e| self.err(e))?
        .into_iter()
        .map(|r| r.get(0))
        .collect())
    }

    pub(super) fn delete_glossary(&self, name: &str) -> Result<bool, StoreError> {
        self.tx(|tx| {
            tx.execute(
                "DELETE FROM glossary_entries
                 WHERE glossary_id IN (SELECT id FROM glossaries WHERE name = $1)",
                &[&name],
            )?;
            Ok(tx.execute("DELETE FROM glossaries WHERE name = $1", &[&name])? > 0)
        })
    }

    pub(super) fn tm_get(&self, key: &MemoryKey) -> Result<Option<String>, StoreError> {
        let mut c = self.client()?;
        Ok(c.query_opt(
            "UPDATE translation_memory SET hits = hits + 1 WHERE key_hash = $1
                 RETURNING target_text",
            &[&key.hash()],
        )
        .map_err(|e| self.err(e))?
        .map(|r| r.get(0)))
    }

    pub(super) fn tm_put(&self, key: &MemoryKey, target_text: &str) -> Result<(), StoreError> {
        let mut c = self.client()?;
        c.execute(
            "INSERT INTO translation_memory
                 (key_hash, source_lang, target_lang, market, model, source_text, target_text, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (key_hash) DO UPDATE SET target_text = $7, created_at = $8",
            &[
                &key.hash(),
                &key.source_lang,
                &key.target_lang,
                &key.rules,
                &key.model,
                &key.source_text,
                &target_text,
                &now(),
            ],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub(super) fn tm_len(&self) -> Result<u64, StoreError> {
        let mut c = self.client()?;
        let n: i64 = c
            .query_one("SELECT count(*) FROM translation_memory", &[])
            .map_err(|e| self.err(e))?
            .get(0);
        Ok(n.max(0) as u64)
    }
}
