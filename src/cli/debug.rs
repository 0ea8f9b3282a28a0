//! `sigil debug`: print an intermediate stage of the compiler.

use super::{Color, RuleArgs, exit};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `sigil debug`.
#[derive(clap::Args, Debug)]
pub struct DebugArgs {
    #[command(subcommand)]
    stage: Stage,
}

#[derive(Subcommand, Debug)]
enum Stage {
    /// The syntax tree of a condition, as an S-expression.
    Ast {
        /// The condition, e.g. "selection and not 1 of filter*".
        condition: String,
    },
    /// The IR of rules: searches, matchers and conditions.
    Ir {
        /// Rule files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Each matcher's literals and each rule's prefilter formula.
    Literals {
        /// Rule files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        rules: RuleArgs,
    },
}

/// Runs `sigil debug`.
pub fn run(args: &DebugArgs, color: Color) -> Result<ExitCode, String> {
    match &args.stage {
        Stage::Ast { condition } => match sigil_grammar::parse(condition) {
            Ok(expr) => {
                crate::outln!("{expr}");
                Ok(exit::code(exit::CLEAN))
            }
            Err(err) => Err(format!(
                "{} (at bytes {}..{})",
                err.message, err.span.start, err.span.end
            )),
        },
        Stage::Ir { paths, rules } => {
            let loaded = rules.load_reporting_errors(paths, color);
            crate::out!("{}", sigil_compiler::dump_ir(&loaded.rules));
            Ok(exit::code(if loaded.refused > 0 {
                exit::USAGE
            } else {
                exit::CLEAN
            }))
        }
        Stage::Literals { paths, rules } => super::compile::debug_literals(rules, paths, color),
    }
}
