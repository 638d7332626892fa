//! The language model runtime: GGUF models run on the CPU through candle, the
//! tokenizer built from the GGUF's own metadata, chat templates, sampling, and a
//! batched engine that serves many requests at once.
//!
//! Callers (the localization pipeline, the server, batch jobs) see only the
//! [`Generate`] trait and its request/response types below; everything else is
//! private to this module and re-exported here when it is public.

mod api;
mod chat;
mod detok;
mod tokenizer;

pub use api::{
    ChatMessage, Event, FinishReason, Generate, GenerateRequest, Generation, GenerationHandle,
    LlmError, Priority, Role, SamplingParams,
};
pub use chat::{ChatFamily, ChatTemplate};
pub use detok::Detokenizer;
pub use tokenizer::{PreTokenizerKind, Tokenizer};
