//! Configuration files, found as ruff finds its own: from each file's directory upwards,
//! the first directory with a `samfix.toml`, a `.samfix.toml` or a `pyproject.toml` that has
//! a `[tool.samfix]` table decides, and no other is read. The command line's flags win
//! over it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::report::FileReport;
use crate::{CheckError, Rule, Strategy};

/// The names looked for in each directory, in this order.
const NAMES: [&str; 3] = ["samfix.toml", ".samfix.toml", "pyproject.toml"];

/// The keys of a configuration, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Options {
    strategy: Option<Spanned<String>>,
    select: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
    per_file_ignores: Option<BTreeMap<Spanned<String>, Vec<Spanned<String>>>>,
    target_sam_version: Option<Spanned<String>>,
}

#[derive(Deserialize)]
struct Pyproject {
    tool: Option<PyprojectTool>,
}

#[derive(Deserialize)]
struct PyprojectTool {
    samfix: Option<Options>,
}

/// A configuration file, read and checked.
#[derive(Debug)]
pub struct Config {
    pub strategy: Option<Strategy>,
    pub select: Option<Vec<Rule>>,
    pub ignore: Vec<Rule>,
    /// `exclude`, rooted at the file's directory.
    exclude: Option<Gitignore>,
    /// `per-file-ignores`: each glob, rooted at the file's directory, and its rules.
    per_file_ignores: Vec<(Gitignore, Vec<Rule>)>,
    /// `target-sam-version`, as major, minor and patch.
    pub target_sam_version: Option<(u64, u64, u64)>,
}

impl Config {
    /// Whether `exclude` skips `path` (a file under the configuration's directory).
    pub fn excludes(&self, path: &Path) -> bool {
        self.exclude
            .as_ref()
            .is_some_and(|globs| matches(globs, path))
    }

    /// The rules `per-file-ignores` turns off for `path`.
    pub fn ignored_for(&self, path: &Path) -> Vec<Rule> {
        self.per_file_ignores
            .iter()
            .filter(|(globs, _)| matches(globs, path))
            .flat_map(|(_, rules)| rules.iter().copied())
            .collect()
    }
}

fn matches(globs: &Gitignore, path: &Path) -> bool {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    path.starts_with(globs.path()) && globs.matched_path_or_any_parents(&path, false).is_ignore()
}

/// What a directory's search found: no configuration, one, or one that is wrong (its
/// error, reported once).
#[derive(Clone)]
pub enum Found {
    None,
    Config(Arc<Config>),
    Invalid(Arc<FileReport>),
}

/// The configurations of the directories searched so far.
#[derive(Default)]
pub struct Configs {
    by_dir: HashMap<PathBuf, Found>,
    /// The same, by the directory as named: a batch names a few directories many times,
    /// and resolving one walks each of its components.
    by_named_dir: HashMap<PathBuf, Found>,
}

impl Configs {
    /// The configuration that applies to a file in `dir`.
    pub fn for_dir(&mut self, dir: &Path) -> Found {
        if let Some(known) = self.by_named_dir.get(dir) {
            return known.clone();
        }
        let found = self.for_real_dir(dir);
        self.by_named_dir.insert(dir.to_path_buf(), found.clone());
        found
    }

    fn for_real_dir(&mut self, dir: &Path) -> Found {
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let mut searched = Vec::new();
        let mut found = Found::None;
        for ancestor in dir.ancestors() {
            if let Some(known) = self.by_dir.get(ancestor) {
                found = known.clone();
                break;
            }
            searched.push(ancestor.to_path_buf());
            if let Some(here) = read_dir_config(ancestor) {
                found = here;
                break;
            }
        }
        for searched in searched {
            self.by_dir.insert(searched, found.clone());
        }
        found
    }
}

/// The configuration file of `dir`, if it has one.
fn read_dir_config(dir: &Path) -> Option<Found> {
    for name in NAMES {
        let path = dir.join(name);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let shown = shown_path(&path);
        let options = if name == "pyproject.toml" {
            match toml::from_str::<Pyproject>(&text) {
                Ok(pyproject) => match pyproject.tool.and_then(|tool| tool.samfix) {
                    Some(options) => Ok(options),
                    // A pyproject.toml without [tool.samfix] is no samfix configuration.
                    None => continue,
                },
                Err(error) => Err(error),
            }
        } else {
            toml::from_str::<Options>(&text)
        };
        let result = options
            .map_err(|error| Invalid {
                offset: error.span().map(|span| span.start),
                message: error.message().trim_end().to_string(),
            })
            .and_then(|options| resolve(options, dir));
        return Some(match result {
            Ok(config) => Found::Config(Arc::new(config)),
            Err(invalid) => {
                let mut report = FileReport::new(shown.display().to_string());
                report.is_file = false;
                report.source = Some(text);
                report.errors.push(CheckError {
                    offset: invalid.offset,
                    message: invalid.message,
                    related: None,
                });
                Found::Invalid(Arc::new(report))
            }
        });
    }
    None
}

/// A path relative to the current directory when it is under it, as the reports show.
fn shown_path(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            let cwd = std::fs::canonicalize(cwd).ok()?;
            path.strip_prefix(cwd).ok().map(Path::to_path_buf)
        })
        .unwrap_or_else(|| path.to_path_buf())
}

struct Invalid {
    offset: Option<usize>,
    message: String,
}

fn invalid(at: &Spanned<String>, message: String) -> Invalid {
    Invalid {
        offset: Some(at.span().start),
        message,
    }
}

fn rules(ids: &[Spanned<String>], key: &str) -> Result<Vec<Rule>, Invalid> {
    ids.iter()
        .map(|id| {
            Rule::from_id(id.get_ref()).ok_or_else(|| {
                invalid(
                    id,
                    format!(
                        "{key}: unknown rule `{}` (`samfix --help` lists the rules)",
                        id.get_ref()
                    ),
                )
            })
        })
        .collect()
}

fn globs(dir: &Path, patterns: &[&Spanned<String>], key: &str) -> Result<Gitignore, Invalid> {
    let mut builder = GitignoreBuilder::new(dir);
    for pattern in patterns {
        builder
            .add_line(None, pattern.get_ref())
            .map_err(|error| invalid(pattern, format!("{key}: {error}")))?;
    }
    builder.build().map_err(|error| Invalid {
        offset: None,
        message: format!("{key}: {error}"),
    })
}

fn resolve(options: Options, dir: &Path) -> Result<Config, Invalid> {
    let strategy = options
        .strategy
        .map(|name| {
            name.get_ref().parse::<Strategy>().map_err(|_| {
                let names: Vec<_> = Strategy::ALL.map(Strategy::name).to_vec();
                invalid(
                    &name,
                    format!(
                        "strategy: `{}` is none of {}",
                        name.get_ref(),
                        names.join(", ")
                    ),
                )
            })
        })
        .transpose()?;
    let select = options
        .select
        .as_deref()
        .map(|ids| rules(ids, "select"))
        .transpose()?;
    let ignore = options
        .ignore
        .as_deref()
        .map(|ids| rules(ids, "ignore"))
        .transpose()?
        .unwrap_or_default();
    if let Some(select) = &select {
        if select.iter().all(|rule| ignore.contains(rule)) {
            return Err(Invalid {
                offset: options
                    .select
                    .as_ref()
                    .and_then(|ids| ids.first())
                    .map(|id| id.span().start),
                message: "select and ignore leave no rule to check".into(),
            });
        }
    }
    let exclude = options
        .exclude
        .as_ref()
        .map(|patterns| globs(dir, &patterns.iter().collect::<Vec<_>>(), "exclude"))
        .transpose()?;
    let mut per_file_ignores = Vec::new();
    for (pattern, ids) in options.per_file_ignores.iter().flatten() {
        per_file_ignores.push((
            globs(dir, &[pattern], "per-file-ignores")?,
            rules(ids, "per-file-ignores")?,
        ));
    }
    let target_sam_version = options
        .target_sam_version
        .map(|version| {
            parse_version(version.get_ref()).ok_or_else(|| {
                invalid(
                    &version,
                    format!(
                        "target-sam-version: `{}` is no version like `1.63.0`",
                        version.get_ref()
                    ),
                )
            })
        })
        .transpose()?;
    Ok(Config {
        strategy,
        select,
        ignore,
        exclude,
        per_file_ignores,
        target_sam_version,
    })
}

/// `1.63.0`, `1.63` or `1` as major, minor and patch.
fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.trim().split('.').map(|part| part.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0))?;
    parts.next().is_none().then_some((major, minor, patch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_major_minor_patch() {
        assert_eq!(parse_version("1.63.0"), Some((1, 63, 0)));
        assert_eq!(parse_version("1.62"), Some((1, 62, 0)));
        assert_eq!(parse_version("1.a"), None);
        assert_eq!(parse_version("1.2.3.4"), None);
    }
}
