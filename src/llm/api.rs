//! The runtime's public contract: requests, streamed events, results, and the
//! [`Generate`] trait that the engine implements and the pipeline calls.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use serde::{Deserialize, Serialize};

/// Errors of the language model runtime.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LlmError {
    /// The model file could not be read or is not a valid GGUF.
    #[error("model file {path}: {message}")]
    ModelFile {
        /// Path of the file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// The GGUF's architecture is not one silkroute runs.
    #[error("unsupported architecture `{0}` (supported: qwen2, llama)")]
    UnsupportedArchitecture(String),
    /// A metadata key the runtime needs is missing or has the wrong type.
    #[error("GGUF metadata key `{0}` is missing or invalid")]
    Metadata(String),
    /// Tokenizer construction or use failed.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The prompt does not fit the context window.
    #[error("prompt of {tokens} tokens does not fit the context of {context} tokens")]
    PromptTooLong {
        /// Prompt length in tokens.
        tokens: usize,
        /// The model's context window.
        context: usize,
    },
    /// The engine's queue is full; try again later.
    #[error("the generation queue is full ({0} waiting)")]
    QueueFull(usize),
    /// The engine has stopped (shutdown or crash).
    #[error("the generation engine has stopped")]
    EngineStopped,
    /// The request was cancelled by its caller.
    #[error("generation cancelled")]
    Cancelled,
    /// A tensor operation failed inside candle.
    #[error("model computation failed: {0}")]
    Compute(String),
    /// Installing or verifying a model failed.
    #[error("model install: {0}")]
    Install(String),
    /// The draft model for speculative decoding does not read token ids as
    /// the target does (another vocabulary).
    #[error("the draft model does not share the target's tokenizer: {0}")]
    DraftMismatch(String),
}

/// Who is speaking in a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// System instructions.
    System,
    /// The user's turn.
    User,
    /// The model's turn (worked examples in few-shot prompts).
    Assistant,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Speaker.
    pub role: Role,
    /// Text.
    pub content: String,
}

impl ChatMessage {
    /// A system message.
    pub fn system(s: impl Into<String>) -> Self {
        Self {
            role: Role::System,
            content: s.into(),
        }
    }
    /// A user message.
    pub fn user(s: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: s.into(),
        }
    }
    /// An assistant message.
    pub fn assistant(s: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: s.into(),
        }
    }
}

/// Sampling settings. `temperature <= 0` means greedy decoding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplingParams {
    /// Softmax temperature; 0 or below is greedy (argmax).
    pub temperature: f32,
    /// Nucleus sampling threshold (1.0 = off).
    pub top_p: f32,
    /// Keep only the k most likely tokens (0 = off).
    pub top_k: usize,
    /// Penalty for tokens already generated (1.0 = off).
    pub repetition_penalty: f32,
    /// Seed for the sampler, so a seeded run repeats exactly.
    pub seed: u64,
    /// Never choose a token that writes a Chinese, Japanese or Korean
    /// character or begins one (a byte-level token holding the lead byte of
    /// one): for text in a language written without them, where such a
    /// character is always a word the model left untranslated ("long绒
    /// cotton"). Greedy stays greedy among the other tokens.
    #[serde(default)]
    pub ban_cjk: bool,
}

impl Default for SamplingParams {
    fn default() -> Self {
        Self {
            temperature: 0.0,
            top_p: 1.0,
            top_k: 0,
            repetition_penalty: 1.0,
            seed: 42,
            ban_cjk: false,
        }
    }
}

/// Interactive requests (a person waiting) go ahead of batch work.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// A person is waiting for it.
    #[default]
    Interactive,
    /// Catalog jobs.
    Batch,
}

/// One generation request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateRequest {
    /// The conversation; the model's chat template turns it into a prompt.
    pub messages: Vec<ChatMessage>,
    /// Sampling settings.
    pub sampling: SamplingParams,
    /// Stop after this many generated tokens.
    pub max_tokens: usize,
    /// Stop strings, in addition to the model's own end-of-turn tokens. The stop
    /// string itself is not part of the returned text.
    pub stop: Vec<String>,
    /// Queue priority.
    pub priority: Priority,
}

impl GenerateRequest {
    /// A greedy, interactive request with the given messages and token budget.
    pub fn new(messages: Vec<ChatMessage>, max_tokens: usize) -> Self {
        Self {
            messages,
            sampling: SamplingParams::default(),
            max_tokens,
            stop: Vec::new(),
            priority: Priority::Interactive,
        }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model emitted an end-of-turn token.
    Eos,
    /// A caller stop string matched.
    Stop,
    /// `max_tokens` was reached.
    Length,
}

/// A finished generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    /// The generated text (without the stop string or end-of-turn token).
    pub text: String,
    /// Generated token ids.
    pub tokens: Vec<u32>,
    /// Natural-log probability of each generated token under the model (before
    /// sampling adjustments), same length as `tokens`.
    pub logprobs: Vec<f32>,
    /// Number of prompt tokens.
    pub prompt_tokens: usize,
    /// Why it ended.
    pub finish: FinishReason,
}

impl Generation {
    /// Mean log-probability of the generated tokens (0 when empty): a confidence signal.
    pub fn mean_logprob(&self) -> f32 {
        if self.logprobs.is_empty() {
            0.0
        } else {
            self.logprobs.iter().sum::<f32>() / self.logprobs.len() as f32
        }
    }
}

/// What a [`GenerationHandle`] receives, in order: any number of `Delta`s, then
/// exactly one `Done` or `Error`.
#[derive(Debug, Clone)]
pub enum Event {
    /// New text; never splits a UTF-8 character.
    Delta(String),
    /// The finished generation.
    Done(Generation),
    /// Generation failed.
    Error(LlmError),
}

/// The caller's side of one submitted request. Dropping it cancels the request.
#[derive(Debug)]
pub struct GenerationHandle {
    rx: mpsc::Receiver<Event>,
    cancel: Arc<AtomicBool>,
}

impl GenerationHandle {
    /// Make a handle from the engine's side of the channel and a shared cancel flag.
    pub fn new(rx: mpsc::Receiver<Event>, cancel: Arc<AtomicBool>) -> Self {
        Self { rx, cancel }
    }

    /// The next event, blocking; `None` when the engine dropped the request.
    pub fn recv(&self) -> Option<Event> {
        self.rx.recv().ok()
    }

    /// The next event, waiting at most `timeout`: `Err(Timeout)` when none
    /// came, `Err(Disconnected)` when the engine dropped the request.
    pub fn recv_timeout(
        &self,
        timeout: std::time::Duration,
    ) -> Result<Event, mpsc::RecvTimeoutError> {
        self.rx.recv_timeout(timeout)
    }

    /// Ask the engine to stop this request; it ends with `Error(Cancelled)`.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Wait for the finished generation, ignoring the streamed deltas.
    pub fn wait(self) -> Result<Generation, LlmError> {
        loop {
            match self.rx.recv() {
                Ok(Event::Delta(_)) => continue,
                Ok(Event::Done(g)) => return Ok(g),
                Ok(Event::Error(e)) => return Err(e),
                Err(_) => return Err(LlmError::EngineStopped),
            }
        }
    }
}

impl Drop for GenerationHandle {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// Anything that generates text from chat messages: the batched engine, in tests
/// a tiny random model. Implementations are shared (`Arc<dyn Generate>`) and
/// thread-safe.
pub trait Generate: Send + Sync {
    /// Identifies the model (for provenance and translation-memory keys).
    fn model_id(&self) -> String;

    /// Queue a request; events arrive on the returned handle.
    fn submit(&self, req: GenerateRequest) -> Result<GenerationHandle, LlmError>;

    /// Queue a request, waiting until `deadline` for room when the queue is
    /// full (back-pressure) instead of failing at once with `QueueFull`.
    /// Generators without a bounded queue just submit.
    fn submit_until(
        &self,
        req: GenerateRequest,
        deadline: std::time::Instant,
    ) -> Result<GenerationHandle, LlmError> {
        let _ = deadline;
        self.submit(req)
    }

    /// Submit and wait for the result.
    fn generate(&self, req: GenerateRequest) -> Result<Generation, LlmError> {
        self.submit(req)?.wait()
    }

    /// Submit all requests at once (so the engine can batch them), then wait for
    /// each; results are in request order.
    fn generate_many(&self, reqs: Vec<GenerateRequest>) -> Vec<Result<Generation, LlmError>> {
        let handles: Vec<_> = reqs.into_iter().map(|r| self.submit(r)).collect();
        handles
            .into_iter()
            .map(|h| h.and_then(GenerationHandle::wait))
            .collect()
    }
}
