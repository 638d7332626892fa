//! [`RealModels`]: the manifest, installed models, installing a model on first
//! use and loading it in the background (the loader's state is `/readyz`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use crate::llm::{Engine, EngineOptions, Manifest, ensure_installed, installed, resolve_model};
use crate::paths::DataDir;
use crate::server::config::ServerConfig;
use crate::server::services::{ModelInfo, Models, Readiness, ServiceError};

pub(super) type OnReady = Box<dyn FnOnce(Arc<Engine>) + Send>;

/// The real [`Models`] service: the manifest, the data dir's installed models,
/// and the engine loaded on a background thread.
pub struct RealModels {
    pub(super) data: DataDir,
    pub(super) model: Option<String>,
    /// Draft model for speculative decoding, if configured.
    pub(super) draft: Option<String>,
    pub(super) offline: bool,
    pub(super) readiness: RwLock<Readiness>,
    pub(super) engine: OnceLock<Arc<Engine>>,
    pub(super) active_path: Mutex<Option<PathBuf>>,
    /// Models being installed now: a second request for one joins the first.
    pub(super) installing: Arc<InstallSet>,
}

/// The ids being installed; [`InstallSet::begin`] hands out one guard per id.
#[derive(Default)]
pub(super) struct InstallSet(Mutex<std::collections::HashSet<String>>);

/// Removes its id from the set when dropped (the install ended either way).
pub(super) struct Installing(Arc<InstallSet>, String);

impl InstallSet {
    /// A guard for `id`, or `None` when it is being installed already.
    pub(super) fn begin(self: &Arc<Self>, id: &str) -> Option<Installing> {
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        set.insert(id.to_string())
            .then(|| Installing(self.clone(), id.to_string()))
    }
}

impl Drop for Installing {
    fn drop(&mut self) {
        let mut set = (self.0).0.lock().unwrap_or_else(|p| p.into_inner());
        set.remove(&self.1);
    }
}

impl RealModels {
    pub(super) fn new(config: &ServerConfig) -> Arc<Self> {
        Arc::new(Self {
            data: config.data_dir.clone(),
            model: config.model.clone(),
            draft: config.draft_model.clone(),
            offline: config.offline,
            readiness: RwLock::new(Readiness::Loading {
                model: config.model.clone().unwrap_or_else(|| "default".into()),
            }),
            engine: OnceLock::new(),
            active_path: Mutex::new(None),
            installing: Arc::default(),
        })
    }

    pub(super) fn set(&self, r: Readiness) {
        if let Ok(mut g) = self.readiness.write() {
            *g = r;
        }
    }

    /// The loaded engine, or `NotReady` saying where loading stands.
    pub(super) fn engine(&self) -> Result<Arc<Engine>, ServiceError> {
        if let Some(e) = self.engine.get() {
            return Ok(e.clone());
        }
        Err(ServiceError::NotReady(match self.readiness() {
            Readiness::Installing { model } => format!("installing the model {model}"),
            Readiness::Loading { model } => format!("loading the model {model}"),
            Readiness::Failed { message } => format!("the model failed to load: {message}"),
            Readiness::Ready { .. } => "the model is starting".into(),
        }))
    }

    /// Install (if needed) and load the model on a background thread, then
    /// call `on_ready` with the engine.
    pub(super) fn start_loading(self: &Arc<Self>, opts: EngineOptions, on_ready: OnReady) {
        let me = self.clone();
        let spawned = std::thread::Builder::new()
            .name("model-loader".into())
            .spawn(move || me.load(opts, on_ready));
        if let Err(e) = spawned {
            self.set(Readiness::Failed {
                message: format!("cannot start the loader thread: {e}"),
            });
        }
    }

    /// The engine, with the draft model when one is configured; a draft that
    /// cannot be installed, loaded or used (another tokenizer) is reported and
    /// left out: the model serves without speculation.
    fn load_engine(
        &self,
        path: &std::path::Path,
        opts: EngineOptions,
    ) -> Result<Engine, crate::llm::LlmError> {
        if let Some(id) = &self.draft {
            match resolve_model(&self.data, Some(id), self.offline) {
                Ok(draft) => {
                    let with = EngineOptions {
                        draft: Some(draft),
                        ..opts.clone()
                    };
                    match Engine::load(path, with) {
                        Ok(e) => return Ok(e),
                        Err(e) => {
                            tracing::error!(draft = id, error = %e, "draft model not used")
                        }
                    }
                }
                Err(e) => tracing::error!(draft = id, error = %e, "draft model not installed"),
            }
        }
        Engine::load(path, opts)
    }

    pub(super) fn load(&self, opts: EngineOptions, on_ready: OnReady) {
        let label = self.model.clone().unwrap_or_else(|| {
            Manifest::builtin()
                .map(|m| m.default_model().id.clone())
                .unwrap_or_else(|_| "default".into())
        });
        let needs_install = Manifest::builtin()
            .ok()
            .and_then(|m| m.get(&label).cloned())
            .is_some_and(|e| installed(&self.data, &e).is_none());
        if needs_install {
            self.set(Readiness::Installing {
                model: label.clone(),
            });
        }
        let path = match resolve_model(&self.data, self.model.as_deref(), self.offline) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "model install failed");
                self.set(Readiness::Failed {
                    message: e.to_string(),
                });
                return;
            }
        };
        self.set(Readiness::Loading {
            model: label.clone(),
        });
        let t = std::time::Instant::now();
        match self.load_engine(&path, opts) {
            Ok(engine) => {
                let engine = Arc::new(engine);
                let _ = self.engine.set(engine.clone());
                if let Ok(mut p) = self.active_path.lock() {
                    *p = Some(path);
                }
                tracing::info!(
                    model = label,
                    secs = t.elapsed().as_secs_f64(),
                    "model ready"
                );
                on_ready(engine);
                self.set(Readiness::Ready { model: label });
            }
            Err(e) => {
                tracing::error!(error = %e, "model load failed");
                self.set(Readiness::Failed {
                    message: e.to_string(),
                });
            }
        }
    }
}

impl Models for RealModels {
    fn list(&self) -> Vec<ModelInfo> {
        let Ok(m) = Manifest::builtin() else {
            return Vec::new();
        };
        let active = self.active_path.lock().ok().and_then(|p| p.clone());
        let mut out: Vec<ModelInfo> = m
            .models()
            .iter()
            .map(|e| {
                let path = installed(&self.data, e);
                ModelInfo {
                    id: e.id.clone(),
                    description: format!(
                        "{} ({}, {}, {})",
                        e.upstream,
                        e.role.name(),
                        e.quantization,
                        e.license
                    ),
                    size_bytes: e.size,
                    active: path.is_some() && path == active,
                    installed: path.is_some(),
                }
            })
            .collect();
        if let Some(p) = active
            && !out.iter().any(|m| m.active)
        {
            out.push(ModelInfo {
                id: p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                description: "a GGUF file given with --model".into(),
                size_bytes: std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0),
                installed: true,
                active: true,
            });
        }
        out
    }

    fn readiness(&self) -> Readiness {
        self.readiness
            .read()
            .map(|r| r.clone())
            .unwrap_or(Readiness::Failed {
                message: "the loader's state is poisoned".into(),
            })
    }

    fn install(&self, id: &str) -> Result<(), ServiceError> {
        let m = Manifest::builtin().map_err(|e| anyhow::anyhow!("manifest: {e}"))?;
        if m.get(id).is_none() {
            return Err(ServiceError::NotFound(format!(
                "model `{}`",
                id.chars().take(64).collect::<String>()
            )));
        }
        if self.offline {
            return Err(ServiceError::Conflict(
                "the server runs --offline; install with `silkroute models install`".into(),
            ));
        }
        let Some(guard) = self.installing.begin(id) else {
            return Ok(()); // already being installed: one download, not N
        };
        let (data, id) = (self.data.clone(), id.to_string());
        std::thread::spawn(move || {
            let _guard = guard;
            match ensure_installed(&data, &id, false) {
                Ok(p) => tracing::info!(model = id, path = %p.display(), "model installed"),
                Err(e) => tracing::error!(model = id, error = %e, "model install failed"),
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_is_installed_once_at_a_time() {
        let set = Arc::new(InstallSet::default());
        let first = set.begin("m").expect("first install starts");
        assert!(set.begin("m").is_none(), "a second click joins the first");
        assert!(set.begin("other").is_some());
        drop(first);
        assert!(
            set.begin("m").is_some(),
            "after it ended, it can start again"
        );
    }
}
