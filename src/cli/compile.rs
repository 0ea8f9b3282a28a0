//! `sigil compile`: what the prefilter makes of a rule set, the compiled rule-set file, and
//! `sigil debug literals`.
//!
//! `sigil compile -r RULES -o FILE` writes the loaded rules as one compiled file
//! (`sigil_compiler::compiled`), which every command taking `-r` loads in place of the rule
//! files, without reading any YAML.
//!
//! `sigil compile RULES --stats` builds the searches the hunt would build and reports the
//! number of literals, how they are searched for and the memory that takes, a histogram of
//! literal lengths, and every rule without a usable literal (evaluated on every record) with
//! its `no_literal` warning.

use super::diagnostics::TextRenderer;
use super::{Color, RuleArgs, exit};
use sigil_compiler::{Loaded, compiled};
use sigil_compiler::{MIN_LITERAL_LEN, dump_literals, no_literal_warnings};
use sigil_engine::{Engine, ScanOptions, SearchKind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `sigil compile`.
#[derive(clap::Args, Debug)]
pub struct CompileArgs {
    /// Rule files or folders.
    #[arg(value_name = "RULES", required_unless_present = "rules")]
    paths: Vec<PathBuf>,
    /// A rule file or folder (repeat for several); the same as naming them without `-r`.
    #[arg(short = 'r', long = "rules", value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// Write the loaded rules to this compiled rule-set file, which `-r` of every command
    /// takes in place of the rules (the rules refused are not in it, and exit 1 as always).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print the literal statistics and the rules without a literal.
    #[arg(long)]
    stats: bool,
    /// Compile as `sigil hunt --any-logsource` would: every rule for every record.
    #[arg(long)]
    any_logsource: bool,
    #[command(flatten)]
    rule_args: RuleArgs,
}

/// Runs `sigil compile`.
pub fn run(args: &CompileArgs, color: Color) -> Result<ExitCode, String> {
    let paths: Vec<PathBuf> = args.paths.iter().chain(&args.rules).cloned().collect();
    let loaded = load(&args.rule_args, &paths, color)?;
    if let Some(output) = &args.output {
        write_compiled(&loaded, &paths, output)?;
    }
    let Loaded {
        sources,
        rules,
        refused,
        ..
    } = loaded;
    let detections = rules.detections().count();
    let options = ScanOptions {
        any_logsource: args.any_logsource,
        ..ScanOptions::default()
    };
    let engine = Engine::new(rules, options);
    let rules = engine.rules();
    let prefilter = engine.prefilter().expect("the prefilter is on by default");
    let literals = prefilter.literals();
    let total = prefilter.literal_count();
    let (anchored, deferred) = prefilter.anchored_and_deferred();
    let search = match prefilter.search_kind() {
        SearchKind::Narrowed => ", too many for one automaton, so each record is searched for \
            those of the rules its fields allow (built as records are met)"
            .to_string(),
        kind => {
            let searched = total - anchored - deferred;
            let unanchored = match kind {
                SearchKind::Strings => String::new(),
                SearchKind::Stubs => format!(", {searched} found by Teddy"),
                _ => format!(", {searched} found by a {kind}"),
            };
            format!(
                ": {anchored} looked up in each string of a record{unanchored}, {deferred} \
                looked for only when a rule needs them ({} KiB with the per-source ones below)",
                prefilter.memory_usage().div_ceil(1024)
            )
        }
    };
    crate::outln!(
        "{} rules ({} detections), {total} literals{search}; {} rules without a literal",
        rules.len(),
        detections,
        prefilter.always().len(),
    );
    for (sources, count) in prefilter.source_passes() {
        let names: Vec<&str> = sources
            .iter()
            .map(|s| s.service().unwrap_or("unknown"))
            .collect();
        crate::outln!(
            "  records of {}: a search for {count} literals (their rules', and the keys that tell other sources)",
            names.join(", ")
        );
    }
    if args.stats {
        // The literals the rules' formulas use (not the keys the prefilter adds to tell
        // sources and fields apart).
        let mut used = vec![false; literals.literals().len()];
        for (id, _) in rules.iter() {
            literals
                .rule(id)
                .visit_literals(&mut |l| used[l.0 as usize] = true);
        }
        let lengths = literals.literals().iter().zip(used).filter(|(_, u)| *u);
        print_histogram(lengths.map(|(l, _)| l.len()));
        let renderer = TextRenderer::for_stdout(color);
        let warnings = no_literal_warnings(rules);
        if !warnings.is_empty() {
            crate::outln!("\nrules evaluated on every record:");
        }
        for warning in &warnings {
            crate::outln!("{}\n", renderer.render(warning, &sources));
        }
    }
    Ok(exit::code(if refused > 0 {
        exit::USAGE
    } else {
        exit::CLEAN
    }))
}

/// Runs `sigil debug literals RULES`: each matcher's literals and each rule's formula.
pub fn debug_literals(
    rule_args: &RuleArgs,
    paths: &[PathBuf],
    color: Color,
) -> Result<ExitCode, String> {
    let loaded = load(rule_args, paths, color)?;
    crate::out!("{}", dump_literals(&loaded.rules));
    Ok(exit::code(if loaded.refused > 0 {
        exit::USAGE
    } else {
        exit::CLEAN
    }))
}

/// Writes the compiled rule-set file, never over one of the rule files.
fn write_compiled(loaded: &Loaded, paths: &[PathBuf], output: &Path) -> Result<(), String> {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let rule_files = loaded.sources.iter().map(|(_, f)| f.path.as_path());
    if paths
        .iter()
        .map(PathBuf::as_path)
        .chain(rule_files)
        .any(|p| same(p, output))
    {
        return Err(format!("-o {}: that is one of the rules", output.display()));
    }
    let bytes = compiled::write(loaded).map_err(|e| format!("cannot compile the rules: {e}"))?;
    std::fs::write(output, &bytes)
        .map_err(|e| format!("cannot write {}: {e}", output.display()))?;
    eprintln!(
        "compiled {} rules into {} ({} KiB)",
        loaded.rules.len(),
        output.display(),
        bytes.len().div_ceil(1024)
    );
    Ok(())
}

/// Loads rules (errors of refused ones on stderr); an error when none could be loaded.
fn load(rule_args: &RuleArgs, paths: &[PathBuf], color: Color) -> Result<Loaded, String> {
    let loaded = rule_args.load_reporting_errors(paths, color);
    if loaded.rules.is_empty() && loaded.refused > 0 {
        return Err("no rule could be loaded; run `sigil check` on the rules".into());
    }
    Ok(loaded)
}

/// Literal lengths in power-of-two buckets: `3-3`, `4-7`, `8-15`, ...
fn print_histogram(lengths: impl Iterator<Item = usize>) {
    let mut buckets = [0usize; 8];
    for len in lengths {
        let bucket = (usize::BITS - len.leading_zeros()).saturating_sub(2) as usize;
        buckets[bucket.min(buckets.len() - 1)] += 1;
    }
    let widest = buckets.iter().copied().max().unwrap_or(0).max(1);
    crate::outln!("\nliteral length  count");
    for (i, &count) in buckets.iter().enumerate() {
        let low = (1usize << (i + 1)).max(MIN_LITERAL_LEN);
        let label = if i + 1 == buckets.len() {
            format!("{low}+")
        } else {
            format!("{low}-{}", (1usize << (i + 2)) - 1)
        };
        let bar = "#".repeat((count * 40).div_ceil(widest));
        crate::outln!("{label:>14}  {count:>5} {bar}");
    }
}
