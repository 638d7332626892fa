//! The page templates: every minijinja template of `templates/pages/` and the
//! interface's message catalogue, embedded in the binary and parsed once at
//! start (a template that does not parse stops the server before it listens).
//! Apart from the pages' handlers so the application state can hold them
//! without importing the handlers.

use std::collections::BTreeMap;

use axum::response::Html;
use minijinja::{Environment, Value};

use super::error::AppError;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/pages/base.html")),
    ("new.html", include_str!("../../templates/pages/new.html")),
    (
        "listing.html",
        include_str!("../../templates/pages/listing.html"),
    ),
    (
        "review.html",
        include_str!("../../templates/pages/review.html"),
    ),
    (
        "catalog.html",
        include_str!("../../templates/pages/catalog.html"),
    ),
    ("job.html", include_str!("../../templates/pages/job.html")),
    (
        "search.html",
        include_str!("../../templates/pages/search.html"),
    ),
    (
        "settings.html",
        include_str!("../../templates/pages/settings.html"),
    ),
    (
        "error.html",
        include_str!("../../templates/pages/error.html"),
    ),
];
const EN: &str = include_str!("../../templates/pages/i18n/en.toml");

/// The template environment and message catalogues, built once.
pub struct PageTemplates {
    env: Environment<'static>,
}

impl PageTemplates {
    /// Parse every template and the catalogues (errors name the template).
    pub fn new() -> anyhow::Result<Self> {
        let mut env = Environment::new();
        for (name, src) in TEMPLATES {
            env.add_template(name, src)
                .map_err(|e| anyhow::anyhow!("template {name}: {e}"))?;
        }
        let en: BTreeMap<String, String> =
            toml::from_str(EN).map_err(|e| anyhow::anyhow!("templates/pages/i18n/en.toml: {e}"))?;
        env.add_function("t", move |key: &str| -> String {
            en.get(key).cloned().unwrap_or_else(|| key.to_string())
        });
        // `dir` attribute of a field in a language: `rtl` for Arabic and the other
        // right-to-left languages, `auto` (the browser decides) when unknown.
        env.add_filter("dir", |lang: Option<String>| -> &'static str {
            match lang.as_deref().map(str::trim) {
                None | Some("") | Some("und") | Some("unknown") => "auto",
                Some(l) if crate::listing::is_rtl(l) => "rtl",
                Some(_) => "ltr",
            }
        });
        Ok(Self { env })
    }

    /// Render a page.
    pub fn render(&self, name: &str, ctx: Value) -> Result<Html<String>, AppError> {
        let t = self
            .env
            .get_template(name)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("template {name}: {e}")))?;
        t.render(ctx)
            .map(Html)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("render {name}: {e:#}")))
    }
}
