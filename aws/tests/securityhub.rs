//! `SecurityHubPublisher` against moto's Security Hub on loopback, behind a proxy that logs
//! requests and injects faults: findings go in calls of 100 under the caller's default
//! product, a throttled call is retried, and a finding Security Hub refuses fails the call
//! with its id and reason. Skipped with a notice when moto is missing, except under
//! `CI=true`.

use std::sync::Once;
use std::time::Duration;

use sigil_aws::ClientOptions;
use sigil_aws::securityhub::{Finding, FindingResource, SecurityHubPublisher};
use sigil_aws::testing::{Fault, FaultProxy, Moto};

/// Moto (with a proxy in front) and the options of a client reaching it, or `None` with a
/// notice.
fn server(test: &str) -> Option<(Moto, FaultProxy, ClientOptions)> {
    static ENV: Once = Once::new();
    ENV.call_once(|| {
        for (name, value) in Moto::env("http://127.0.0.1:9") {
            if name != "AWS_ENDPOINT_URL" {
                // SAFETY: every test calls this before it starts any thread that reads the
                // environment, and the `Once` makes the others wait until it is done.
                unsafe { std::env::set_var(name, value) };
            }
        }
    });
    let moto = Moto::start_or_skip(test)?;
    let proxy = FaultProxy::start(moto.port).unwrap();
    let options = ClientOptions {
        endpoint_url: Some(proxy.endpoint()),
        initial_backoff: Duration::from_millis(20),
        ..ClientOptions::default()
    };
    Some((moto, proxy, options))
}

/// Runs `test` to its end on a runtime of its own.
fn run<F: std::future::Future<Output = ()>>(test: F) {
    tokio::runtime::Runtime::new().unwrap().block_on(test);
}

fn finding(n: usize) -> Finding {
    Finding {
        id: format!("match-{n:03}"),
        generator_id: "rule-1".into(),
        types: vec!["TTPs/Defense Evasion".into()],
        created_at: "2026-11-02T10:00:00Z".into(),
        first_observed_at: Some("2026-11-02T10:00:00Z".into()),
        last_observed_at: Some("2026-11-02T10:00:00Z".into()),
        severity: "HIGH",
        title: "CloudTrail logging stopped".into(),
        description: format!("record {n}"),
        resources: vec![FindingResource {
            kind: "AwsAccount".into(),
            id: "AWS::::Account:111122223333".into(),
            region: Some("eu-west-1".into()),
        }],
        product_fields: vec![("sigil/source/record".into(), n.to_string())],
    }
}

fn imports(proxy: &FaultProxy) -> usize {
    proxy
        .requests()
        .iter()
        .filter(|line| line.contains("/findings/import"))
        .count()
}

#[test]
fn findings_go_in_calls_of_100_under_the_default_product_and_throttling_is_retried() {
    let test = "findings_go_in_calls_of_100_under_the_default_product_and_throttling_is_retried";
    let Some((moto, proxy, options)) = server(test) else {
        return;
    };
    run(async {
        let publisher = SecurityHubPublisher::connect(None, &options).await.unwrap();
        // moto's account, the region of the environment.
        assert_eq!(
            publisher.product_arn(),
            "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
        );
        proxy.inject("/findings/import", Fault::SlowDown, 1);
        let findings: Vec<Finding> = (0..150).map(finding).collect();
        publisher.publish(&findings).await.unwrap();
        // 100 + 50, the first call once more after its 503.
        assert_eq!(imports(&proxy), 3);
        let stored = moto.boto(
            "sh = boto3.client('securityhub')\nout = []\n\
         for page in sh.get_paginator('get_findings').paginate():\n    out += page['Findings']\n\
         print(json.dumps(out))",
        );
        let stored = stored.as_array().unwrap();
        assert_eq!(stored.len(), 150);
        let first = stored.iter().find(|f| f["Id"] == "match-000").unwrap();
        assert_eq!(first["SchemaVersion"], "2018-10-08");
        assert_eq!(first["ProductArn"], publisher.product_arn());
        assert_eq!(first["AwsAccountId"], "123456789012");
        assert_eq!(first["GeneratorId"], "rule-1");
        assert_eq!(first["Severity"]["Label"], "HIGH");
        assert_eq!(first["Types"][0], "TTPs/Defense Evasion");
        assert_eq!(first["Resources"][0]["Type"], "AwsAccount");
        assert_eq!(first["ProductFields"]["sigil/source/record"], "0");
    });
}

#[test]
fn a_refused_finding_fails_the_call_with_its_id_and_reason() {
    let Some((_moto, proxy, options)) =
        server("a_refused_finding_fails_the_call_with_its_id_and_reason")
    else {
        return;
    };
    run(async {
        let product = "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default";
        let publisher = SecurityHubPublisher::connect(Some(product), &options)
            .await
            .unwrap();
        assert_eq!(publisher.product_arn(), product);
        // Security Hub (and moto) refuse a finding without resources.
        let mut refused = finding(7);
        refused.resources.clear();
        let error = publisher.publish(&[finding(6), refused]).await.unwrap_err();
        assert!(error.message.contains("match-007"), "{error}");
        assert!(
            error.message.contains("was refused: InvalidInput"),
            "{error}"
        );
        assert_eq!(error.code.as_deref(), Some("InvalidInput"));
        // Refused for good: not imported again.
        assert_eq!(imports(&proxy), 1);
        let bad = SecurityHubPublisher::connect(Some("arn:aws:sns:eu-west-1:1:t"), &options).await;
        assert!(
            bad.unwrap_err()
                .message
                .contains("no Security Hub product ARN")
        );
    });
}
