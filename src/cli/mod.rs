//! The command line: which files, which mode, what is printed where, and the exit code.

mod args;
mod config;
mod files;
mod process;
mod walk;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

pub use args::{Args, Color, Command, Format, DEFAULT_MAX_SIZE};

use crate::report::{self, concise, github, human, json, sarif, FileReport, Mode, Style, Totals};
use crate::{check_rules, CheckError, Checked, Rule, Strategy};
use config::{Configs, Found};
use process::{process_all, Processed, Run, Settings};
use walk::{collect, file_mentions_sam_transform, Excludes, Target, WalkOptions};

/// What checks one template; the binary always uses [`check_rules`].
#[doc(hidden)]
pub type Checker = fn(&str, Strategy, &[Rule]) -> Result<Checked, CheckError>;

pub fn run() -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    ExitCode::from(run_with(
        Args::parse_from(without_check_word(std::env::args_os())),
        check_rules,
        &mut stdout,
        &mut stderr,
    ))
}

/// The arguments without a leading `check`, as ruff takes `ruff check .`: samfix's only
/// action is checking. A file named `check` in the current directory is still a path.
fn without_check_word(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    let mut args: Vec<_> = args.into_iter().collect();
    if args.get(1).is_some_and(|word| word == "check") && !std::path::Path::new("check").exists() {
        args.remove(1);
    }
    args
}

/// Whether a stream gets colour: `--color`, then `NO_COLOR` (set and not empty, as
/// no-color.org says), then whether it is a terminal.
fn style(color: Color, is_terminal: bool, no_color: bool) -> Style {
    match color {
        Color::Always => Style::Colored,
        Color::Never => Style::Plain,
        Color::Auto if is_terminal && !no_color => Style::Colored,
        Color::Auto => Style::Plain,
    }
}

/// [`run`] with its streams and the checker given: the seam the tests use to show that a
/// faulty fix is never written. Returns the exit status.
#[doc(hidden)]
pub fn run_with(
    args: Args,
    check: Checker,
    stdout: &mut impl Write,
    stderr: &mut impl Write,
) -> u8 {
    if let Some(rule) = args.explain {
        let _ = stdout.write_all(rule.spec().page.as_bytes());
        return 0;
    }
    match &args.command {
        Some(Command::Completions { shell }) => {
            clap_complete::generate(*shell, &mut Args::command(), "samfix", stdout);
            return 0;
        }
        Some(Command::Man) => {
            return match clap_mangen::Man::new(Args::command()).render(stdout) {
                Ok(()) => 0,
                // `samfix man | head` closes the pipe early: the reader has what it wanted.
                Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => 0,
                Err(error) => {
                    let _ = writeln!(stderr, "error: {error}");
                    2
                }
            };
        }
        None => {}
    }
    let mode = if args.write {
        Mode::Write
    } else if args.diff {
        Mode::Diff
    } else {
        Mode::Check
    };
    let excludes = match Excludes::new(&args.exclude) {
        Ok(excludes) => excludes,
        Err(error) => {
            let _ = writeln!(stderr, "error: {error}");
            return 2;
        }
    };
    let selected = if args.select.is_empty() {
        Rule::ALL.to_vec()
    } else {
        args.select.clone()
    };
    if selected.iter().all(|rule| args.ignore.contains(rule)) {
        let _ = writeln!(
            stderr,
            "error: --select and --ignore leave no rule to check (`samfix --help` lists the rules)"
        );
        return 2;
    }
    let run = Run {
        mode,
        check,
        max_size: args.max_size,
        stdin_name: args
            .stdin_filename
            .clone()
            .unwrap_or_else(|| "<stdin>".to_string()),
    };
    let options = WalkOptions {
        excludes,
        default_excludes: !args.no_default_excludes,
    };
    let paths = if !args.paths.is_empty() {
        args.paths.clone()
    } else if args.stdin_filename.is_some() {
        vec!["-".into()]
    } else {
        vec![".".into()]
    };
    let collected = collect(&paths, args.sam_only, &options);
    let (settings, config_errors) = settings_of(&collected.targets, &args);
    if args.show_files {
        return show_files(&collected, &settings, &config_errors, stdout, stderr);
    }
    // The report goes where it can't mix with a patch or a template on stdout.
    let stdin_write = mode == Mode::Write && paths.iter().any(|p| p.as_os_str() == "-");
    let report_on_stderr = mode == Mode::Diff || stdin_write;
    let report_is_terminal = if report_on_stderr {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    let printer = Printer {
        format: args.format,
        mode,
        strategy: args.strategy.unwrap_or(Strategy::Auto),
        quiet: args.quiet,
        statistics: args.statistics,
        report_on_stderr,
        report_style: style(args.color, report_is_terminal, no_color),
        error_style: style(args.color, std::io::stderr().is_terminal(), no_color),
    };
    let results = process_all(&collected.targets, &settings, &run, |processed| {
        printer.prepare(processed)
    });
    let run_warnings = empty_dirs(&collected.dirs, |index| results[index].is_some());
    let prepared: Vec<Prepared> = config_errors
        .into_iter()
        .map(|report| {
            printer.prepare(Processed {
                report,
                output: None,
            })
        })
        .chain(results.into_iter().flatten())
        .collect();
    let code = printer.print(&prepared, &run_warnings, stdout, stderr);
    if args.exit_zero && code == 1 {
        0
    } else {
        code
    }
}

/// A warning for each directory named on the command line that holds no template, as
/// `is_checked` tells of the targets its walk found: a wrong path in CI should not pass
/// forever by checking nothing.
fn empty_dirs(
    dirs: &[(std::path::PathBuf, Vec<usize>)],
    is_checked: impl Fn(usize) -> bool,
) -> Vec<String> {
    dirs.iter()
        .filter(|(_, found)| !found.iter().any(|&index| is_checked(index)))
        .map(|(dir, _)| {
            format!(
                "no SAM template in {}: no .yaml, .yml, .json or .template file under it \
                 mentions AWS::Serverless-2016-10-31",
                dir.display()
            )
        })
        .collect()
}

/// Each target's settings: the command line's flags over its configuration file's keys.
/// `None` for a file the configuration's `exclude` skips, or whose configuration is
/// wrong; each wrong configuration file is reported once.
fn settings_of(targets: &[Target], args: &Args) -> (Vec<Option<Settings>>, Vec<FileReport>) {
    let mut configs = Configs::default();
    let mut errors: Vec<FileReport> = Vec::new();
    let cwd = std::path::PathBuf::from(".");
    let settings = targets
        .iter()
        .map(|target| {
            let (file, walked) = match target {
                Target::File(path, walked) => (Some(path.clone()), *walked),
                Target::Stdin => (args.stdin_filename.as_ref().map(Into::into), false),
                // Its report is an error already; nothing is checked.
                Target::Unwalkable(_) => {
                    return Some(Settings {
                        strategy: Strategy::Auto,
                        rules: Vec::new(),
                        no_key_flag: false,
                    })
                }
            };
            let dir = file
                .as_deref()
                .and_then(std::path::Path::parent)
                .filter(|dir| !dir.as_os_str().is_empty())
                .unwrap_or(&cwd);
            let found = if args.isolated {
                Found::None
            } else {
                configs.for_dir(dir)
            };
            let config = match found {
                Found::None => None,
                Found::Config(config) => Some(config),
                Found::Invalid(report) => {
                    if !errors.iter().any(|known| known.path == report.path) {
                        errors.push((*report).clone());
                    }
                    return None;
                }
            };
            if let (Some(config), Some(file)) = (&config, &file) {
                if walked && config.excludes(file) {
                    return None;
                }
            }
            let select = match (
                &args.select,
                config.as_ref().and_then(|c| c.select.as_ref()),
            ) {
                (cli, _) if !cli.is_empty() => cli.clone(),
                (_, Some(configured)) => configured.clone(),
                _ => Rule::ALL.to_vec(),
            };
            let mut ignore = args.ignore.clone();
            if let Some(config) = &config {
                ignore.extend(&config.ignore);
                if let Some(file) = &file {
                    ignore.extend(config.ignored_for(file));
                }
            }
            let strategy = args
                .strategy
                .or(config.as_ref().and_then(|config| config.strategy))
                .unwrap_or(Strategy::Auto);
            Some(Settings {
                strategy,
                rules: select
                    .into_iter()
                    .filter(|rule| !ignore.contains(rule))
                    .collect(),
                no_key_flag: config
                    .and_then(|config| config.target_sam_version)
                    .is_some_and(|version| version < (1, 63, 0)),
            })
        })
        .collect();
    (settings, errors)
}

/// `--show-files`: the files a run would check, without checking them.
fn show_files(
    collected: &walk::Collected,
    settings: &[Option<Settings>],
    config_errors: &[FileReport],
    stdout: &mut impl Write,
    stderr: &mut impl Write,
) -> u8 {
    let mut code = 0;
    for report in config_errors {
        for error in &report.errors {
            let line = report::error(&report.path, report.source.as_deref(), error);
            let _ = writeln!(stderr, "{line}");
        }
        code = 2;
    }
    let listed: Vec<bool> = collected
        .targets
        .iter()
        .zip(settings)
        .map(|(target, settings)| match target {
            _ if settings.is_none() => false,
            Target::Stdin => {
                let _ = writeln!(stdout, "-");
                true
            }
            Target::File(path, sam_only) => {
                let checked = !sam_only || file_mentions_sam_transform(path).unwrap_or(true);
                if checked {
                    let _ = writeln!(stdout, "{}", process::display(path));
                }
                checked
            }
            Target::Unwalkable(report) => {
                for error in &report.errors {
                    let _ = writeln!(stderr, "error: {}: {}", report.path, error.message);
                }
                code = 2;
                true
            }
        })
        .collect();
    for warning in empty_dirs(&collected.dirs, |index| listed[index]) {
        let _ = writeln!(stderr, "warning: {warning}");
    }
    code
}

/// `--statistics`: one line per rule that found something, `COUNT RULE-ID (N fixable)`,
/// the most findings first (then by rule id).
fn statistics(reports: &[&FileReport]) -> String {
    let mut counts: std::collections::BTreeMap<&'static str, (usize, usize)> =
        std::collections::BTreeMap::new();
    for report in reports {
        let Some(checked) = &report.checked else {
            continue;
        };
        for finding in &checked.findings {
            let count = counts.entry(finding.rule.id()).or_default();
            count.0 += 1;
            count.1 += usize::from(finding.fix.is_some());
        }
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
    let width = rows.iter().map(|(id, _)| id.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(id, (count, fixable))| format!("{count:>5}  {id:<width$}  ({fixable} fixable)\n"))
        .collect()
}

/// How the reports are printed.
struct Printer {
    format: Format,
    mode: Mode,
    strategy: Strategy,
    quiet: bool,
    /// `--statistics`: counts per rule instead of each finding (human and concise).
    statistics: bool,
    /// The report goes to stderr, because stdout carries the patch or the template.
    report_on_stderr: bool,
    report_style: Style,
    error_style: Style,
}

/// A file's processing, with its report as the format prints it.
struct Prepared {
    processed: Processed,
    text: String,
}

impl Printer {
    /// Renders a file's report, on the thread that processed it: a batch's reports are
    /// rendered side by side, and only printed in order.
    fn prepare(&self, processed: Processed) -> Prepared {
        let file = &processed.report;
        let text = match self.format {
            Format::Human | Format::Concise if self.statistics => String::new(),
            Format::Human => human::file(file, self.mode, self.report_style),
            Format::Concise => concise::file(file),
            Format::Github => github::file(file),
            Format::Json | Format::Sarif => String::new(),
        };
        Prepared { processed, text }
    }

    /// Prints every file's report, output and errors in input order, then the summary or
    /// the document; returns the exit status.
    fn print(
        &self,
        prepared: &[Prepared],
        run_warnings: &[String],
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) -> u8 {
        let reports: Vec<&FileReport> = prepared.iter().map(|p| &p.processed.report).collect();
        let totals = Totals::of(&reports, self.mode);
        // A JSON or SARIF document on stderr is all stderr holds: its errors and warnings
        // are inside it.
        let document = matches!(self.format, Format::Json | Format::Sarif);
        let human_on_stderr = !(document && self.report_on_stderr);
        if human_on_stderr {
            for warning in run_warnings {
                let _ = writeln!(stderr, "warning: {warning}");
            }
        }
        for Prepared {
            processed:
                Processed {
                    report: file,
                    output,
                },
            text,
        } in prepared
        {
            let to_report: &mut dyn Write = if self.report_on_stderr {
                &mut *stderr
            } else {
                &mut *stdout
            };
            let _ = to_report.write_all(text.as_bytes());
            for error in file.errors.iter().filter(|_| human_on_stderr) {
                if self.format == Format::Concise {
                    let line = report::error(&file.path, file.source.as_deref(), error);
                    let _ = writeln!(stderr, "{line}");
                    continue;
                }
                let _ = stderr.write_all(
                    human::error_diagnostic(
                        &file.path,
                        file.source.as_deref(),
                        error,
                        self.error_style,
                    )
                    .as_bytes(),
                );
            }
            if let Some(output) = output {
                let _ = stdout.write_all(output.as_bytes());
            }
        }
        let mut closing = match self.format {
            Format::Human | Format::Concise if self.statistics => statistics(&reports),
            _ => String::new(),
        };
        closing += &match self.format {
            Format::Human | Format::Concise if !self.quiet => {
                human::summary(&totals, self.mode, self.report_style)
            }
            Format::Github if !self.quiet => format!("{}\n", totals.summary(self.mode)),
            Format::Human | Format::Concise | Format::Github => String::new(),
            Format::Json => json::render(&reports, run_warnings, self.mode, self.strategy),
            Format::Sarif => sarif::render(&reports, run_warnings, self.mode),
        };
        let to_report: &mut dyn Write = if self.report_on_stderr {
            stderr
        } else {
            stdout
        };
        let _ = to_report.write_all(closing.as_bytes());
        totals.exit_code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_is_for_terminals_unless_no_color_or_the_flag_says_otherwise() {
        use Style::{Colored, Plain};
        for (color, terminal, no_color, expected) in [
            (Color::Auto, true, false, Colored),
            (Color::Auto, true, true, Plain),
            (Color::Auto, false, false, Plain),
            (Color::Always, false, true, Colored),
            (Color::Never, true, false, Plain),
        ] {
            assert_eq!(
                style(color, terminal, no_color),
                expected,
                "{color:?} terminal={terminal} NO_COLOR={no_color}"
            );
        }
    }
}
