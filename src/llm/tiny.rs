//! A tiny model with seeded random weights, written as a real GGUF file (llama
//! or qwen2 layout, Q8_0 or f32 matrices, a byte-level ASCII vocabulary with
//! ChatML special tokens). Tests across silkroute load it through the normal
//! [`super::Engine`] path, so they exercise the real runtime in milliseconds.
//! Its output is gibberish, but deterministic.

use std::io::{Seek, Write};
use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::api::LlmError;

/// Which architecture a tiny model imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TinyArch {
    /// `llama`: no attention biases, interleaved rope, tied output.
    Llama,
    /// `qwen2`: q/k/v biases, neox rope, separate output matrix.
    Qwen2,
}

/// The format of a tiny model's matrices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TinyWeights {
    /// Q8_0, multiplied as the real models' quantized matrices are.
    Q8_0,
    /// f32: no 8-bit activations between layers, so a difference of one
    /// bit anywhere in a sum reaches the logits (the invariance tests; with
    /// Q8_0 most such differences are rounded away and the rest surface
    /// only now and then).
    F32,
}

const HIDDEN: usize = 64;
const HEADS: usize = 4;
const KV_HEADS: usize = 2;
const FFN: usize = 128;
const LAYERS: usize = 2;
const CONTEXT: usize = 512;
const SPECIALS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

/// The vocabulary: GPT-2 byte-level symbols for newline and printable ASCII,
/// then the ChatML specials (ids 96, 97, 98).
fn vocab() -> Vec<String> {
    let mut v = vec!["\u{10a}".to_string()]; // byte-level symbol for '\n'
    for b in 0x20u8..0x7f {
        v.push(if b == b' ' {
            "\u{120}".to_string()
        } else {
            (b as char).to_string()
        });
    }
    v.extend(SPECIALS.iter().map(|s| s.to_string()));
    v
}

/// Write a tiny random model with Q8_0 matrices to `path`. The same `seed`
/// gives the same file.
pub fn write_tiny_model(path: &Path, arch: TinyArch, seed: u64) -> Result<(), LlmError> {
    write_tiny_model_as(path, arch, seed, TinyWeights::Q8_0)
}

/// [`write_tiny_model`] with matrices in `weights`' format.
pub fn write_tiny_model_as(
    path: &Path,
    arch: TinyArch,
    seed: u64,
    weights: TinyWeights,
) -> Result<(), LlmError> {
    let file = std::fs::File::create(path).map_err(|e| LlmError::ModelFile {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let mut w = std::io::BufWriter::new(file);
    write_to(&mut w, arch, seed, weights)
        .and_then(|()| w.flush().map_err(candle_core::Error::from))
        .map_err(|e| LlmError::ModelFile {
            path: path.display().to_string(),
            message: e.to_string(),
        })
}

fn write_to<W: Write + Seek>(
    w: &mut W,
    arch: TinyArch,
    seed: u64,
    weights: TinyWeights,
) -> candle_core::Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    let dev = Device::Cpu;
    let tokens = vocab();
    let n_vocab = tokens.len();
    let specials = n_vocab - SPECIALS.len();
    let mut rand = |rows: usize, cols: usize, scale: f32| -> candle_core::Result<Tensor> {
        let v: Vec<f32> = (0..rows * cols)
            .map(|_| (rng.random::<f32>() * 2.0 - 1.0) * scale)
            .collect();
        Tensor::from_vec(v, (rows, cols), &dev)
    };
    let matrix_dtype = match weights {
        TinyWeights::Q8_0 => GgmlDType::Q8_0,
        TinyWeights::F32 => GgmlDType::F32,
    };
    let matrix = |t: Tensor| QTensor::quantize(&t, matrix_dtype);
    let f32v = |t: Tensor| -> candle_core::Result<QTensor> {
        QTensor::quantize(&t.flatten_all()?, GgmlDType::F32)
    };
    let kv = KV_HEADS * HIDDEN / HEADS;
    let mut tensors: Vec<(String, QTensor)> = Vec::new();
    // Embeddings; the special tokens' rows are zero so the tied output never
    // favours them (their logit is exactly 0 while others spread around it).
    let mut emb = rand(n_vocab, HIDDEN, 1.0)?.to_vec2::<f32>()?;
    for row in emb.iter_mut().skip(specials) {
        row.fill(0.0);
    }
    let emb = Tensor::new(emb, &dev)?;
    tensors.push(("token_embd.weight".into(), matrix(emb.clone())?));
    if arch == TinyArch::Qwen2 {
        // Untied output (the llama variant ties it to the embeddings).
        let mut out = rand(n_vocab, HIDDEN, 1.0)?.to_vec2::<f32>()?;
        for row in out.iter_mut().skip(specials) {
            row.fill(0.0);
        }
        tensors.push(("output.weight".into(), matrix(Tensor::new(out, &dev)?)?));
    }
    tensors.push((
        "output_norm.weight".into(),
        f32v(Tensor::ones(HIDDEN, candle_core::DType::F32, &dev)?)?,
    ));
    for i in 0..LAYERS {
        let n = |s: &str| format!("blk.{i}.{s}");
        let s = 0.5;
        tensors.push((n("attn_q.weight"), matrix(rand(HIDDEN, HIDDEN, s)?)?));
        tensors.push((n("attn_k.weight"), matrix(rand(kv, HIDDEN, s)?)?));
        tensors.push((n("attn_v.weight"), matrix(rand(kv, HIDDEN, s)?)?));
        tensors.push((n("attn_output.weight"), matrix(rand(HIDDEN, HIDDEN, s)?)?));
        tensors.push((n("ffn_gate.weight"), matrix(rand(FFN, HIDDEN, s)?)?));
        tensors.push((n("ffn_up.weight"), matrix(rand(FFN, HIDDEN, s)?)?));
        tensors.push((n("ffn_down.weight"), matrix(rand(HIDDEN, FFN, s)?)?));
        let norm = (rand(1, HIDDEN, 0.2)? + 1.0)?;
        tensors.push((n("attn_norm.weight"), f32v(norm)?));
        let norm = (rand(1, HIDDEN, 0.2)? + 1.0)?;
        tensors.push((n("ffn_norm.weight"), f32v(norm)?));
        if arch == TinyArch::Qwen2 {
            tensors.push((n("attn_q.bias"), f32v(rand(1, HIDDEN, 0.5)?)?));
            tensors.push((n("attn_k.bias"), f32v(rand(1, kv, 0.5)?)?));
            tensors.push((n("attn_v.bias"), f32v(rand(1, kv, 0.5)?)?));
        }
    }

    let a = match arch {
        TinyArch::Llama => "llama",
        TinyArch::Qwen2 => "qwen2",
    };
    let u = |x: usize| Value::U32(x as u32);
    let key = |k: &str| format!("{a}.{k}");
    let mut md: Vec<(String, Value)> = vec![
        ("general.architecture".into(), Value::String(a.into())),
        ("general.name".into(), Value::String(format!("tiny-{a}"))),
        (key("block_count"), u(LAYERS)),
        (key("context_length"), u(CONTEXT)),
        (key("embedding_length"), u(HIDDEN)),
        (key("feed_forward_length"), u(FFN)),
        (key("attention.head_count"), u(HEADS)),
        (key("attention.head_count_kv"), u(KV_HEADS)),
        (key("attention.layer_norm_rms_epsilon"), Value::F32(1e-6)),
        (key("rope.freq_base"), Value::F32(10_000.0)),
        ("tokenizer.ggml.model".into(), Value::String("gpt2".into())),
        ("tokenizer.ggml.pre".into(), Value::String("qwen2".into())),
        (
            "tokenizer.ggml.tokens".into(),
            Value::Array(tokens.iter().cloned().map(Value::String).collect()),
        ),
        (
            "tokenizer.ggml.token_type".into(),
            Value::Array(
                (0..n_vocab)
                    .map(|i| Value::I32(if i >= specials { 3 } else { 1 }))
                    .collect(),
            ),
        ),
        ("tokenizer.ggml.merges".into(), Value::Array(Vec::new())),
        ("tokenizer.ggml.eos_token_id".into(), u(specials + 2)),
        ("tokenizer.ggml.bos_token_id".into(), u(specials)),
        ("tokenizer.ggml.padding_token_id".into(), u(specials)),
        ("tokenizer.ggml.add_bos_token".into(), Value::Bool(false)),
    ];
    md.push((
        "tokenizer.chat_template".into(),
        Value::String(
            "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + \
             message['content'] + '<|im_end|>' + '\n'}}{% endfor %}\
             {% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
                .into(),
        ),
    ));
    let md_refs: Vec<(&str, &Value)> = md.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    gguf_file::write(w, &md_refs, &t_refs)
}
