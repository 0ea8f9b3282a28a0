//! `sigil list`: a table of rules, filterable.

use super::{Color, RuleArgs, exit};
use sigil_compiler::{Level, RuleKind};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `sigil list`.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Rule files or folders.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Only rules of at least this level.
    #[arg(long, value_parser = |s: &str| Level::parse(s).ok_or("use informational, low, medium, high or critical"))]
    level: Option<Level>,
    /// Only rules whose logsource contains this text (e.g. `cloudtrail`, `aws/waf`).
    #[arg(long)]
    logsource: Option<String>,
    /// Only rules with a tag containing this text (e.g. `t1562`).
    #[arg(long)]
    tag: Option<String>,
    #[command(flatten)]
    rules: RuleArgs,
}

/// Runs `sigil list`.
pub fn run(args: &ListArgs, _color: Color) -> ExitCode {
    let loaded = args.rules.load(&args.paths);
    crate::outln!(
        "{:<36}  {:<13}  {:<18}  {:<11}  {:<50}  TAGS",
        "ID",
        "LEVEL",
        "LOGSOURCE",
        "KIND",
        "TITLE"
    );
    for (_, rule) in loaded.rules.iter() {
        let meta = &rule.meta;
        let logsource = meta.logsource.to_string();
        let keep = args
            .level
            .is_none_or(|min| meta.level.is_some_and(|l| l >= min))
            && args
                .logsource
                .as_deref()
                .is_none_or(|text| logsource.contains(text))
            && args
                .tag
                .as_deref()
                .is_none_or(|text| meta.tags.iter().any(|t| t.contains(text)));
        if !keep {
            continue;
        }
        let kind = match rule.kind {
            RuleKind::Detection(_) => "detection",
            RuleKind::Correlation(_) => "correlation",
            RuleKind::Filter(_) => "filter",
        };
        crate::outln!(
            "{:<36}  {:<13}  {:<18}  {:<11}  {:<50}  {}",
            meta.id.as_deref().unwrap_or("-"),
            meta.level.map_or("-", |l| l.as_str()),
            logsource,
            kind,
            meta.title,
            meta.tags.join(",")
        );
    }
    if loaded.refused > 0 {
        eprintln!(
            "{} rules could not be loaded (`sigil check` shows why)",
            loaded.refused
        );
    }
    exit::code(if loaded.refused > 0 {
        exit::USAGE
    } else {
        exit::CLEAN
    })
}
