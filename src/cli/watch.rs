//! `sigil watch`: follow inputs as they are written and deliver every match, at least once.

use super::diagnostics::TextRenderer;
use super::hunt::parse_level;
use super::{Color, RuleArgs, exit};
use sigil_compiler::Level;
use sigil_engine::ScanOptions;
use sigil_engine::correlate::LiveLimits;
use sigil_watch::deliver::Retry;
use sigil_watch::follow::Follow;
use sigil_watch::rules::RuleSource;
use sigil_watch::{Config, Notice, WatchError};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `sigil watch`.
#[derive(clap::Args, Debug)]
pub struct WatchArgs {
    /// A rule file or folder (repeat `-r` for several); reloaded on SIGHUP or when changed.
    #[arg(short = 'r', long = "rules", required = true, value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// Files to follow (`tail -F`: growth, rotation, truncation, a file that appears later),
    /// folders whose files to follow, `-` for stdin, `s3://bucket/prefix` to poll for new
    /// objects.
    #[arg(value_name = "SOURCE")]
    sources: Vec<PathBuf>,
    /// POST each batch of matches as JSON to this URL (repeat for several).
    #[arg(long = "webhook", value_name = "URL")]
    webhooks: Vec<String>,
    /// Sign webhook bodies: `X-Sigil-Signature: sha256=<HMAC-SHA256 of the body>`.
    #[arg(
        long,
        value_name = "SECRET",
        env = "SIGIL_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    webhook_secret: Option<String>,
    /// Publish each match to this SNS topic (`PublishBatch`; subject: level, rule, account,
    /// region).
    #[arg(long, value_name = "ARN")]
    sns_topic: Option<String>,
    /// Import each match into AWS Security Hub as an ASFF finding (`BatchImportFindings`),
    /// under the caller's default product, or the one `--security-hub-product` names.
    #[arg(long)]
    security_hub: bool,
    /// The Security Hub product ARN findings are imported under (implies --security-hub);
    /// default: `arn:aws:securityhub:<region>:<account>:product/<account>/default`.
    #[arg(long, value_name = "ARN")]
    security_hub_product: Option<String>,
    /// Read S3 event notifications (direct, through SNS or EventBridge) from this SQS queue
    /// and scan the objects they announce; a message is deleted once its matches are
    /// delivered (repeat for several).
    #[arg(long = "sqs-queue", value_name = "URL")]
    sqs_queues: Vec<String>,
    /// How often `s3://` prefixes are listed for new objects, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    s3_poll_ms: u64,
    /// The AWS endpoint (for tests and S3-compatible stores); default: `AWS_ENDPOINT_URL`.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// The named AWS profile; default: `AWS_PROFILE`.
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Append matches as JSON lines to this file (stdout is used when no sink is given).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write matches to stdout when other sinks are given.
    #[arg(long)]
    stdout: bool,
    /// Keep positions, correlation state and undelivered batches here, so that a restart
    /// loses nothing (at-least-once delivery).
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// Serve the HTTP intake (POST /events, Firehose, CloudWatch Logs; GET /healthz,
    /// /metrics) at this address, such as 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// The most bytes the intake's requests in flight may hold (bodies read, decoded, waiting
    /// or being scanned, until answered); past it requests get `503` with `Retry-After`.
    #[arg(long, value_name = "BYTES", default_value_t = sigil_watch::intake::DEFAULT_INTAKE_BYTES)]
    intake_bytes: usize,
    /// Only rules of at least this level.
    #[arg(long, value_parser = parse_level)]
    level: Option<Level>,
    /// Start files found at the first start at their end (later files, and files with a saved
    /// position, are read from where they stand).
    #[arg(long)]
    from_end: bool,
    /// How often followed files are checked, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 50)]
    poll_ms: u64,
    /// Tries of a webhook batch before it is queued in the state directory.
    #[arg(long, value_name = "N", default_value_t = 3)]
    webhook_attempts: u32,
    /// How long a webhook request may take, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    webhook_timeout_ms: u64,
    /// The most bytes of batches each webhook may queue (then the watcher waits).
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
    queue_bytes: usize,
    /// Most groups a live correlation holds (the oldest are dropped, and counted).
    #[arg(long, value_name = "N", default_value_t = LiveLimits::default().max_groups)]
    max_groups: usize,
    /// Most events a live correlation holds over all its groups.
    #[arg(long, value_name = "N", default_value_t = LiveLimits::default().max_events)]
    max_events: usize,
    #[command(flatten)]
    rule_args: RuleArgs,
}

/// Runs `sigil watch`.
pub fn run(args: &WatchArgs, color: Color) -> Result<ExitCode, String> {
    let loaded = args.rule_args.load(&args.rules);
    super::report_load(&loaded, color, "watched");
    if loaded.rules.is_empty() {
        return Err("no rule could be loaded; run `sigil check` on the rules".into());
    }
    let scan = ScanOptions {
        min_level: args.level,
        ..ScanOptions::default()
    };
    let engine = sigil_engine::Engine::new(loaded.rules, scan.clone());
    for (rule, reason) in engine.unevaluated_correlations() {
        let title = &engine.rules().rule(rule).meta.title;
        eprintln!("warning: correlation `{title}` is not evaluated: {reason}");
    }
    let config = config(args, scan)?;
    let (notices, received) = std::sync::mpsc::channel();
    let printer = std::thread::spawn(move || {
        for notice in received {
            print_notice(notice, color);
        }
    });
    let result = sigil_watch::run(config, engine, notices);
    let _ = printer.join();
    match result {
        Ok(()) => Ok(exit::code(exit::CLEAN)),
        Err(WatchError::Delivery(error)) => {
            eprintln!("error: {error}; the watcher stopped, and nothing past it was committed");
            Ok(exit::code(exit::OUTPUT_ERROR))
        }
        Err(error) => Err(error.to_string()),
    }
}

/// The watcher's configuration from the command line.
fn config(args: &WatchArgs, scan: ScanOptions) -> Result<Config, String> {
    let mut follow = Follow {
        poll: Duration::from_millis(args.poll_ms.max(1)),
        from_end: args.from_end,
        ..Follow::default()
    };
    let mut stdin = false;
    let mut s3_prefixes = Vec::new();
    for source in &args.sources {
        if let Some(url) = source.to_str().and_then(sigil_aws::S3Url::parse) {
            s3_prefixes.push(url.map_err(|e| e.to_string())?);
        } else if source.as_os_str() == "-" {
            stdin = true;
        } else if source.is_dir() {
            follow.folders.push(source.clone());
        } else {
            follow.files.push(source.clone());
        }
    }
    let inputs =
        stdin || !follow.files.is_empty() || !follow.folders.is_empty() || !s3_prefixes.is_empty();
    if !inputs && args.listen.is_none() && args.sqs_queues.is_empty() {
        return Err(
            "nothing to watch: name files, folders, `-` for stdin, --listen or --sqs-queue".into(),
        );
    }
    let retry = Retry {
        attempts: args.webhook_attempts.max(1),
        timeout: Duration::from_millis(args.webhook_timeout_ms.max(1)),
        ..Retry::default()
    };
    let security_hub = args.security_hub || args.security_hub_product.is_some();
    let other_sinks = args.output.is_some()
        || !args.webhooks.is_empty()
        || args.sns_topic.is_some()
        || security_hub;
    Ok(Config {
        rules: RuleSource {
            paths: args.rules.clone(),
            load: args.rule_args.load_options(),
            scan,
            poll: Duration::from_secs(1),
        },
        follow,
        stdin,
        listen: args.listen,
        intake_bytes: args.intake_bytes,
        stdout: args.stdout || !other_sinks,
        output: args.output.clone(),
        webhooks: args.webhooks.clone(),
        webhook_secret: args.webhook_secret.clone(),
        retry,
        queue_bytes: args.queue_bytes,
        state: args.state.clone(),
        limits: LiveLimits {
            max_groups: args.max_groups,
            max_events: args.max_events,
        },
        sns_topic: args.sns_topic.clone(),
        security_hub,
        security_hub_product: args.security_hub_product.clone(),
        sqs_queues: args.sqs_queues.clone(),
        s3_prefixes,
        s3_poll: Duration::from_millis(args.s3_poll_ms.max(100)),
        aws: sigil_aws::ClientOptions {
            profile: args.profile.clone(),
            endpoint_url: args.endpoint_url.clone(),
            ..sigil_aws::ClientOptions::default()
        },
    })
}

/// Prints what the watcher says, on stderr.
fn print_notice(notice: Notice, color: Color) {
    match notice {
        Notice::Listening(address) => eprintln!("listening on http://{address}"),
        Notice::Problem(problem) => eprintln!("warning: {problem}"),
        Notice::Delivery(message) => eprintln!("warning: {message}"),
        Notice::Reloaded { rules } => eprintln!("rules reloaded: {rules} rules"),
        Notice::ReloadRefused(loaded) => {
            let renderer = TextRenderer::for_stderr(color);
            for diag in loaded.diagnostics.iter().filter(|d| d.is_error()).take(5) {
                eprintln!("{}\n", renderer.render(diag, &loaded.sources));
            }
            let why = if loaded.rules.is_empty() {
                "no rule loads"
            } else {
                "rules were refused"
            };
            eprintln!("warning: the changed rules were not used ({why}); the rules in force stay");
        }
        _ => {}
    }
}
