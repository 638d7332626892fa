//! Choosing the next token from a row of logits: greedy (argmax) or seeded
//! sampling with temperature, top-k and top-p, after a repetition penalty; and
//! the chosen token's natural-log probability under the raw logits. One
//! [`Sampler`] per sequence, created and called by the engine.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::api::SamplingParams;

/// How many recent tokens the repetition penalty looks at.
const PENALTY_WINDOW: usize = 64;

/// Per-sequence sampling state (settings and seeded generator).
pub(crate) struct Sampler {
    params: SamplingParams,
    rng: StdRng,
    /// Tokens never chosen (`true` at their id), whatever their logit.
    banned: Option<Arc<[bool]>>,
}

impl Sampler {
    /// A sampler with the request's settings; the seed makes runs repeat.
    pub fn new(params: SamplingParams) -> Self {
        let rng = StdRng::seed_from_u64(params.seed);
        Self {
            params,
            rng,
            banned: None,
        }
    }

    /// The same sampler, never choosing a token marked `true` in `banned`
    /// (indexed by token id; ids past its end are allowed).
    pub fn banning(mut self, banned: Option<Arc<[bool]>>) -> Self {
        self.banned = banned;
        self
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
        let penalty = p.repetition_penalty != 1.0 && p.repetition_penalty > 0.0;
        let adjusted;
        let logits = if penalty || self.banned.is_some() {
            let mut row = logits.to_vec();
            if penalty {
                let start = recent.len().saturating_sub(PENALTY_WINDOW);
                let mut seen = std::collections::HashSet::new();
                for &t in &recent[start..] {
                    if let Some(l) = row.get_mut(t as usize).filter(|_| seen.insert(t)) {
                        *l = if *l >= 0.0 {
                            *l / p.repetition_penalty
                        } else {
                            *l * p.repetition_penalty
                        };
                    }
                }
            }
            if let Some(banned) = &self.banned {
                let allowed = row
                    .iter()
                    .zip(banned.iter())
                    .any(|(l, b)| !b && l.is_finite())
                    || row.len() > banned.len();
                // A row with nothing else left is taken as it is.
                if allowed {
                    for (l, _) in row.iter_mut().zip(banned.iter()).filter(|(_, b)| **b) {
                        *l = f32::NEG_INFINITY;
                    }
                }
            }
            adjusted = row;
            &adjusted[..]
        } else {
            logits
        };
        if p.temperature <= 0.0 || !p.temperature.is_finite() {
            return argmax(logits);
        }
        // Candidates sorted by logit, cut by top-k, then softmax at temperature,
        // then cut by top-p.
        let mut idx = candidates(logits, p.top_k);
        if idx.is_empty() {
            return argmax(logits);
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

/// The finite logits' indices, highest logit first (the lower index first on
/// a tie), the first `top_k` of them (0: all). With a top-k the `top_k` best
/// are selected first in linear time and only they are sorted: sorting a whole
/// vocabulary row (151,936 logits for Qwen2.5) for each sampled token took
/// milliseconds per sequence and step.
fn candidates(logits: &[f32], top_k: usize) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..logits.len() as u32)
        .filter(|&i| logits[i as usize].is_finite())
        .collect();
    let by_logit = |a: &u32, b: &u32| {
        logits[*b as usize]
            .total_cmp(&logits[*a as usize])
            .then(a.cmp(b))
    };
    if top_k > 0 && top_k < idx.len() {
        idx.select_nth_unstable_by(top_k - 1, by_logit);
        idx.truncate(top_k);
    }
    idx.sort_unstable_by(by_logit);
    idx
}

/// Time of one token's choice from a row of `vocab` logits, in microseconds,
/// mean of `reps` tokens each: greedy (argmax and log-probability), sampled as
/// the pipeline's best-of-N candidates are (temperature 0.7, top-k 40, top-p
/// 0.95, repetition penalty 1.1), and the same sampling's candidates found by
/// sorting the whole row, as before the top-k was selected first (the
/// reference). For `silkroute bench llm`.
pub fn bench_sampling(vocab: usize, reps: usize) -> SamplingTiming {
    let reps = reps.max(1);
    let mut rng = StdRng::seed_from_u64(11);
    // Logits spread like a model's: a few high, most low.
    let rows: Vec<Vec<f32>> = (0..4)
        .map(|_| {
            (0..vocab)
                .map(|_| {
                    let u: f32 = rng.random();
                    u * u * u * 30.0 - 10.0
                })
                .collect()
        })
        .collect();
    let recent: Vec<u32> = (0..64).map(|i| i * 37 % vocab.max(1) as u32).collect();
    let time = |f: &mut dyn FnMut(&[f32]) -> u32| {
        let t = std::time::Instant::now();
        let mut sink = 0u32;
        for r in 0..reps {
            sink = sink.wrapping_add(f(&rows[r % rows.len()]));
        }
        std::hint::black_box(sink);
        t.elapsed().as_secs_f64() * 1e6 / reps as f64
    };
    let mut greedy = Sampler::new(SamplingParams {
        repetition_penalty: 1.1,
        ..SamplingParams::default()
    });
    let params = SamplingParams {
        temperature: 0.7,
        top_p: 0.95,
        top_k: 40,
        repetition_penalty: 1.1,
        seed: 7001,
        ban_cjk: false,
    };
    let mut sampled = Sampler::new(params);
    // About Qwen2.5's share of CJK tokens (a sixth of the vocabulary).
    let banned: Arc<[bool]> = (0..vocab).map(|i| i % 6 == 0).collect();
    let mut banning = Sampler::new(SamplingParams {
        repetition_penalty: 1.1,
        ban_cjk: true,
        ..SamplingParams::default()
    })
    .banning(Some(banned));
    SamplingTiming {
        greedy_us: time(&mut |row| greedy.sample(row, &recent).0),
        greedy_banned_us: time(&mut |row| banning.sample(row, &recent).0),
        sampled_us: time(&mut |row| sampled.sample(row, &recent).0),
        full_sort_us: time(&mut |row| {
            let mut all = candidates(row, 0);
            all.truncate(40);
            all[0] + log_prob(row, all[0] as usize).to_bits()
        }),
    }
}

/// What [`bench_sampling`] measured, microseconds per token.
#[derive(Debug, Clone, Copy)]
pub struct SamplingTiming {
    /// Greedy choice and its log-probability.
    pub greedy_us: f64,
    /// The same with a sixth of the vocabulary banned (`ban_cjk`).
    pub greedy_banned_us: f64,
    /// A sampled choice (top-k 40 selected, then sorted) and its log-probability.
    pub sampled_us: f64,
    /// The whole row sorted for the same top-k and the log-probability (before).
    pub full_sort_us: f64,
}

/// Index of the largest logit (the first one on ties; NaN never wins).
pub(crate) fn argmax(logits: &[f32]) -> u32 {
    let max = lane_max(logits, f32::INFINITY);
    // The first block of 64 that holds it (each block tested without an early
    // exit, in vector registers), then the place in that block.
    const BLOCK: usize = 64;
    logits
        .chunks(BLOCK)
        .position(|c| c.iter().fold(false, |hit, &x| hit | (x == max)))
        .and_then(|b| {
            let at = logits[b * BLOCK..].iter().position(|&x| x == max)?;
            Some(b * BLOCK + at)
        })
        .unwrap_or(0) as u32
}

/// The largest of `logits` up to and including `limit` (NaN never counts;
/// `-inf` when there is none), in sixteen lanes the compiler keeps in vector
/// registers.
fn lane_max(logits: &[f32], limit: f32) -> f32 {
    const LANES: usize = 16;
    let take = |m: f32, x: f32| if x > m && x <= limit { x } else { m };
    let mut acc = [f32::NEG_INFINITY; LANES];
    let mut chunks = logits.chunks_exact(LANES);
    for c in &mut chunks {
        for j in 0..LANES {
            acc[j] = take(acc[j], c[j]);
        }
    }
    let m = acc.iter().fold(f32::NEG_INFINITY, |m, &x| take(m, x));
    chunks.remainder().iter().fold(m, |m, &x| take(m, x))
}

/// `log_softmax(logits)[token]`, computed stably.
pub(crate) fn log_prob(logits: &[f32], token: usize) -> f32 {
    let max = lane_max(logits, f32::MAX);
    if !max.is_finite() {
        return f32::NEG_INFINITY;
    }
    let lse = sum_exp(logits, max).ln() as f32 + max;
    logits.get(token).map_or(f32::NEG_INFINITY, |&x| x - lse)
}

/// `Σ e^(x - max)` over the finite `logits` (`max` their largest). Sixteen
/// lanes of f32 sums, folded into an f64 every 1,024 logits, with [`exp_le0`]:
/// the compiler turns it into vector instructions, where `f64::exp` one logit
/// at a time took a millisecond and more per token for a 151,936-token row.
fn sum_exp(logits: &[f32], max: f32) -> f64 {
    const LANES: usize = 16;
    // -inf comes out of `exp_le0` as 1.6e-38, nothing next to the sum's 1.0 or
    // more; NaN (which the clamp keeps) is masked out after.
    let e = |x: f32| {
        let v = exp_le0(x - max);
        if x.is_nan() { 0.0 } else { v }
    };
    let mut total = 0f64;
    let mut blocks = logits.chunks_exact(1024);
    for block in &mut blocks {
        let mut acc = [0f32; LANES];
        for c in block.chunks_exact(LANES) {
            for j in 0..LANES {
                acc[j] += e(c[j]);
            }
        }
        total += acc.iter().map(|&a| a as f64).sum::<f64>();
    }
    total + blocks.remainder().iter().map(|&x| e(x) as f64).sum::<f64>()
}

/// `e^x` for `x <= 0` (below -87 it is taken as -87, about 1.6e-38), within
/// about two units in the last place: `2^n` from the exponent bits times a
/// degree-6 polynomial of the remainder `r = x - n ln2` (|r| <= ln2/2, so the first neglected
/// term r^7/7! is under 1.2e-7 of the result). No branch and no library call,
/// so a loop over a row of logits runs in vector registers.
#[inline(always)]
fn exp_le0(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0; // 1.5 * 2^23: adding it rounds to an integer
    // ln 2 in two parts (Cody and Waite): n * LN2_HI is exact for the n here.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 0.0);
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // The low bits of `shifted` hold n (as 2^22 + n): 2^n's exponent bits
    // without a float-to-integer conversion.
    let pow2 = f32::from_bits(
        (shifted
            .to_bits()
            .wrapping_sub(ROUND.to_bits())
            .wrapping_add(127))
            << 23,
    );
    let p = 1.0
        + r * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    pow2 * p
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
            ban_cjk: false,
        }
    }

    #[test]
    fn a_banned_token_is_never_chosen() {
        let logits = [1.0, 5.0, 4.0, 3.0, 0.5];
        let ban = |ids: &[usize]| -> Option<Arc<[bool]>> {
            Some((0..logits.len()).map(|i| ids.contains(&i)).collect())
        };
        // Greedy takes the best allowed token; its log-probability is still
        // the raw row's.
        let (t, lp) = Sampler::new(SamplingParams::default())
            .banning(ban(&[1]))
            .sample(&logits, &[]);
        assert_eq!(t, 2);
        assert!((lp - log_prob(&logits, 2)).abs() < 1e-6);
        // Sampled, hot and with the best two banned: never one of them.
        let mut s = Sampler::new(params(2.0, 0, 1.0, 5)).banning(ban(&[1, 2]));
        for _ in 0..500 {
            let (t, _) = s.sample(&logits, &[]);
            assert!(t != 1 && t != 2, "{t}");
        }
        // With the repetition penalty too.
        let mut s = Sampler::new(SamplingParams {
            repetition_penalty: 1.5,
            ..SamplingParams::default()
        })
        .banning(ban(&[1]));
        assert_eq!(s.sample(&logits, &[2]).0, 3);
        // A row where every finite logit is banned is taken as it is.
        let (t, _) = Sampler::new(SamplingParams::default())
            .banning(ban(&[0, 1, 2, 3, 4]))
            .sample(&logits, &[]);
        assert_eq!(t, 1);
        // Ids past the mask's end are allowed.
        let short: Option<Arc<[bool]>> = Some(vec![false, true].into());
        let (t, _) = Sampler::new(SamplingParams::default())
            .banning(short)
            .sample(&logits, &[]);
        assert_eq!(t, 2);
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
    fn the_vector_exponential_and_log_probability_match_f64() {
        for i in 0..=87_000 {
            let x = -(i as f32) / 1000.0;
            let want = (x as f64).exp();
            let got = exp_le0(x) as f64;
            assert!(
                (got - want).abs() <= 3e-7 * want,
                "e^{x}: {got} against {want}"
            );
        }
        assert_eq!(exp_le0(0.0), 1.0);
        assert!(exp_le0(-1000.0) < 1e-37);
        // A vocabulary-sized row with non-finite logits.
        let mut rng = StdRng::seed_from_u64(5);
        let mut logits: Vec<f32> = (0..151_936)
            .map(|_| {
                let u: f32 = rng.random();
                u * u * u * 30.0 - 10.0
            })
            .collect();
        logits[17] = f32::NEG_INFINITY;
        logits[99] = f32::NAN;
        let max = logits
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .fold(f32::MIN, f32::max);
        let lse = logits
            .iter()
            .filter(|x| x.is_finite())
            .map(|&x| ((x - max) as f64).exp())
            .sum::<f64>()
            .ln()
            + max as f64;
        for t in [0, 1, 5000, 151_935] {
            let want = logits[t] as f64 - lse;
            let got = log_prob(&logits, t) as f64;
            assert!((got - want).abs() < 1e-5, "token {t}: {got} against {want}");
        }
        assert_eq!(log_prob(&logits, 17), f32::NEG_INFINITY);
    }

    #[test]
    fn argmax_takes_the_first_of_the_largest_and_never_nan() {
        let mut row = vec![0.5f32; 100];
        row[3] = f32::NAN;
        row[40] = 2.0;
        row[77] = 2.0;
        assert_eq!(argmax(&row), 40);
        row[90] = f32::INFINITY;
        assert_eq!(argmax(&row), 90);
        assert_eq!(argmax(&[f32::NAN, 1.0, 1.0]), 1);
        assert_eq!(argmax(&[f32::NEG_INFINITY; 5]), 0);
        // log_prob ignores +inf and NaN for its maximum, as sampling does.
        assert_eq!(lane_max(&row, f32::MAX), 2.0);
    }

    #[test]
    fn top_k_candidates_are_the_head_of_the_whole_row_sorted() {
        // A row with ties and non-finite logits, as a quantized model gives.
        let mut rng = StdRng::seed_from_u64(3);
        let logits: Vec<f32> = (0..5000)
            .map(|i| match i % 97 {
                0 => f32::NEG_INFINITY,
                1 => f32::NAN,
                _ => (rng.random::<f32>() * 40.0).round() / 4.0,
            })
            .collect();
        let all = candidates(&logits, 0);
        assert_eq!(all.len(), 5000 - 2 * 52);
        for w in all.windows(2) {
            let (a, b) = (logits[w[0] as usize], logits[w[1] as usize]);
            assert!(a > b || a == b && w[0] < w[1], "{w:?}");
        }
        for k in [1, 7, 40, 4000, 4896, 4897, 10_000] {
            assert_eq!(candidates(&logits, k), all[..k.min(all.len())], "top-{k}");
        }
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
