//! Server-sent event streams: a localization as the model writes it (one
//! producer thread per market, so the engine batches them and the page shows
//! the markets side by side), and a job's progress. When the client goes away
//! the stream is dropped, its guard sets the cancel flag, and the pipeline drops
//! its `GenerationHandle`, which cancels the generation in the engine.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use super::error::AppError;
use super::interactive::{CancelOnDrop, LocalizeRequest, localize_and_save};
use super::services::ServiceError;
use super::state::AppState;

/// The stream of a localization: `field` `{market, field, text}` as fields are
/// written, `result` `{market, localized}` or `error` `{market, code, message}`
/// per market, then one `end`.
/// `permits` (admission and stream) are held by the producer threads, so they
/// come back once every market's generation has stopped, not when the client
/// hangs up.
pub fn localize_events(
    state: AppState,
    req: LocalizeRequest,
    permits: Arc<(OwnedSemaphorePermit, OwnedSemaphorePermit)>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (tx, rx) = mpsc::channel::<Event>(256);
    let cancel = Arc::new(AtomicBool::new(false));
    for market in req.markets.clone() {
        let (tx, state, listing, cancel) = (
            tx.clone(),
            state.clone(),
            req.listing.clone(),
            cancel.clone(),
        );
        let permits = permits.clone();
        tokio::task::spawn_blocking(move || {
            let _permits = permits;
            let mut on_field = |field: &str, text: &str| {
                let ev = Event::default()
                    .event("field")
                    .json_data(json!({"market": market, "field": field, "text": text}));
                if let Ok(ev) = ev
                    && tx.blocking_send(ev).is_err()
                {
                    cancel.store(true, Ordering::Relaxed);
                }
            };
            let result = localize_and_save(&state, &listing, &market, &cancel, &mut on_field);
            let ev = match result {
                Ok(loc) => Event::default()
                    .event("result")
                    .json_data(json!({"market": market, "localized": loc})),
                Err(ServiceError::Cancelled) => return,
                Err(e) => {
                    let body = AppError::from(e);
                    if let AppError::Internal(err) = &body {
                        tracing::error!(error = format!("{err:#}"), market, "localize stream");
                    }
                    let b = body.body();
                    Event::default()
                        .event("error")
                        .json_data(json!({"market": market, "code": b.code, "message": b.message}))
                }
            };
            if let Ok(ev) = ev {
                let _ = tx.blocking_send(ev);
            }
        });
    }
    drop(tx);
    drop(permits);
    struct St {
        rx: mpsc::Receiver<Event>,
        _guard: CancelOnDrop,
        ended: bool,
    }
    let st = St {
        rx,
        _guard: CancelOnDrop(cancel),
        ended: false,
    };
    let stream = futures_util::stream::unfold(st, |mut st| async move {
        if st.ended {
            return None;
        }
        match st.rx.recv().await {
            Some(ev) => Some((Ok(ev), st)),
            None => {
                st.ended = true;
                Some((Ok(Event::default().event("end").data("{}")), st))
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// A job's progress: a `progress` event with the job (as JSON) every second
/// while it changes, and a last one when it has finished.
pub fn job_events(
    state: AppState,
    id: String,
    permit: OwnedSemaphorePermit,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let permit = Arc::new(permit);
    let stream = futures_util::stream::unfold(
        (state, id, false, String::new(), permit),
        |(state, id, done, last, permit)| async move {
            if done {
                return None;
            }
            let mut last = last;
            loop {
                if !last.is_empty() {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                let jobs = state.services.jobs.clone();
                let i = id.clone();
                let info = tokio::task::spawn_blocking(move || jobs.get(&i)).await;
                let info = match info {
                    Ok(Ok(Some(info))) => info,
                    _ => return None,
                };
                let data = serde_json::to_string(&info).unwrap_or_default();
                let finished = info.is_finished();
                if data != last || finished {
                    let ev = Event::default().event("progress").data(data.clone());
                    return Some((Ok(ev), (state, id, finished, data, permit)));
                }
                last = data;
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}
