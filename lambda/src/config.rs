//! The function's configuration, read once from its environment at cold start.
//!
//! | variable | meaning |
//! |---|---|
//! | `SIGIL_RULES` | a folder of rules (in the package or a layer), or an `s3://bucket/prefix` read at cold start; default `$LAMBDA_TASK_ROOT/rules` |
//! | `SIGIL_SNS_TOPIC_ARN` | publish each match to this topic |
//! | `SIGIL_EVENT_BUS` | put each match on this EventBridge bus (name or ARN) |
//! | `SIGIL_MIN_LEVEL` | only rules of at least this level (`informational` … `critical`) |
//! | `SIGIL_PIPELINES` | processing pipelines applied to the rules as they load, comma-separated: built-in names (`ecs-aws`, `ocsf-cloudtrail`) or files in the package |
//! | `AWS_*` | the SDK's own: region, credentials, `AWS_ENDPOINT_URL` |
//! | `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` | set by Lambda; bounds the bytes fetched ahead from S3 |

use sigil_aws::{S3Url, UrlError};
use sigil_compiler::Level;
use std::path::PathBuf;

/// Where the rules are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RulesAt {
    /// A folder (or file) on the function's disk.
    Folder(PathBuf),
    /// A prefix of S3, read at cold start.
    S3(S3Url),
}

impl std::fmt::Display for RulesAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RulesAt::Folder(folder) => write!(f, "{}", folder.display()),
            RulesAt::S3(url) => write!(f, "{url}"),
        }
    }
}

/// What the environment says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The rules.
    pub rules: RulesAt,
    /// The SNS topic matches are published to.
    pub sns_topic: Option<String>,
    /// The EventBridge bus matches are put on.
    pub event_bus: Option<String>,
    /// The lowest level of the rules run.
    pub min_level: Option<Level>,
    /// The processing pipelines applied to the rules, in the order given.
    pub pipelines: Vec<String>,
    /// The function's memory, in MiB.
    pub memory_mib: u64,
}

/// A variable that does not say anything usable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `SIGIL_RULES` is an `s3://` URL that does not parse.
    #[error("SIGIL_RULES: {0}")]
    RulesUrl(#[from] UrlError),
    /// `SIGIL_MIN_LEVEL` is no level.
    #[error("SIGIL_MIN_LEVEL: `{0}` is not one of informational, low, medium, high, critical")]
    Level(String),
}

impl Config {
    /// The configuration `var` (an environment lookup) describes.
    pub fn from(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let set = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let rules = match set("SIGIL_RULES") {
            Some(text) => match S3Url::parse(&text) {
                Some(url) => RulesAt::S3(url?),
                None => RulesAt::Folder(text.into()),
            },
            None => {
                let root = set("LAMBDA_TASK_ROOT").unwrap_or_else(|| ".".into());
                RulesAt::Folder(PathBuf::from(root).join("rules"))
            }
        };
        let min_level = match set("SIGIL_MIN_LEVEL") {
            Some(name) => Some(Level::parse(name.trim()).ok_or(ConfigError::Level(name))?),
            None => None,
        };
        Ok(Config {
            rules,
            sns_topic: set("SIGIL_SNS_TOPIC_ARN"),
            event_bus: set("SIGIL_EVENT_BUS"),
            min_level,
            pipelines: set("SIGIL_PIPELINES")
                .map(|list| {
                    list.split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
            memory_mib: set("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
                .and_then(|mib| mib.parse().ok())
                .unwrap_or(512),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn rules_default_to_the_package_and_may_be_an_s3_prefix() {
        let c = config(&[("LAMBDA_TASK_ROOT", "/var/task")]).unwrap();
        assert_eq!(c.rules, RulesAt::Folder("/var/task/rules".into()));
        assert_eq!((c.memory_mib, c.min_level), (512, None));
        assert!(c.pipelines.is_empty());
        let c = config(&[
            ("SIGIL_RULES", "s3://bkt/rules/"),
            ("SIGIL_MIN_LEVEL", "high"),
            ("SIGIL_PIPELINES", "ecs-aws, mapping.yml"),
        ])
        .unwrap();
        assert!(
            matches!(c.rules, RulesAt::S3(url) if url.bucket == "bkt" && url.prefix == "rules/")
        );
        assert_eq!(c.min_level, Some(Level::High));
        assert_eq!(c.pipelines, ["ecs-aws", "mapping.yml"]);
        assert!(matches!(
            config(&[("SIGIL_MIN_LEVEL", "severe")]),
            Err(ConfigError::Level(_))
        ));
    }
}
