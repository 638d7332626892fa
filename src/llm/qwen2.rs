//! The `qwen2` architecture (Qwen2.5 and Qwen2.5-Coder): biases on the q/k/v
//! projections, "neox" rotary pairs (i, i + d/2), output weights tied (0.5B) or
//! separate (1.5B). Called by `model::load` when `general.architecture` is
//! `qwen2`.

use std::io::{Read, Seek};

use candle_core::Device;
use candle_core::quantized::gguf_file::Content;

use super::api::LlmError;
use super::model::{assembly, dims, embeddings, layers, md_f32_or, vector};
use super::transformer::{Hyper, RopeStyle, Transformer};

/// Build a qwen2 model from a GGUF header and the file it came from.
pub(crate) fn from_gguf<R: Read + Seek>(
    ct: &Content,
    reader: &mut R,
    device: &Device,
) -> Result<Transformer, LlmError> {
    let d = dims(ct, "qwen2")?;
    let hp = Hyper {
        n_head: d.n_head,
        n_kv_head: d.n_kv_head,
        head_dim: d.head_dim,
        context_length: d.context,
        rms_eps: md_f32_or(ct, "qwen2.attention.layer_norm_rms_epsilon", 1e-6)? as f64,
        rope_base: md_f32_or(ct, "qwen2.rope.freq_base", 1_000_000.0)?,
        rope: RopeStyle::Neox,
    };
    let (embed, output) = embeddings(ct, reader, d.hidden, device)?;
    let blocks = layers(ct, reader, &d, true, device)?;
    let norm = vector(ct, reader, "output_norm.weight", d.hidden, device)?;
    Transformer::new(hp, embed, blocks, norm, output, device).map_err(assembly)
}
