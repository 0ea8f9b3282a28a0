//! Processing pipelines, one transformation and one condition at a time: each test loads a rule
//! with a pipeline and looks at the IR (`dump_ir`) or the diagnostics. The matches these give
//! are checked against pySigma in the workspace's `tests/pipelines_pysigma.rs`.

use sigil_compiler::{Code, Diagnostic, LoadOptions, Loaded, dump_ir, load_str};
use std::io::Write;

const CLOUDTRAIL: &str = "logsource: {product: aws, service: cloudtrail}\n";

/// Loads `rule` (a rule's YAML after its logsource) with the pipelines given as YAML texts.
fn load(pipelines: &[&str], rule: &str) -> (Loaded, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut options = LoadOptions::default();
    for (i, text) in pipelines.iter().enumerate() {
        let path = dir.path().join(format!("p{i}.yml"));
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        options.pipelines.push(path.to_string_lossy().into_owned());
    }
    let text = format!("title: t\nid: x\nlevel: low\n{rule}");
    (load_str("rule.yml".as_ref(), &text, &options), dir)
}

/// Load options with `pipeline` (a YAML text), written in a folder that lives as long as the
/// second value.
fn options_with(pipeline: &str) -> (LoadOptions, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.yml");
    std::fs::write(&path, pipeline).unwrap();
    let options = LoadOptions {
        pipelines: vec![path.to_string_lossy().into_owned()],
        ..LoadOptions::default()
    };
    (options, dir)
}

/// The IR of `rule` under one pipeline; the load must be clean of errors.
fn ir(pipeline: &str, rule: &str) -> String {
    let (loaded, _dir) = load(&[pipeline], rule);
    let errors: Vec<&Diagnostic> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    dump_ir(&loaded.rules)
}

/// The first error of loading `rule` under `pipeline`, as `code line:col message`.
fn error(pipeline: &str) -> String {
    let (loaded, _dir) = load(
        &[pipeline],
        &format!("{CLOUDTRAIL}detection: {{s: {{a: 1}}, condition: s}}\n"),
    );
    assert!(loaded.rules.is_empty(), "no rule loads with a bad pipeline");
    let d = loaded
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .expect("an error");
    let (line, col) = loaded
        .sources
        .get(d.primary.span.source)
        .line_col(d.primary.span.start);
    format!("{} {line}:{col} {}", d.code.id(), d.message)
}

const SEL: &str = "detection:\n  sel:\n    src: 1.2.3.4\n    user: alice\n  condition: sel\n";

fn rule(detection: &str) -> String {
    format!("{CLOUDTRAIL}{detection}")
}

#[test]
fn field_name_mapping_renames_and_one_to_many_is_an_or() {
    let p = "transformations:\n- type: field_name_mapping\n  mapping:\n    src: sourceIPAddress\n    user: [userName, principal]\n";
    let ir = ir(p, &rule(SEL));
    assert!(ir.contains("search sel = (and m0 (or m1 m2))"), "{ir}");
    assert!(ir.contains(r#"m0: sourceIPAddress [eq "1.2.3.4"]"#), "{ir}");
    assert!(
        ir.contains(r#"m1: userName [eq "alice"]"#) && ir.contains(r#"m2: principal [eq "alice"]"#),
        "{ir}"
    );
}

#[test]
fn field_name_mapping_maps_field_references() {
    let p = "transformations:\n- type: field_name_mapping\n  mapping: {b: bb, a: aa}\n";
    let ir = ir(
        p,
        &rule("detection:\n  s: {a|fieldref: b}\n  condition: s\n"),
    );
    assert!(ir.contains("aa [fieldref Equals bb]"), "{ir}");
}

#[test]
fn prefix_suffix_and_prefix_mapping() {
    let p = "transformations:\n\
             - type: field_name_prefix\n  prefix: 'userIdentity.'\n  field_name_conditions:\n  - {type: include_fields, fields: ['^u'], mode: re}\n\
             - type: field_name_suffix\n  suffix: X\n  field_name_conditions:\n  - {type: exclude_fields, fields: [userIdentity.user]}\n\
             - type: field_name_prefix_mapping\n  mapping: {'userIdentity.': ['a.', 'b.']}\n";
    let ir = ir(p, &rule(SEL));
    assert!(ir.contains(r#"srcX [eq "1.2.3.4"]"#), "{ir}");
    assert!(
        ir.contains(r#"a.user [eq "alice"]"#) && ir.contains(r#"b.user [eq "alice"]"#),
        "{ir}"
    );
}

#[test]
fn add_condition_plain_negated_and_templated() {
    let p = "transformations:\n\
             - type: add_condition\n  conditions: {awsRegion: [eu-west-1, us-east-1]}\n\
             - type: add_condition\n  negated: true\n  template: true\n  conditions: {eventSource: '$service.amazonaws.com', x: '${product}-$category-$$'}\n";
    let ir = ir(p, &rule(SEL));
    assert!(
        ir.contains("search _cond_0 = m2") && ir.contains("search _cond_1 = (and m3 m4)"),
        "{ir}"
    );
    assert!(
        ir.contains("condition = (and (not _cond_1) (and _cond_0 sel))"),
        "{ir}"
    );
    assert!(
        ir.contains(r#"eventSource [eq "cloudtrail.amazonaws.com"]"#),
        "{ir}"
    );
    assert!(ir.contains(r#"x [eq "aws-none-$"]"#), "{ir}");
}

#[test]
fn change_logsource_replaces_the_whole_log_source() {
    let p = "transformations:\n- type: change_logsource\n  product: AWS\n  category: api\n";
    assert!(ir(p, &rule(SEL)).starts_with(r#"rule 0 "t" [aws/api/*]"#));
}

#[test]
fn replace_string_sees_the_wildcards_of_modifiers() {
    let p = "transformations:\n- type: replace_string\n  regex: '^\\*(\\w+)'\n  replacement: 'pre-\\1'\n";
    let ir = ir(
        p,
        &rule("detection:\n  s: {a|contains: [abc, x*y]}\n  condition: s\n"),
    );
    // `*abc*` becomes `pre-abc*`: a startswith; `*x*y*` becomes `pre-x*y*`.
    assert!(
        ir.contains(r#"a [startswith "pre-abc", glob "pre-x*y*"]"#),
        "{ir}"
    );
}

#[test]
fn replace_string_skip_special_leaves_wildcards() {
    let p = "transformations:\n- type: replace_string\n  regex: 'a'\n  replacement: '?'\n  skip_special: true\n";
    let ir = ir(p, &rule("detection:\n  s: {f: 'a*a'}\n  condition: s\n"));
    assert!(ir.contains(r#"f [glob "\\?*\\?"]"#), "{ir}");
}

#[test]
fn value_placeholders_take_the_pipeline_vars() {
    let p = "vars: {nets: ['10.0.0.1', '10.0.0.2'], other: [x]}\ntransformations:\n- type: value_placeholders\n  include: [nets]\n";
    let (loaded, _dir) = load(
        &[p],
        &rule(
            "detection:\n  s: {src|expand: '%nets%'}\n  t: {u|expand: '%other%'}\n  condition: s or t\n",
        ),
    );
    let ir = dump_ir(&loaded.rules);
    assert!(ir.contains(r#"src [eq "10.0.0.1", eq "10.0.0.2"]"#), "{ir}");
    assert!(ir.contains("u [placeholder %other%]"), "{ir}");
    // The warning for `%nets%` went with its values; `%other%` is not included.
    let warnings: Vec<&str> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::PlaceholderWithoutValues)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("%other%"));
}

#[test]
fn drop_detection_item_and_empty_searches_leave_the_condition() {
    let p = "transformations:\n- type: drop_detection_item\n  field_name_conditions:\n  - {type: include_fields, fields: [b]}\n";
    let ir = ir(
        p,
        &rule(
            "detection:\n  s1: {a: 1}\n  s2: {b: 2}\n  s3: [{b: 3}, {c: 4}]\n  condition: s1 and s2 or s3\n",
        ),
    );
    // As pySigma: `(a=1) OR (c=4)`.
    assert!(ir.contains("condition = (or (and s1) s3)"), "{ir}");
    assert!(
        ir.contains("search s3 = (or m1)") && !ir.contains("b ["),
        "{ir}"
    );
}

#[test]
fn rule_conditions_select_rules() {
    let map = |conds: &str| {
        format!(
            "transformations:\n- type: field_name_mapping\n  id: m\n  mapping: {{src: mapped}}\n{conds}"
        )
    };
    let mapped = |conds: &str| {
        ir(&map(conds), &format!("tags: [attack.t1078]\n{}", rule(SEL))).contains("mapped [")
    };
    assert!(mapped(
        "  rule_conditions: [{type: logsource, product: aws}]\n"
    ));
    assert!(!mapped(
        "  rule_conditions: [{type: logsource, product: aws, service: waf}]\n"
    ));
    assert!(mapped(
        "  rule_conditions: [{type: contains_field, field: user}]\n"
    ));
    assert!(mapped(
        "  rule_conditions: [{type: contains_detection_item, field: user, value: alice}]\n"
    ));
    assert!(!mapped(
        "  rule_conditions: [{type: contains_detection_item, field: user, value: bob}]\n"
    ));
    assert!(mapped(
        "  rule_conditions: [{type: tag, tag: attack.t1078}]\n"
    ));
    assert!(mapped("  rule_conditions: [{type: is_sigma_rule}]\n"));
    assert!(!mapped(
        "  rule_conditions: [{type: is_sigma_correlation_rule}]\n"
    ));
    assert!(mapped(
        "  rule_conditions: [{type: tag, tag: x}, {type: is_sigma_rule}]\n  rule_cond_op: or\n"
    ));
    assert!(!mapped(
        "  rule_conditions: [{type: tag, tag: x}, {type: is_sigma_rule}]\n"
    ));
    assert!(mapped(
        "  rule_conditions: [{type: tag, tag: x}]\n  rule_cond_not: true\n"
    ));
    // processing_item_applied: the second item applies only after the first did.
    let chained = "transformations:\n- {id: first, type: change_logsource, product: aws, rule_conditions: [{type: tag, tag: nope}]}\n\
                   - type: field_name_mapping\n  mapping: {src: mapped}\n  rule_conditions: [{type: processing_item_applied, processing_item_id: first}]\n";
    assert!(!ir(chained, &rule(SEL)).contains("mapped ["));
}

#[test]
fn detection_item_conditions_select_items() {
    let mapped = |conds: &str| {
        let p = format!("transformations:\n- type: field_name_prefix\n  prefix: 'p.'\n{conds}");
        let ir = ir(
            &p,
            &rule(
                "detection:\n  s:\n    a|startswith: abc\n    b: null\n    c: [x, 'y*']\n  condition: s\n",
            ),
        );
        let mut fields: Vec<&str> = ir
            .lines()
            .filter_map(|l| l.split(": ").nth(1)?.split(' ').next())
            .filter(|f| f.starts_with("p."))
            .collect();
        fields.sort();
        fields.join(",")
    };
    assert_eq!(
        mapped("  detection_item_conditions: [{type: match_string, cond: any, pattern: 'ab'}]\n"),
        "p.a"
    );
    // A value that is no string does not match, so `negate` selects it (as in pySigma).
    assert_eq!(
        mapped(
            "  detection_item_conditions: [{type: match_string, cond: all, pattern: 'ab', negate: true}]\n"
        ),
        "p.b,p.c"
    );
    assert_eq!(
        mapped("  detection_item_conditions: [{type: contains_wildcard, cond: any}]\n"),
        "p.a,p.c"
    );
    assert_eq!(
        mapped("  detection_item_conditions: [{type: is_null, cond: all}]\n"),
        "p.b"
    );
    assert_eq!(
        mapped("  detection_item_conditions: [{type: match_value, cond: any, value: x}]\n"),
        "p.c"
    );
    assert_eq!(
        mapped(
            "  detection_item_conditions: [{type: is_null, cond: all}]\n  detection_item_cond_not: true\n"
        ),
        "p.a,p.c"
    );
    assert_eq!(
        mapped(
            "  detection_item_conditions: [{type: is_null, cond: all}, {type: match_value, cond: any, value: x}]\n  detection_item_cond_op: or\n"
        ),
        "p.b,p.c"
    );
}

#[test]
fn field_and_item_applied_conditions_follow_earlier_items() {
    let p = "transformations:\n\
             - {id: ren, type: field_name_mapping, mapping: {a: b}}\n\
             - type: field_name_suffix\n  suffix: _f\n  field_name_conditions: [{type: processing_item_applied, processing_item_id: ren}]\n\
             - type: field_name_prefix\n  prefix: i.\n  detection_item_conditions: [{type: processing_item_applied, processing_item_id: ren}]\n";
    let ir = ir(p, &rule("detection:\n  s: {a: 1, c: 2}\n  condition: s\n"));
    assert!(ir.contains("i.b_f [") && ir.contains("c ["), "{ir}");
}

#[test]
fn correlations_map_their_fields_one_to_one() {
    let p = "transformations:\n- type: field_name_mapping\n  mapping: {src: sourceIPAddress, user: [a, b]}\n";
    let base = "title: base\nname: base\nlogsource: {product: aws}\ndetection: {s: {x: 1}, condition: s}\n---\n";
    let corr = |group: &str| {
        format!(
            "{base}title: c\ncorrelation:\n  type: event_count\n  rules: [base]\n  group-by: [{group}]\n  timespan: 1m\n  condition: {{gte: 2}}\n"
        )
    };
    let (options, _dir) = options_with(p);
    let loaded = load_str("c.yml".as_ref(), &corr("src"), &options);
    assert!(
        dump_ir(&loaded.rules).contains("sourceIPAddress"),
        "{}",
        dump_ir(&loaded.rules)
    );
    let loaded = load_str("c.yml".as_ref(), &corr("user"), &options);
    assert_eq!(loaded.refused, 1);
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|d| d.code == Code::UnsupportedPipeline)
    );
}

#[test]
fn a_logsource_condition_holds_for_a_correlation_through_the_rules_it_refers_to() {
    // The mapping is for CloudTrail rules, and the log source is changed after it (the
    // condition looks at the log sources as written).
    let p = "transformations:\n\
             - type: field_name_mapping\n  mapping: {sourceIPAddress: src.ip}\n  \
               rule_conditions: [{type: logsource, product: aws, service: cloudtrail}]\n\
             - type: change_logsource\n  product: aws\n  service: lake\n  \
               rule_conditions: [{type: logsource, product: aws, service: cloudtrail}]\n";
    let (options, _dir) = options_with(p);
    let rules = |logsource: &str| {
        format!(
            "title: base\nname: base\nlogsource: {logsource}\n\
             detection: {{s: {{sourceIPAddress: 1}}, condition: s}}\n---\n\
             title: count\nname: count\ncorrelation:\n  type: event_count\n  rules: [base]\n  \
             group-by: [sourceIPAddress]\n  timespan: 1m\n  condition: {{gte: 2}}\n---\n\
             title: chain\ncorrelation:\n  type: temporal\n  rules: [count, base]\n  \
             group-by: [sourceIPAddress]\n  timespan: 5m\n"
        )
    };
    let group_by = |loaded: &Loaded| -> Vec<Vec<String>> {
        let correlations = loaded.rules.rules().iter().filter_map(|r| match &r.kind {
            sigil_compiler::RuleKind::Correlation(c) => Some(c.group_by.clone()),
            _ => None,
        });
        correlations.collect()
    };
    let cloudtrail = load_str(
        "c.yml".as_ref(),
        &rules("{product: aws, service: cloudtrail}"),
        &options,
    );
    assert_eq!(cloudtrail.refused, 0, "{:?}", cloudtrail.diagnostics);
    assert!(dump_ir(&cloudtrail.rules).contains("\"base\" [aws/lake]"));
    assert_eq!(group_by(&cloudtrail), [["src.ip"], ["src.ip"]]);
    // Over a rule of another log source, the condition does not hold.
    let windows = load_str("c.yml".as_ref(), &rules("{product: windows}"), &options);
    assert_eq!(
        group_by(&windows),
        [["sourceIPAddress"], ["sourceIPAddress"]]
    );
}

#[test]
fn pipelines_run_by_priority() {
    let late = "priority: 20\ntransformations:\n- {type: field_name_mapping, mapping: {b: c}}\n";
    let early = "priority: 5\ntransformations:\n- {type: field_name_mapping, mapping: {a: b}}\n";
    let (loaded, _dir) = load(
        &[late, early],
        &rule("detection: {s: {a: 1}, condition: s}\n"),
    );
    assert!(
        dump_ir(&loaded.rules).contains("c [eq"),
        "{}",
        dump_ir(&loaded.rules)
    );
}

#[test]
fn builtin_pipelines_load() {
    for (name, _) in sigil_compiler::BUILTIN_PIPELINES {
        let options = LoadOptions {
            pipelines: vec![name.to_string()],
            ..LoadOptions::default()
        };
        let loaded = load_str(
            "r.yml".as_ref(),
            &format!("title: t\n{}", rule(SEL)),
            &options,
        );
        assert_eq!(loaded.refused, 0, "{name}: {:?}", loaded.diagnostics);
    }
    let options = LoadOptions {
        pipelines: vec!["ecs-aws".into()],
        ..LoadOptions::default()
    };
    let loaded = load_str(
        "r.yml".as_ref(),
        &format!(
            "title: t\n{}",
            rule("detection: {s: {src_ip: 1.2.3.4, user.name: x}, condition: s}\n")
        ),
        &options,
    );
    let ir = dump_ir(&loaded.rules);
    assert!(
        ir.contains("sourceIPAddress")
            && ir.contains("userIdentity.sessionContext.sessionIssuer.userName"),
        "{ir}"
    );
}

#[test]
fn unsupported_and_invalid_pipelines_are_errors_with_positions() {
    assert_eq!(
        error(
            "transformations:\n  - type: field_name_mapping\n    mapping: {a: b}\n  - type: hashes_fields\n"
        ),
        "S061 4:11 transformation type `hashes_fields` is not supported"
    );
    assert_eq!(
        error(
            "transformations:\n- type: drop_detection_item\n  rule_conditions:\n  - type: processing_state\n"
        ),
        "S061 4:11 rule condition `processing_state` is not supported"
    );
    assert!(
        error("transformations:\n- type: drop_detection_item\n  rule_cond_expr: a and b\n")
            .starts_with("S061 3:3 `rule_cond_expr`")
    );
    assert!(
        error("transformations:\n- type: field_name_prefix\n  prefix: x\n  sufix: y\n")
            .starts_with("S061 4:3 `field_name_prefix` has no parameter `sufix`")
    );
    assert_eq!(
        error("name: x\ntransformation: []\n"),
        "S060 2:1 unknown pipeline key `transformation`"
    );
    assert!(error("transformations: [\n").starts_with("S060"));
    assert!(
        error("transformations:\n- type: replace_string\n  regex: '('\n  replacement: x\n")
            .starts_with("S060 3:10 invalid regular expression")
    );
    assert!(
        error("transformations:\n- type: field_name_mapping\n")
            .starts_with("S060 2:3 `field_name_mapping` needs the parameter `mapping`")
    );
    // A YAML bomb is refused by the same bounds as a rule file's.
    let bomb = format!(
        "a: &a [{}]\nb: &b [{}]\nc: &c [{}]\nd: &d [{}]\ne: [{}]\n",
        ["x"; 64].join(","),
        ["*a"; 64].join(","),
        ["*b"; 64].join(","),
        ["*c"; 64].join(","),
        ["*d"; 64].join(",")
    );
    assert!(error(&bomb).starts_with("S060"), "{}", error(&bomb));
}

#[test]
fn a_missing_pipeline_file_is_an_error() {
    let options = LoadOptions {
        pipelines: vec!["no-such-pipeline.yml".into()],
        ..LoadOptions::default()
    };
    let loaded = load_str(
        "r.yml".as_ref(),
        &format!("title: t\n{}", rule(SEL)),
        &options,
    );
    assert!(loaded.rules.is_empty());
    assert_eq!(loaded.diagnostics[0].code, Code::Io);
    assert!(
        loaded.diagnostics[0]
            .help
            .as_deref()
            .unwrap()
            .contains("ecs-aws")
    );
}
