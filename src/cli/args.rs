//! The command line's arguments.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand, ValueEnum};

use crate::{Rule, Strategy};

/// The default `--max-size`: 4 MiB. CloudFormation takes templates of at most 1 MB (from
/// S3; 51,200 bytes inline), and SAM's transform only makes them larger, so no deployable
/// template comes near this. The tree takes about 15 bytes of memory per byte of an
/// ordinary template and up to about 45 for the densest (a flow list of one-letter items),
/// and a fix holds one tree at a time: under 200 MB for a hostile 4 MiB file, about 60 MB
/// for an ordinary one.
pub const DEFAULT_MAX_SIZE: u64 = 4 << 20;

/// Repairs AWS SAM templates whose API key or default authorizer breaks CORS preflight requests.
///
/// Exit status: 0 when nothing is left to do (nothing found, or everything fixed), 1 when
/// something is left to fix (a fix pending, or a finding samfix leaves to a person), 2 when
/// a file could not be read, parsed or safely fixed, or the arguments are wrong.
#[derive(Debug, Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Templates to check. Directories are searched for `.yaml`, `.yml`, `.json` and
    /// `.template` files that declare the SAM transform, skipping hidden entries and what
    /// `.gitignore` and `.ignore` files list; `-` reads standard input. (A file named like
    /// a subcommand is written `./completions`.) Default: `.`, or `-` with
    /// `--stdin-filename`.
    pub paths: Vec<PathBuf>,

    /// Report findings without changing anything (the default).
    #[arg(long, group = "mode")]
    pub check: bool,

    /// Print the fixes as a unified diff.
    #[arg(long, group = "mode")]
    pub diff: bool,

    /// Apply the fixes in place (with `-`, print the fixed template). `--fix` is the same.
    #[arg(long, group = "mode", alias = "fix")]
    pub write: bool,

    /// How to fix a key that reaches the preflight [default: auto, or the configuration's].
    #[arg(long, value_parser = strategies())]
    pub strategy: Option<Strategy>,

    /// Check only these rules (comma-separated or repeated); default: all.
    #[arg(long, value_parser = rules(), value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<Rule>,

    /// Skip these rules (besides those a configuration file skips).
    #[arg(long, value_parser = rules(), value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<Rule>,

    /// How findings are printed: diagnostics for people, one line per finding
    /// (`path:line:col: rule-id message`), one JSON document (`docs/json-format.md`), SARIF
    /// 2.1.0 for code scanning, or GitHub workflow commands (`::error file=...`) that
    /// annotate a pull request.
    #[arg(long, value_enum, default_value_t = Format::Human, alias = "output-format")]
    pub format: Format,

    /// When the human report is coloured; `auto` colours a terminal unless `NO_COLOR` is set.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = Color::Auto)]
    pub color: Color,

    /// Instead of each finding, print how many each rule found (and how many of those
    /// samfix can fix), most first; then the summary line.
    #[arg(long)]
    pub statistics: bool,

    /// Print the findings only, without the closing summary line.
    #[arg(long, short)]
    pub quiet: bool,

    /// Exit 0 even when something is left to fix; 2 still means a file could not be
    /// checked.
    #[arg(long)]
    pub exit_zero: bool,

    /// Skip files and directories matching this gitignore-style glob, walked or named
    /// (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Walk into the directories samfix skips by default: `node_modules`, `cdk.out`,
    /// `.aws-sam`, `.serverless`, `dist`, `build`, `target`, `.git`, `.venv`, `venv`,
    /// `__pycache__` and other dependency, build and cache folders.
    #[arg(long)]
    pub no_default_excludes: bool,

    /// Read no configuration file (`samfix.toml`, `.samfix.toml`, `[tool.samfix]` in
    /// `pyproject.toml`).
    #[arg(long)]
    pub isolated: bool,

    /// List the files that would be checked, one a line, and exit.
    #[arg(long)]
    pub show_files: bool,

    /// Skip named files that don't mention the SAM transform, as directory walks do
    /// (for hooks that pass every changed YAML or JSON file).
    #[arg(long)]
    pub sam_only: bool,

    /// The name standard input is reported under (and diffed as), for editors and hooks
    /// that pipe a file through samfix; without paths, samfix reads standard input.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<String>,

    /// Print a rule's documentation (what it finds, why it breaks browsers, the fixes and
    /// when each is right) and exit.
    #[arg(long, value_parser = rules(), value_name = "RULE", exclusive = true)]
    pub explain: Option<Rule>,

    /// Refuse files larger than this many bytes (default 4 MiB: four times the largest
    /// template CloudFormation accepts). Larger files are not read into memory.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_SIZE)]
    pub max_size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Print a shell completion script (e.g. `samfix completions bash > /etc/bash_completion.d/samfix`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page as roff (e.g. `samfix man | man -l -`).
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Concise,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// The strategies by name, as `--strategy` takes them.
fn strategies() -> impl TypedValueParser<Value = Strategy> {
    PossibleValuesParser::new(Strategy::ALL.map(Strategy::name))
        .map(|name: String| name.parse().expect("a listed strategy"))
}

/// The registry's rules by id, as `--select`, `--ignore` and `--explain` take them.
fn rules() -> impl TypedValueParser<Value = Rule> {
    PossibleValuesParser::new(Rule::ALL.iter().map(|rule| rule.id()))
        .map(|id: String| Rule::from_id(&id).expect("a listed rule"))
}
