//! [`JobOptions`]: everything a job needs to be localized the same way on any
//! machine, stored with the job (`jobs.options`): the model's file, token and
//! attempt limits, and the seller's glossary and exchange rates as text (not as
//! paths: a worker on another machine has no such files). [`JobOptions::localizer`]
//! builds the job's [`Localizer`] over a loaded engine; `silkroute batch`,
//! `silkroute worker` and the server use it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{
    DryRunLocalizer, JobError, JobLocalizers, Localizer, LocalizerError, PipelineLocalizer,
};
use crate::llm::{Generate, Priority};
use crate::localize::{
    Glossary, LocalizeOptions, Pipeline, PipelineOptions, Rates, Templates, Terminology,
    TranslationMemory,
};
use crate::market::MarketRegistry;
use crate::store::{Job, JobId};

/// The options stored with a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobOptions {
    /// The model file (its file name is what workers compare).
    pub model: PathBuf,
    /// Most tokens generated per text segment.
    pub max_tokens: usize,
    /// Generation attempts per segment.
    #[serde(default = "default_attempts")]
    pub attempts: usize,
    /// Items worked on at once by `silkroute batch`.
    pub workers: usize,
    /// One item at a time, engine batch of 1.
    pub no_batching: bool,
    /// The glossary file as given (for display; `glossary_csv` is what is used).
    pub glossary: Option<PathBuf>,
    /// The glossary's text (`source,target_lang,target`), kept with the job.
    #[serde(default)]
    pub glossary_csv: Option<String>,
    /// Exchange rates (`from,to,rate`), kept with the job.
    #[serde(default)]
    pub rates_csv: Option<String>,
}

fn default_attempts() -> usize {
    3
}

impl JobOptions {
    /// The model's name as workers compare it: the file name without `.gguf`.
    pub fn model_name(&self) -> String {
        model_name(&self.model)
    }

    /// The job's localizer over `engine`: the localization pipeline at batch
    /// priority, with the store as translation memory, the market profiles, the
    /// job's glossary and rates. A job from before glossaries were kept as text
    /// reads its glossary file.
    pub fn localizer(
        &self,
        engine: Arc<dyn Generate>,
        tm: Arc<dyn TranslationMemory>,
        markets: Arc<MarketRegistry>,
    ) -> Result<Arc<dyn Localizer>, JobError> {
        let invalid = |e: String| JobError::Invalid(e);
        let glossary = match (&self.glossary_csv, &self.glossary) {
            (Some(text), _) => Glossary::from_csv(text, "the job's glossary")
                .map_err(|e| invalid(e.to_string()))?,
            (None, Some(p)) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| invalid(format!("glossary {}: {e}", p.display())))?;
                Glossary::from_csv(&text, &p.display().to_string())
                    .map_err(|e| invalid(e.to_string()))?
            }
            (None, None) => Glossary::default(),
        };
        let rates = match &self.rates_csv {
            Some(text) => {
                Some(Rates::from_csv(text, "the job's rates").map_err(|e| invalid(e.to_string()))?)
            }
            None => None,
        };
        let templates = Templates::builtin().map_err(|e| invalid(e.to_string()))?;
        let terminology = Terminology::builtin().map_err(|e| invalid(e.to_string()))?;
        let pipeline = Pipeline::new(
            engine,
            Arc::new(templates),
            Arc::new(terminology),
            PipelineOptions {
                tm: Some(tm),
                priority: Priority::Batch,
                max_tokens: self.max_tokens,
                max_attempts: self.attempts.max(1),
                ..PipelineOptions::default()
            },
        );
        Ok(Arc::new(PipelineLocalizer::new(
            Arc::new(pipeline),
            markets,
            LocalizeOptions {
                glossary,
                rates,
                ..LocalizeOptions::default()
            },
        )))
    }
}

/// The model file a job names when nothing is loaded where it is created
/// (`batch --wait-for-workers`, a server with no model yet): a `.gguf` path as
/// given, else `<id>.gguf` for a manifest id (the default model's when `None`).
pub fn model_file_for(model: Option<&str>) -> Result<PathBuf, JobError> {
    Ok(match model {
        Some(m) if m.ends_with(".gguf") => PathBuf::from(m),
        Some(id) => PathBuf::from(format!("{id}.gguf")),
        None => {
            let manifest =
                crate::llm::Manifest::builtin().map_err(|e| JobError::Invalid(e.to_string()))?;
            PathBuf::from(format!("{}.gguf", manifest.default_model().id))
        }
    })
}

/// A model file's name as workers compare it: the file name without `.gguf`.
pub fn model_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The localizers of jobs on a shared store, from their stored [`JobOptions`],
/// over one loaded engine: what `silkroute worker`, `silkroute batch` and the
/// server's workers give their [`super::Worker`]. A job made for another model
/// (or, with `only`, another job) is refused, so its items go to other workers.
pub struct StoredJobLocalizers {
    engine: Option<Arc<dyn Generate>>,
    model: String,
    tm: Arc<dyn TranslationMemory>,
    markets: Arc<MarketRegistry>,
    only: Option<JobId>,
    dry_run: Option<std::time::Duration>,
}

impl StoredJobLocalizers {
    /// Localize with `engine`, whose model file is `model`.
    pub fn new(
        engine: Arc<dyn Generate>,
        model: &Path,
        tm: Arc<dyn TranslationMemory>,
        markets: Arc<MarketRegistry>,
    ) -> Self {
        Self {
            engine: Some(engine),
            model: model_name(model),
            tm,
            markets,
            only: None,
            dry_run: None,
        }
    }

    /// No model: every item is "localized" by a [`DryRunLocalizer`] taking
    /// `delay` (measuring the queue itself).
    pub fn dry_run(
        delay: std::time::Duration,
        tm: Arc<dyn TranslationMemory>,
        markets: Arc<MarketRegistry>,
    ) -> Self {
        Self {
            engine: None,
            model: "dry-run".into(),
            tm,
            markets,
            only: None,
            dry_run: Some(delay),
        }
    }

    /// Take items of this job only.
    pub fn only(mut self, job: JobId) -> Self {
        self.only = Some(job);
        self
    }
}

impl JobLocalizers for StoredJobLocalizers {
    fn for_job(&self, job: &Job) -> Result<Arc<dyn Localizer>, LocalizerError> {
        if self.only.is_some_and(|o| o != job.id) {
            return Err(LocalizerError::NotHere(format!(
                "this process works on job {} only",
                self.only.unwrap_or(0)
            )));
        }
        if let Some(delay) = self.dry_run {
            return Ok(Arc::new(DryRunLocalizer { delay }));
        }
        let opts: JobOptions = serde_json::from_value(job.options.clone()).map_err(|e| {
            LocalizerError::NotHere(format!("job {}: its options do not decode: {e}", job.id))
        })?;
        if opts.model_name() != self.model {
            return Err(LocalizerError::NotHere(format!(
                "job {} is localized with the model `{}`; this worker runs `{}`",
                job.id,
                opts.model_name(),
                self.model
            )));
        }
        let Some(engine) = &self.engine else {
            return Err(LocalizerError::NoModel);
        };
        opts.localizer(engine.clone(), self.tm.clone(), self.markets.clone())
            .map_err(|e| LocalizerError::Setup {
                job: job.id,
                source: Box::new(e),
            })
    }
}
