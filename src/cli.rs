//! The command line: which files, which mode, and the exit code.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use crate::plan::Strategy;
use crate::{check_rules, report, CheckError, Checked, Rule};

/// The default `--max-size`: 4 MiB. CloudFormation takes templates of at most 1 MB (from
/// S3; 51,200 bytes inline), and SAM's transform only makes them larger, so no deployable
/// template comes near this. The tree takes up to about 120 bytes of memory per byte of a
/// dense template, and a fix holds three trees while it is verified: about 1.5 GB for a
/// hostile 4 MiB file, 250 MB for an ordinary one.
pub const DEFAULT_MAX_SIZE: u64 = 4 << 20;

/// What checks one template; the binary always uses [`check_rules`].
#[doc(hidden)]
pub type Checker = fn(&str, Strategy, &[Rule]) -> Result<Checked, CheckError>;

/// Repairs AWS SAM templates whose API key or default authorizer breaks CORS preflight requests.
///
/// Exit status: 0 when nothing needs fixing (or everything was fixed), 1 when a fix is
/// pending, 2 when a file could not be read, parsed or safely fixed.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// Templates to check. Directories are searched for `.yaml`, `.yml`, `.json` and
    /// `.template` files that declare the SAM transform; `-` reads standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Report findings without changing anything (the default).
    #[arg(long, group = "mode")]
    pub check: bool,

    /// Print the fixes as a unified diff.
    #[arg(long, group = "mode")]
    pub diff: bool,

    /// Apply the fixes in place (with `-`, print the fixed template).
    #[arg(long, group = "mode")]
    pub write: bool,

    /// How to fix a key that reaches the preflight.
    #[arg(long, value_enum, default_value_t = Strategy::Auto)]
    pub strategy: Strategy,

    /// Check only these rules (comma-separated or repeated); default: all.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<Rule>,

    /// Skip these rules.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<Rule>,

    /// How findings are printed: for people, or as GitHub workflow commands
    /// (`::warning file=...`) that annotate a pull request.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Skip named files that don't mention the SAM transform, as directory walks do
    /// (for hooks that pass every changed YAML or JSON file).
    #[arg(long)]
    pub sam_only: bool,

    /// Print a rule's documentation (what it finds, why it breaks browsers, the fixes and
    /// when each is right) and exit.
    #[arg(long, value_enum, value_name = "RULE", exclusive = true)]
    pub explain: Option<Rule>,

    /// Refuse files larger than this many bytes (default 4 MiB: four times the largest
    /// template CloudFormation accepts). Larger files are not read into memory.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_SIZE)]
    pub max_size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Check,
    Diff,
    Write,
}

pub fn run() -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    ExitCode::from(run_with(
        Args::parse(),
        check_rules,
        &mut stdout,
        &mut stderr,
    ))
}

/// The rule's page, the same text as in `docs/rules/`.
pub fn explanation(rule: Rule) -> &'static str {
    match rule {
        Rule::ApiKeyOnPreflight => include_str!("../docs/rules/api-key-on-preflight.md"),
        Rule::AuthorizerOnPreflight => include_str!("../docs/rules/authorizer-on-preflight.md"),
    }
}

/// [`run`] with its streams and the checker given: the seam the tests use to show that a
/// faulty fix is never written. Returns the exit status.
#[doc(hidden)]
pub fn run_with(
    args: Args,
    check: Checker,
    mut stdout: &mut impl Write,
    mut stderr: &mut impl Write,
) -> u8 {
    if let Some(rule) = args.explain {
        let _ = stdout.write_all(explanation(rule).as_bytes());
        return 0;
    }
    let mode = if args.write {
        Mode::Write
    } else if args.diff {
        Mode::Diff
    } else {
        Mode::Check
    };
    let mut status = Status::default();
    let selected = if args.select.is_empty() {
        Rule::ALL.to_vec()
    } else {
        args.select.clone()
    };
    let run = Run {
        mode,
        strategy: args.strategy,
        format: args.format,
        check,
        max_size: args.max_size,
        rules: selected
            .into_iter()
            .filter(|rule| !args.ignore.contains(rule))
            .collect(),
    };
    for target in collect(&args.paths, args.sam_only, &mut stderr, &mut status) {
        process(&target, &run, &mut stdout, &mut stderr, &mut status);
    }
    // The summary goes where it can't mix with a patch or a template on stdout.
    let stdin_write = mode == Mode::Write && args.paths.iter().any(|p| p.as_os_str() == "-");
    if mode == Mode::Diff || stdin_write {
        let _ = writeln!(stderr, "{}", status.summary(mode));
    } else {
        let _ = writeln!(stdout, "{}", status.summary(mode));
    }
    status.exit_code()
}

#[derive(Default)]
struct Status {
    files: usize,
    findings: usize,
    fixable: usize,
    fixed_files: usize,
    unfixed: usize,
    errors: usize,
}

impl Status {
    fn exit_code(&self) -> u8 {
        if self.errors > 0 {
            2
        } else if self.unfixed > 0 {
            1
        } else {
            0
        }
    }

    fn summary(&self, mode: Mode) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let fixed = if mode == Mode::Write {
            format!(", {} fixed", plural(self.fixed_files, "file"))
        } else {
            String::new()
        };
        format!(
            "{} checked: {}, {} fixable{fixed}, {}",
            plural(self.files, "file"),
            plural(self.findings, "finding"),
            self.fixable,
            plural(self.errors, "error")
        )
    }
}

enum Target {
    Stdin,
    /// A file, and whether it is checked only if it mentions the SAM transform.
    File(PathBuf, bool),
}

const SAM_TRANSFORM: &[u8] = b"AWS::Serverless-2016-10-31";

/// Cheap and before any parsing: a file that doesn't name the transform is no SAM
/// template, and one that does is checked, so a broken SAM template is still reported.
fn mentions_sam_transform(bytes: &[u8]) -> bool {
    bytes
        .windows(SAM_TRANSFORM.len())
        .any(|window| window == SAM_TRANSFORM)
}

/// A file's bytes, or its size (when known) if it is over `--max-size`.
enum Contents {
    Bytes(Vec<u8>),
    TooLarge(Option<u64>),
}

/// Reads at most `limit` bytes, so a huge file, a device or an endless pipe never fills
/// memory.
fn read_limited(reader: impl Read, limit: u64) -> std::io::Result<Contents> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok(if bytes.len() as u64 > limit {
        Contents::TooLarge(None)
    } else {
        Contents::Bytes(bytes)
    })
}

fn read_file(path: &Path, limit: u64) -> std::io::Result<Contents> {
    let file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_file() && metadata.len() > limit {
        return Ok(Contents::TooLarge(Some(metadata.len())));
    }
    read_limited(file, limit)
}

/// [`mentions_sam_transform`] for a file of any size, a block at a time.
fn file_mentions_sam_transform(path: &Path) -> std::io::Result<bool> {
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

/// The files to check, in a stable order: named files as given, directories walked.
fn collect(
    paths: &[PathBuf],
    sam_only: bool,
    stderr: &mut impl Write,
    status: &mut Status,
) -> Vec<Target> {
    let mut targets = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            targets.push(Target::Stdin);
        } else if path.is_dir() {
            let mut found = Vec::new();
            if let Err(error) = walk(path, &mut found) {
                let _ = writeln!(stderr, "{}: error: {error:#}", path.display());
                status.errors += 1;
            }
            found.sort();
            targets.extend(found.into_iter().map(|path| Target::File(path, true)));
        } else {
            targets.push(Target::File(path.clone(), sam_only));
        }
    }
    targets
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| "cannot read the directory")? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&path, found)?;
        } else if is_template_name(&path) && !is_special(&path) {
            found.push(path);
        }
    }
    Ok(())
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

fn display(path: &Path) -> String {
    let text = path.display().to_string();
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}

/// What every file is checked for, and how.
struct Run {
    mode: Mode,
    strategy: Strategy,
    format: Format,
    check: Checker,
    max_size: u64,
    rules: Vec<Rule>,
}

fn process(
    target: &Target,
    run: &Run,
    out: &mut impl Write,
    err: &mut impl Write,
    status: &mut Status,
) {
    let (name, read) = match target {
        Target::Stdin => (
            "<stdin>".to_string(),
            read_limited(std::io::stdin().lock(), run.max_size),
        ),
        Target::File(path, _) => (display(path), read_file(path, run.max_size)),
    };
    let bytes = match read {
        Ok(Contents::Bytes(bytes)) => bytes,
        Ok(Contents::TooLarge(size)) => {
            // A walk skips a file that doesn't name the transform, however large it is.
            if let Target::File(path, true) = target {
                if !file_mentions_sam_transform(path).unwrap_or(true) {
                    return;
                }
            }
            status.files += 1;
            let size = size
                .map(|size| format!("{size} bytes, "))
                .unwrap_or_default();
            let _ = writeln!(
                err,
                "{name}: error: too large ({size}over the --max-size limit of {} bytes)",
                run.max_size
            );
            status.errors += 1;
            return;
        }
        Err(error) => {
            status.files += 1;
            let _ = writeln!(err, "{name}: error: cannot read: {error}");
            status.errors += 1;
            return;
        }
    };
    if matches!(target, Target::File(_, true)) && !mentions_sam_transform(&bytes) {
        return;
    }
    status.files += 1;
    let source = match String::from_utf8(bytes) {
        Ok(source) => source,
        Err(error) => {
            let _ = writeln!(
                err,
                "{name}: error: not UTF-8 text (invalid byte at offset {})",
                error.utf8_error().valid_up_to()
            );
            status.errors += 1;
            return;
        }
    };
    let Run {
        mode,
        strategy,
        format,
        check,
        ref rules,
        ..
    } = *run;
    let checked = match check(&source, strategy, rules) {
        Ok(checked) => checked,
        Err(error) => {
            let _ = writeln!(err, "{}", report::error(&name, Some(&source), &error));
            if format == Format::Github {
                let _ = write!(out, "{}", report::github_error(&name, &source, &error));
            }
            status.errors += 1;
            return;
        }
    };
    let report = match format {
        Format::Human => report::human(&name, &source, &checked),
        Format::Github => report::github(&name, &source, &checked),
    };
    status.findings += checked.findings.len();
    status.fixable += checked
        .fixes
        .iter()
        .map(|fix| fix.apis.len())
        .sum::<usize>();
    match mode {
        Mode::Check => {
            let _ = write!(out, "{report}");
            status.unfixed += checked.findings.len();
        }
        Mode::Diff => {
            // stdout carries only the patch, so `samfix --diff | git apply` works.
            let _ = write!(err, "{report}");
            if let Some(fixed) = &checked.fixed {
                let _ = write!(
                    out,
                    "{}",
                    crate::diff::UnifiedDiff::new(&name, &source, fixed, &checked.edits)
                );
            }
            status.unfixed += checked.findings.len();
        }
        Mode::Write => {
            // With `-`, stdout is the template; the report goes to stderr.
            let _ = match target {
                Target::Stdin => write!(err, "{report}"),
                Target::File(..) => write!(out, "{report}"),
            };
            status.unfixed += checked.refusals.iter().map(|r| r.apis.len()).sum::<usize>();
            write_fixed(target, &name, &source, &checked, out, err, status);
        }
    }
}

fn write_fixed(
    target: &Target,
    name: &str,
    source: &str,
    checked: &Checked,
    out: &mut impl Write,
    err: &mut impl Write,
    status: &mut Status,
) {
    let Some(fixed) = &checked.fixed else {
        if let Target::Stdin = target {
            // A filter passes an unchanged template through.
            let _ = out.write_all(source.as_bytes());
        }
        return;
    };
    match target {
        Target::Stdin => {
            let _ = out.write_all(fixed.as_bytes());
            status.fixed_files += 1;
        }
        Target::File(path, _) => {
            match write_atomically(path, source.as_bytes(), fixed.as_bytes()) {
                Ok(()) => status.fixed_files += 1,
                Err(error) => {
                    let _ = writeln!(err, "{name}: error: {error:#}; the file is unchanged");
                    status.errors += 1;
                }
            }
        }
    }
}

/// Writes beside the file, then renames over it, so a reader sees the old or the new
/// template and never a mix. A symlink is followed: its target is replaced. `original` is
/// what the fix was made from: a file that no longer holds it (another process wrote it
/// meanwhile) is left alone, and so is a read-only one, even for root.
fn write_atomically(path: &Path, original: &[u8], contents: &[u8]) -> anyhow::Result<()> {
    let target = std::fs::canonicalize(path).context("cannot resolve the path")?;
    let dir = target
        .parent()
        .context("the file has no parent directory")?;
    let permissions = std::fs::metadata(&target)
        .context("cannot read the file's permissions")?
        .permissions();
    if permissions.readonly() {
        anyhow::bail!("it is read-only");
    }
    // The temporary file's name starts with a dot, so a concurrent walk skips it, and it
    // is removed if anything below fails.
    let mut temp =
        tempfile::NamedTempFile::new_in(dir).context("cannot create a temporary file beside it")?;
    temp.write_all(contents)
        .context("cannot write the temporary file")?;
    temp.as_file()
        .sync_all()
        .context("cannot flush the temporary file")?;
    std::fs::set_permissions(temp.path(), permissions)
        .context("cannot keep the file's permissions")?;
    let now = std::fs::File::open(&target).and_then(|file| {
        read_limited(file, original.len() as u64).map(|contents| match contents {
            Contents::Bytes(bytes) => bytes == original,
            Contents::TooLarge(_) => false,
        })
    });
    if !now.unwrap_or(false) {
        anyhow::bail!("it changed while samfix was fixing it");
    }
    temp.persist(&target).context("cannot replace the file")?;
    // The rename itself is durable once the directory is synced; the file is already
    // replaced, so a directory that can't be synced is no error.
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}
