//! [`RealSearch`]: the tantivy index in `<data dir>/index`, its hits turned
//! into the API's search page.

use std::sync::Arc;

use chrono::Utc;

use crate::index::{IndexDoc, SearchIndex, SearchQuery, Snippet, Sort};
use crate::listing::Status;
use crate::server::services::{
    Facet, ListingRecord, Search, SearchHit, SearchPage, SearchParams, ServiceError, SnippetPart,
};

use super::internal;

/// The tantivy index.
pub struct RealSearch {
    pub(super) index: Arc<SearchIndex>,
}

/// The index's snippet as the API's parts.
pub(super) fn snippet_parts(snippet: &Snippet) -> Vec<SnippetPart> {
    snippet
        .parts()
        .into_iter()
        .map(|(text, hl)| SnippetPart {
            text: text.to_string(),
            hl,
        })
        .collect()
}

/// Largest page of search results.
pub(super) const MAX_SEARCH_LIMIT: usize = 100;

impl Search for RealSearch {
    fn search(&self, p: &SearchParams) -> Result<SearchPage, ServiceError> {
        let per_page = p.limit.unwrap_or(20).clamp(1, MAX_SEARCH_LIMIT);
        let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => Some(Status::parse(s).ok_or_else(|| ServiceError::Invalid {
                field: "status".into(),
                message: "one of draft, localized, needs_review, approved".into(),
            })?),
            None => None,
        };
        let nonempty = |o: &Option<String>| o.clone().filter(|s| !s.trim().is_empty());
        let q = SearchQuery {
            text: p.q.clone(),
            market: nonempty(&p.market),
            lang: nonempty(&p.language),
            status,
            brand: nonempty(&p.brand),
            category: nonempty(&p.category),
            min_price: p.min_price,
            max_price: p.max_price,
            sort: match p.sort.as_deref().filter(|s| !s.is_empty()) {
                Some(s) => Sort::parse(s).ok_or_else(|| ServiceError::Invalid {
                    field: "sort".into(),
                    message: "one of relevance, price, price_desc, updated, findings".into(),
                })?,
                None => Sort::Relevance,
            },
            page: p.offset.unwrap_or(0) / per_page + 1,
            per_page,
        };
        let r = self.index.search(&q).map_err(|e| ServiceError::Invalid {
            field: "q".into(),
            message: e.to_string(),
        })?;
        let facet = |field: &str, counts: Vec<(String, u64)>| Facet {
            field: field.into(),
            counts,
        };
        Ok(SearchPage {
            total: r.total as usize,
            hits: r
                .hits
                .into_iter()
                .map(|h| SearchHit {
                    sku: h.sku,
                    market: h.market,
                    language: h.language,
                    title: h.title,
                    status: h.status.as_str().to_string(),
                    snippet: snippet_parts(&h.snippet),
                    score: h.score,
                    findings: h.findings,
                })
                .collect(),
            facets: vec![
                facet("market", r.facets.market),
                facet("language", r.facets.language),
                facet("status", r.facets.status),
                facet("brand", r.facets.brand),
                facet("category", r.facets.category),
            ],
        })
    }

    fn upsert(&self, record: &ListingRecord) -> Result<(), ServiceError> {
        let now = Utc::now();
        let status = if record.localizations.is_empty() {
            Status::Draft
        } else {
            Status::Localized
        };
        self.index
            .upsert(&IndexDoc::from_source(&record.listing, status, now))
            .map_err(internal)?;
        for l in &record.localizations {
            self.index
                .upsert(&IndexDoc::from_localized(&l.localized, now))
                .map_err(internal)?;
        }
        self.index.commit().map_err(internal)?;
        Ok(())
    }

    fn remove(&self, sku: &str) -> Result<(), ServiceError> {
        self.index.delete_listing(sku).map_err(internal)?;
        self.index.commit().map_err(internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::Listing;

    #[test]
    fn an_upserted_listing_is_found_and_removed() {
        let s = RealSearch {
            index: Arc::new(SearchIndex::open_in_ram().unwrap()),
        };
        let record = ListingRecord {
            listing: Listing {
                sku: "TS-1".into(),
                title: "Deep socket set 9/16 inch".into(),
                ..Default::default()
            },
            localizations: vec![],
        };
        s.upsert(&record).unwrap();
        let page = s
            .search(&SearchParams {
                q: "socket".into(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.hits[0].sku, "TS-1");
        assert_eq!(page.hits[0].status, "draft");
        s.remove("TS-1").unwrap();
        let page = s
            .search(&SearchParams {
                q: "socket".into(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(page.total, 0);
    }
}
