//! What the pipeline does beyond one greedy translation per segment, and its
//! settings: retrieved examples ([`ExampleBank`]), best-of-N candidates per field
//! kind picked by minimum Bayes risk, and the round-trip score with its
//! per-language flag thresholds. The defaults live in
//! `templates/localize/quality.toml` (compiled in; a templates directory may
//! override it). [`QualityOptions`] is part of the pipeline's options; the CLI,
//! the server and `silkroute eval` build it with [`QualityConfig::options`].

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use super::LocalizeError;
use super::retrieval::{ExampleBank, RetrievalOptions};
use crate::llm::SamplingParams;

const BUILTIN: &str = include_str!("../../templates/localize/quality.toml");
const MAX_CONFIG_BYTES: u64 = 64 * 1024;
/// Most candidates per segment.
pub const MAX_BEST_OF: usize = 16;

/// Candidates for one field kind.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BestOf {
    /// Candidates: the greedy one plus `n - 1` samples (1 = greedy only).
    pub n: usize,
    /// Sampling temperature of the samples.
    #[serde(default = "default_temperature")]
    pub temperature: f32,
    /// Nucleus threshold of the samples.
    #[serde(default = "default_top_p")]
    pub top_p: f32,
}

fn default_temperature() -> f32 {
    0.7
}
fn default_top_p() -> f32 {
    0.95
}

impl Default for BestOf {
    fn default() -> Self {
        Self {
            n: 1,
            temperature: default_temperature(),
            top_p: default_top_p(),
        }
    }
}

impl BestOf {
    /// Sampling of candidate `i` (0 = greedy). Seeded by `i`, so a run repeats.
    pub fn sampling(&self, i: usize) -> SamplingParams {
        if i == 0 {
            SamplingParams {
                repetition_penalty: 1.1,
                ..SamplingParams::default()
            }
        } else {
            SamplingParams {
                temperature: self.temperature,
                top_p: self.top_p,
                top_k: 40,
                repetition_penalty: 1.1,
                seed: 7000 + i as u64,
                ban_cjk: false,
            }
        }
    }
}

/// The file `quality.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityConfig {
    /// Retrieval of worked examples.
    pub retrieval: RetrievalConfig,
    /// Candidates per field kind (`title`, `bullet`, `attribute`, `description`,
    /// `keyword`); kinds not listed get one.
    #[serde(default)]
    pub best_of: BTreeMap<String, BestOf>,
    /// The round trip.
    pub roundtrip: RoundTripConfig,
}

/// `[retrieval]` of `quality.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrievalConfig {
    /// Use retrieved examples at all.
    pub enabled: bool,
    /// Examples of each segment's own, shown right before it.
    pub k: usize,
    /// Examples shared by every segment of a listing, shown first after the
    /// system prompt: each segment's best matches in turn, so that the prompts
    /// of one listing begin alike and the engine computes that part once.
    #[serde(default)]
    pub shared: usize,
    /// The most the shared examples may take together, in characters of
    /// source and translation (a Han, kana or Hangul character counts three):
    /// a long example that would pass it is left out for a shorter next one.
    /// 0 is no limit.
    #[serde(default)]
    pub shared_chars: usize,
    /// Score bonus for pairs of the segment's own kind.
    pub kind_bonus: f32,
    /// Pairs scoring less (BM25, without the bonus) are not shown.
    pub min_score: f32,
    /// Show examples with the segment's placeholders where their numbers and
    /// codes can be found on both sides.
    pub protect: bool,
}

/// `[roundtrip]` of `quality.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundTripConfig {
    /// Score every field by translating it back.
    pub enabled: bool,
    /// Flag a field scoring below this, by target language (`de`) or pair (`zh-en`).
    #[serde(default)]
    pub threshold: BTreeMap<String, f64>,
}

/// What the pipeline does beyond one greedy translation (all off by default:
/// today's pipeline).
#[derive(Clone, Default)]
pub struct QualityOptions {
    /// Retrieved examples (`None`: the fixed examples of `examples.toml`).
    pub examples: Option<Arc<ExampleBank>>,
    /// Show examples with placeholders where possible.
    pub protect_examples: bool,
    /// Candidates per field kind.
    pub best_of: BTreeMap<String, BestOf>,
    /// Score each field by a round trip.
    pub roundtrip: bool,
    /// Round-trip flag thresholds by target language or `src-tgt` pair.
    pub thresholds: BTreeMap<String, f64>,
}

impl std::fmt::Debug for QualityOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QualityOptions")
            .field("examples", &self.examples.as_ref().map(|b| b.len()))
            .field("protect_examples", &self.protect_examples)
            .field("best_of", &self.best_of)
            .field("roundtrip", &self.roundtrip)
            .field("thresholds", &self.thresholds)
            .finish()
    }
}

impl QualityOptions {
    /// Candidates for a segment of `kind`.
    pub fn best_of(&self, kind: &str) -> BestOf {
        self.best_of.get(kind).copied().unwrap_or_default()
    }

    /// The round-trip threshold for `src → tgt`: the pair's, else the target
    /// language's; `None` when neither is set (nothing is flagged).
    pub fn threshold(&self, src: &str, tgt: &str) -> Option<f64> {
        self.thresholds
            .get(&format!("{src}-{tgt}"))
            .or_else(|| self.thresholds.get(tgt))
            .copied()
    }
}

fn config_err(name: &str, message: impl std::fmt::Display) -> LocalizeError {
    LocalizeError::Template {
        name: name.to_string(),
        message: message.to_string(),
    }
}

impl QualityConfig {
    /// The compiled-in `quality.toml`.
    pub fn builtin() -> Result<Self, LocalizeError> {
        Self::parse(BUILTIN, "quality.toml")
    }

    /// `dir/quality.toml` when there is one, else the built-in file.
    pub fn from_dir(dir: &Path) -> Result<Self, LocalizeError> {
        let p = dir.join("quality.toml");
        match std::fs::metadata(&p) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::builtin(),
            Err(e) => Err(LocalizeError::Io { path: p, source: e }),
            Ok(m) if m.len() > MAX_CONFIG_BYTES => Err(config_err(
                &p.display().to_string(),
                format!("over {MAX_CONFIG_BYTES} bytes"),
            )),
            Ok(_) => {
                let s = std::fs::read_to_string(&p).map_err(|e| LocalizeError::Io {
                    path: p.clone(),
                    source: e,
                })?;
                Self::parse(&s, &p.display().to_string())
            }
        }
    }

    /// Parse and check a `quality.toml`.
    pub fn parse(text: &str, name: &str) -> Result<Self, LocalizeError> {
        let c: QualityConfig = toml::from_str(text).map_err(|e| config_err(name, e))?;
        for (kind, b) in &c.best_of {
            if b.n == 0 || b.n > MAX_BEST_OF {
                return Err(config_err(
                    name,
                    format!("best_of.{kind}.n must be 1 to {MAX_BEST_OF}"),
                ));
            }
            if !(0.0..=2.0).contains(&b.temperature) || !(0.0..=1.0).contains(&b.top_p) {
                return Err(config_err(
                    name,
                    format!("best_of.{kind}: temperature 0-2, top_p 0-1"),
                ));
            }
        }
        if c.retrieval.k > 16 || c.retrieval.shared > 16 {
            return Err(config_err(
                name,
                "retrieval.k and retrieval.shared must be at most 16",
            ));
        }
        Ok(c)
    }

    /// The retrieval settings for [`ExampleBank`].
    pub fn retrieval_options(&self) -> RetrievalOptions {
        RetrievalOptions {
            k: self.retrieval.k,
            shared: self.retrieval.shared,
            shared_chars: self.retrieval.shared_chars,
            kind_bonus: self.retrieval.kind_bonus,
            min_score: self.retrieval.min_score,
        }
    }

    /// The pipeline's options with `bank` (used when retrieval is enabled).
    pub fn options(&self, bank: Option<Arc<ExampleBank>>) -> QualityOptions {
        QualityOptions {
            examples: bank
                .filter(|_| self.retrieval.enabled && self.retrieval.k + self.retrieval.shared > 0),
            protect_examples: self.retrieval.protect,
            best_of: self.best_of.clone(),
            roundtrip: self.roundtrip.enabled,
            thresholds: self.roundtrip.threshold.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_config_parses_and_bad_values_name_the_key() {
        let c = QualityConfig::builtin().unwrap();
        let o = c.options(None);
        assert!(o.examples.is_none());
        assert_eq!(o.best_of("no-such-kind").n, 1);
        let bad = BUILTIN.replace("[roundtrip]", "[best_of.title]\nn = 0\n\n[roundtrip]");
        let e = QualityConfig::parse(&bad, "q.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("q.toml") && e.contains("best_of"), "{e}");
        let e = QualityConfig::parse("[retrieval]\nk = 1", "q.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("q.toml"), "{e}");
    }

    #[test]
    fn thresholds_by_pair_then_language_and_seeded_sampling() {
        let o = QualityOptions {
            thresholds: [("de".to_string(), 30.0), ("zh-en".to_string(), 20.0)].into(),
            ..Default::default()
        };
        assert_eq!(o.threshold("en", "de"), Some(30.0));
        assert_eq!(o.threshold("zh", "en"), Some(20.0));
        assert_eq!(o.threshold("en", "fr"), None);
        let b = BestOf {
            n: 4,
            temperature: 0.5,
            top_p: 0.9,
        };
        assert_eq!(b.sampling(0).temperature, 0.0, "the first is greedy");
        assert_eq!(b.sampling(2), b.sampling(2));
        assert_ne!(b.sampling(1).seed, b.sampling(2).seed);
    }
}
