//! The hook that makes the tool learn from its reviewers: a localization saved
//! as approved or edited joins the seller's example bank
//! (`localize::ExampleBank::learn`), so later translations get it as a worked
//! example. Called by the store service after the save; a failure here is
//! logged and never undoes the save.

use crate::listing::LocalizedListing;
use crate::localize::ExampleBank;
use crate::store::Store;

/// Store notes whose localization a person wrote or accepted.
const REVIEWED_NOTES: [&str; 2] = ["approved", "edited"];

/// Add `loc` to the seller's bank when `note` says a reviewer approved or edited it.
pub(crate) fn learn_from_review(
    store: &Store,
    bank: &ExampleBank,
    loc: &LocalizedListing,
    note: &str,
) {
    if !REVIEWED_NOTES.contains(&note) {
        return;
    }
    let listing = match store.listing(&loc.sku) {
        Ok(Some(l)) => l,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(sku = loc.sku, error = %e, "example bank: cannot read the listing");
            return;
        }
    };
    match bank.learn(&listing, loc) {
        Ok(n) => tracing::debug!(
            sku = loc.sku,
            market = loc.market,
            pairs = n,
            "example bank learned"
        ),
        Err(e) => tracing::warn!(sku = loc.sku, error = %e, "example bank: cannot learn"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::PairIndex;
    use crate::listing::{Listing, Provenance, Status};
    use crate::localize::RetrievalOptions;
    use crate::paths::DataDir;

    #[test]
    fn approved_and_edited_localizations_join_the_sellers_bank() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::at(dir.path());
        let store = Store::open(&data).unwrap();
        let bank = ExampleBank::builtin(RetrievalOptions::default())
            .unwrap()
            .with_seller(PairIndex::open(&data.bank()).unwrap());
        let listing = Listing {
            sku: "HOSE-1".into(),
            title: "Expandable garden hose, 30 m".into(),
            language: Some("en".into()),
            ..Default::default()
        };
        store.put_listing("form", &listing).unwrap();
        let mut loc = LocalizedListing {
            sku: "HOSE-1".into(),
            market: "amazon.de".into(),
            language: "de".into(),
            title: "Flexibler Gartenschlauch, 30 m".into(),
            description: String::new(),
            bullets: Vec::new(),
            attributes: Vec::new(),
            keywords: Vec::new(),
            price: None,
            brand: None,
            category: None,
            images: Vec::new(),
            warnings: Vec::new(),
            status: Status::Localized,
            provenance: Provenance {
                model: "m".into(),
                created_at: chrono::Utc::now(),
            },
            roundtrip: Default::default(),
            conversions: Vec::new(),
        };
        learn_from_review(&store, &bank, &loc, "localized");
        assert_eq!(bank.len().1, 0, "machine output is not learned");
        learn_from_review(&store, &bank, &loc, "approved");
        assert_eq!(bank.len().1, 1);
        loc.title = "Dehnbarer Gartenschlauch, 30 m".into();
        learn_from_review(&store, &bank, &loc, "edited");
        let ex = bank
            .examples("en", "de", "title", "garden hose 50 m", Some(1))
            .unwrap();
        assert_eq!(ex[0].target, "Dehnbarer Gartenschlauch, 30 m");
        // A listing the store does not have is skipped, not an error.
        loc.sku = "GONE".into();
        learn_from_review(&store, &bank, &loc, "approved");
        assert_eq!(bank.len().1, 1);
    }
}
