//! Source listings and their localizations. Replacing a localization moves the
//! previous version into `localization_history` in the same transaction.

use rusqlite::{OptionalExtension, Transaction, params};

use super::{SqliteStore, StoreError, now};
use crate::listing::{Listing, LocalizedListing, Status};

/// A localization as stored: the listing, its version number and when it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLocalization {
    /// The localized listing.
    pub listing: LocalizedListing,
    /// 1 for the first version of this (sku, market), +1 on each replacement.
    pub version: u32,
    /// When this version was stored (history: when it was replaced).
    pub updated_at: String,
}

/// Insert or replace a source listing inside a transaction.
pub(super) fn put_listing_tx(
    tx: &Transaction<'_>,
    source: &str,
    listing: &Listing,
) -> rusqlite::Result<()> {
    let json = serde_json::to_string(listing)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    tx.execute(
        "INSERT INTO listings (sku, source, json, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (sku) DO UPDATE SET source = ?2, json = ?3, updated_at = ?4",
        params![listing.sku, source, json, now()],
    )?;
    Ok(())
}

/// Store a localization inside a transaction, keeping the one it replaces in
/// the history. Returns the new version number.
pub(super) fn put_localization_tx(
    tx: &Transaction<'_>,
    loc: &LocalizedListing,
) -> rusqlite::Result<u32> {
    let json = serde_json::to_string(loc)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    let at = now();
    let prev: Option<u32> = tx
        .query_row(
            "SELECT version FROM localizations WHERE sku = ?1 AND market = ?2",
            params![loc.sku, loc.market],
            |r| r.get(0),
        )
        .optional()?;
    if prev.is_some() {
        tx.execute(
            "INSERT INTO localization_history (sku, market, version, json, status, replaced_at)
             SELECT sku, market, version, json, status, ?3 FROM localizations
             WHERE sku = ?1 AND market = ?2",
            params![loc.sku, loc.market, at],
        )?;
    }
    let version = prev.map_or(1, |v| v + 1);
    tx.execute(
        "INSERT INTO localizations (sku, market, language, json, status, warnings, model, version, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (sku, market) DO UPDATE SET language = ?3, json = ?4, status = ?5,
             warnings = ?6, model = ?7, version = ?8, updated_at = ?9",
        params![
            loc.sku,
            loc.market,
            loc.language,
            json,
            loc.status.as_str(),
            loc.warnings.len() as i64,
            loc.provenance.model,
            version,
            at
        ],
    )?;
    Ok(version)
}

impl SqliteStore {
    /// Insert or replace a source listing; `source` says where it came from (a
    /// catalog path, `form`).
    pub fn put_listing(&self, source: &str, listing: &Listing) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.err(e))?;
        put_listing_tx(&tx, source, listing).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// A source listing by sku.
    pub fn listing(&self, sku: &str) -> Result<Option<Listing>, StoreError> {
        let c = self.conn();
        let json: Option<String> = c
            .query_row("SELECT json FROM listings WHERE sku = ?1", [sku], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))?;
        json.map(|j| {
            serde_json::from_str(&j)
                .map_err(|e| self.corrupt("listings", format!("sku {sku}: {e}")))
        })
        .transpose()
    }

    /// Store a localization (replacing the current one for its sku and market,
    /// which goes to the history). Returns its version number.
    pub fn put_localization(&self, loc: &LocalizedListing) -> Result<u32, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.err(e))?;
        let v = put_localization_tx(&tx, loc).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(v)
    }

    /// The current localization of a sku for a market.
    pub fn localization(
        &self,
        sku: &str,
        market: &str,
    ) -> Result<Option<StoredLocalization>, StoreError> {
        let c = self.conn();
        let row: Option<(String, u32, String)> = c
            .query_row(
                "SELECT json, version, updated_at FROM localizations WHERE sku = ?1 AND market = ?2",
                [sku, market],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        row.map(|(json, version, updated_at)| {
            self.decode_loc("localizations", &json, version, updated_at)
        })
        .transpose()
    }

    /// Replaced versions of a localization, oldest first.
    pub fn localization_history(
        &self,
        sku: &str,
        market: &str,
    ) -> Result<Vec<StoredLocalization>, StoreError> {
        self.query_locs(
            "localization_history",
            "SELECT json, version, replaced_at FROM localization_history
             WHERE sku = ?1 AND market = ?2 ORDER BY version",
            [sku, market],
        )
    }

    /// Every current localization, ordered by sku and market (for rebuilding the
    /// search index, which is derived from the store).
    pub fn localizations(&self) -> Result<Vec<StoredLocalization>, StoreError> {
        self.query_locs(
            "localizations",
            "SELECT json, version, updated_at FROM localizations ORDER BY sku, market",
            [],
        )
    }

    /// Set the review status of the current localization (a person approved it,
    /// or sent it back). The change is a new version; the old one goes to history.
    /// Returns false when there is no such localization.
    pub fn set_review_status(
        &self,
        sku: &str,
        market: &str,
        status: Status,
    ) -> Result<bool, StoreError> {
        let Some(mut cur) = self.localization(sku, market)? else {
            return Ok(false);
        };
        cur.listing.status = status;
        self.put_localization(&cur.listing)?;
        Ok(true)
    }

    /// Source listings, most recently changed first, with their `updated_at`.
    pub fn listing_page(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<(Listing, String)>, StoreError> {
        let c = self.conn();
        let mut stmt = c
            .prepare(
                "SELECT sku, json, updated_at FROM listings
                 ORDER BY updated_at DESC, sku LIMIT ?1 OFFSET ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![limit as i64, offset as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<(String, String, String)>>>()
            .map_err(|e| self.err(e))?;
        rows.into_iter()
            .map(|(sku, json, at)| {
                serde_json::from_str(&json)
                    .map(|l| (l, at))
                    .map_err(|e| self.corrupt("listings", format!("sku {sku}: {e}")))
            })
            .collect()
    }

    /// The current localizations of one listing, by market.
    pub fn localizations_of(&self, sku: &str) -> Result<Vec<StoredLocalization>, StoreError> {
        self.query_locs(
            "localizations",
            "SELECT json, version, updated_at FROM localizations WHERE sku = ?1 ORDER BY market",
            [sku],
        )
    }

    /// Delete a listing, its localizations and their history, in one
    /// transaction. False when there was no such listing.
    pub fn delete_listing(&self, sku: &str) -> Result<bool, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.err(e))?;
        let n = tx
            .execute("DELETE FROM listings WHERE sku = ?1", [sku])
            .map_err(|e| self.err(e))?;
        let m = tx
            .execute("DELETE FROM localizations WHERE sku = ?1", [sku])
            .map_err(|e| self.err(e))?;
        tx.execute("DELETE FROM localization_history WHERE sku = ?1", [sku])
            .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(n + m > 0)
    }

    /// Run a `SELECT json, version, <time> FROM <table> ...` query over
    /// `localizations` or `localization_history` (`table` names it in errors).
    fn query_locs<P: rusqlite::Params>(
        &self,
        table: &'static str,
        sql: &str,
        params: P,
    ) -> Result<Vec<StoredLocalization>, StoreError> {
        let c = self.conn();
        let mut stmt = c.prepare(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<(String, u32, String)>>>()
            .map_err(|e| self.err(e))?;
        rows.into_iter()
            .map(|(json, v, at)| self.decode_loc(table, &json, v, at))
            .collect()
    }

    fn decode_loc(
        &self,
        table: &'static str,
        json: &str,
        version: u32,
        updated_at: String,
    ) -> Result<StoredLocalization, StoreError> {
        let listing = serde_json::from_str(json).map_err(|e| self.corrupt(table, e))?;
        Ok(StoredLocalization {
            listing,
            version,
            updated_at,
        })
    }
}
