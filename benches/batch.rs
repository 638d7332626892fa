//! Batch job throughput: a catalog of N listings (title, two bullets, a short
//! description, a price) localized into one market by the job runner through
//! the full localization pipeline (what `silkroute batch` runs), with the
//! model's batching on (several items at once, one engine batch) and off (one
//! item at a time, engine batch of 1). Prints listings per hour and the share
//! of wall time spent in the model's steps.
//!
//! ```sh
//! BENCH_MODEL=/root/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf \
//! BENCH_LISTINGS=200 BENCH_WORKERS=8 BENCH_MAX_TOKENS=64 \
//!   cargo bench --profile dev --bench batch
//! ```
//! `BENCH_MODE=on|off|both` (default both).

use std::sync::Arc;
use std::time::Instant;

use silkroute::job::{
    CatalogOutput, JobEnd, JobRunner, PipelineLocalizer, RunnerOptions, create_job,
};
use silkroute::listing::{Listing, Price};
use silkroute::llm::{Engine, EngineOptions, Priority};
use silkroute::localize::{LocalizeOptions, Pipeline, PipelineOptions, Templates, Terminology};
use silkroute::market::MarketRegistry;
use silkroute::paths::DataDir;
use silkroute::store::{NewJob, Store};

const PRODUCTS: &[&str] = &[
    "Stainless steel water bottle, 750 ml, keeps drinks cold for 24 hours",
    "Bamboo cutting board with juice groove, large",
    "Merino wool hiking socks, pack of 3",
    "LED desk lamp with USB charging port and 5 brightness levels",
    "Ceramic coffee mug, 350 ml, dishwasher safe",
    "Non-slip yoga mat, 6 mm thick, with carrying strap",
    "Shockproof phone case with card holder",
    "Expandable garden hose, 15 m, with spray nozzle",
];

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn main() {
    // `cargo test --all-targets` runs bench programs without `--bench`: the
    // benchmark is minutes of model time, so it only runs under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        println!("batch benchmark: run it with `cargo bench --profile dev --bench batch`");
        return;
    }
    let model = std::path::PathBuf::from(env(
        "BENCH_MODEL",
        &DataDir::resolve(None)
            .models()
            .join("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
            .to_string_lossy(),
    ));
    let n: usize = env("BENCH_LISTINGS", "200")
        .parse()
        .expect("BENCH_LISTINGS");
    let workers: usize = env("BENCH_WORKERS", "8").parse().expect("BENCH_WORKERS");
    let max_tokens: usize = env("BENCH_MAX_TOKENS", "384")
        .parse()
        .expect("BENCH_MAX_TOKENS");
    let mode = env("BENCH_MODE", "both");
    println!(
        "model {} | {n} listings -> amazon.de | max_tokens {max_tokens}",
        model.display()
    );
    let modes: Vec<(&str, usize)> = match mode.as_str() {
        "on" => vec![("batching on", workers)],
        "off" => vec![("batching off", 1)],
        _ => vec![("batching on", workers), ("batching off", 1)],
    };
    for (name, w) in modes {
        let t_load = Instant::now();
        let engine = Arc::new(
            Engine::load(
                &model,
                EngineOptions {
                    max_batch: w,
                    ..EngineOptions::default()
                },
            )
            .expect("loading the model"),
        );
        let load = t_load.elapsed().as_secs_f64();
        let tmp = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(Store::open(&DataDir::at(tmp.path())).expect("store"));
        // A fresh store per mode: no translation memory carried over.
        let pipeline = Pipeline::new(
            engine.clone(),
            Arc::new(Templates::builtin().expect("templates")),
            Arc::new(Terminology::builtin().expect("terminology")),
            PipelineOptions {
                tm: Some(store.clone() as Arc<dyn silkroute::localize::TranslationMemory>),
                priority: Priority::Batch,
                max_tokens,
                ..PipelineOptions::default()
            },
        );
        let localizer = Arc::new(PipelineLocalizer::new(
            Arc::new(pipeline),
            Arc::new(MarketRegistry::builtin().expect("markets")),
            LocalizeOptions::default(),
        ));
        let records = (0..n).map(|i| {
            let p = PRODUCTS[i % PRODUCTS.len()];
            Ok((
                i as u64 + 2,
                Listing {
                    sku: format!("B-{i:04}"),
                    title: format!("{p}, model {i}"),
                    bullets: vec![
                        format!("Made for daily use: {}", p.to_lowercase()),
                        "Easy to clean, comes with a 2-year warranty".into(),
                    ],
                    description: format!("<p>{p}. Ships in recyclable packaging.</p>"),
                    brand: Some("Acme".into()),
                    price: Some(Price {
                        amount: rust_decimal::Decimal::new(1999 + i as i64, 2),
                        currency: "EUR".into(),
                    }),
                    language: Some("en".into()),
                    ..Default::default()
                },
            ))
        });
        let job = NewJob {
            catalog_path: "bench.csv".into(),
            format: "csv".into(),
            markets: vec!["amazon.de".into()],
            options: serde_json::json!({}),
            out_dir: tmp.path().join("out").to_string_lossy().into_owned(),
        };
        let id = create_job(&store, localizer.as_ref(), &job, records).expect("job");
        let before = engine.stats();
        let t = Instant::now();
        let runner = JobRunner::start(
            store.clone(),
            localizer,
            Arc::new(CatalogOutput),
            None,
            &RunnerOptions { workers: w },
        );
        runner.submit(id).expect("submit");
        let end = runner.wait(id);
        let wall = t.elapsed().as_secs_f64();
        assert!(matches!(end, JobEnd::Succeeded(_)), "job ended {end:?}");
        let s = engine.stats();
        let model_secs =
            (s.decode_secs - before.decode_secs) + (s.prefill_secs - before.prefill_secs);
        let generated = s.generated_tokens - before.generated_tokens;
        println!(
            "{name:13} workers {w}: {n} listings in {wall:.1}s = {:.0} listings/hour | model {:.0}% of wall time \
             ({model_secs:.1}s) | {generated} tokens generated, {:.1} tok/s | model load {load:.1}s",
            n as f64 / wall * 3600.0,
            100.0 * model_secs / wall,
            generated as f64 / wall,
        );
    }
}
