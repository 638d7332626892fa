//! Prompts: minijinja templates in `templates/localize/` (compiled in, or read from
//! a directory to override them) plus worked examples per target language in
//! `templates/localize/examples.toml`, turned into chat messages per task.

use std::path::Path;

use minijinja::value::Serde;
use minijinja::{Environment, context};
use serde::Deserialize;

use super::LocalizeError;
use super::terminology::Hint;
use crate::llm::ChatMessage;

const NAMES: [&str; 9] = [
    "translate_system.j2",
    "translate_user.j2",
    "title_system.j2",
    "title_user.j2",
    "fix_system.j2",
    "fix_user.j2",
    "naive_system.j2",
    "naive_user.j2",
    "retry_user.j2",
];

const BUILTIN: [&str; 9] = [
    include_str!("../../templates/localize/translate_system.j2"),
    include_str!("../../templates/localize/translate_user.j2"),
    include_str!("../../templates/localize/title_system.j2"),
    include_str!("../../templates/localize/title_user.j2"),
    include_str!("../../templates/localize/fix_system.j2"),
    include_str!("../../templates/localize/fix_user.j2"),
    include_str!("../../templates/localize/naive_system.j2"),
    include_str!("../../templates/localize/naive_user.j2"),
    include_str!("../../templates/localize/retry_user.j2"),
];
const BUILTIN_EXAMPLES: &str = include_str!("../../templates/localize/examples.toml");
const MAX_TEMPLATE_BYTES: u64 = 256 * 1024;

#[derive(Debug, Clone, Deserialize)]
struct Example {
    task: String,
    lang: String,
    /// Language of `text` for a translate example (English unless given).
    #[serde(default = "english")]
    source: String,
    #[serde(default)]
    kind: String,
    text: String,
    #[serde(default)]
    hints: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    problem: String,
    output: String,
}

fn english() -> String {
    "en".into()
}

/// A fixed translate example as a prompt shows it: its source in the segment's
/// language where the examples file has one, its hints to match.
#[derive(Debug, Clone)]
struct ShownExample<'a> {
    kind: &'a str,
    text: &'a str,
    hints: Vec<Hint>,
    output: &'a str,
    /// Whether `text` is in the segment's source language (else it is the
    /// example's own, English).
    in_source: bool,
}

#[derive(Debug, Clone, Deserialize)]
struct ExampleFile {
    example: Vec<Example>,
}

/// English name of a language code (or of a locale whose spelling differs,
/// `pt-BR`, `pt-PT`, `es-MX`), for prompts.
pub fn language_name(code: &str) -> &str {
    match code {
        "en" => "English",
        "de" => "German",
        "fr" => "French",
        "es" => "Spanish",
        "it" => "Italian",
        "ja" => "Japanese",
        "zh" => "Simplified Chinese",
        "pt" => "Portuguese",
        "pt-BR" => "Brazilian Portuguese",
        "pt-PT" => "European Portuguese",
        "es-MX" => "Mexican Spanish",
        "nl" => "Dutch",
        "ru" => "Russian",
        "ar" => "Arabic",
        "ko" => "Korean",
        "vi" => "Vietnamese",
        "th" => "Thai",
        "id" => "Indonesian",
        "ms" => "Malay",
        "pl" => "Polish",
        "tr" => "Turkish",
        other => other,
    }
}

/// The kind of text a segment is, as the prompt names it.
pub fn kind_name(kind: &str) -> &'static str {
    match kind {
        "title" => "Title",
        "bullet" => "Bullet point",
        "description" => "Description text",
        "attribute" => "Attribute value",
        "keyword" => "Search keyword",
        _ => "Text",
    }
}

/// The prompt templates and worked examples.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    examples: Vec<Example>,
}

/// What a translate prompt needs.
#[derive(Debug, Clone)]
pub struct TranslatePrompt<'a> {
    /// Market name (`Amazon.de (Germany)`).
    pub market: &'a str,
    /// Source language code.
    pub source_lang: &'a str,
    /// Target language code.
    pub target_lang: &'a str,
    /// `title`, `bullet`, `description`, `attribute`, `keyword`.
    pub kind: &'a str,
    /// Protected text.
    pub text: &'a str,
    /// Terminology and glossary hints.
    pub hints: &'a [Hint],
    /// Retrieved worked examples of this segment's own (most similar first).
    /// When there are any, or shared ones, they replace the fixed examples of
    /// `examples.toml`.
    pub examples: &'a [ExamplePair],
    /// Retrieved worked examples shared by every segment of a listing, shown
    /// first and in this order, so that the listing's prompts begin alike.
    pub shared: &'a [ExamplePair],
}

/// A worked example for a translate prompt: a segment and its translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExamplePair {
    /// `title`, `bullet` …
    pub kind: String,
    /// Source text (as the model sees a segment: with placeholders, if any).
    pub source: String,
    /// Its translation.
    pub target: String,
}

impl Templates {
    /// The compiled-in templates.
    pub fn builtin() -> Result<Self, LocalizeError> {
        let mut env = Environment::new();
        for (n, s) in NAMES.iter().zip(BUILTIN) {
            env.add_template(n, s).map_err(|e| tpl_err(n, e))?;
        }
        let examples: ExampleFile =
            toml::from_str(BUILTIN_EXAMPLES).map_err(|e| LocalizeError::Template {
                name: "examples.toml".into(),
                message: e.to_string(),
            })?;
        Ok(Self {
            env,
            examples: examples.example,
        })
    }

    /// Templates from `dir` (same file names); files missing there are the built-in ones.
    pub fn from_dir(dir: &Path) -> Result<Self, LocalizeError> {
        let mut t = Self::builtin()?;
        for n in NAMES {
            let p = dir.join(n);
            if let Some(s) = read_bounded(&p)? {
                t.env
                    .add_template_owned(n.to_string(), s)
                    .map_err(|e| tpl_err(n, e))?;
            }
        }
        if let Some(s) = read_bounded(&dir.join("examples.toml"))? {
            let f: ExampleFile = toml::from_str(&s).map_err(|e| LocalizeError::Template {
                name: dir.join("examples.toml").display().to_string(),
                message: e.to_string(),
            })?;
            t.examples = f.example;
        }
        Ok(t)
    }

    fn render(&self, name: &str, ctx: minijinja::Value) -> Result<String, LocalizeError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map(|s| s.trim().to_string())
            .map_err(|e| tpl_err(name, e))
    }

    /// The fixed worked examples a translate prompt from `src` into `tgt` shows
    /// where it is given no retrieved ones, as pairs, each with whether its
    /// source is in `src` (else it is English: the examples file has no
    /// translation of that example's source into `src`).
    pub fn fixed_examples(&self, src: &str, tgt: &str) -> Vec<(ExamplePair, bool)> {
        self.shown_examples(src, tgt)
            .into_iter()
            .map(|e| {
                let pair = ExamplePair {
                    kind: e.kind.to_string(),
                    source: e.text.to_string(),
                    target: e.output.to_string(),
                };
                (pair, e.in_source)
            })
            .collect()
    }

    /// The translate examples into `tgt`, each with its source in `src` where
    /// the file translates the same source text into `src` as well (the
    /// translate example into Chinese of "Keeps drinks cold for {1} …" is the
    /// Chinese source of every other language's example of it), its hints
    /// carried over through that example's own ("water bottle = 水杯" and
    /// "water bottle = Trinkflasche" give "水杯 = Trinkflasche"; a hint with no
    /// counterpart is dropped). Without one the example is shown as written.
    fn shown_examples(&self, src: &str, tgt: &str) -> Vec<ShownExample<'_>> {
        let parse = |hints: &[String]| -> Vec<Hint> {
            hints
                .iter()
                .filter_map(|h| h.split_once(" = "))
                .map(|(s, t)| Hint {
                    source: s.into(),
                    target: t.into(),
                })
                .collect()
        };
        self.examples("translate", tgt)
            .map(|ex| {
                let rendering = (ex.source != src)
                    .then(|| {
                        self.examples("translate", src)
                            .find(|r| r.source == ex.source && r.text == ex.text)
                    })
                    .flatten();
                match rendering {
                    Some(r) => {
                        let terms = parse(&r.hints);
                        let hints = parse(&ex.hints)
                            .into_iter()
                            .filter_map(|h| {
                                let t = terms.iter().find(|t| t.source == h.source)?;
                                Some(Hint {
                                    source: t.target.clone(),
                                    target: h.target,
                                })
                            })
                            .collect();
                        ShownExample {
                            kind: &ex.kind,
                            text: &r.output,
                            hints,
                            output: &ex.output,
                            in_source: true,
                        }
                    }
                    None => ShownExample {
                        kind: &ex.kind,
                        text: &ex.text,
                        hints: parse(&ex.hints),
                        output: &ex.output,
                        in_source: ex.source == src,
                    },
                }
            })
            .collect()
    }

    fn examples(&self, task: &str, lang: &str) -> impl Iterator<Item = &Example> {
        let (task, lang) = (task.to_string(), lang.to_string());
        self.examples
            .iter()
            .filter(move |e| e.task == task && e.lang == lang)
    }

    /// Messages for translating one segment.
    pub fn translate(&self, p: &TranslatePrompt<'_>) -> Result<Vec<ChatMessage>, LocalizeError> {
        self.translate_with(p, true)
    }

    /// Messages for translating one segment without any worked examples (a
    /// last try for a segment whose every attempt copied a fixed one).
    pub fn translate_bare(
        &self,
        p: &TranslatePrompt<'_>,
    ) -> Result<Vec<ChatMessage>, LocalizeError> {
        self.translate_with(p, false)
    }

    /// Messages for translating a finished translation back into the source
    /// language (the round trip): the same prompt without any worked examples.
    pub fn back_translate(
        &self,
        p: &TranslatePrompt<'_>,
    ) -> Result<Vec<ChatMessage>, LocalizeError> {
        self.translate_with(p, false)
    }

    fn translate_with(
        &self,
        p: &TranslatePrompt<'_>,
        fixed_examples: bool,
    ) -> Result<Vec<ChatMessage>, LocalizeError> {
        let system = self.render(
            "translate_system.j2",
            context! {
                market => p.market,
                source_name => language_name(p.source_lang),
                target_name => language_name(p.target_lang),
            },
        )?;
        // The system prompt comes first and is the same for every segment of a
        // language pair, so the engine's prefix cache keeps serving it.
        let mut msgs = vec![ChatMessage::system(system)];
        // Retrieved examples: the listing's shared ones first (a prefix its
        // segments have in common), then the segment's own with the most
        // similar last, next to the segment.
        for ex in p.shared.iter().chain(p.examples.iter().rev()) {
            msgs.push(ChatMessage::user(self.render(
                "translate_user.j2",
                context! { hints => Serde(&[] as &[Hint]), kind_name => kind_name(&ex.kind), text => &ex.source },
            )?));
            msgs.push(ChatMessage::assistant(ex.target.clone()));
        }
        let fixed = if p.examples.is_empty() && p.shared.is_empty() && fixed_examples {
            self.shown_examples(p.source_lang, p.target_lang)
        } else {
            Vec::new()
        };
        for ex in fixed {
            msgs.push(ChatMessage::user(self.render(
                "translate_user.j2",
                context! { hints => Serde(&ex.hints), kind_name => kind_name(ex.kind), text => ex.text },
            )?));
            msgs.push(ChatMessage::assistant(ex.output.to_string()));
        }
        msgs.push(ChatMessage::user(self.render(
            "translate_user.j2",
            context! { hints => Serde(p.hints), kind_name => kind_name(p.kind), text => p.text },
        )?));
        Ok(msgs)
    }

    /// The user turn of a retry that names what was wrong with the model's previous
    /// answer (which goes before it as the assistant's turn).
    pub fn retry(&self, kind: &str, problem: &str) -> Result<String, LocalizeError> {
        self.render(
            "retry_user.j2",
            context! { kind_name => kind_name(kind).to_lowercase(), problem => problem },
        )
    }

    /// Messages for rewriting a translated title for the market.
    pub fn rewrite_title(
        &self,
        market: &str,
        target_lang: &str,
        text: &str,
        keywords: &[String],
        max_chars: usize,
    ) -> Result<Vec<ChatMessage>, LocalizeError> {
        let system = self.render(
            "title_system.j2",
            context! { market => market, target_name => language_name(target_lang), max_chars => max_chars },
        )?;
        let mut msgs = vec![ChatMessage::system(system)];
        for ex in self.examples("title", target_lang) {
            msgs.push(ChatMessage::user(self.render(
                "title_user.j2",
                context! { text => &ex.text, keywords => Serde(&ex.keywords) },
            )?));
            msgs.push(ChatMessage::assistant(ex.output.clone()));
        }
        msgs.push(ChatMessage::user(self.render(
            "title_user.j2",
            context! { text => text, keywords => Serde(keywords) },
        )?));
        Ok(msgs)
    }

    /// Messages for fixing one lint violation.
    pub fn fix(
        &self,
        market: &str,
        target_lang: &str,
        text: &str,
        problem: &str,
    ) -> Result<Vec<ChatMessage>, LocalizeError> {
        let system = self.render(
            "fix_system.j2",
            context! { market => market, target_name => language_name(target_lang) },
        )?;
        let mut msgs = vec![ChatMessage::system(system)];
        let lang = if self.examples("fix", target_lang).next().is_some() {
            target_lang
        } else {
            "en"
        };
        for ex in self.examples("fix", lang) {
            msgs.push(ChatMessage::user(self.render(
                "fix_user.j2",
                context! { text => &ex.text, problem => &ex.problem },
            )?));
            msgs.push(ChatMessage::assistant(ex.output.clone()));
        }
        msgs.push(ChatMessage::user(self.render(
            "fix_user.j2",
            context! { text => text, problem => problem },
        )?));
        Ok(msgs)
    }

    /// Messages for the naive baseline: a whole listing (title and bullets) in one prompt.
    pub fn naive(
        &self,
        source_lang: &str,
        target_lang: &str,
        title: &str,
        bullets: &[String],
    ) -> Result<Vec<ChatMessage>, LocalizeError> {
        let system = self.render(
            "naive_system.j2",
            context! { source_name => language_name(source_lang), target_name => language_name(target_lang) },
        )?;
        let user = self.render(
            "naive_user.j2",
            context! { title => title, bullets => Serde(bullets) },
        )?;
        Ok(vec![ChatMessage::system(system), ChatMessage::user(user)])
    }
}

fn tpl_err(name: &str, e: impl std::fmt::Display) -> LocalizeError {
    LocalizeError::Template {
        name: name.to_string(),
        message: e.to_string(),
    }
}

fn read_bounded(p: &Path) -> Result<Option<String>, LocalizeError> {
    match std::fs::metadata(p) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LocalizeError::Io {
            path: p.to_path_buf(),
            source: e,
        }),
        Ok(m) if m.len() > MAX_TEMPLATE_BYTES => Err(LocalizeError::Template {
            name: p.display().to_string(),
            message: format!("over {MAX_TEMPLATE_BYTES} bytes"),
        }),
        Ok(_) => std::fs::read_to_string(p)
            .map(Some)
            .map_err(|e| LocalizeError::Io {
                path: p.to_path_buf(),
                source: e,
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Role;

    #[test]
    fn translate_prompt_has_examples_hints_and_segment() {
        let t = Templates::builtin().unwrap();
        let hints = [Hint {
            source: "lid".into(),
            target: "Deckel".into(),
        }];
        let m = t
            .translate(&TranslatePrompt {
                market: "Amazon.de",
                source_lang: "en",
                target_lang: "de",
                kind: "bullet",
                text: "Leak-proof lid, {1}",
                hints: &hints,
                examples: &[],
                shared: &[],
            })
            .unwrap();
        assert_eq!(m[0].role, Role::System);
        assert!(m[0].content.contains("into German"));
        assert_eq!(m.len(), 1 + 2 * 2 + 1, "two worked examples for de");
        assert_eq!(m[2].role, Role::Assistant);
        let last = &m.last().unwrap().content;
        assert_eq!(
            last,
            "Terms: lid = Deckel\nBullet point: Leak-proof lid, {1}"
        );
    }

    #[test]
    fn an_output_that_repeats_a_fixed_example_is_a_copy() {
        let t = Templates::builtin().unwrap();
        let source = "内胆采用{1}医用级不锈钢，外壳{2}不锈钢";
        let copy = "Mantiene las bebidas frías durante {1} y calientes durante {2}";
        let good =
            "Interior de acero inoxidable {1} de grado médico, exterior de acero inoxidable {2}";
        // Shown with their English sources (en → es) and with Chinese ones.
        for src in ["en", "zh"] {
            let es = t.fixed_examples(src, "es");
            assert!(es.len() >= 2 && es.iter().all(|(_, in_source)| *in_source));
            let pairs = || {
                es.iter()
                    .map(|(e, _)| (e.source.as_str(), e.target.as_str()))
            };
            // A steel grade's bullet answered with the example's sentence.
            let f = super::super::checks::copied_example(source, copy, pairs()).unwrap();
            assert_eq!(f.code, "copied_example");
            // Shown to the seller without the example's placeholders.
            assert!(f.message.contains("durante … y calientes"), "{}", f.message);
            assert!(super::super::checks::copied_example(source, good, pairs()).is_none());
        }
        // The whole example inside a longer output is a copy too; a longer
        // source that holds the example's is none.
        let ru = t.fixed_examples("zh", "ru");
        let pairs = || {
            ru.iter()
                .map(|(e, _)| (e.source.as_str(), e.target.as_str()))
        };
        let copy = "Сохраняет напитки холодными {1} и горячими {2}, который можно зарядить до {3}";
        assert!(
            super::super::checks::copied_example("支持{1}协议，{2}可充至{3}", copy, pairs())
                .is_some()
        );
        let longer = "Сохраняет напитки холодными {1} и горячими {2}, крышка без BPA";
        assert!(
            super::super::checks::copied_example(
                "饮品保冷{1}，保温{2}，不含BPA杯盖",
                longer,
                pairs()
            )
            .is_none()
        );
        // A copy that drops the example's placeholders is a copy too: a
        // clock's "材质：金属边框，玻璃表面" came back in Dutch "Houdt dranken koud en
        // warm".
        let nl = t.fixed_examples("zh", "nl");
        let pairs = || {
            nl.iter()
                .map(|(e, _)| (e.source.as_str(), e.target.as_str()))
        };
        assert!(
            super::super::checks::copied_example(
                "材质：金属边框，玻璃表面",
                "Houdt dranken koud en warm",
                pairs()
            )
            .is_some()
        );
        // A Chinese bullet that says what the example's source says is no copy.
        let es = t.fixed_examples("zh", "es");
        let pairs = es
            .iter()
            .map(|(e, _)| (e.source.as_str(), e.target.as_str()));
        assert!(super::super::checks::copied_example("保冷{1}，保温{2}", copy, pairs).is_none());
    }

    #[test]
    fn a_chinese_segment_is_shown_the_fixed_examples_with_chinese_sources() {
        let t = Templates::builtin().unwrap();
        let p = |source_lang, target_lang| TranslatePrompt {
            market: "Mercado Libre",
            source_lang,
            target_lang,
            kind: "bullet",
            text: "内胆{1}不锈钢",
            hints: &[],
            examples: &[],
            shared: &[],
        };
        let m = t.translate(&p("zh", "es")).unwrap();
        assert_eq!(m.len(), 1 + 2 * 2 + 1, "{m:?}");
        // The title example: its Chinese source, the Spanish terms for its
        // Chinese words, the Spanish translation as written for English.
        assert_eq!(
            m[1].content,
            "Terms: 水杯 = botella de agua; 防漏 = a prueba de fugas; 不锈钢 = acero inoxidable\n\
             Title: {1} 保温水杯 {2} 防漏杯盖 不锈钢"
        );
        assert!(m[2].content.starts_with("{1} Botella de agua térmica {2}"));
        assert_eq!(m[3].content, "Bullet point: 饮品保冷{1}，保温{2}");
        assert_eq!(
            m[4].content,
            "Mantiene las bebidas frías durante {1} y calientes durante {2}"
        );
        // English segments keep the English sources; Chinese into English keeps
        // the file's Chinese ones; any language the file translates into is a
        // source too (a German catalog); one it does not (Swedish) is shown the
        // English sources.
        let m = t.translate(&p("en", "es")).unwrap();
        assert_eq!(
            m[3].content,
            "Bullet point: Keeps drinks cold for {1} and hot for {2}"
        );
        let m = t.translate(&p("zh", "en")).unwrap();
        assert_eq!(m[3].content, "Bullet point: 饮品保冷{1}，保温{2}");
        assert_eq!(m[4].content, "Keeps drinks cold for {1} and hot for {2}");
        let m = t.translate(&p("de", "es")).unwrap();
        assert_eq!(
            m[3].content,
            "Bullet point: Hält Getränke {1} kalt und {2} heiß"
        );
        let m = t.translate(&p("sv", "es")).unwrap();
        assert_eq!(
            m[3].content,
            "Bullet point: Keeps drinks cold for {1} and hot for {2}"
        );
        let fixed = t.fixed_examples("sv", "es");
        assert!(fixed.iter().all(|(_, in_source)| !in_source));
        // Every language the file translates into is reached from Chinese.
        for tgt in [
            "de", "fr", "it", "ja", "pt", "ru", "ar", "ko", "vi", "th", "id", "ms", "pl", "nl",
            "tr",
        ] {
            let fixed = t.fixed_examples("zh", tgt);
            assert!(fixed.len() >= 2 && fixed.iter().all(|(_, s)| *s), "{tgt}");
        }
    }

    #[test]
    fn retrieved_examples_replace_the_fixed_ones_best_last() {
        let t = Templates::builtin().unwrap();
        let ex = [
            ExamplePair {
                kind: "bullet".into(),
                source: "Resists rust".into(),
                target: "Rostbeständig".into(),
            },
            ExamplePair {
                kind: "title".into(),
                source: "Socket set".into(),
                target: "Steckschlüsselsatz".into(),
            },
        ];
        let p = |examples| TranslatePrompt {
            market: "Amazon.de",
            source_lang: "en",
            target_lang: "de",
            kind: "bullet",
            text: "Rust-free sockets",
            hints: &[],
            examples,
            shared: &[],
        };
        let m = t.translate(&p(&ex)).unwrap();
        assert_eq!(m.len(), 1 + 2 * 2 + 1);
        assert_eq!(m[1].content, "Title: Socket set");
        assert_eq!(
            m[3].content, "Bullet point: Resists rust",
            "best match last"
        );
        assert_eq!(m[4].content, "Rostbeständig");
        // The system prompt is the same with or without examples (prefix cache).
        assert_eq!(t.translate(&p(&[])).unwrap()[0], m[0]);

        // Shared examples come first, in their order, before the segment's own;
        // alone they also replace the fixed examples.
        let own = [ex[0].clone()];
        let shared = [ex[1].clone()];
        let q = |examples, shared| TranslatePrompt {
            examples,
            shared,
            ..p(&[])
        };
        let a = t.translate(&q(&own, &shared)).unwrap();
        assert_eq!(a, m, "shared first, then own: the same messages as before");
        let b = t.translate(&q(&[], &shared)).unwrap();
        assert_eq!(b.len(), 1 + 2 + 1, "no fixed examples beside shared ones");
        assert_eq!(b[1].content, "Title: Socket set");
    }

    #[test]
    fn other_prompts_render_and_dir_overrides() {
        let t = Templates::builtin().unwrap();
        let m = t
            .rewrite_title(
                "Amazon.de",
                "de",
                "{1} Flasche",
                &["Thermosflasche".into()],
                200,
            )
            .unwrap();
        assert!(m.last().unwrap().content.contains("Thermosflasche"));
        let m = t.fix("Amazon.fr", "fr", "x", "too long").unwrap();
        assert!(m.last().unwrap().content.ends_with("Problem: too long"));
        // Every language of the markets has a name and worked examples.
        for lang in [
            "pt", "ru", "ar", "ko", "vi", "th", "id", "ms", "pl", "nl", "tr",
        ] {
            assert_ne!(language_name(lang), lang);
            assert!(t.examples("translate", lang).count() >= 2, "{lang}");
        }
        let m = t.naive("en", "ja", "Bottle", &["Cold".into()]).unwrap();
        assert_eq!(m[1].content, "Title: Bottle\n- Cold");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("fix_user.j2"), "FIX {{ text }}").unwrap();
        let t = Templates::from_dir(dir.path()).unwrap();
        assert_eq!(
            t.fix("m", "de", "abc", "p")
                .unwrap()
                .last()
                .unwrap()
                .content,
            "FIX abc"
        );
        std::fs::write(dir.path().join("fix_user.j2"), "{% if %}").unwrap();
        let e = Templates::from_dir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("fix_user.j2"), "{e}");
    }
}
