//! Checking (and fixing) each target, on every core, into one report per file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::files::{read_file, read_limited, sync_dir, write_atomically, Contents};
use super::walk::{file_mentions_sam_transform, mentions_sam_transform, Target};
use super::Checker;
use crate::report::{self, FileReport, Mode};
use crate::{Rule, Strategy};

/// What every file is checked for, and how.
pub struct Run {
    pub mode: Mode,
    pub check: Checker,
    pub max_size: u64,
    /// What standard input is called in the reports: `<stdin>` or `--stdin-filename`.
    pub stdin_name: String,
}

/// What one file is checked for, from the command line and its configuration file.
pub struct Settings {
    pub strategy: Strategy,
    pub rules: Vec<Rule>,
    /// The configuration's `target-sam-version` is below 1.63.0, which the
    /// `AddApiKeyRequiredToCorsPreflight` flag needs: `auto` must not choose the flag.
    pub no_key_flag: bool,
}

/// A file's report, and what it puts on standard output besides the report: its patch
/// (`--diff`) or the template (`--write -`).
pub struct Processed {
    pub report: FileReport,
    pub output: Option<String>,
}

/// Every target on a pool of threads, one per core, each result passed to `finish` on the
/// thread that made it; the results come back in the order of `targets`, whichever thread
/// finished first. Files that turn out not to be SAM templates are `None`.
pub fn process_all<T: Send>(
    targets: &[Target],
    settings: &[Option<Settings>],
    run: &Run,
    finish: impl Fn(Processed) -> T + Sync,
) -> Vec<Option<T>> {
    let written_dirs = Mutex::new(BTreeSet::new());
    let process = |index: usize| {
        let settings = settings[index].as_ref()?;
        process(&targets[index], settings, run, &written_dirs).map(&finish)
    };
    let results = process_in_order(targets.len(), process);
    // Each directory once, however many of its files were replaced.
    for dir in written_dirs.into_inner().unwrap_or_else(|e| e.into_inner()) {
        sync_dir(&dir);
    }
    results
}

/// `process` for every index up to `count`, on a thread per core.
fn process_in_order<T: Send>(
    count: usize,
    process: impl Fn(usize) -> Option<T> + Sync,
) -> Vec<Option<T>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(count)
        .max(1);
    if threads == 1 {
        // One file (or one core): no thread to start, and the main thread's allocator
        // arena, which grows more cheaply than a new thread's.
        return (0..count).map(process).collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Option<T>>>> = (0..count).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= count {
                    break;
                }
                let processed = process(index);
                *slots[index].lock().unwrap_or_else(|e| e.into_inner()) = Some(processed);
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .flatten()
        })
        .collect()
}

pub fn display(path: &Path) -> String {
    let text = path.display().to_string();
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}

fn process(
    target: &Target,
    settings: &Settings,
    run: &Run,
    written_dirs: &Mutex<BTreeSet<PathBuf>>,
) -> Option<Processed> {
    let done = |report: FileReport| {
        Some(Processed {
            report,
            output: None,
        })
    };
    let (name, read) = match target {
        Target::Unwalkable(report) => return done(report.clone()),
        Target::Stdin => (
            run.stdin_name.clone(),
            read_limited(std::io::stdin().lock(), run.max_size),
        ),
        Target::File(path, _) => (display(path), read_file(path, run.max_size)),
    };
    let report = FileReport::new(name);
    let bytes = match read {
        Ok(Contents::Bytes(bytes)) => bytes,
        Ok(Contents::TooLarge(size)) => {
            // A walk skips a file that doesn't name the transform, however large it is.
            if let Target::File(path, true) = target {
                if !file_mentions_sam_transform(path).unwrap_or(true) {
                    return None;
                }
            }
            let size = size
                .map(|size| format!("{size} bytes, "))
                .unwrap_or_default();
            return done(report.with_error(format!(
                "too large ({size}over the --max-size limit of {} bytes)",
                run.max_size
            )));
        }
        Err(error) => return done(report.with_error(format!("cannot read: {error}"))),
    };
    if matches!(target, Target::File(_, true)) && !mentions_sam_transform(&bytes) {
        return None;
    }
    let source = match String::from_utf8(bytes) {
        Ok(source) => source,
        Err(error) => {
            // The text up to the bad byte is as it was, so its line and column are the
            // file's: the report shows the line, the bad bytes as U+FFFD.
            let at = error.utf8_error().valid_up_to();
            let byte = error.as_bytes()[at];
            let mut report = report;
            report.source = Some(String::from_utf8_lossy(error.as_bytes()).into_owned());
            report.errors.push(crate::CheckError {
                offset: Some(at),
                message: format!("not UTF-8 text: invalid byte 0x{byte:02X}"),
                related: None,
            });
            return done(report);
        }
    };
    let mut report = report;
    let mut checked = (run.check)(&source, settings.strategy, &settings.rules);
    if settings.no_key_flag && settings.strategy == Strategy::Auto {
        let uses_key_flag = checked.as_ref().is_ok_and(|checked| {
            checked.fixes.iter().any(|fix| {
                fix.strategy == Strategy::Flag && fix.rule.id() == "api-key-on-preflight"
            })
        });
        if uses_key_flag {
            checked = (run.check)(&source, Strategy::Events, &settings.rules);
        }
    }
    report.source = Some(source);
    let mut checked = match checked {
        Ok(checked) => checked,
        Err(error) => {
            report.errors.push(error);
            return done(report);
        }
    };
    let source = report.source.as_deref().unwrap_or_default();
    // The reports need the edits, not the fixed text: it is used here and not kept until
    // everything is printed.
    let fixed = checked.fixed.take();
    let output = match run.mode {
        Mode::Check => None,
        // stdout carries only the patch, so `samfix --diff | git apply` works.
        Mode::Diff => {
            let changed = fixed.is_some();
            // The diff is made from the edits alone; the fixed text would only add its size.
            drop(fixed);
            changed.then(|| report::diff(&report.path, source, &checked.edits))
        }
        Mode::Write => match (target, fixed) {
            // A filter passes an unchanged template through.
            (Target::Stdin, None) => Some(source.to_string()),
            (Target::Stdin, Some(fixed)) => {
                report.written = true;
                Some(fixed)
            }
            (Target::File(path, _), Some(fixed)) => {
                match write_atomically(path, source.as_bytes(), fixed.as_bytes()) {
                    Ok(dir) => {
                        report.written = true;
                        written_dirs
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(dir);
                    }
                    Err(error) => {
                        let message = format!("{error:#}; the file is unchanged");
                        report = report.with_error(message);
                    }
                }
                None
            }
            _ => None,
        },
    };
    report.checked = Some(checked);
    Some(Processed { report, output })
}
