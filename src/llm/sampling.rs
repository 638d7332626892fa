//! Choosing the next token from a row of logits: greedy (argmax) or seeded
//! sampling with temperature, top-k and top-p, after a repetition penalty; and
//! the chosen token's natural-log probability under the raw logits. One
//! [`Sampler`] per sequence, created and called by the engine.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::api::SamplingParams;

/// How many recent tokens the repetition penalty looks at.
const PENALTY_WINDOW: usize = 64;

/// Per-sequence sampling state (settings and seeded generator).
pub(crate) struct Sampler {
    params: SamplingParams,
    rng: StdRng,
}

impl Sampler {
    /// A sampler with the request's settings; the seed makes runs repeat.
    pub fn new(params: SamplingParams) -> Self {
        let rng = StdRng::seed_from_u64(params.seed);
        Self { params, rng }
    }

    /// Pick the next token from `logits` given the tokens so far (`recent`,
    /// used by the repetition penalty). Returns the token and its log-probability
    /// under the unmodified logits (log-softmax of the raw row).
    pub fn sample(&mut self, logits: &[f32], recent: &[u32]) -> (u32, f32) {
        let token = self.choose(logits, recent);
        (token, log_prob(logits, token as usize))
    }

    fn choose(&mut self, logits: &[f32], recent: &[u32]) -> u32 {
        let p = &self.params;
        let mut adjusted;
        let logits = if p.repetition_penalty != 1.0 && p.repetition_penalty > 0.0 {
            adjusted = logits.to_vec();
            let start = recent.len().saturating_sub(PENALTY_WINDOW);
            let mut seen = std::collections::HashSet::new();
            for &t in &recent[start..] {
                if let Some(l) = adjusted.get_mut(t as usize).filter(|_| seen.insert(t)) {
                    *l = if *l >= 0.0 {
                        *l / p.repetition_penalty
                    } else {
                        *l * p.repetition_penalty
                    };
                }
            }
            &adjusted[..]
        } else {
            logits
        };
        if p.temperature <= 0.0 || !p.temperature.is_finite() {
            return argmax(logits);
        }
        // Candidates sorted by logit, cut by top-k, then softmax at temperature,
        // then cut by top-p.
        let mut idx: Vec<u32> = (0..logits.len() as u32)
            .filter(|&i| logits[i as usize].is_finite())
            .collect();
        if idx.is_empty() {
            return argmax(logits);
        }
        idx.sort_unstable_by(|&a, &b| logits[b as usize].total_cmp(&logits[a as usize]));
        if p.top_k > 0 && p.top_k < idx.len() {
            idx.truncate(p.top_k);
        }
        let max = logits[idx[0] as usize];
        let mut probs: Vec<f32> = idx
            .iter()
            .map(|&i| ((logits[i as usize] - max) / p.temperature).exp())
            .collect();
        let sum: f32 = probs.iter().sum();
        probs.iter_mut().for_each(|x| *x /= sum);
        if p.top_p > 0.0 && p.top_p < 1.0 {
            let mut acc = 0.0;
            let mut keep = probs.len();
            for (i, &x) in probs.iter().enumerate() {
                acc += x;
                if acc >= p.top_p {
                    keep = i + 1;
                    break;
                }
            }
            probs.truncate(keep);
            idx.truncate(keep);
        }
        let total: f32 = probs.iter().sum();
        let mut r = self.rng.random::<f32>() * total;
        for (i, &x) in probs.iter().enumerate() {
            if r < x {
                return idx[i];
            }
            r -= x;
        }
        idx[probs.len() - 1]
    }
}

/// Index of the largest logit (the first one on ties; NaN never wins).
pub(crate) fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0usize;
    for (i, &x) in logits.iter().enumerate() {
        if x > logits[best] || logits[best].is_nan() {
            best = i;
        }
    }
    best as u32
}

/// `log_softmax(logits)[token]`, computed stably.
pub(crate) fn log_prob(logits: &[f32], token: usize) -> f32 {
    let max = logits
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return f32::NEG_INFINITY;
    }
    let lse = logits
        .iter()
        .filter(|x| x.is_finite())
        .map(|&x| ((x - max) as f64).exp())
        .sum::<f64>()
        .ln() as f32
        + max;
    logits.get(token).map_or(f32::NEG_INFINITY, |&x| x - lse)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(temperature: f32, top_k: usize, top_p: f32, seed: u64) -> SamplingParams {
        SamplingParams {
            temperature,
            top_p,
            top_k,
            repetition_penalty: 1.0,
            seed,
        }
    }

    #[test]
    fn greedy_takes_the_argmax_and_reports_its_log_probability() {
        let logits = [1.0, 3.0, 2.0];
        let (t, lp) = Sampler::new(SamplingParams::default()).sample(&logits, &[]);
        assert_eq!(t, 1);
        let z: f32 = logits.iter().map(|x| x.exp()).sum();
        assert!((lp - (3f32.exp() / z).ln()).abs() < 1e-5);
    }

    #[test]
    fn seeded_sampling_repeats_and_seeds_differ() {
        let logits: Vec<f32> = (0..50).map(|i| (i % 7) as f32 * 0.3).collect();
        let run = |seed| {
            let mut s = Sampler::new(params(1.0, 0, 1.0, seed));
            (0..40)
                .map(|_| s.sample(&logits, &[]).0)
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn top_k_one_is_greedy_and_top_p_keeps_the_head() {
        let logits = [0.0, 5.0, 4.9, -3.0];
        let mut s = Sampler::new(params(1.0, 1, 1.0, 1));
        assert!((0..20).all(|_| s.sample(&logits, &[]).0 == 1));
        let mut s = Sampler::new(params(1.0, 0, 0.9, 1));
        let picks: Vec<u32> = (0..200).map(|_| s.sample(&logits, &[]).0).collect();
        assert!(picks.iter().all(|&t| t == 1 || t == 2));
        assert!(picks.contains(&1) && picks.contains(&2));
    }

    #[test]
    fn repetition_penalty_moves_greedy_off_a_repeated_token() {
        let logits = [2.0, 1.9, 0.0];
        let p = SamplingParams {
            repetition_penalty: 1.5,
            ..SamplingParams::default()
        };
        assert_eq!(Sampler::new(p).sample(&logits, &[0]).0, 1);
    }
}
