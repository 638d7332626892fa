//! The batched generation engine: owns one model on its own thread and serves
//! many requests at once with continuous batching. Main type: [`Engine`], which
//! implements [`Generate`]; the server, the CLI and the localization pipeline
//! hold it as `Arc<dyn Generate>`.
//!
//! Concurrency contract: public methods only tokenize and enqueue (or read
//! stats); one dedicated thread runs the loop. Each loop step
//! 1. admits queued requests into the running batch (interactive before batch
//!    work, up to `max_batch` sequences),
//! 2. drops sequences whose caller cancelled or went away,
//! 3. runs one forward pass over a ragged batch: a chunk of prompt for each
//!    sequence still in prefill and one token for each decoding sequence, every
//!    sequence with its own KV cache and position,
//! 4. samples one token for each sequence whose prompt is consumed, streams the
//!    new text, and retires sequences that hit an end-of-turn token, a stop
//!    string, `max_tokens` or the context limit.
//!
//! Sequences therefore join and leave between steps without waiting for each
//! other.
//!
//! Speculative decoding: with a draft model ([`EngineOptions::draft`]), a
//! step whose batch is one greedy sequence decoding (interactive priority,
//! unless [`EngineOptions::speculate_batch`]) lets the draft propose k tokens
//! and the model verify them in one forward pass (see `speculative`); its
//! output is the same tokens a plain step would give, several per step.
//! With more than one sequence running, steps are the batched ones above.
//!
//! The queue is back-pressure: `submit_until` waits (up to the caller's
//! deadline) for room instead of failing with `QueueFull`. A queued request
//! whose caller cancelled or dropped its handle is purged at the next submit
//! or step: it never runs and takes no room.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

use candle_core::{DType, Device};

use super::api::{
    ChatMessage, Event, FinishReason, Generate, GenerateRequest, Generation, GenerationHandle,
    LlmError, Priority,
};
use super::chat::ChatTemplate;
use super::detok::Detokenizer;
use super::kv_cache::{KvCache, PrefixCache, common_prefix};
use super::model;
use super::sampling::Sampler;
use super::speculative::{self, Draft, Speculation};
use super::tokenizer::Tokenizer;
use super::transformer::{SeqStep, Transformer};

/// Settings of an [`Engine`].
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Most sequences decoded together in one step.
    pub max_batch: usize,
    /// Compute threads for candle's kernels. Applied through `CANDLE_NUM_THREADS`
    /// when the first engine of the process loads (candle reads it once); `None`
    /// keeps candle's default (all cores).
    pub threads: Option<usize>,
    /// Most requests waiting (not yet running); beyond it `submit` fails with
    /// [`LlmError::QueueFull`].
    pub queue_limit: usize,
    /// Context window per sequence (prompt + output), capped by the model's own.
    pub max_context: usize,
    /// Most prompt tokens fed in one step (all prefilling sequences together), so
    /// a long prompt does not stall the decoding sequences for long.
    pub prefill_chunk: usize,
    /// Keep the KV cache in f16 (half the memory) instead of f32 (exact).
    pub kv_f16: bool,
    /// Bytes of finished prompts' KV caches kept so that a later prompt with
    /// the same beginning (the pipeline's system prompt and worked examples)
    /// starts from them; 0 turns prefix reuse off.
    pub prefix_cache_bytes: usize,
    /// A smaller model with the same tokenizer (a GGUF path) that drafts
    /// tokens for speculative decoding: a greedy request decoding alone then
    /// gets several tokens per step, the same tokens as without it. `None`
    /// (the default) turns speculation off. A draft with another vocabulary
    /// is refused at load ([`LlmError::DraftMismatch`]).
    pub draft: Option<PathBuf>,
    /// Speculate for batch-priority requests too (off: catalog jobs run many
    /// sequences at once, where speculation does not apply anyway).
    pub speculate_batch: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            max_batch: 8,
            threads: None,
            queue_limit: 256,
            max_context: 4096,
            prefill_chunk: 512,
            kv_f16: false,
            prefix_cache_bytes: 128 << 20,
            draft: None,
            speculate_batch: false,
        }
    }
}

/// A cheap snapshot of what the engine has done (for the server's status page
/// and the benchmark).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineStats {
    /// Requests waiting to start.
    pub queued: usize,
    /// Sequences in the running batch.
    pub running: usize,
    /// Requests finished (any outcome).
    pub completed: u64,
    /// Prompt tokens processed.
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub generated_tokens: u64,
    /// Seconds spent in steps that decoded only (no prompt tokens).
    pub decode_secs: f64,
    /// Tokens generated in those decode-only steps.
    pub decode_tokens: u64,
    /// Seconds spent in steps that carried prompt tokens.
    pub prefill_secs: f64,
    /// Bytes held by the running sequences' KV caches.
    pub kv_cache_bytes: usize,
    /// Prompt tokens taken from the prefix cache instead of computed.
    pub prefix_reused_tokens: u64,
    /// Bytes held by the prefix cache.
    pub prefix_cache_bytes: usize,
    /// Speculative steps run (one target forward pass each).
    pub spec_steps: u64,
    /// Tokens the draft proposed in them.
    pub spec_drafted: u64,
    /// Proposed tokens the target checked (all but those after a token that
    /// ended the generation).
    pub spec_checked: u64,
    /// Proposed tokens the target accepted.
    pub spec_accepted: u64,
    /// Seconds of those steps spent in the draft model (proposing); the rest
    /// of their `decode_secs` is the target's checking pass.
    pub spec_draft_secs: f64,
}

impl EngineStats {
    /// Aggregate decode speed over all sequences (tokens per second of
    /// decode-only steps).
    pub fn decode_tokens_per_s(&self) -> f64 {
        if self.decode_secs > 0.0 {
            self.decode_tokens as f64 / self.decode_secs
        } else {
            0.0
        }
    }

    /// Share of the checked proposals that the target accepted (0 without
    /// speculation).
    pub fn acceptance_rate(&self) -> f64 {
        if self.spec_checked > 0 {
            self.spec_accepted as f64 / self.spec_checked as f64
        } else {
            0.0
        }
    }

    /// Mean tokens drafted per speculative step.
    pub fn mean_k(&self) -> f64 {
        if self.spec_steps > 0 {
            self.spec_drafted as f64 / self.spec_steps as f64
        } else {
            0.0
        }
    }

    /// Prompt tokens per second of steps that carried prompt tokens.
    pub fn prefill_tokens_per_s(&self) -> f64 {
        if self.prefill_secs > 0.0 {
            self.prompt_tokens as f64 / self.prefill_secs
        } else {
            0.0
        }
    }
}

/// The model's text side: tokenizer and chat template, both from the GGUF.
struct Text {
    tok: Tokenizer,
    template: ChatTemplate,
}

impl Text {
    /// Chat messages to prompt token ids.
    fn prompt(&self, messages: &[ChatMessage]) -> Result<Vec<u32>, LlmError> {
        self.tok.encode(&self.template.render(messages), true)
    }
}

/// One queued request, already tokenized.
struct Job {
    prompt: Vec<u32>,
    req: GenerateRequest,
    tx: mpsc::Sender<Event>,
    cancel: Arc<AtomicBool>,
    /// When `submit` queued it (for the debug log).
    queued_at: Instant,
}

#[derive(Default)]
struct Queue {
    interactive: VecDeque<Job>,
    batch: VecDeque<Job>,
    shutdown: bool,
}

impl Queue {
    fn len(&self) -> usize {
        self.interactive.len() + self.batch.len()
    }
    fn pop(&mut self) -> Option<Job> {
        self.interactive
            .pop_front()
            .or_else(|| self.batch.pop_front())
    }
    /// Drop the jobs whose caller cancelled or went away (they never start and
    /// take no room), telling each it was cancelled.
    fn purge_cancelled(&mut self) {
        for q in [&mut self.interactive, &mut self.batch] {
            q.retain(|j| {
                let gone = j.cancel.load(Ordering::Relaxed);
                if gone {
                    let _ = j.tx.send(Event::Error(LlmError::Cancelled));
                }
                !gone
            });
        }
    }
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    /// Signalled when jobs leave the queue: submitters waiting for room retry.
    room: Condvar,
    stats: Mutex<EngineStats>,
    /// Whether sequences may speculate (when a draft is loaded).
    speculate: AtomicBool,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn stats(&self) -> MutexGuard<'_, EngineStats> {
        self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The batched engine: one model on its own thread, serving [`Generate`].
pub struct Engine {
    shared: Arc<Shared>,
    text: Arc<Text>,
    model_id: String,
    context: usize,
    queue_limit: usize,
    has_draft: bool,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("model_id", &self.model_id)
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

static THREADS: std::sync::Once = std::sync::Once::new();

impl Engine {
    /// Load a GGUF model (llama or qwen2) and start the engine thread. The model
    /// id is the file stem.
    pub fn load(path: &Path, opts: EngineOptions) -> Result<Engine, LlmError> {
        if let Some(n) = opts.threads.filter(|&n| n > 0) {
            THREADS.call_once(|| {
                if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
                    // SAFETY: runs once, before this process's first model
                    // load; candle reads the variable when its pool starts.
                    unsafe { std::env::set_var("CANDLE_NUM_THREADS", n.to_string()) };
                }
            });
        }
        let (model, content) = model::load(path, &Device::Cpu)?;
        let text = Text {
            tok: Tokenizer::from_gguf(&content)?,
            template: ChatTemplate::from_gguf(&content)?,
        };
        drop(content);
        let draft = match &opts.draft {
            Some(p) => {
                let (draft, content) = model::load(p, &Device::Cpu)?;
                let tok = Tokenizer::from_gguf(&content)?;
                speculative::check_vocabulary(&text.tok, &tok, draft.vocab)?;
                Some(Draft::new(draft, opts.prefix_cache_bytes / 4))
            }
            None => None,
        };
        let model_id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        Ok(Self::start(model, draft, text, model_id, opts))
    }

    fn start(
        model: Transformer,
        draft: Option<Draft>,
        text: Text,
        model_id: String,
        opts: EngineOptions,
    ) -> Engine {
        let context = opts.max_context.clamp(16, model.hp.context_length.max(16));
        let context = context.min(model.hp.context_length);
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            room: Condvar::new(),
            stats: Mutex::new(EngineStats::default()),
            speculate: AtomicBool::new(draft.is_some()),
        });
        let has_draft = draft.is_some();
        let text = Arc::new(text);
        let worker = {
            let shared = shared.clone();
            let text = text.clone();
            let opts = opts.clone();
            std::thread::Builder::new()
                .name("silkroute-llm".into())
                .spawn(move || Worker::new(model, draft, text, shared, opts, context).run())
                .ok()
        };
        Engine {
            shared,
            text,
            model_id,
            context,
            queue_limit: opts.queue_limit.max(1),
            has_draft,
            worker,
        }
    }

    /// Whether a draft model is loaded for speculative decoding.
    pub fn has_draft(&self) -> bool {
        self.has_draft
    }

    /// Turn speculative decoding on or off for requests that start from now
    /// on (it is on whenever a draft is loaded; the benchmark compares both
    /// on one engine). Without a draft this does nothing.
    pub fn set_speculation(&self, on: bool) {
        self.shared.speculate.store(on, Ordering::Relaxed);
    }

    /// The tokenizer's vocabulary size (the logits a token is chosen from).
    pub fn vocab_size(&self) -> usize {
        self.text.tok.vocab_size()
    }

    /// The context window each sequence gets (prompt + output).
    pub fn context_len(&self) -> usize {
        self.context
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> EngineStats {
        let mut s = self.shared.stats().clone();
        let mut q = self.shared.queue();
        q.purge_cancelled();
        s.queued = q.len();
        s
    }

    /// Tokenize a chat prompt as the engine would (prompt length checks, tests).
    pub fn prompt_tokens(&self, req: &GenerateRequest) -> Result<Vec<u32>, LlmError> {
        self.text.prompt(&req.messages)
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shared.queue().shutdown = true;
        self.shared.wake.notify_all();
        self.shared.room.notify_all();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

impl Generate for Engine {
    fn model_id(&self) -> String {
        self.model_id.clone()
    }

    fn submit(&self, req: GenerateRequest) -> Result<GenerationHandle, LlmError> {
        self.enqueue(req, None)
    }

    fn submit_until(
        &self,
        req: GenerateRequest,
        deadline: Instant,
    ) -> Result<GenerationHandle, LlmError> {
        self.enqueue(req, Some(deadline))
    }
}

impl Engine {
    /// Tokenize and queue a request; with a deadline, wait for room in a full
    /// queue until then (the worker signals `room` whenever jobs leave it).
    fn enqueue(
        &self,
        req: GenerateRequest,
        deadline: Option<Instant>,
    ) -> Result<GenerationHandle, LlmError> {
        let prompt = self.text.prompt(&req.messages)?;
        if prompt.is_empty() || prompt.len() >= self.context {
            return Err(LlmError::PromptTooLong {
                tokens: prompt.len(),
                context: self.context,
            });
        }
        let (tx, rx) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let handle = GenerationHandle::new(rx, cancel.clone());
        let mut q = self.shared.queue();
        loop {
            if q.shutdown || self.worker.as_ref().is_none_or(|w| w.is_finished()) {
                return Err(LlmError::EngineStopped);
            }
            q.purge_cancelled();
            if q.len() < self.queue_limit {
                break;
            }
            let now = Instant::now();
            match deadline {
                Some(d) if d > now => {
                    q = self
                        .shared
                        .room
                        .wait_timeout(q, d - now)
                        .map(|(g, _)| g)
                        .unwrap_or_else(|p| p.into_inner().0);
                }
                _ => return Err(LlmError::QueueFull(q.len())),
            }
        }
        let job = Job {
            prompt,
            tx,
            cancel,
            req,
            queued_at: Instant::now(),
        };
        match job.req.priority {
            Priority::Interactive => q.interactive.push_back(job),
            Priority::Batch => q.batch.push_back(job),
        }
        drop(q);
        self.shared.wake.notify_one();
        Ok(handle)
    }
}

/// A running sequence.
struct Seq {
    job: Job,
    cache: KvCache,
    /// Tokens to feed next: the unconsumed prompt, or the last sampled token.
    feed: Vec<u32>,
    /// Prompt followed by generated tokens (repetition penalty window).
    context: Vec<u32>,
    tokens: Vec<u32>,
    logprobs: Vec<f32>,
    sampler: Sampler,
    /// Streams token ids to text without splitting characters.
    detok: Detokenizer,
    /// Text decoded so far and how many of its bytes were streamed.
    text: String,
    sent: usize,
    /// The draft's state, for a sequence that may speculate (greedy, and
    /// the engine has a draft).
    spec: Option<Speculation>,
}

enum Outcome {
    Running,
    Finished(FinishReason),
    /// The caller went away.
    Gone,
    Failed(LlmError),
}

struct Worker {
    model: Transformer,
    draft: Option<Draft>,
    text: Arc<Text>,
    shared: Arc<Shared>,
    opts: EngineOptions,
    context: usize,
    running: Vec<Seq>,
    /// Jobs taken from the queue that wait one or more steps for a running
    /// sequence to compute the prompt beginning they share with it.
    waiting: Vec<Job>,
    prefix: PrefixCache,
    /// Prompt tokens taken from the prefix cache, not yet in the stats.
    reused: u64,
}

/// Shortest shared beginning worth reusing, and the least gain worth waiting
/// for another sequence's prefill.
const MIN_REUSE: usize = 16;
const MIN_WAIT_GAIN: usize = 32;

impl Worker {
    fn new(
        model: Transformer,
        draft: Option<Draft>,
        text: Arc<Text>,
        shared: Arc<Shared>,
        opts: EngineOptions,
        context: usize,
    ) -> Self {
        Self {
            model,
            draft,
            text,
            shared,
            context,
            running: Vec::new(),
            waiting: Vec::new(),
            prefix: PrefixCache::new(opts.prefix_cache_bytes),
            reused: 0,
            opts,
        }
    }

    fn run(mut self) {
        self.warm_up();
        loop {
            if !self.admit() {
                break;
            }
            self.drop_cancelled();
            if self.running.is_empty() {
                continue;
            }
            if let Err(e) = self.step() {
                // A failed step poisons every running sequence's cache: fail them
                // all and keep serving new requests.
                let err = LlmError::Compute(e.to_string());
                let failed = self.running.len() as u64;
                for s in self.running.drain(..) {
                    let _ = s.job.tx.send(Event::Error(err.clone()));
                }
                self.shared.stats().completed += failed;
            }
            self.shared.stats().running = self.running.len();
        }
        for s in self.running.drain(..) {
            let _ = s.job.tx.send(Event::Error(LlmError::EngineStopped));
        }
        for j in self.waiting.drain(..) {
            let _ = j.tx.send(Event::Error(LlmError::EngineStopped));
        }
        let mut q = self.shared.queue();
        while let Some(j) = q.pop() {
            let _ = j.tx.send(Event::Error(LlmError::EngineStopped));
        }
    }

    /// One throwaway two-token step before serving, so that what runs on
    /// first use (candle repacks the weights its own matmul takes on first
    /// use; the worker pool starts) is not paid by the first request.
    /// Requests that arrive meanwhile wait in the queue.
    fn warm_up(&mut self) {
        let t = Instant::now();
        let mut cache = self.model.new_cache(DType::F32);
        let tokens = [0u32, 0];
        let r = self.model.forward(&mut [SeqStep {
            tokens: &tokens,
            cache: &mut cache,
        }]);
        tracing::debug!(
            secs = t.elapsed().as_secs_f64(),
            ok = r.is_ok(),
            "engine warm-up"
        );
    }

    /// Move queued jobs into the batch; block while there is nothing to do.
    /// Returns false on shutdown.
    fn admit(&mut self) -> bool {
        let shared = self.shared.clone();
        let mut q = shared.queue();
        loop {
            if q.shutdown {
                return false;
            }
            let before = q.len();
            q.purge_cancelled();
            if q.len() < before {
                self.shared.room.notify_all();
            }
            for job in std::mem::take(&mut self.waiting) {
                self.place(job);
            }
            let before = q.len();
            while self.running.len() + self.waiting.len() < self.opts.max_batch.max(1) {
                let Some(job) = q.pop() else { break };
                self.place(job);
            }
            if q.len() < before {
                self.shared.room.notify_all();
            }
            if !self.running.is_empty() {
                return true;
            }
            // Nothing runs, so nothing is waited for: `place` only holds a job
            // back for a running sequence.
            q = shared.wake.wait(q).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Start a job, from the longest cached prefix of its prompt; or hold it
    /// back a step when a sequence still computing its prompt shares a longer
    /// beginning with it (the pipeline sends many prompts with the same system
    /// prompt and examples at once: that part is computed once).
    fn place(&mut self, job: Job) {
        if job.cancel.load(Ordering::Relaxed) {
            let _ = job.tx.send(Event::Error(LlmError::Cancelled));
            return;
        }
        let cached = self.prefix.longest(&job.prompt);
        let most = job.prompt.len().saturating_sub(1);
        let shared_with_running = self
            .running
            .iter()
            .filter(|s| s.tokens.is_empty())
            .map(|s| common_prefix(&s.job.prompt, &job.prompt).min(most))
            .max()
            .unwrap_or(0);
        if shared_with_running >= MIN_REUSE && shared_with_running >= cached + MIN_WAIT_GAIN {
            self.waiting.push(job);
            return;
        }
        let dtype = if self.opts.kv_f16 {
            DType::F16
        } else {
            DType::F32
        };
        let cache = self
            .prefix
            .start(&job.prompt, MIN_REUSE)
            .filter(|c| c.dtype() == dtype)
            .unwrap_or_else(|| self.model.new_cache(dtype));
        self.reused += cache.len() as u64;
        let speculate = self.shared.speculate.load(Ordering::Relaxed)
            && job.req.sampling.temperature <= 0.0
            // The draft's tokens are checked by argmax over the whole row.
            && !job.req.sampling.ban_cjk
            && (job.req.priority == Priority::Interactive || self.opts.speculate_batch);
        let spec = match &mut self.draft {
            Some(d) if speculate => Some(d.start(&job.prompt, dtype)),
            _ => None,
        };
        self.running.push(Seq {
            spec,
            feed: job.prompt[cache.len()..].to_vec(),
            cache,
            context: job.prompt.clone(),
            tokens: Vec::new(),
            logprobs: Vec::new(),
            sampler: Sampler::new(job.req.sampling.clone())
                .banning(job.req.sampling.ban_cjk.then(|| self.text.tok.cjk_tokens())),
            detok: Detokenizer::skipping_special(),
            text: String::new(),
            sent: 0,
            job,
        });
    }

    fn drop_cancelled(&mut self) {
        self.running.retain(|s| {
            if s.job.cancel.load(Ordering::Relaxed) {
                let _ = s.job.tx.send(Event::Error(LlmError::Cancelled));
                false
            } else {
                true
            }
        });
    }

    /// One forward pass for the whole batch, then sampling and streaming;
    /// or a speculative step when one greedy sequence decodes alone.
    fn step(&mut self) -> candle_core::Result<()> {
        if let Some(k) = self.speculative_k() {
            return self.speculate(k);
        }
        // Interactive sequences get the prompt budget first.
        self.running
            .sort_by_key(|s| (s.job.req.priority, s.tokens.is_empty()));
        let mut budget = self.opts.prefill_chunk.max(1);
        let mut take = Vec::with_capacity(self.running.len());
        let mut prompt_tokens = 0usize;
        for s in &self.running {
            let n = if s.tokens.is_empty() && s.feed.len() > 1 {
                // Still in prefill (a decoding sequence feeds exactly one token).
                let n = s.feed.len().min(budget);
                budget -= n;
                prompt_tokens += n;
                n
            } else if s.tokens.is_empty() {
                prompt_tokens += 1;
                1
            } else {
                1
            };
            take.push(n);
        }
        let idx: Vec<usize> = (0..self.running.len()).filter(|&i| take[i] > 0).collect();
        if idx.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        let logits = {
            let mut steps: Vec<SeqStep<'_>> = Vec::with_capacity(idx.len());
            let mut pos = 0;
            for (i, s) in self.running.iter_mut().enumerate() {
                if pos < idx.len() && idx[pos] == i {
                    steps.push(SeqStep {
                        tokens: &s.feed[..take[i]],
                        cache: &mut s.cache,
                    });
                    pos += 1;
                }
            }
            self.model.forward(&mut steps)?
        };
        let logits: Vec<Vec<f32>> = logits.to_vec2()?;
        // A sequence that may speculate and runs alone: the draft reads its
        // prompt alongside, so that its first speculative step starts at once.
        if let ([s], Some(draft)) = (&mut self.running[..], &mut self.draft)
            && let Some(spec) = &mut s.spec
            && s.tokens.is_empty()
            && s.job.prompt.len() < draft.context_len()
        {
            let done = s.job.prompt.len() - s.feed.len() + take[0];
            let chunk = self.opts.prefill_chunk.max(1);
            draft.catch_up(spec, &s.job.prompt[..done], s.job.prompt.len(), chunk)?;
        }
        let elapsed = started.elapsed().as_secs_f64();
        tracing::trace!(seqs = idx.len(), prompt_tokens, secs = elapsed, "step");

        let mut sampled = 0u64;
        let mut finished = Vec::new();
        for (row, &i) in idx.iter().enumerate() {
            let s = &mut self.running[i];
            s.feed.drain(..take[i]);
            if !s.feed.is_empty() {
                continue; // more prompt to feed
            }
            if s.tokens.is_empty() {
                // The whole prompt is in the cache now: keep it for later prompts.
                self.prefix.insert(&s.job.prompt, &s.cache);
            }
            // Embedding rows past the tokenizer's vocabulary are padding: never
            // sample them.
            let row = &logits[row];
            let row = &row[..row.len().min(self.text.tok.vocab_size())];
            let (tok, lp) = s.sampler.sample(row, &s.context);
            sampled += 1;
            let cached = s.cache.len();
            match advance(s, tok, lp, &self.text.tok, cached, self.context) {
                Outcome::Running => {}
                Outcome::Finished(r) => finished.push((i, Some(Ok(r)))),
                Outcome::Gone => finished.push((i, None)),
                Outcome::Failed(e) => finished.push((i, Some(Err(e)))),
            }
        }
        {
            let mut st = self.shared.stats();
            st.generated_tokens += sampled;
            st.prompt_tokens += prompt_tokens as u64;
            if prompt_tokens > 0 {
                st.prefill_secs += elapsed;
            } else {
                st.decode_secs += elapsed;
                st.decode_tokens += sampled;
            }
            st.kv_cache_bytes = self.running.iter().map(|s| s.cache.bytes()).sum();
            st.prefix_cache_bytes = self.prefix.bytes();
            st.prefix_reused_tokens += std::mem::take(&mut self.reused);
            st.completed += finished.len() as u64;
        }
        for (i, reason) in finished.into_iter().rev() {
            let s = self.running.swap_remove(i);
            match reason {
                Some(Ok(reason)) => finish(s, reason, &self.text.tok),
                Some(Err(e)) => {
                    let _ = s.job.tx.send(Event::Error(e));
                }
                None => {}
            }
        }
        Ok(())
    }

    /// How many tokens to draft when this step can be speculative: one
    /// sequence runs, it may speculate, its prompt is in the cache, and the
    /// drafted tokens fit its context, its token budget and the draft's
    /// context. `None`: a plain step.
    fn speculative_k(&self) -> Option<usize> {
        let draft = self.draft.as_ref()?;
        let [s] = &self.running[..] else {
            return None;
        };
        let spec = s.spec.as_ref()?;
        if s.tokens.is_empty() || s.feed.len() != 1 {
            return None;
        }
        // The verification feeds k + 1 tokens from position `cached`; the
        // draft holds the context and all but the last proposal.
        let cached = s.cache.len();
        let k = spec
            .k()
            .min(self.context.saturating_sub(cached + 1))
            .min(s.job.req.max_tokens.saturating_sub(s.tokens.len() + 1))
            .min(draft.context_len().saturating_sub(cached));
        (k > 0).then_some(k)
    }

    /// One speculative step for the single running sequence: the draft
    /// proposes `k` tokens, the model computes the logits after its pending
    /// token and after each proposal in one pass, and the sequence's sampler
    /// chooses from them in order, as `k + 1` plain steps would, for as long
    /// as its choices agree with the proposals. Both caches then forget the
    /// positions past the last agreeing proposal.
    fn speculate(&mut self, k: usize) -> candle_core::Result<()> {
        let started = Instant::now();
        let vocab = self.text.tok.vocab_size();
        let chunk = self.opts.prefill_chunk.max(1);
        let (Some(draft), [s]) = (&mut self.draft, &mut self.running[..]) else {
            return Ok(());
        };
        let Some(spec) = s.spec.as_mut() else {
            return Ok(());
        };
        let base = s.cache.len();
        let drafted = draft.propose(spec, &s.context, s.job.prompt.len(), k, vocab, chunk)?;
        let draft_secs = started.elapsed().as_secs_f64();
        let mut tokens = Vec::with_capacity(k + 1);
        tokens.extend_from_slice(&s.feed);
        tokens.extend_from_slice(&drafted);
        let logits: Vec<Vec<f32>> = self
            .model
            .forward_all(&mut [SeqStep {
                tokens: &tokens,
                cache: &mut s.cache,
            }])?
            .to_vec2()?;
        let (mut accepted, mut emitted) = (0usize, 0u64);
        let mut outcome = Outcome::Running;
        for (j, row) in logits.iter().enumerate() {
            let row = &row[..row.len().min(vocab)];
            let (tok, lp) = s.sampler.sample(row, &s.context);
            let agreed = drafted.get(j) == Some(&tok);
            s.feed.clear();
            outcome = advance(s, tok, lp, &self.text.tok, base + 1 + j, self.context);
            emitted += 1;
            accepted += usize::from(agreed);
            if !agreed || !matches!(outcome, Outcome::Running) {
                break;
            }
        }
        let keep = base + 1 + accepted;
        s.cache.truncate(keep);
        if let Some(spec) = s.spec.as_mut() {
            spec.rollback(keep);
            spec.adapt(k, accepted);
        }
        let elapsed = started.elapsed().as_secs_f64();
        tracing::trace!(k, accepted, secs = elapsed, "speculative step");
        let kv = s.cache.bytes() + s.spec.as_ref().map_or(0, Speculation::bytes);
        {
            let mut st = self.shared.stats();
            st.generated_tokens += emitted;
            st.decode_secs += elapsed;
            st.decode_tokens += emitted;
            st.spec_steps += 1;
            st.spec_drafted += k as u64;
            st.spec_checked += emitted.min(k as u64);
            st.spec_accepted += accepted as u64;
            st.spec_draft_secs += draft_secs;
            st.kv_cache_bytes = kv;
            if !matches!(outcome, Outcome::Running) {
                st.completed += 1;
            }
        }
        match outcome {
            Outcome::Running => {}
            Outcome::Finished(reason) => finish(self.running.remove(0), reason, &self.text.tok),
            Outcome::Gone => {
                self.running.remove(0);
            }
            Outcome::Failed(e) => {
                let _ = self.running.remove(0).job.tx.send(Event::Error(e));
            }
        }
        Ok(())
    }
}

/// Record a sampled token, stream what text is safe to send, and decide
/// whether the sequence goes on. `cached` is the number of positions in the
/// cache when the token was chosen (the sampled token goes to the next one).
fn advance(
    s: &mut Seq,
    tok: u32,
    lp: f32,
    text: &Tokenizer,
    cached: usize,
    context: usize,
) -> Outcome {
    if text.is_eos(tok) {
        return Outcome::Finished(FinishReason::Eos);
    }
    s.tokens.push(tok);
    s.logprobs.push(lp);
    s.context.push(tok);
    s.feed.push(tok);
    match s.detok.push(text, tok) {
        Ok(Some(d)) => s.text.push_str(&d),
        Ok(None) => {}
        Err(e) => return Outcome::Failed(e),
    }
    // The detokenizer never ends inside a character, so all of `text` is stable.
    let stable = s.text.len();
    let stop = &s.job.req.stop;
    let from = s
        .sent
        .saturating_sub(stop.iter().map(|x| x.len()).max().unwrap_or(0));
    let from = floor_char_boundary(&s.text, from);
    let hit = stop
        .iter()
        .filter(|x| !x.is_empty())
        .filter_map(|x| s.text[from..stable].find(x.as_str()).map(|p| from + p))
        .min();
    if let Some(at) = hit {
        s.text.truncate(at);
        return Outcome::Finished(FinishReason::Stop);
    }
    let hold = held_back(&s.text[..stable], stop);
    let safe = stable - hold;
    if safe > s.sent {
        let delta = s.text[s.sent..safe].to_string();
        s.sent = safe;
        if s.job.tx.send(Event::Delta(delta)).is_err() {
            return Outcome::Gone;
        }
    }
    if s.tokens.len() >= s.job.req.max_tokens || cached + 1 >= context {
        return Outcome::Finished(FinishReason::Length);
    }
    Outcome::Running
}

/// Send the rest of the text and the finished generation.
fn finish(mut s: Seq, reason: FinishReason, tok: &Tokenizer) {
    // An incomplete character at the very end comes out lossily (unless a stop
    // string already cut the text).
    if reason != FinishReason::Stop
        && let Ok(Some(rest)) = s.detok.flush(tok)
    {
        s.text.push_str(&rest);
    }
    // Text still held back (a possible stop-string start) goes out now. `sent`
    // never passes the start of a matched stop string: its possible beginnings
    // are always held back.
    let text = s.text;
    tracing::debug!(
        prompt = s.job.prompt.len(),
        generated = s.tokens.len(),
        secs = s.job.queued_at.elapsed().as_secs_f64(),
        finish = ?reason,
        "generation done"
    );
    if text.len() > s.sent {
        let _ = s.job.tx.send(Event::Delta(text[s.sent..].to_string()));
    }
    let _ = s.job.tx.send(Event::Done(Generation {
        text,
        tokens: s.tokens,
        logprobs: s.logprobs,
        prompt_tokens: s.job.prompt.len(),
        finish: reason,
    }));
}

/// Bytes at the end of `text` that could be the beginning of a stop string.
fn held_back(text: &str, stop: &[String]) -> usize {
    let mut hold = 0;
    for x in stop {
        for (i, _) in x.char_indices().skip(1) {
            if i > hold && text.ends_with(&x[..i]) {
                hold = i;
            }
        }
    }
    hold
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_back_possible_stop_prefixes() {
        let stop = vec!["</end>".to_string(), "ü!".to_string()];
        assert_eq!(held_back("abc </e", &stop), 3);
        assert_eq!(held_back("abc", &stop), 0);
        assert_eq!(held_back("xü", &stop), "ü".len());
    }
}
