//! `silkroute bench kernels`: the weight matrices of a model file multiplied
//! by random activations on every kernel path this CPU has, the paths taking
//! turns call by call so that a noisy machine slows them alike. One matrix of
//! each kind (name and format) is timed and counted as many times as the
//! model has it, giving the matmul time of one forward step.
//!
//! With one compute thread the kernels run on the calling thread, and the
//! time taken is that thread's own CPU time (`CLOCK_THREAD_CPUTIME_ID`),
//! not the wall clock: on a machine shared with other work it then counts
//! only the time the kernel ran (caches and memory bandwidth are still
//! shared).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use candle_core::quantized::gguf_file::Content;
use candle_core::{Device, Module, Tensor};

use super::{KernelPath, Linear};
use crate::llm::api::LlmError;

/// The time of one kind of matrix on one path, for `m` activation rows.
#[derive(Debug, Clone)]
pub struct KernelTiming {
    /// The tensor's name without its layer (`ffn_down.weight`, `output.weight`).
    pub kind: String,
    /// GGUF block format.
    pub format: String,
    /// Matrices of this kind in the model.
    pub count: usize,
    /// Output features (rows of the matrix).
    pub n: usize,
    /// Input features.
    pub k: usize,
    /// Activation rows.
    pub m: usize,
    /// Kernel path name.
    pub path: &'static str,
    /// Best time of one multiplication, seconds.
    pub secs: f64,
    /// Whether `secs` is the thread's CPU time (one compute thread), not the
    /// wall clock.
    pub cpu_time: bool,
}

/// The calling thread's time on a CPU so far, in seconds.
fn thread_cpu_secs() -> Option<f64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write; the clock id is a constant.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (r == 0).then_some(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9)
}

thread_local! {
    static START: Instant = Instant::now();
}

/// Time every kind of weight matrix in `model` for each of `rows` activation
/// counts on every available path (`reps` turns each, best kept).
pub fn bench_kernels(
    model: &Path,
    rows: &[usize],
    reps: usize,
) -> Result<Vec<KernelTiming>, LlmError> {
    let err = |e: String| LlmError::ModelFile {
        path: model.display().to_string(),
        message: e,
    };
    let mut reader = BufReader::new(File::open(model).map_err(|e| err(e.to_string()))?);
    let ct = Content::read(&mut reader).map_err(|e| err(e.to_string()))?;
    // (kind, format) -> (first tensor's name, count)
    let mut kinds: BTreeMap<(String, String), (String, usize)> = BTreeMap::new();
    for (name, info) in &ct.tensor_infos {
        if info.shape.rank() != 2 || name == "token_embd.weight" {
            continue;
        }
        let kind = match name.strip_prefix("blk.") {
            Some(rest) => rest.split_once('.').map_or(rest, |(_, k)| k).to_string(),
            None => name.clone(),
        };
        let e = kinds
            .entry((kind, format!("{:?}", info.ggml_dtype)))
            .or_insert_with(|| (name.clone(), 0));
        e.1 += 1;
    }
    let paths: Vec<KernelPath> = KernelPath::ALL
        .into_iter()
        .filter(|p| p.available())
        .collect();
    let compute = |e: candle_core::Error| LlmError::Compute(e.to_string());
    let cpu_time =
        candle_core::utils::barrier_pool().n_workers() == 0 && thread_cpu_secs().is_some();
    let clock = || {
        if cpu_time {
            thread_cpu_secs().unwrap_or_default()
        } else {
            Instant::now()
                .duration_since(START.with(|s| *s))
                .as_secs_f64()
        }
    };
    let mut out = Vec::new();
    for ((kind, format), (name, count)) in kinds {
        // Each path its own copy (a shared tensor would be read in place).
        let mut lins = Vec::with_capacity(paths.len());
        for &p in &paths {
            let t = ct
                .tensor(&mut reader, &name, &Device::Cpu)
                .map_err(compute)?;
            lins.push(Linear::with_path(Arc::new(t), p).map_err(compute)?);
        }
        let (n, k) = ct.tensor_infos[&name].shape.dims2().map_err(compute)?;
        for &m in rows {
            let x = Tensor::randn(0f32, 1f32, (m, k), &Device::Cpu).map_err(compute)?;
            let mut best = vec![f64::INFINITY; lins.len()];
            for rep in 0..reps + 1 {
                for (i, lin) in lins.iter().enumerate() {
                    let t0 = clock();
                    lin.forward(&x).map_err(compute)?;
                    // The first turn warms caches and the worker pool.
                    if rep > 0 {
                        best[i] = best[i].min(clock() - t0);
                    }
                }
            }
            for (p, secs) in paths.iter().zip(best) {
                out.push(KernelTiming {
                    kind: kind.clone(),
                    format: format.clone(),
                    count,
                    n,
                    k,
                    m,
                    path: p.name(),
                    secs,
                    cpu_time,
                });
            }
        }
    }
    Ok(out)
}
