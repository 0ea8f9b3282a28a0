//! The function's configuration, read once from its environment at cold start.
//!
//! | variable | meaning |
//! |---|---|
//! | `SIGIL_RULES` | a folder of rules (in the package or a layer), or an `s3://bucket/prefix` read at cold start; default `$LAMBDA_TASK_ROOT/rules` |
//! | `SIGIL_SNS_TOPIC_ARN` | publish each match to this topic |
//! | `SIGIL_EVENT_BUS` | put each match on this EventBridge bus (name or ARN) |
//! | `SIGIL_SECURITYHUB` | import each match into Security Hub as an ASFF finding: `1` (or `true`) under the caller's default product, or the product ARN to import under |
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
    /// Import matches into Security Hub.
    pub security_hub: bool,
    /// The Security Hub product ARN (default: the caller's default product).
    pub security_hub_product: Option<String>,
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
    /// `SIGIL_SECURITYHUB` is neither a switch nor a product ARN.
    #[error("SIGIL_SECURITYHUB: `{0}` is none of 1, true, 0, false or a Security Hub product ARN")]
    SecurityHub(String),
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
        let (security_hub, security_hub_product) = match set("SIGIL_SECURITYHUB") {
            None => (false, None),
            Some(value) => match value.trim() {
                "1" | "true" | "TRUE" | "True" => (true, None),
                "0" | "false" | "FALSE" | "False" => (false, None),
                arn if arn.starts_with("arn:") => (true, Some(arn.to_string())),
                _ => return Err(ConfigError::SecurityHub(value)),
            },
        };
        Ok(Config {
            rules,
            security_hub,
            security_hub_product,
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
        assert_eq!((c.security_hub, c.security_hub_product), (false, None));
        let c = config(&[
            ("SIGIL_RULES", "s3://bkt/rules/"),
            ("SIGIL_MIN_LEVEL", "high"),
            ("SIGIL_PIPELINES", "ecs-aws, mapping.yml"),
            ("SIGIL_SECURITYHUB", "1"),
        ])
        .unwrap();
        assert_eq!(
            (c.security_hub, c.security_hub_product.as_deref()),
            (true, None)
        );
        assert!(
            matches!(c.rules, RulesAt::S3(url) if url.bucket == "bkt" && url.prefix == "rules/")
        );
        assert_eq!(c.min_level, Some(Level::High));
        assert_eq!(c.pipelines, ["ecs-aws", "mapping.yml"]);
        let arn = "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default";
        let c = config(&[("SIGIL_SECURITYHUB", arn)]).unwrap();
        assert_eq!(c.security_hub_product.as_deref(), Some(arn));
        assert!(matches!(
            config(&[("SIGIL_SECURITYHUB", "yes please")]),
            Err(ConfigError::SecurityHub(_))
        ));
        assert!(matches!(
            config(&[("SIGIL_MIN_LEVEL", "severe")]),
            Err(ConfigError::Level(_))
        ));
    }
}
