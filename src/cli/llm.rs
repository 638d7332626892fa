//! `silkroute generate` (stream a model's answer to stdout) and `silkroute bench
//! llm` (prefill and decode speed of the batched engine, optionally next to
//! candle-transformers' stock quantized model on the same prompt, and with
//! `--draft` speculative against plain batch-1 decoding on a pipeline
//! translation prompt).

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use silkroute::llm::{
    ChatMessage, Engine, EngineOptions, EngineStats, Event, Generate, GenerateRequest, Generation,
    SamplingParams,
};
use silkroute::localize::{Templates, TranslatePrompt};
use silkroute::paths::DataDir;

use super::Outcome;

/// `silkroute generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The user's message.
    pub prompt: String,
    /// Model id (installed under the data directory) or a path to a .gguf file.
    #[arg(long)]
    pub model: Option<String>,
    /// Stop after this many tokens.
    #[arg(long, default_value_t = 512)]
    pub max_tokens: usize,
    /// Sampling temperature; 0 is greedy.
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f32,
    /// Nucleus sampling threshold (1 = off).
    #[arg(long, default_value_t = 1.0)]
    pub top_p: f32,
    /// Seed for sampling.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// System message.
    #[arg(long)]
    pub system: Option<String>,
    /// Compute threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// `silkroute bench ...`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    target: BenchTarget,
}

#[derive(Debug, Subcommand)]
enum BenchTarget {
    /// Language model speed: prefill, batch-1 decode, aggregate decode at 4 and 8
    /// concurrent sequences, load time, peak memory.
    Llm(LlmBenchArgs),
    /// Weight-matrix kernels alone: each kind of matrix in a model on every
    /// kernel path this CPU has, taking turns, and the matmul time of one
    /// forward step.
    Kernels(KernelBenchArgs),
}

#[derive(Debug, Args)]
struct KernelBenchArgs {
    /// Model id or .gguf path.
    #[arg(long)]
    model: Option<String>,
    /// Activation rows (tokens in a step).
    #[arg(long, value_delimiter = ',', default_value = "1,8,64")]
    rows: Vec<usize>,
    /// Timed turns per path (best kept).
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Compute threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

#[derive(Debug, Args)]
struct LlmBenchArgs {
    /// Model id or .gguf path.
    #[arg(long)]
    model: Option<String>,
    /// Prompt length in tokens (approximately: chat template included).
    #[arg(long, default_value_t = 480)]
    prompt_tokens: usize,
    /// Tokens generated per sequence.
    #[arg(long, default_value_t = 64)]
    gen_tokens: usize,
    /// Compute threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Concurrent sequences for the aggregate decode figures (0 skips them).
    #[arg(long, value_delimiter = ',', default_value = "4,8")]
    batches: Vec<usize>,
    /// Draft model (id or .gguf path) for speculative decoding: also time
    /// batch-1 decoding of a pipeline translation prompt plainly and
    /// speculatively, taking turns, and check that the outputs are identical.
    #[arg(long)]
    draft: Option<String>,
    /// Plain/speculative pairs timed with `--draft`.
    #[arg(long, default_value_t = 2)]
    spec_reps: usize,
    /// Also time candle-transformers' stock quantized model on the same prompt
    /// (a build with `--features stock-candle`).
    #[arg(long)]
    stock: bool,
    /// Most prompt tokens per engine step (default: the whole prompt of every
    /// sequence of the largest batch, so that batch-1 prefill is one step and
    /// a batch's sequences decode together; the server uses 512).
    #[arg(long)]
    prefill_chunk: Option<usize>,
    /// Keep the KV caches in f16 (the engine's `kv_f16`), for memory figures.
    #[arg(long)]
    kv_f16: bool,
}

/// The model for `--model`: a manifest id (installed on first use) or a .gguf path.
fn resolve_model(data: &DataDir, model: Option<&str>) -> anyhow::Result<PathBuf> {
    Ok(silkroute::llm::resolve_model(data, model, false)?)
}

/// Run `silkroute generate`.
pub fn generate(data_dir: &DataDir, args: GenerateArgs) -> anyhow::Result<Outcome> {
    let path = resolve_model(data_dir, args.model.as_deref())?;
    let engine = Engine::load(
        &path,
        EngineOptions {
            threads: args.threads,
            max_batch: 1,
            ..EngineOptions::default()
        },
    )
    .with_context(|| format!("loading {}", path.display()))?;
    let mut messages = Vec::new();
    if let Some(s) = args.system {
        messages.push(ChatMessage::system(s));
    }
    messages.push(ChatMessage::user(args.prompt));
    let mut req = GenerateRequest::new(messages, args.max_tokens);
    req.sampling = SamplingParams {
        temperature: args.temperature,
        top_p: args.top_p,
        seed: args.seed,
        ..SamplingParams::default()
    };
    let handle = engine.submit(req)?;
    let mut out = std::io::stdout().lock();
    loop {
        match handle.recv() {
            Some(Event::Delta(d)) => {
                out.write_all(d.as_bytes())?;
                out.flush()?;
            }
            Some(Event::Done(_)) => break,
            Some(Event::Error(e)) => return Err(e.into()),
            None => bail!("the engine stopped"),
        }
    }
    writeln!(out)?;
    Ok(Outcome::Ok)
}

/// Run `silkroute bench ...`.
pub fn bench(data_dir: &DataDir, args: BenchArgs) -> anyhow::Result<Outcome> {
    match args.target {
        BenchTarget::Llm(a) => bench_llm(data_dir, a),
        BenchTarget::Kernels(a) => bench_kernels(data_dir, a),
    }
}

fn bench_kernels(data_dir: &DataDir, a: KernelBenchArgs) -> anyhow::Result<Outcome> {
    let path = resolve_model(data_dir, a.model.as_deref())?;
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // SAFETY: before any thread of candle's pool starts.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", a.threads.to_string()) };
    }
    println!("model            {}", path.display());
    println!(
        "threads          {}",
        candle_core::utils::barrier_pool().n_workers() + 1
    );
    println!("cpu flags        {}", silkroute::llm::cpu_flags());
    println!("default kernels  {}", silkroute::llm::kernel_path_name());
    let timings = silkroute::llm::bench_kernels(&path, &a.rows, a.reps.max(1))?;
    if timings.first().is_some_and(|t| t.cpu_time) {
        println!(
            "times            the thread's CPU time (one thread), best of {}",
            a.reps
        );
    } else {
        println!("times            wall clock, best of {}", a.reps);
    }
    println!(
        "{:<22} {:<5} {:>3} {:>7} {:>6} {:>4} {:<24} {:>9} {:>8}",
        "matrix", "fmt", "n", "rows", "cols", "m", "path", "ms", "GMAC/s"
    );
    // Per (m, path): the step's matmul seconds.
    let mut steps: Vec<(usize, &str, f64)> = Vec::new();
    for t in &timings {
        println!(
            "{:<22} {:<5} {:>3} {:>7} {:>6} {:>4} {:<24} {:>9.3} {:>8.1}",
            t.kind,
            t.format,
            t.count,
            t.n,
            t.k,
            t.m,
            t.path,
            t.secs * 1e3,
            (t.n * t.k * t.m) as f64 / t.secs / 1e9
        );
        match steps.iter_mut().find(|s| s.0 == t.m && s.1 == t.path) {
            Some(s) => s.2 += t.secs * t.count as f64,
            None => steps.push((t.m, t.path, t.secs * t.count as f64)),
        }
    }
    for (m, p, secs) in steps {
        println!(
            "step matmuls     m={m:<4} {p:<24} {:8.1} ms  ({:.1} tok/s)",
            secs * 1e3,
            m as f64 / secs
        );
    }
    Ok(Outcome::Ok)
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A request whose prompt is about `tokens` tokens long (filler prose).
fn sized_request(engine: &Engine, tokens: usize, max_new: usize, salt: usize) -> GenerateRequest {
    const FILLER: &str = "The market opens at dawn and traders arrange silk, tea and \
        porcelain on long wooden tables while buyers from distant cities compare prices. ";
    let mut words = format!("Story {salt}. ");
    let mut req = GenerateRequest::new(vec![], max_new);
    loop {
        req.messages = vec![ChatMessage::user(format!(
            "{words}\nContinue this story in detail."
        ))];
        let n = engine
            .prompt_tokens(&req)
            .map(|t| t.len())
            .unwrap_or(tokens);
        if n >= tokens {
            return req;
        }
        // Grow by whole sentences until long enough, then trim by words.
        if tokens - n > 30 {
            words.push_str(FILLER);
        } else {
            words.push_str("silk ");
        }
    }
}

fn bench_llm(data_dir: &DataDir, a: LlmBenchArgs) -> anyhow::Result<Outcome> {
    if a.stock && !cfg!(feature = "stock-candle") {
        bail!(
            "--stock needs candle-transformers, which this build leaves out: \
             cargo build --release --features stock-candle"
        );
    }
    let path = resolve_model(data_dir, a.model.as_deref())?;
    let draft = match &a.draft {
        Some(d) => Some(resolve_model(data_dir, Some(d))?),
        None => None,
    };
    let max_batch = a.batches.iter().copied().max().unwrap_or(1).max(1);
    // Room for the whole prompt (it comes out a few tokens over the target)
    // of every sequence of the largest batch: batch-1 prefill is one step,
    // and a batch's sequences are all read in one step, so that they then
    // decode together from the first step to the last, and the batch figure
    // is decoding at exactly that many sequences (with a prompt-sized chunk
    // they started a step apart and the first ones finished first, so the
    // last steps ran fewer).
    let prefill_chunk = a
        .prefill_chunk
        .unwrap_or((a.prompt_tokens + 64) * max_batch)
        .max(1);
    let t0 = Instant::now();
    let engine = Engine::load(
        &path,
        EngineOptions {
            threads: Some(a.threads),
            max_batch,
            prefill_chunk,
            kv_f16: a.kv_f16,
            // Raw speed: no prompt shares a beginning worth reusing anyway.
            prefix_cache_bytes: 0,
            draft: draft.clone(),
            ..EngineOptions::default()
        },
    )?;
    // The filler-prompt figures are plain decoding.
    engine.set_speculation(false);
    let load_s = t0.elapsed().as_secs_f64();
    println!("model            {}", path.display());
    println!(
        "threads          {} (candle pool: {})",
        a.threads,
        candle_core::utils::get_num_threads()
    );
    println!("load             {load_s:.2} s");
    println!("kernels          {}", silkroute::llm::kernel_path_name());
    println!("cpu flags        {}", silkroute::llm::cpu_flags());
    println!(
        "kv cache         {}, prefill chunk {prefill_chunk} tokens",
        if a.kv_f16 { "f16" } else { "f32" },
    );

    // Warm-up (first-use allocations, repacked weight caches).
    engine.generate(sized_request(&engine, 32, 2, 0))?;

    // Batch 1: time to first token is the prefill, the rest is decode.
    let req = sized_request(&engine, a.prompt_tokens, a.gen_tokens, 1);
    let n_prompt = engine.prompt_tokens(&req)?.len();
    let t = timed(&engine, &req)?;
    let g = &t.g;
    let prefill = n_prompt as f64 / t.prefill_s;
    let decode1 = (g.tokens.len().saturating_sub(1)) as f64 / (t.wall_s - t.prefill_s);
    println!(
        "prompt           {n_prompt} tokens, generated {} tokens",
        g.tokens.len()
    );
    println!("prefill          {prefill:.1} tok/s");
    println!("decode batch 1   {decode1:.1} tok/s");

    for &b in a.batches.iter().filter(|&&b| b > 0) {
        let before = engine.stats();
        let reqs: Vec<_> = (0..b)
            .map(|i| sized_request(&engine, a.prompt_tokens, a.gen_tokens, 100 + i))
            .collect();
        let t = Instant::now();
        let results = engine.generate_many(reqs);
        let wall = t.elapsed().as_secs_f64();
        let generated: usize = results
            .iter()
            .map(|r| r.as_ref().map_or(0, |g| g.tokens.len()))
            .sum();
        let after = engine.stats();
        let dt = after.decode_tokens - before.decode_tokens;
        let ds = after.decode_secs - before.decode_secs;
        println!(
            "decode batch {b:<3} {:.1} tok/s aggregate ({:.1} x batch 1; {generated} tokens, {wall:.1} s wall incl. prefill)",
            dt as f64 / ds,
            dt as f64 / ds / decode1
        );
    }
    if let Some(d) = &draft {
        bench_speculative(&engine, d, a.spec_reps.max(1))?;
    }
    let vocab = engine.vocab_size();
    let st = silkroute::llm::bench_sampling(vocab, 200);
    println!(
        "sampling         {:.0} µs greedy ({:.0} µs banning CJK tokens), {:.0} µs sampled (top-k 40; whole row sorted: {:.0} µs) per token, {vocab} logits",
        st.greedy_us, st.greedy_banned_us, st.sampled_us, st.full_sort_us
    );
    println!("peak RSS         {:.0} MiB", peak_rss_mib());
    drop(engine);

    #[cfg(feature = "stock-candle")]
    if a.stock {
        stock_candle(&path, &prompt, &g.tokens)?;
    }
    Ok(Outcome::Ok)
}

/// The segment the speculative figures translate: one line of a product
/// description, as the pipeline sends it.
const SPEC_SEGMENT: &str = "This stainless steel water bottle keeps drinks cold for 24 hours \
    and hot for 12 hours thanks to its double-walled vacuum insulation; the leak-proof lid \
    with a carrying loop fits in any backpack, the powder-coated finish does not sweat or \
    slip, and the wide 5.5 cm opening takes ice cubes and is easy to clean by hand or in \
    the dishwasher (top rack).";

/// The pipeline's translate request for [`SPEC_SEGMENT`] into German for
/// Amazon.de: its templates, worked examples, stop string and token budget.
fn translation_request() -> anyhow::Result<GenerateRequest> {
    let messages = Templates::builtin()?.translate(&TranslatePrompt {
        market: "Amazon.de (Germany)",
        source_lang: "en",
        target_lang: "de",
        kind: "description",
        text: SPEC_SEGMENT,
        hints: &[],
        examples: &[],
        shared: &[],
    })?;
    let mut req = GenerateRequest::new(messages, SPEC_SEGMENT.chars().count() * 3 / 4 + 24);
    req.stop = vec!["\n".into()];
    Ok(req)
}

/// One timed batch-1 generation: the result, the prompt's seconds (until the
/// first streamed text) and the engine's counters before and after.
struct Timed {
    g: Generation,
    prefill_s: f64,
    wall_s: f64,
    before: EngineStats,
    after: EngineStats,
}

impl Timed {
    fn decode_tok_s(&self) -> f64 {
        let t = self.after.decode_tokens - self.before.decode_tokens;
        t as f64 / (self.after.decode_secs - self.before.decode_secs)
    }
}

fn timed(engine: &Engine, req: &GenerateRequest) -> anyhow::Result<Timed> {
    let before = engine.stats();
    let start = Instant::now();
    let h = engine.submit(req.clone())?;
    let mut first = None;
    let g = loop {
        match h.recv() {
            Some(Event::Delta(_)) => {
                first.get_or_insert_with(Instant::now);
            }
            Some(Event::Done(g)) => break g,
            Some(Event::Error(e)) => return Err(e.into()),
            None => bail!("engine stopped"),
        }
    };
    let end = Instant::now();
    Ok(Timed {
        g,
        prefill_s: (first.unwrap_or(end) - start).as_secs_f64(),
        wall_s: (end - start).as_secs_f64(),
        before,
        after: engine.stats(),
    })
}

/// Batch-1 decoding of the pipeline's translate prompt, plain and
/// speculative by turns on the same engine, with the speed-up, the
/// acceptance, the mean k and whether the outputs are identical.
fn bench_speculative(engine: &Engine, draft: &std::path::Path, reps: usize) -> anyhow::Result<()> {
    let req = translation_request()?;
    let n_prompt = engine.prompt_tokens(&req)?.len();
    println!("draft            {}", draft.display());
    println!(
        "spec prompt      {n_prompt} tokens: the pipeline's translate prompt (en -> de, \
         description line, fixed examples), greedy, stop at newline, at most {} tokens",
        req.max_tokens
    );
    let (mut plain_rates, mut spec_rates, mut walls) = (Vec::new(), Vec::new(), Vec::new());
    let mut identical = true;
    // Over all speculative runs: decode seconds, the draft's share of them,
    // steps and drafted tokens (for what each part of a step costs).
    let (mut spec_secs, mut draft_secs, mut all_steps, mut all_drafted) = (0.0, 0.0, 0u64, 0u64);
    for rep in 1..=reps {
        engine.set_speculation(false);
        let p = timed(engine, &req)?;
        engine.set_speculation(true);
        let s = timed(engine, &req)?;
        let same = p.g.tokens == s.g.tokens && p.g.text == s.g.text;
        identical &= same;
        let (dp, ds) = (p.decode_tok_s(), s.decode_tok_s());
        let drafted = s.after.spec_drafted - s.before.spec_drafted;
        let checked = s.after.spec_checked - s.before.spec_checked;
        let accepted = s.after.spec_accepted - s.before.spec_accepted;
        let steps = s.after.spec_steps - s.before.spec_steps;
        println!(
            "spec run {rep}       plain: {} tokens, prompt {:.2} s, decode {dp:.1} tok/s, {:.2} s wall",
            p.g.tokens.len(),
            p.prefill_s,
            p.wall_s
        );
        println!(
            "                 speculative: {} tokens, prompt {:.2} s (target + draft), \
             decode {ds:.1} tok/s ({:.2} x plain), {:.2} s wall ({:.2} x plain)",
            s.g.tokens.len(),
            s.prefill_s,
            ds / dp,
            s.wall_s,
            p.wall_s / s.wall_s
        );
        println!(
            "                 accepted {accepted} of {checked} checked ({:.1} %; {drafted} drafted), \
             mean k {:.2} over {steps} steps, outputs {}",
            100.0 * accepted as f64 / checked.max(1) as f64,
            drafted as f64 / steps.max(1) as f64,
            if same { "identical" } else { "DIFFERENT" }
        );
        if !same {
            let at =
                p.g.tokens
                    .iter()
                    .zip(&s.g.tokens)
                    .take_while(|(a, b)| a == b)
                    .count();
            println!("                 first difference at token {at}");
        }
        spec_secs += s.after.decode_secs - s.before.decode_secs;
        draft_secs += s.after.spec_draft_secs - s.before.spec_draft_secs;
        all_steps += steps;
        all_drafted += drafted;
        plain_rates.push(dp);
        spec_rates.push(ds);
        walls.push(p.wall_s / s.wall_s);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let st = engine.stats();
    println!(
        "decode b1 plain  {:.1} tok/s (mean of {reps})",
        mean(&plain_rates)
    );
    println!(
        "decode b1 spec   {:.1} tok/s ({:.2} x plain; whole request {:.2} x)",
        mean(&spec_rates),
        mean(&spec_rates) / mean(&plain_rates),
        mean(&walls)
    );
    println!(
        "acceptance       {:.1} % of checked proposals, mean k {:.2}",
        100.0 * st.acceptance_rate(),
        st.mean_k()
    );
    if all_steps > 0 && all_drafted > 0 {
        // What speculation could give here if the draft were always right:
        // a step emits k + 1 tokens for k draft tokens and one checking pass,
        // where plain decoding takes k + 1 steps.
        let plain = 1.0 / mean(&plain_rates);
        let draft = draft_secs / all_drafted as f64;
        let check = (spec_secs - draft_secs) / all_steps as f64;
        let k = all_drafted as f64 / all_steps as f64;
        println!(
            "spec costs       draft {:.1} ms per proposed token ({:.2} of a plain step of {:.1} ms), \
             check {:.1} ms per pass of {:.2} tokens ({:.2} plain steps)",
            1e3 * draft,
            draft / plain,
            1e3 * plain,
            1e3 * check,
            k + 1.0,
            check / plain
        );
        println!(
            "spec ceiling     {:.2} x plain at this k if every proposal were accepted; \
             no k can pass {:.2} x (a plain step over a draft token)",
            (k + 1.0) * plain / (k * draft + check),
            plain / draft
        );
    }
    println!(
        "outputs          {}",
        if identical {
            "identical (speculative = plain, token for token)"
        } else {
            "DIFFERENT"
        }
    );
    Ok(())
}

/// candle-transformers' own quantized model (one sequence, its own KV cache) on
/// a prompt of the same length: the baseline the engine is measured against.
/// Also checks that its greedy continuation equals the engine's (`expected`).
#[cfg(feature = "stock-candle")]
fn stock_candle(path: &std::path::Path, prompt: &[u32], expected: &[u32]) -> anyhow::Result<()> {
    use candle_core::quantized::gguf_file;
    use candle_core::{Device, Tensor};
    use candle_transformers::models::{quantized_llama, quantized_qwen2};

    enum Stock {
        Llama(quantized_llama::ModelWeights),
        Qwen2(quantized_qwen2::ModelWeights),
    }
    impl Stock {
        fn forward(&mut self, x: &Tensor, pos: usize) -> candle_core::Result<Tensor> {
            match self {
                Stock::Llama(m) => m.forward(x, pos),
                Stock::Qwen2(m) => m.forward(x, pos),
            }
        }
    }
    let mut f = std::fs::File::open(path)?;
    let ct = gguf_file::Content::read(&mut f)?;
    let arch = ct
        .metadata
        .get("general.architecture")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default();
    let t0 = Instant::now();
    let mut m = match arch.as_str() {
        "llama" => Stock::Llama(quantized_llama::ModelWeights::from_gguf(
            ct,
            &mut f,
            &Device::Cpu,
        )?),
        "qwen2" => Stock::Qwen2(quantized_qwen2::ModelWeights::from_gguf(
            ct,
            &mut f,
            &Device::Cpu,
        )?),
        other => bail!("stock candle comparison: unsupported architecture {other}"),
    };
    println!("stock candle     load {:.2} s", t0.elapsed().as_secs_f64());
    let x = Tensor::new(prompt, &Device::Cpu)?.unsqueeze(0)?;
    let t = Instant::now();
    let logits = m.forward(&x, 0)?;
    let prefill = prompt.len() as f64 / t.elapsed().as_secs_f64();
    let mut next = logits.squeeze(0)?.argmax(0)?.to_scalar::<u32>()?;
    let mut greedy = vec![next];
    let t = Instant::now();
    for i in 1..expected.len().max(2) {
        let x = Tensor::new(&[next], &Device::Cpu)?.unsqueeze(0)?;
        let l = m.forward(&x, prompt.len() + i - 1)?;
        next = l.squeeze(0)?.argmax(0)?.to_scalar::<u32>()?;
        greedy.push(next);
    }
    let decode = (greedy.len() - 1) as f64 / t.elapsed().as_secs_f64();
    println!("stock candle     prefill {prefill:.1} tok/s, decode batch 1 {decode:.1} tok/s");
    let same = greedy
        .iter()
        .zip(expected)
        .take_while(|(a, b)| a == b)
        .count();
    println!(
        "stock candle     greedy tokens agree with the engine for {same} of {} tokens",
        expected.len()
    );
    Ok(())
}
