//! Batch job throughput: a catalog of N listings (25 product families in colour
//! and pack variants: title, three bullets, a two-paragraph description, a
//! price) localized into one market by the job runner through
//! the full localization pipeline (what `silkroute batch` runs), with the
//! model's batching on (several items at once, one engine batch) and off (one
//! item at a time, engine batch of 1). Prints listings per hour and the share
//! of wall time spent in the model's steps.
//!
//! ```sh
//! BENCH_MODEL=/root/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf \
//! BENCH_LISTINGS=200 BENCH_WORKERS=8 \
//!   cargo bench --bench batch
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

/// Product families: (product, feature bullet, use bullet). A catalog of N
/// listings takes them in turn, each family in variants (colour and pack size),
/// the way sellers' catalogs look: every title differs, bullets and
/// descriptions repeat within a family.
const FAMILIES: &[(&str, &str, &str)] = &[
    (
        "Stainless steel water bottle, 750 ml",
        "Keeps drinks cold for 24 hours and hot for 12 hours",
        "Fits most cup holders and backpack pockets",
    ),
    (
        "Bamboo cutting board with juice groove",
        "Made of solid bamboo that is gentle on knife edges",
        "Reversible: one side for meat, one for vegetables",
    ),
    (
        "Merino wool hiking socks",
        "Cushioned sole and breathable merino blend keep feet dry",
        "Reinforced heel and toe for long trails",
    ),
    (
        "LED desk lamp with USB charging port",
        "Five brightness levels and three colour temperatures",
        "Flexible arm turns 180 degrees",
    ),
    (
        "Ceramic coffee mug, 350 ml",
        "Glazed stoneware that keeps coffee warm longer",
        "Dishwasher and microwave safe",
    ),
    (
        "Non-slip yoga mat, 6 mm thick",
        "Textured surface grips in every pose",
        "Comes with a carrying strap",
    ),
    (
        "Shockproof phone case with card holder",
        "Raised edges protect the screen and camera",
        "Holds two cards and a banknote",
    ),
    (
        "Expandable garden hose, 15 m",
        "Stretches to three times its length when the water is on",
        "Nine spray patterns on the nozzle",
    ),
    (
        "Cast iron skillet, 26 cm",
        "Pre-seasoned and ready to use on every hob",
        "Holds heat evenly for searing",
    ),
    (
        "Wireless earbuds with charging case",
        "Up to 30 hours of playback with the case",
        "Touch controls for calls and music",
    ),
    (
        "Cotton bath towel set",
        "Soft 600 gsm cotton that dries quickly",
        "Machine washable at 60 degrees",
    ),
    (
        "Kids' backpack with reflective strips",
        "Padded straps and a chest strap for comfort",
        "Reflective strips for dark mornings",
    ),
    (
        "Silicone baking mat, set of 2",
        "Non-stick surface, no parchment paper needed",
        "Heat resistant up to 230 °C",
    ),
    (
        "Electric milk frother",
        "Creamy foam in 60 seconds",
        "Stainless steel whisk, easy to rinse",
    ),
    (
        "Travel adapter for 150 countries",
        "Four USB ports charge several devices at once",
        "Built-in fuse protects your electronics",
    ),
    (
        "Memory foam pillow",
        "Shapes to your head and neck",
        "Removable cover, machine washable",
    ),
    (
        "Digital kitchen scale, 5 kg",
        "Weighs in 1 g steps with a tare button",
        "Thin glass top wipes clean",
    ),
    (
        "Insulated lunch bag",
        "Keeps food cool for up to 6 hours",
        "Wipe-clean lining and a front pocket",
    ),
    (
        "Resistance bands, set of 5",
        "Five strengths from light to extra heavy",
        "Latex-free and comes with a mesh bag",
    ),
    (
        "Glass food storage containers, set of 4",
        "Airtight lids lock in freshness",
        "Oven safe glass without the lids",
    ),
    (
        "Bike light set, USB rechargeable",
        "Front light with 400 lumens and a red rear light",
        "Mounts without tools in seconds",
    ),
    (
        "Wooden toy train set, 50 pieces",
        "Smooth beech wood with child-safe paint",
        "Compatible with most wooden railways",
    ),
    (
        "Waterproof hiking jacket",
        "Taped seams and a 10,000 mm waterproof rating",
        "Packs into its own pocket",
    ),
    (
        "Aroma diffuser, 300 ml",
        "Runs quietly for up to 10 hours",
        "Seven light colours and an auto shut-off",
    ),
    (
        "Dog leash with padded handle, 1.5 m",
        "Reflective stitching for evening walks",
        "Strong clip that turns 360 degrees",
    ),
];

/// Variants of each family: colour and pack.
const VARIANTS: &[&str] = &[
    "Black",
    "White",
    "Blue",
    "Grey",
    "Green",
    "Red",
    "Black, pack of 2",
    "White, pack of 2",
];

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn main() {
    // `cargo test --all-targets` runs bench programs without `--bench`: the
    // benchmark is minutes of model time, so it only runs under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        println!("batch benchmark: run it with `cargo bench --bench batch`");
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
            let (product, feature, usage) = FAMILIES[i % FAMILIES.len()];
            let variant = VARIANTS[(i / FAMILIES.len()) % VARIANTS.len()];
            Ok((
                i as u64 + 2,
                Listing {
                    sku: format!("B-{i:04}"),
                    title: format!("Acme {product}, {variant}"),
                    bullets: vec![
                        feature.to_string(),
                        usage.to_string(),
                        "Easy to clean, comes with a 2-year warranty".into(),
                    ],
                    description: format!(
                        "<p>{product} from Acme.</p><p>Ships in recyclable packaging.</p>"
                    ),
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
        let prompt = s.prompt_tokens - before.prompt_tokens;
        let reused = s.prefix_reused_tokens - before.prefix_reused_tokens;
        println!(
            "{name:13} workers {w}: {n} listings in {wall:.1}s = {:.0} listings/hour | model {:.0}% of wall time \
             ({model_secs:.1}s) | {generated} tokens generated, {:.1} tok/s | prompt tokens computed {prompt}, \
             taken from the prefix cache {reused} | model load {load:.1}s",
            n as f64 / wall * 3600.0,
            100.0 * model_secs / wall,
            generated as f64 / wall,
        );
    }
}
