//! [`RealStore`]: listings, localizations, their history and glossaries in the
//! store.

use std::sync::Arc;

use crate::listing::{Listing, LocalizedListing, Status};
use crate::localize::Glossary;
use crate::server::services::{
    GlossaryInfo, HistoryEntry, ListingRecord, ListingStore, ListingSummary, LocalizationRecord,
    ServiceError,
};
use crate::store::Store;

use super::{internal, parse_time};

/// Listings, localizations and glossaries in the SQLite store.
pub struct RealStore {
    pub(super) store: Arc<Store>,
    /// The example bank reviewed translations join.
    pub(super) bank: Arc<crate::localize::ExampleBank>,
}

/// Most glossary name characters.
pub(super) const MAX_GLOSSARY_NAME: usize = 64;

pub(super) fn record(store: &Store, sku: &str) -> Result<Option<ListingRecord>, ServiceError> {
    let Some(listing) = store.listing(sku).map_err(internal)? else {
        return Ok(None);
    };
    let mut localizations = Vec::new();
    for cur in store.localizations_of(sku).map_err(internal)? {
        let market = cur.listing.market.clone();
        let mut history: Vec<HistoryEntry> = store
            .localization_history(sku, &market)
            .map_err(internal)?
            .into_iter()
            .map(|h| history_entry(&h.listing, h.version, &h.updated_at))
            .collect();
        history.push(history_entry(&cur.listing, cur.version, &cur.updated_at));
        localizations.push(LocalizationRecord {
            localized: cur.listing,
            history,
        });
    }
    Ok(Some(ListingRecord {
        listing,
        localizations,
    }))
}

pub(super) fn history_entry(l: &LocalizedListing, version: u32, at: &str) -> HistoryEntry {
    let note = match (version, l.status) {
        (_, Status::Approved) => "approved",
        (1, _) => "localized",
        _ => "edited",
    };
    HistoryEntry {
        at: parse_time(at),
        status: l.status,
        note: note.into(),
    }
}

impl ListingStore for RealStore {
    fn put_listing(&self, listing: &Listing) -> Result<(), ServiceError> {
        self.store.put_listing("form", listing).map_err(internal)
    }

    fn get(&self, sku: &str) -> Result<Option<ListingRecord>, ServiceError> {
        record(&self.store, sku)
    }

    fn list(&self, limit: usize, offset: usize) -> Result<Vec<ListingSummary>, ServiceError> {
        let page = self
            .store
            .listing_page(limit.min(1000), offset)
            .map_err(internal)?;
        let mut out = Vec::with_capacity(page.len());
        for (l, _) in page {
            let markets = self
                .store
                .localizations_of(&l.sku)
                .map_err(internal)?
                .into_iter()
                .map(|s| (s.listing.market, s.listing.status.as_str().to_string()))
                .collect();
            out.push(ListingSummary {
                sku: l.sku,
                title: l.title,
                markets,
            });
        }
        Ok(out)
    }

    fn save_localization(&self, loc: &LocalizedListing, note: &str) -> Result<(), ServiceError> {
        tracing::debug!(
            sku = loc.sku,
            market = loc.market,
            note,
            "save localization"
        );
        self.store.put_localization(loc).map_err(internal)?;
        crate::server::learn::learn_from_review(&self.store, &self.bank, loc, note);
        Ok(())
    }

    fn delete(&self, sku: &str) -> Result<bool, ServiceError> {
        self.store.delete_listing(sku).map_err(internal)
    }

    fn glossaries(&self) -> Result<Vec<GlossaryInfo>, ServiceError> {
        let mut out = Vec::new();
        for name in self.store.glossary_names().map_err(internal)? {
            if let Some(g) = self.store.glossary(&name).map_err(internal)? {
                out.push(GlossaryInfo {
                    name,
                    entries: g.entries.len(),
                });
            }
        }
        Ok(out)
    }

    fn glossary(&self, name: &str) -> Result<Option<String>, ServiceError> {
        let Some(g) = self.store.glossary(name).map_err(internal)? else {
            return Ok(None);
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut row = |cells: [&str; 3]| w.write_record(cells).map_err(internal);
        row(["source", "target_lang", "target"])?;
        for e in &g.entries {
            row([e.source.as_str(), g.target_lang.as_str(), e.target.as_str()])?;
        }
        let bytes = w.into_inner().map_err(internal)?;
        Ok(Some(String::from_utf8(bytes).map_err(internal)?))
    }

    fn delete_glossary(&self, name: &str) -> Result<bool, ServiceError> {
        self.store.delete_glossary(name).map_err(internal)
    }

    fn put_glossary(&self, name: &str, csv: &str) -> Result<GlossaryInfo, ServiceError> {
        let invalid = |field: &str, message: String| ServiceError::Invalid {
            field: field.into(),
            message,
        };
        if name.is_empty()
            || name.len() > MAX_GLOSSARY_NAME
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            return Err(invalid(
                "name",
                "use 1 to 64 of a-z, 0-9, `_` and `-`".into(),
            ));
        }
        let parsed = Glossary::from_csv(csv, name).map_err(|e| invalid("file", e.to_string()))?;
        // The store keeps one target language per glossary.
        let mut lang: Option<&str> = None;
        for (i, e) in parsed.entries().iter().enumerate() {
            match lang {
                None => lang = Some(&e.language),
                Some(l) if l != e.language => {
                    return Err(invalid(
                        "file",
                        format!(
                            "{name}: row {}: target language `{}` after `{l}`; a glossary holds one target language (or `*`): upload one per language",
                            i + 2,
                            e.language
                        ),
                    ));
                }
                _ => {}
            }
        }
        let g = crate::store::StoredGlossary {
            name: name.to_string(),
            source_lang: "*".into(),
            target_lang: lang.unwrap_or("*").to_string(),
            entries: parsed
                .entries()
                .iter()
                .map(|e| crate::store::StoredGlossaryEntry {
                    source: e.source.clone(),
                    target: e.target.clone().unwrap_or_default(),
                    note: String::new(),
                })
                .collect(),
        };
        self.store.put_glossary(&g).map_err(internal)?;
        Ok(GlossaryInfo {
            name: name.to_string(),
            entries: g.entries.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::DataDir;

    #[test]
    fn listings_and_glossaries_round_trip_through_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let s = RealStore {
            store: Arc::new(Store::open(&DataDir::at(dir.path())).unwrap()),
            bank: Arc::new(
                crate::localize::ExampleBank::builtin(crate::localize::RetrievalOptions::default())
                    .unwrap(),
            ),
        };
        let listing = Listing {
            sku: "TS-1".into(),
            title: "Deep socket set 9/16 inch".into(),
            ..Default::default()
        };
        s.put_listing(&listing).unwrap();
        let rec = s.get("TS-1").unwrap().expect("saved");
        assert_eq!(rec.listing.title, listing.title);
        assert!(rec.localizations.is_empty());
        assert_eq!(s.list(10, 0).unwrap().len(), 1);
        assert!(s.get("TS-2").unwrap().is_none());

        let g = s
            .put_glossary(
                "tools",
                "source,target_lang,target\nsocket,de,Stecknuss\nHydroFlow,de,\n",
            )
            .unwrap();
        assert_eq!((g.name.as_str(), g.entries), ("tools", 2));
        assert!(
            s.glossary("tools")
                .unwrap()
                .expect("stored")
                .contains("Stecknuss")
        );
        assert!(matches!(
            s.put_glossary("Bad Name", "source,target_lang,target\n"),
            Err(ServiceError::Invalid { .. })
        ));
        assert!(matches!(
            s.put_glossary("mixed", "source,target_lang,target\na,de,b\nc,fr,d\n"),
            Err(ServiceError::Invalid { .. })
        ));
        assert!(s.delete_glossary("tools").unwrap());
        assert!(s.delete("TS-1").unwrap());
        assert!(s.get("TS-1").unwrap().is_none());
    }
}
