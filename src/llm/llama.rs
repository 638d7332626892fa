//! The `llama` architecture (SmolLM2, Llama 2/3 and their GGUF conversions):
//! no attention biases, interleaved rotary pairs (llama.cpp's "norm" rope for
//! GGUF-permuted weights), output weights tied or separate. Called by
//! `model::load` when `general.architecture` is `llama`.

use std::io::{Read, Seek};

use candle_core::Device;
use candle_core::quantized::gguf_file::Content;

use super::api::LlmError;
use super::model::{assembly, dims, embeddings, layers, md_f32_or, vector};
use super::transformer::{Hyper, RopeStyle, Transformer};

/// Build a llama model from a GGUF header and the file it came from.
pub(crate) fn from_gguf<R: Read + Seek>(
    ct: &Content,
    reader: &mut R,
    device: &Device,
) -> Result<Transformer, LlmError> {
    let d = dims(ct, "llama")?;
    if ct.metadata.contains_key("llama.expert_count") {
        return Err(LlmError::UnsupportedArchitecture(
            "llama (mixture of experts)".into(),
        ));
    }
    let hp = Hyper {
        n_head: d.n_head,
        n_kv_head: d.n_kv_head,
        head_dim: d.head_dim,
        context_length: d.context,
        rms_eps: md_f32_or(ct, "llama.attention.layer_norm_rms_epsilon", 1e-5)? as f64,
        rope_base: md_f32_or(ct, "llama.rope.freq_base", 10_000.0)?,
        rope: RopeStyle::Interleaved,
    };
    let (embed, output) = embeddings(ct, reader, d.hidden, device)?;
    let blocks = layers(ct, reader, &d, false, device)?;
    let norm = vector(ct, reader, "output_norm.weight", d.hidden, device)?;
    Transformer::new(hp, embed, blocks, norm, output, device).map_err(assembly)
}
