//! Which files a run checks: named files as given, directories walked.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::report::FileReport;

pub enum Target {
    Stdin,
    /// A file, and whether it is checked only if it mentions the SAM transform.
    File(PathBuf, bool),
    /// A directory that could not be walked, with its error.
    Unwalkable(FileReport),
}

const SAM_TRANSFORM: &[u8] = b"AWS::Serverless-2016-10-31";

/// Cheap and before any parsing: a file that doesn't name the transform is no SAM
/// template, and one that does is checked, so a broken SAM template is still reported.
pub fn mentions_sam_transform(bytes: &[u8]) -> bool {
    bytes
        .windows(SAM_TRANSFORM.len())
        .any(|window| window == SAM_TRANSFORM)
}

/// [`mentions_sam_transform`] for a file of any size, a block at a time.
pub fn file_mentions_sam_transform(path: &Path) -> std::io::Result<bool> {
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0; 1 << 16];
    // The end of the previous block, in case the name straddles two blocks.
    let keep = SAM_TRANSFORM.len() - 1;
    let mut filled = 0;
    loop {
        let read = file.read(&mut buffer[filled..])?;
        if read == 0 {
            return Ok(false);
        }
        filled += read;
        if mentions_sam_transform(&buffer[..filled]) {
            return Ok(true);
        }
        if filled > keep {
            buffer.copy_within(filled - keep..filled, 0);
            filled = keep;
        }
    }
}

/// `--exclude` globs, matched like `.gitignore` lines against paths relative to the
/// current directory (a glob without `/` matches a name at any depth).
#[derive(Clone)]
pub struct Excludes(Arc<Gitignore>);

impl Excludes {
    pub fn new(globs: &[String]) -> Result<Excludes, String> {
        let mut builder = GitignoreBuilder::new(".");
        for glob in globs {
            builder
                .add_line(None, glob)
                .map_err(|error| format!("--exclude {glob}: {error}"))?;
        }
        let matcher = builder.build().map_err(|error| error.to_string())?;
        Ok(Excludes(Arc::new(matcher)))
    }

    pub fn excludes(&self, path: &Path, is_dir: bool) -> bool {
        if self.0.is_empty() {
            return false;
        }
        let relative = relative_to_cwd(path);
        self.0
            .matched_path_or_any_parents(&relative, is_dir)
            .is_ignore()
    }
}

/// The path the globs see: `./` and the current directory dropped; any other absolute
/// path loses its root, so a glob without `/` still matches its names.
fn relative_to_cwd(path: &Path) -> PathBuf {
    let path = path.strip_prefix(".").unwrap_or(path);
    if path.has_root() {
        if let Some(relative) = std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        {
            return relative;
        }
        return path.components().skip(1).collect();
    }
    path.to_path_buf()
}

/// Directories a walk never enters unless `--no-default-excludes` is given: dependencies,
/// build output and tool caches, where a template is a copy (`.aws-sam/build`, `cdk.out`)
/// or someone else's (`node_modules`), and `--write` must not edit it. A directory named on
/// the command line is still walked.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".aws-sam",
    ".git",
    ".hg",
    ".mypy_cache",
    ".nox",
    ".pytest_cache",
    ".ruff_cache",
    ".serverless",
    ".svn",
    ".terraform",
    ".tox",
    ".venv",
    "__pycache__",
    "bower_components",
    "build",
    "cdk.out",
    "dist",
    "node_modules",
    "target",
    "venv",
];

/// What a run checks: the targets, and for each directory named on the command line the
/// targets its walk found (a file found again is the target where it first came).
pub struct Collected {
    pub targets: Vec<Target>,
    pub dirs: Vec<(PathBuf, Vec<usize>)>,
}

/// How directories are walked.
#[derive(Clone)]
pub struct WalkOptions {
    pub excludes: Excludes,
    pub default_excludes: bool,
}

/// The files to check, in a stable order: named files as given, each directory's files
/// sorted. A file reached twice (named twice, as `t.yaml` and `./t.yaml`, or named and
/// walked) is checked once, where it first comes: two writers of one file would race.
pub fn collect(paths: &[PathBuf], sam_only: bool, options: &WalkOptions) -> Collected {
    let excludes = &options.excludes;
    let mut targets = Vec::new();
    let mut dirs = Vec::new();
    let mut seen = std::collections::HashMap::new();
    let mut real_dirs = RealDirs::default();
    let mut stdin_taken = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if !std::mem::replace(&mut stdin_taken, true) {
                targets.push(Target::Stdin);
            }
            continue;
        }
        // One look tells a named file from a directory, unless the path is a link.
        let own = std::fs::symlink_metadata(path);
        let is_link = own.as_ref().ok().map(|meta| meta.file_type().is_symlink());
        let is_dir = match &own {
            Ok(meta) if !meta.file_type().is_symlink() => meta.is_dir(),
            _ => path.is_dir(),
        };
        if is_dir {
            if excludes.excludes(path, true) {
                continue;
            }
            let (mut found, errors) = walk(path, options);
            found.sort();
            let mut indices = Vec::new();
            for report in errors {
                indices.push(targets.len());
                targets.push(Target::Unwalkable(report));
            }
            for file in found {
                let is_link = is_link_at(&file);
                let index = *seen
                    .entry(real_dirs.real_file(&file, is_link))
                    .or_insert_with(|| {
                        targets.push(Target::File(file, true));
                        targets.len() - 1
                    });
                indices.push(index);
            }
            dirs.push((path.clone(), indices));
        } else if !excludes.excludes(path, false) {
            seen.entry(real_dirs.real_file(path, is_link))
                .or_insert_with(|| {
                    targets.push(Target::File(path.clone(), sam_only));
                    targets.len() - 1
                });
        }
    }
    Collected { targets, dirs }
}

/// Whether `path` is a symlink; `None` when it can't be looked at.
fn is_link_at(path: &Path) -> Option<bool> {
    std::fs::symlink_metadata(path)
        .ok()
        .map(|meta| meta.file_type().is_symlink())
}

/// Resolves file paths to their real ones, resolving each directory once: a batch of
/// templates names a few directories many times, and resolving a path walks every one of
/// its components.
#[derive(Default)]
struct RealDirs {
    resolved: std::collections::HashMap<PathBuf, Option<PathBuf>>,
}

impl RealDirs {
    /// What `canonicalize` makes of `path`, given whether it is a link; a path that can't
    /// be resolved is kept as written, and reading it reports the error.
    fn real_file(&mut self, path: &Path, is_link: Option<bool>) -> PathBuf {
        let resolve_whole = |path: &Path| std::fs::canonicalize(path).ok();
        let real = match (is_link, path.file_name()) {
            // A file that is no link resolves to its resolved directory and its own name.
            (Some(false), Some(name)) => {
                let dir = match path.parent() {
                    Some(dir) if !dir.as_os_str().is_empty() => dir,
                    _ => Path::new("."),
                };
                self.resolved
                    .entry(dir.to_path_buf())
                    .or_insert_with(|| resolve_whole(dir))
                    .as_ref()
                    .map(|dir| dir.join(name))
            }
            _ => resolve_whole(path),
        };
        real.unwrap_or_else(|| path.to_path_buf())
    }
}

/// Template files under `dir`: hidden entries, what `.gitignore`, `.ignore` and the global
/// git excludes list (in any directory, git repository or not), the default excludes and
/// `--exclude` are skipped, and so are FIFOs, sockets and devices.
fn walk(dir: &Path, options: &WalkOptions) -> (Vec<PathBuf>, Vec<FileReport>) {
    let filter = options.excludes.clone();
    let default_excludes = options.default_excludes;
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(true)
        .require_git(false)
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|kind| kind.is_dir());
            if default_excludes
                && is_dir
                && entry.depth() > 0
                && entry
                    .file_name()
                    .to_str()
                    .is_some_and(|name| DEFAULT_EXCLUDES.contains(&name))
            {
                return false;
            }
            !filter.excludes(entry.path(), is_dir)
        })
        .build();
    let (mut found, mut errors) = (Vec::new(), Vec::new());
    for entry in walker {
        match entry {
            Ok(entry) => {
                let path = entry.path();
                let is_dir = entry.file_type().is_some_and(|kind| kind.is_dir());
                if !is_dir && is_template_name(path) && !is_special(path) {
                    found.push(entry.into_path());
                }
            }
            Err(error) => {
                let mut report = FileReport::new(dir.display().to_string())
                    .with_error(format!("cannot walk the directory: {error}"));
                report.is_file = false;
                errors.push(report);
            }
        }
    }
    (found, errors)
}

/// A FIFO, socket or device: opening a FIFO waits for a writer, which would hang a walk.
/// (Named on the command line, they are read: `samfix <(...)` is a pipe.)
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|meta| !meta.is_file())
}

fn is_template_name(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json" | "template")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excludes_match_like_gitignore_lines() {
        let globs = ["build", "*.json", "infra/legacy/"].map(String::from);
        let excludes = Excludes::new(&globs).unwrap();
        assert!(excludes.excludes(Path::new("build"), true));
        assert!(excludes.excludes(Path::new("./app/build/t.yaml"), false));
        assert!(excludes.excludes(Path::new("a/b.json"), false));
        assert!(excludes.excludes(Path::new("infra/legacy/x.yaml"), false));
        assert!(!excludes.excludes(Path::new("infra/x.yaml"), false));
        assert!(
            !excludes.excludes(Path::new("other/legacy/x.yaml"), false),
            "a glob with a slash is anchored"
        );
        assert!(excludes.excludes(Path::new("/elsewhere/build/t.yaml"), false));
        assert!(!Excludes::new(&[])
            .unwrap()
            .excludes(Path::new("build"), true));
    }

    #[test]
    fn a_malformed_glob_is_an_error() {
        let error = Excludes::new(&["a{b".to_string()]).err().unwrap();
        assert!(error.starts_with("--exclude a{b: "), "{error}");
    }
}
