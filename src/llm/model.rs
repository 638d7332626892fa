//! Opening a GGUF model file: reads the header, picks the architecture file by
//! `general.architecture`, and turns every failure (unreadable file, corrupt
//! header, missing key or tensor, unsupported architecture) into an
//! [`LlmError`] naming the file and the key. Called by the engine.
//!
//! Also holds the small metadata and tensor helpers the architecture files use.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;
use std::sync::Arc;

use candle_core::Device;
use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::quantized::{GgmlDType, QStorage, QTensor};

use super::api::LlmError;
use super::kernels::Linear;
use super::transformer::{Layer, Transformer, dense};
use super::{llama, qwen2};

/// Largest context the runtime precomputes rotary tables for, whatever the
/// file claims (a hostile file could ask for billions).
pub(crate) const MAX_CONTEXT: usize = 32_768;
/// Largest number of blocks a file may declare.
const MAX_LAYERS: usize = 512;

/// Read `path`'s GGUF header and weights. Returns the model and the header
/// (whose metadata also describes the tokenizer).
pub(crate) fn load(path: &Path, device: &Device) -> Result<(Transformer, Content), LlmError> {
    let file_err = |message: String| LlmError::ModelFile {
        path: path.display().to_string(),
        message,
    };
    let file = File::open(path).map_err(|e| file_err(e.to_string()))?;
    let mut reader = BufReader::new(file);
    let ct =
        Content::read(&mut reader).map_err(|e| file_err(format!("not a valid GGUF file: {e}")))?;
    let arch = ct
        .metadata
        .get("general.architecture")
        .and_then(|v| v.to_string().ok())
        .ok_or_else(|| LlmError::Metadata("general.architecture".into()))?
        .clone();
    let model = match arch.as_str() {
        "llama" => llama::from_gguf(&ct, &mut reader, device),
        "qwen2" => qwen2::from_gguf(&ct, &mut reader, device),
        other => return Err(LlmError::UnsupportedArchitecture(other.to_string())),
    };
    // Tensor read errors come back as ModelFile without a path; add it.
    let model = model.map_err(|e| match e {
        LlmError::ModelFile { message, .. } => file_err(message),
        e => e,
    })?;
    Ok((model, ct))
}

/// A metadata value as a positive count.
pub(crate) fn md_usize(ct: &Content, key: &str) -> Result<usize, LlmError> {
    let v = ct
        .metadata
        .get(key)
        .ok_or_else(|| LlmError::Metadata(key.into()))?;
    let n = match v {
        Value::U8(x) => *x as u64,
        Value::U16(x) => *x as u64,
        Value::U32(x) => *x as u64,
        Value::U64(x) => *x,
        Value::I32(x) if *x >= 0 => *x as u64,
        Value::I64(x) if *x >= 0 => *x as u64,
        _ => return Err(LlmError::Metadata(key.into())),
    };
    usize::try_from(n)
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| LlmError::Metadata(key.into()))
}

/// A float metadata value, or `default` when the key is absent.
pub(crate) fn md_f32_or(ct: &Content, key: &str, default: f32) -> Result<f32, LlmError> {
    match ct.metadata.get(key) {
        None => Ok(default),
        Some(Value::F32(x)) if x.is_finite() => Ok(*x),
        Some(Value::F64(x)) if x.is_finite() => Ok(*x as f32),
        Some(_) => Err(LlmError::Metadata(key.into())),
    }
}

/// Read one tensor, naming it in the error. Q5_0 tensors come back as Q8_0
/// (see [`q5_0_to_q8_0`]).
pub(crate) fn tensor<R: Read + Seek>(
    ct: &Content,
    reader: &mut R,
    name: &str,
    device: &Device,
) -> Result<QTensor, LlmError> {
    if !ct.tensor_infos.contains_key(name) {
        return Err(LlmError::ModelFile {
            path: String::new(),
            message: format!("tensor `{name}` is missing"),
        });
    }
    let err = |e: candle_core::Error| LlmError::ModelFile {
        path: String::new(),
        message: format!("tensor `{name}`: {e}"),
    };
    let t = ct.tensor(reader, name, device).map_err(err)?;
    if t.dtype() == GgmlDType::Q5_0 && !super::kernels::enabled() {
        return q5_0_to_q8_0(&t, device).map_err(err);
    }
    Ok(t)
}

/// Re-encode a Q5_0 tensor as Q8_0, exactly: a Q5_0 weight is `d * (q - 16)`
/// with `q` in 0..32, which Q8_0 stores as `d * (q - 16)` with the same `d`.
///
/// Why: candle 0.11.1 has only a scalar Q5_0 dot product on x86, while Q8_0
/// has an AVX2 one, and the 0.5B Qwen GGUF stores most weights as Q5_0
/// (its width, 896, is not a multiple of the k-quant block). Profiled on the
/// 0.5B model, nearly all the time went into the scalar Q5_0 loop. The price
/// is memory: 34 bytes per 32 weights instead of 22. Used only where
/// `kernels` has no Q5_0 kernel (no AVX2, or `SILKROUTE_KERNELS=candle`).
fn q5_0_to_q8_0(t: &QTensor, device: &Device) -> candle_core::Result<QTensor> {
    const IN: usize = 22; // f16 d, u32 high bits, 16 bytes of nibbles
    const OUT: usize = 34; // f16 d, 32 x i8
    let data = t.data()?;
    if data.len() % IN != 0 {
        candle_core::bail!("Q5_0 data of {} bytes is not whole blocks", data.len());
    }
    let mut out = vec![0u8; data.len() / IN * OUT];
    for (src, dst) in data.chunks_exact(IN).zip(out.chunks_exact_mut(OUT)) {
        dst[..2].copy_from_slice(&src[..2]);
        let qh = u32::from_le_bytes([src[2], src[3], src[4], src[5]]);
        let qs = &src[6..22];
        for j in 0..16 {
            let hi0 = (((qh >> j) & 1) << 4) as u8;
            let hi1 = (((qh >> (j + 16)) & 1) << 4) as u8;
            let x0 = ((qs[j] & 0x0f) | hi0) as i8 - 16;
            let x1 = ((qs[j] >> 4) | hi1) as i8 - 16;
            dst[2 + j] = x0 as u8;
            dst[2 + j + 16] = x1 as u8;
        }
    }
    let storage = QStorage::from_data(std::borrow::Cow::Owned(out), device, GgmlDType::Q8_0)?;
    QTensor::new(storage, t.shape().clone())
}

fn compute(e: candle_core::Error) -> LlmError {
    LlmError::Compute(e.to_string())
}

/// A weight matrix `(out, in)`, checked against the expected shape.
pub(crate) fn matrix<R: Read + Seek>(
    ct: &Content,
    reader: &mut R,
    name: &str,
    shape: (usize, usize),
    device: &Device,
) -> Result<Linear, LlmError> {
    let t = tensor(ct, reader, name, device)?;
    check_shape(name, &t, &[shape.0, shape.1])?;
    Linear::new(t).map_err(compute)
}

/// A vector (norm weight, bias) of length `n`, dequantized to f32.
pub(crate) fn vector<R: Read + Seek>(
    ct: &Content,
    reader: &mut R,
    name: &str,
    n: usize,
    device: &Device,
) -> Result<candle_core::Tensor, LlmError> {
    let t = tensor(ct, reader, name, device)?;
    check_shape(name, &t, &[n])?;
    dense(t, device).map_err(compute)
}

fn check_shape(name: &str, t: &QTensor, want: &[usize]) -> Result<(), LlmError> {
    if t.shape().dims() != want {
        return Err(LlmError::ModelFile {
            path: String::new(),
            message: format!(
                "tensor `{name}` has shape {:?}, expected {want:?}",
                t.shape().dims()
            ),
        });
    }
    Ok(())
}

/// The validated shape of a llama-family model, from the architecture's keys.
pub(crate) struct Dims {
    pub layers: usize,
    pub hidden: usize,
    pub ffn: usize,
    pub n_head: usize,
    pub n_kv_head: usize,
    pub head_dim: usize,
    pub context: usize,
}

/// Read and sanity-check `<arch>.block_count`, `.embedding_length`, etc.
pub(crate) fn dims(ct: &Content, arch: &str) -> Result<Dims, LlmError> {
    let key = |k: &str| format!("{arch}.{k}");
    let layers = md_usize(ct, &key("block_count"))?;
    let hidden = md_usize(ct, &key("embedding_length"))?;
    let ffn = md_usize(ct, &key("feed_forward_length"))?;
    let n_head = md_usize(ct, &key("attention.head_count"))?;
    let n_kv_head = md_usize(ct, &key("attention.head_count_kv")).unwrap_or(n_head);
    let context = md_usize(ct, &key("context_length"))?.min(MAX_CONTEXT);
    if layers > MAX_LAYERS {
        return Err(LlmError::Metadata(key("block_count")));
    }
    if hidden % n_head != 0 || (hidden / n_head) % 2 != 0 {
        return Err(LlmError::Metadata(key("attention.head_count")));
    }
    if n_head % n_kv_head != 0 {
        return Err(LlmError::Metadata(key("attention.head_count_kv")));
    }
    let head_dim = hidden / n_head;
    // Partial rotary embeddings are not something these files use.
    if let Ok(rope_dim) = md_usize(ct, &key("rope.dimension_count"))
        && rope_dim != head_dim
    {
        return Err(LlmError::Metadata(key("rope.dimension_count")));
    }
    Ok(Dims {
        layers,
        hidden,
        ffn,
        n_head,
        n_kv_head,
        head_dim,
        context,
    })
}

/// Token embeddings (kept quantized) and the output projection, which reuses
/// the embeddings when the file has no `output.weight` (tied weights).
pub(crate) fn embeddings<R: Read + Seek>(
    ct: &Content,
    reader: &mut R,
    hidden: usize,
    device: &Device,
) -> Result<(Arc<QTensor>, Linear), LlmError> {
    let embed = Arc::new(tensor(ct, reader, "token_embd.weight", device)?);
    let (vocab, h) = embed.shape().dims2().map_err(compute)?;
    if h != hidden || vocab == 0 {
        return Err(LlmError::ModelFile {
            path: String::new(),
            message: format!("tensor `token_embd.weight` has shape ({vocab}, {h})"),
        });
    }
    let output = if ct.tensor_infos.contains_key("output.weight") {
        matrix(ct, reader, "output.weight", (vocab, hidden), device)?
    } else {
        Linear::from_arc(embed.clone()).map_err(compute)?
    };
    Ok((embed, output))
}

/// Read the blocks `blk.0 ..` of a llama-family model; with `bias`, also the
/// q/k/v biases (qwen2).
pub(crate) fn layers<R: Read + Seek>(
    ct: &Content,
    reader: &mut R,
    d: &Dims,
    bias: bool,
    device: &Device,
) -> Result<Vec<Layer>, LlmError> {
    let kv = d.n_kv_head * d.head_dim;
    let mut out = Vec::with_capacity(d.layers);
    for i in 0..d.layers {
        let name = |s: &str| format!("blk.{i}.{s}");
        let bias = if bias {
            Some((
                vector(ct, reader, &name("attn_q.bias"), d.hidden, device)?,
                vector(ct, reader, &name("attn_k.bias"), kv, device)?,
                vector(ct, reader, &name("attn_v.bias"), kv, device)?,
            ))
        } else {
            None
        };
        out.push(Layer {
            attn_norm: vector(ct, reader, &name("attn_norm.weight"), d.hidden, device)?,
            wq: matrix(
                ct,
                reader,
                &name("attn_q.weight"),
                (d.hidden, d.hidden),
                device,
            )?,
            wk: matrix(ct, reader, &name("attn_k.weight"), (kv, d.hidden), device)?,
            wv: matrix(ct, reader, &name("attn_v.weight"), (kv, d.hidden), device)?,
            bias,
            wo: matrix(
                ct,
                reader,
                &name("attn_output.weight"),
                (d.hidden, d.hidden),
                device,
            )?,
            ffn_norm: vector(ct, reader, &name("ffn_norm.weight"), d.hidden, device)?,
            gate: matrix(
                ct,
                reader,
                &name("ffn_gate.weight"),
                (d.ffn, d.hidden),
                device,
            )?,
            up: matrix(
                ct,
                reader,
                &name("ffn_up.weight"),
                (d.ffn, d.hidden),
                device,
            )?,
            down: matrix(
                ct,
                reader,
                &name("ffn_down.weight"),
                (d.hidden, d.ffn),
                device,
            )?,
        });
    }
    Ok(out)
}

/// Wrap a candle error from model assembly.
pub(crate) fn assembly(e: candle_core::Error) -> LlmError {
    compute(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Tensor;

    #[test]
    fn q5_0_becomes_q8_0_exactly() {
        let v: Vec<f32> = (0..4 * 64)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0)
            .collect();
        let x = Tensor::from_vec(v, (4, 64), &Device::Cpu).unwrap();
        let q5 = QTensor::quantize(&x, GgmlDType::Q5_0).unwrap();
        let q8 = q5_0_to_q8_0(&q5, &Device::Cpu).unwrap();
        assert_eq!(q8.dtype(), GgmlDType::Q8_0);
        let a: Vec<f32> = q5
            .dequantize(&Device::Cpu)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let b: Vec<f32> = q8
            .dequantize(&Device::Cpu)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        assert_eq!(a, b);
    }
}
