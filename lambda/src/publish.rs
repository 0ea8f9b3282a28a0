//! Where alerts go: the SNS topic (one message per match, the subject naming level, rule,
//! account and region, as e-mail subscribers see it) and the EventBridge bus (one event per
//! match, detail-type the rule's title, so an EventBridge rule can start a remediation for
//! one rule's matches).
//!
//! Security Hub (`SIGIL_SECURITYHUB`) gets one ASFF finding per match, made as `sigil watch`
//! makes it ([`finding`]), its id the match id: a retried import updates the finding.
//!
//! With none configured, each alert's JSON line is written to stdout, which Lambda sends to
//! the function's log group: matches are never dropped silently.
//!
//! A message or event is the alert's JSON line; one over the services' 256 KiB limits goes
//! without its `event` (its `source` says where to find it). A call that fails is an error
//! of the invocation (or of its SQS message), which Lambda retries: delivery is at least
//! once, and the retry's alerts carry the same ids.

use crate::config::Config;
use sigil_aws::eventbridge::{BusEvent, EventBusPublisher};
use sigil_aws::securityhub::SecurityHubPublisher;
use sigil_aws::sns::{Notification, SnsPublisher};
use sigil_aws::{ClientOptions, RequestError};
use sigil_watch::alert::Alert;
use sigil_watch::deliver::{finding, message};

/// The configured destinations.
pub struct Outlets {
    sns: Option<SnsPublisher>,
    bus: Option<EventBusPublisher>,
    hub: Option<SecurityHubPublisher>,
}

impl Outlets {
    /// The destinations `config` names, reached as `client` says; fails when Security Hub's
    /// product cannot be found (the caller's identity unknown).
    pub async fn connect(config: &Config, client: &ClientOptions) -> Result<Outlets, RequestError> {
        let sns = match &config.sns_topic {
            Some(topic) => Some(SnsPublisher::connect(topic, client).await),
            None => None,
        };
        let bus = match &config.event_bus {
            Some(bus) => Some(EventBusPublisher::connect(bus, client).await),
            None => None,
        };
        let hub = match config.security_hub {
            true => Some(
                SecurityHubPublisher::connect(config.security_hub_product.as_deref(), client)
                    .await?,
            ),
            false => None,
        };
        Ok(Outlets { sns, bus, hub })
    }

    /// Publishes `alerts` everywhere; returns once every destination took them all.
    pub async fn publish(&self, alerts: &[Alert]) -> Result<(), RequestError> {
        if alerts.is_empty() {
            return Ok(());
        }
        if self.sns.is_none() && self.bus.is_none() && self.hub.is_none() {
            for alert in alerts {
                println!("{}", alert.json);
            }
            return Ok(());
        }
        let messages: Vec<String> = alerts.iter().map(message).collect();
        if let Some(sns) = &self.sns {
            let notifications: Vec<Notification> = alerts
                .iter()
                .zip(&messages)
                .map(|(alert, message)| Notification {
                    id: alert.id.clone(),
                    subject: alert.subject.clone(),
                    message: message.clone(),
                })
                .collect();
            sns.publish(&notifications).await?;
        }
        if let Some(bus) = &self.bus {
            let events: Vec<BusEvent> = alerts
                .iter()
                .zip(messages)
                .map(|(alert, detail)| BusEvent {
                    detail_type: alert.rule.clone(),
                    resources: object_arn(&detail).into_iter().collect(),
                    detail,
                })
                .collect();
            bus.publish(&events).await?;
        }
        if let Some(hub) = &self.hub {
            let findings: Vec<_> = alerts.iter().map(finding).collect();
            hub.publish(&findings).await?;
        }
        Ok(())
    }
}

/// The ARN of the S3 object a match record's `source.path` names, if it is one.
fn object_arn(record: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(record).ok()?;
    let path = value["source"]["path"].as_str()?.strip_prefix("s3://")?;
    Some(format!("arn:aws:s3:::{path}"))
}

#[cfg(test)]
mod tests {
    use super::object_arn;

    #[test]
    fn events_name_the_object_they_come_from() {
        let record = r#"{"id":"x","source":{"path":"s3://trail/AWSLogs/a.json.gz","record":2}}"#;
        assert_eq!(
            object_arn(record).unwrap(),
            "arn:aws:s3:::trail/AWSLogs/a.json.gz"
        );
        assert_eq!(
            object_arn(r#"{"source":{"path":"cloudwatch://g/s"}}"#),
            None
        );
    }
}
