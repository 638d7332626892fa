//! [`RealLocalizer`]: the localization pipeline over the loaded engine, with
//! the store as translation memory, the stored glossaries and the exchange
//! rates; the check of an edited localization; and `JobLocalizer`, the same
//! pipeline at batch priority for the job runner.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::job;
use crate::listing::{FieldId, Listing, LocalizedListing, Warning};
use crate::llm::{Event, Generate, GenerateRequest, GenerationHandle, LlmError, Priority};
use crate::localize::{
    FieldEvent, FieldKind, LocalizeError, LocalizeOptions, PriceConverter, ProtectRules, Rates,
    edited_numbers, lint_bullet_count, lint_field, protect,
};
use crate::market::MarketProfile;
use crate::server::rates::SetError;
use crate::server::services::{
    EngineMetrics, ExchangeRate, LocalizeService, MarketInfo, ServiceError,
};

use super::models::RealModels;
use super::{Parts, internal_msg};

/// A `Generate` that cancels its requests once `cancel` is set: each request's
/// events pass through a small forwarding thread, which checks the flag every
/// [`CANCEL_POLL`] (not only when the engine sends something: a request still
/// queued sends nothing) and then cancels the engine's handle, which purges a
/// queued request at once and stops a running one at the next step.
pub(super) struct CancellableGenerate {
    pub(super) inner: Arc<dyn Generate>,
    pub(super) cancel: Arc<AtomicBool>,
}

/// How often a forwarding thread, or a submitter waiting for queue room,
/// looks at the cancel flag.
pub(super) const CANCEL_POLL: std::time::Duration = std::time::Duration::from_millis(20);

impl CancellableGenerate {
    pub(super) fn forward(&self, inner: GenerationHandle) -> GenerationHandle {
        let (tx, rx) = std::sync::mpsc::channel();
        let mine = Arc::new(AtomicBool::new(false));
        let (cancel, mine2) = (self.cancel.clone(), mine.clone());
        std::thread::spawn(move || {
            loop {
                if cancel.load(Ordering::Relaxed) || mine2.load(Ordering::Relaxed) {
                    inner.cancel();
                    let _ = tx.send(Event::Error(LlmError::Cancelled));
                    return;
                }
                match inner.recv_timeout(CANCEL_POLL) {
                    Ok(ev @ Event::Delta(_)) => {
                        if tx.send(ev).is_err() {
                            return; // dropping `inner` cancels
                        }
                    }
                    Ok(ev) => {
                        let _ = tx.send(ev);
                        return;
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
        });
        GenerationHandle::new(rx, mine)
    }
}

impl Generate for CancellableGenerate {
    fn model_id(&self) -> String {
        self.inner.model_id()
    }

    fn submit(&self, req: GenerateRequest) -> Result<GenerationHandle, LlmError> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(LlmError::Cancelled);
        }
        let inner = self.inner.submit(req)?;
        Ok(self.forward(inner))
    }

    fn submit_until(
        &self,
        req: GenerateRequest,
        deadline: std::time::Instant,
    ) -> Result<GenerationHandle, LlmError> {
        // Wait for room in slices, so a caller who leaves stops waiting too.
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(LlmError::Cancelled);
            }
            let slice = (std::time::Instant::now() + CANCEL_POLL).min(deadline);
            match self.inner.submit_until(req.clone(), slice) {
                Err(LlmError::QueueFull(_)) if std::time::Instant::now() < deadline => continue,
                Err(e) => return Err(e),
                Ok(inner) => return Ok(self.forward(inner)),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Localizer.

/// The localization pipeline over the loaded engine.
pub struct RealLocalizer {
    pub(super) parts: Arc<Parts>,
    pub(super) models: Arc<RealModels>,
}

pub(super) fn localize_error(e: LocalizeError, cancel: &AtomicBool) -> ServiceError {
    if cancel.load(Ordering::Relaxed) {
        return ServiceError::Cancelled;
    }
    match e {
        LocalizeError::Listing(e) => ServiceError::Invalid {
            field: "listing".into(),
            message: e.to_string(),
        },
        LocalizeError::Html(m) => ServiceError::Invalid {
            field: "description".into(),
            message: m,
        },
        LocalizeError::Llm(LlmError::QueueFull(n)) => {
            ServiceError::Busy(format!("{n} requests are waiting for the model"))
        }
        LocalizeError::Llm(LlmError::Cancelled) => ServiceError::Cancelled,
        other => ServiceError::Internal(anyhow::Error::new(other)),
    }
}

impl RealLocalizer {
    pub(super) fn run(
        &self,
        listing: &Listing,
        market: &str,
        cancel: &Arc<AtomicBool>,
        priority: Priority,
        on_field: &mut dyn FnMut(&str, &str),
    ) -> Result<LocalizedListing, ServiceError> {
        let profile = self
            .parts
            .markets
            .get(market)
            .map_err(|e| ServiceError::Invalid {
                field: "market".into(),
                message: e.to_string(),
            })?;
        let engine: Arc<dyn Generate> = self.models.engine()?;
        let generator = Arc::new(CancellableGenerate {
            inner: engine,
            cancel: cancel.clone(),
        });
        let pipeline = self.parts.pipeline(generator, priority);
        let opts = self.parts.options(&profile.language)?;
        pipeline
            .localize_with_progress(listing, profile, &opts, &mut |ev| {
                if let FieldEvent::Done { field, text, .. } = ev {
                    on_field(&field.to_string(), &text);
                }
            })
            .map_err(|e| localize_error(e, cancel))
    }
}

impl LocalizeService for RealLocalizer {
    fn markets(&self) -> Vec<MarketInfo> {
        self.parts
            .markets
            .iter()
            .map(|p| MarketInfo {
                id: p.id.clone(),
                name: p.name.clone(),
                language: p.language.clone(),
                currency: p.currency.clone(),
            })
            .collect()
    }

    fn localize(
        &self,
        listing: &Listing,
        market: &str,
        cancel: &Arc<AtomicBool>,
        on_field: &mut dyn FnMut(&str, &str),
    ) -> Result<LocalizedListing, ServiceError> {
        self.run(listing, market, cancel, Priority::Interactive, on_field)
    }

    fn check(
        &self,
        listing: &Listing,
        localized: &LocalizedListing,
    ) -> Result<Vec<Warning>, ServiceError> {
        let profile =
            self.parts
                .markets
                .get(&localized.market)
                .map_err(|e| ServiceError::Invalid {
                    field: "market".into(),
                    message: e.to_string(),
                })?;
        let brand = listing.brand.as_deref();
        let mut out = Vec::new();
        let mut push = |field: String, v: crate::localize::Violation| {
            out.push(Warning {
                field,
                code: v.rule.to_string(),
                message: v.message,
            })
        };
        for v in lint_field(FieldKind::Title, &localized.title, profile, brand) {
            push(FieldId::Title.to_string(), v);
        }
        for (i, b) in localized.bullets.iter().enumerate() {
            for v in lint_field(FieldKind::Bullet, b, profile, brand) {
                push(FieldId::Bullet(i).to_string(), v);
            }
        }
        if let Some(v) = lint_bullet_count(localized.bullets.len(), profile) {
            push("bullets".into(), v);
        }
        for v in lint_field(
            FieldKind::Description,
            &localized.description,
            profile,
            brand,
        ) {
            push(FieldId::Description.to_string(), v);
        }
        for v in lint_field(
            FieldKind::SearchTerms,
            &localized.keywords.join(" "),
            profile,
            brand,
        ) {
            push("keywords".into(), v);
        }
        let opts = self.parts.options(&profile.language)?;
        out.extend(title_numbers(listing, &localized.title, profile, &opts));
        Ok(out)
    }

    fn rates(&self) -> Vec<ExchangeRate> {
        self.parts
            .rates
            .read()
            .map(|r| {
                r.all()
                    .map(|(from, to, rate)| ExchangeRate {
                        from: from.to_string(),
                        to: to.to_string(),
                        rate: rate.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn set_rate(&self, rate: ExchangeRate) -> Result<(), ServiceError> {
        let mut book = self
            .parts
            .rates
            .write()
            .map_err(|_| internal_msg("rates lock poisoned"))?;
        book.set(&rate.from, &rate.to, &rate.rate)
            .map_err(|e| match e {
                SetError::Invalid(e) => ServiceError::Invalid {
                    field: e.field.into(),
                    message: e.message,
                },
                SetError::Io(e) => internal_msg(format!("write rates.csv: {e}")),
            })
    }

    fn engine_stats(&self) -> EngineMetrics {
        let Some(e) = self.models.engine.get() else {
            return EngineMetrics::default();
        };
        let s = e.stats();
        let secs = s.decode_secs + s.prefill_secs;
        EngineMetrics {
            queue_depth: (s.queued + s.running) as u64,
            tokens_per_second: if secs > 0.0 {
                s.generated_tokens as f64 / secs
            } else {
                0.0
            },
            tokens_total: s.generated_tokens,
        }
    }
}

/// Numbers are the seller's facts: every number of the source title must still
/// be in an edited title, as the source writes it or as the pipeline rewrites
/// it for the market (units, prices, decimal separators), by the rules of
/// [`edited_numbers`]. One `number_changed` warning per number gone.
pub(super) fn title_numbers(
    listing: &Listing,
    edited_title: &str,
    profile: &MarketProfile,
    opts: &LocalizeOptions,
) -> Vec<Warning> {
    let reference = opts
        .rates
        .is_none()
        .then(|| Rates::reference().ok())
        .flatten();
    let converter = opts
        .rates
        .as_ref()
        .or(reference.as_ref())
        .map(|rates| PriceConverter { rates, profile });
    let terms = opts.glossary.terms_for(&profile.language);
    let rules = ProtectRules {
        brand: listing.brand.as_deref(),
        brand_words: &[],
        terms: &terms,
        measurement: Some(profile.measurement),
        keep_original_units: false,
        number_format: Some(&profile.number_format),
        prices: converter.as_ref(),
        language: Some(&profile.language),
        source_language: listing.language.as_deref(),
        title: Some(&listing.title),
    };
    let source = protect(&listing.title, &rules);
    edited_numbers(&source, edited_title)
        .map(|f| f.evidence)
        .unwrap_or_default()
        .into_iter()
        .map(|n| Warning {
            field: FieldId::Title.to_string(),
            code: "number_changed".into(),
            message: format!("the source title's number {n} is missing"),
        })
        .collect()
}

/// The batch side of the localizer: what the job runner calls, at batch
/// priority, never cancelled by a client.
pub(super) struct JobLocalizer {
    pub(super) real: Arc<RealLocalizer>,
}

impl job::Localizer for JobLocalizer {
    fn localize(
        &self,
        listing: &Listing,
        market: &str,
    ) -> Result<LocalizedListing, job::LocalizerError> {
        let never = Arc::new(AtomicBool::new(false));
        self.real
            .run(listing, market, &never, Priority::Batch, &mut |_, _| {})
            .map_err(|e| job::LocalizerError::Other(Box::new(e)))
    }

    fn model_id(&self) -> String {
        self.real
            .models
            .engine
            .get()
            .map(|e| e.model_id())
            .unwrap_or_default()
    }

    fn check_market(&self, market: &str) -> Result<(), job::LocalizerError> {
        self.real.parts.markets.get(market)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::MarketRegistry;

    fn listing(title: &str) -> Listing {
        Listing {
            sku: "MUG-1".into(),
            title: title.into(),
            language: Some("en".into()),
            ..Listing::default()
        }
    }

    #[test]
    fn an_edited_title_keeps_its_numbers_in_the_markets_form() {
        let markets = MarketRegistry::builtin().expect("builtin markets");
        let de = markets.get("amazon.de").expect("amazon.de");
        let opts = LocalizeOptions::default();
        let src = listing("Travel mug 16 fl oz, 1.5 kg, 2 lids");
        // "1.5" -> "1,5" in German and "16 fl oz" -> "473 ml" change no number.
        let w = title_numbers(&src, "Reisebecher 473 ml, 1,5 kg, 2 Deckel", de, &opts);
        assert!(w.is_empty(), "{w:?}");
        let w = title_numbers(&src, "Reisebecher 16 fl oz, 1,5 kg, 2 Deckel", de, &opts);
        assert!(w.is_empty(), "{w:?}");
        let w = title_numbers(&src, "Reisebecher 473 ml, 2,5 kg, 2 Deckel", de, &opts);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].code, "number_changed");
        assert_eq!(w[0].field, "title");
        assert!(w[0].message.contains("1.5"), "{}", w[0].message);
    }
}
