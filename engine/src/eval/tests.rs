//! Unit tests of the evaluator, one topic per test.

use super::*;
use sigil_compiler::{LoadOptions, load_str};
use simd_json::BorrowedValue;

/// Loads one rule whose `detection` is the YAML flow mapping `detection`.
fn load(detection: &str) -> sigil_compiler::Loaded {
    let text = format!("title: t\nlogsource: {{product: test}}\ndetection: {detection}\n");
    let loaded = load_str("t.yml".as_ref(), &text, &LoadOptions::default());
    let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{detection}: {errors:?}");
    loaded
}

/// Whether the detection matches the JSON record.
fn detects(detection: &str, record: &str) -> bool {
    let loaded = load(detection);
    let mut bytes = record.as_bytes().to_vec();
    let dom = simd_json::to_borrowed_value(&mut bytes).expect("valid JSON");
    let on_dom = Evaluator::new(&loaded.rules).matches(RuleId(0), &dom);
    let mut bytes = record.as_bytes().to_vec();
    let tape = simd_json::to_tape(&mut bytes).expect("valid JSON");
    let on_tape =
        Evaluator::new(&loaded.rules).matches(RuleId(0), TapeRecord::new(tape.as_value()));
    assert_eq!(on_dom, on_tape, "the DOM and the tape disagree on {record}");
    on_dom
}

/// Whether the selection (a YAML flow mapping or list) matches the JSON record.
fn selects(selection: &str, record: &str) -> bool {
    detects(&format!("{{sel: {selection}, condition: sel}}"), record)
}

#[test]
fn null_means_missing_or_null() {
    assert!(selects("{errorCode: null}", r#"{"a":1}"#));
    assert!(selects("{errorCode: null}", r#"{"errorCode":null}"#));
    assert!(!selects(
        "{errorCode: null}",
        r#"{"errorCode":"AccessDenied"}"#
    ));
    assert!(!selects("{errorCode: null}", r#"{"errorCode":""}"#));
    assert!(!selects("{errorCode: null}", r#"{"errorCode":[]}"#));
}

#[test]
fn exists_counts_null_as_present() {
    assert!(selects("{a|exists: true}", r#"{"a":null}"#));
    assert!(selects("{a|exists: true}", r#"{"a":{}}"#));
    assert!(!selects("{a|exists: true}", r#"{"b":1}"#));
    assert!(selects("{a|exists: false}", r#"{"b":1}"#));
    assert!(!selects("{a|exists: false}", r#"{"a":null}"#));
}

#[test]
fn string_kinds() {
    let record = r#"{"c":"C:\\Windows\\System32\\CMD.exe /c whoami"}"#;
    assert!(selects(
        r"{c: 'c:\windows\system32\cmd.exe /C WHOAMI'}",
        record
    ));
    assert!(selects("{c|contains: system32}", record));
    assert!(selects(r"{c|startswith: 'C:\Win'}", record));
    assert!(selects("{c|endswith: whoami}", record));
    assert!(selects("{c: 'c:*cmd.exe*'}", record));
    assert!(selects(r"{c: 'c:\windows\system3?\\*'}", record));
    assert!(!selects(r"{c: 'c:\windows\system3?'}", record));
    assert!(selects(r"{c|re: 'CMD\.exe /c \w+$'}", record));
    assert!(!selects(r"{c|re: 'cmd\.exe'}", record));
    assert!(selects(r"{c|re|i: 'cmd\.exe'}", record));
    assert!(!selects("{c|cased: 'c:*'}", record));
    assert!(selects("{c|contains|all: [whoami, cmd]}", record));
    assert!(!selects("{c|contains|all: [whoami, powershell]}", record));
    assert!(selects("{c|contains: [powershell, whoami]}", record));
}

#[test]
fn numbers_and_numeric_strings() {
    assert!(selects("{status: 403}", r#"{"status":403}"#));
    assert!(selects("{status: 403}", r#"{"status":403.0}"#));
    assert!(selects("{status: 403}", r#"{"status":4.03e2}"#));
    assert!(selects("{status: 403}", r#"{"status":"403"}"#));
    assert!(selects("{status: '403'}", r#"{"status":403}"#));
    assert!(!selects("{status: '403'}", r#"{"status":404}"#));
    assert!(selects(
        "{id: '18446744073709551615'}",
        r#"{"id":18446744073709551615}"#
    ));
    // Other string patterns apply to strings only.
    assert!(!selects("{status|startswith: '40'}", r#"{"status":403}"#));
    assert!(selects("{status|startswith: '40'}", r#"{"status":"403"}"#));
    assert!(!selects("{status: '40?'}", r#"{"status":403}"#));
    assert!(!selects("{status|re: '^403$'}", r#"{"status":403}"#));
}

#[test]
fn booleans_read_as_true_and_false() {
    assert!(selects("{mfa: 'true'}", r#"{"mfa":true}"#));
    assert!(selects("{mfa: true}", r#"{"mfa":true}"#));
    assert!(selects("{mfa: true}", r#"{"mfa":"True"}"#));
    assert!(selects("{mfa: 'false'}", r#"{"mfa":false}"#));
    assert!(!selects("{mfa: 'true'}", r#"{"mfa":false}"#));
    assert!(!selects("{mfa: 'true'}", r#"{"mfa":null}"#));
    assert!(!selects("{mfa|contains: 'true'}", r#"{"mfa":true}"#));
    assert!(!selects("{mfa: 'tru*'}", r#"{"mfa":true}"#));
}

#[test]
fn comparisons_take_numbers_and_numeric_strings() {
    assert!(selects("{bytes|gt: 1000}", r#"{"bytes":1001}"#));
    assert!(selects("{bytes|gt: 1000}", r#"{"bytes":"1000.5"}"#));
    assert!(!selects("{bytes|gt: 1000}", r#"{"bytes":1000}"#));
    assert!(selects("{bytes|gte: 1000}", r#"{"bytes":1000}"#));
    assert!(selects("{bytes|lt: 0}", r#"{"bytes":-1}"#));
    assert!(selects("{bytes|lte: 0}", r#"{"bytes":[5, 0]}"#));
    assert!(!selects("{bytes|lt: 10}", r#"{"bytes":"few"}"#));
    assert!(!selects("{bytes|lt: 10}", r#"{"bytes":true}"#));
    assert!(!selects("{bytes|lt: 10}", r#"{"bytes":{"n":1}}"#));
}

#[test]
fn cidr_takes_address_strings_only() {
    assert!(selects("{ip|cidr: 10.0.0.0/8}", r#"{"ip":"10.1.2.3"}"#));
    assert!(!selects("{ip|cidr: 10.0.0.0/8}", r#"{"ip":"11.1.2.3"}"#));
    assert!(selects(
        "{ip|cidr: '2001:db8::/32'}",
        r#"{"ip":"2001:db8::1"}"#
    ));
    assert!(!selects(
        "{ip|cidr: '2001:db8::/32'}",
        r#"{"ip":"10.1.2.3"}"#
    ));
    assert!(!selects(
        "{ip|cidr: 10.0.0.0/8}",
        r#"{"ip":"AWS Internal"}"#
    ));
    assert!(!selects("{ip|cidr: 10.0.0.0/8}", r#"{"ip":167837955}"#));
    assert!(selects(
        "{ip|cidr: [192.168.0.0/16, 10.0.0.0/8]}",
        r#"{"ip":["1.1.1.1","10.0.0.1"]}"#
    ));
}

#[test]
fn fieldref_compares_two_fields() {
    let same = "{user|fieldref: target}";
    assert!(selects(same, r#"{"user":"Alice","target":"alice"}"#));
    assert!(!selects(same, r#"{"user":"alice","target":"bob"}"#));
    assert!(selects(same, r#"{"user":403,"target":"403.0"}"#));
    assert!(selects(same, r#"{"user":"true","target":true}"#));
    assert!(!selects(same, r#"{"user":"0123","target":"123"}"#));
    assert!(!selects(same, r#"{"user":"alice"}"#));
    assert!(!selects(same, r#"{"user":null,"target":null}"#));
    assert!(selects(same, r#"{"user":"bob","target":["alice","bob"]}"#));
}

#[test]
fn time_parts_are_utc() {
    let t = r#"{"t":"2024-12-30T23:15:00+02:00"}"#;
    assert!(selects("{t|hour: 21}", t));
    assert!(selects("{t|minute: 15}", t));
    assert!(selects("{t|day: 30}", t));
    assert!(selects("{t|month: 12}", t));
    assert!(selects("{t|year: 2024}", t));
    assert!(
        selects("{t|week: 1}", t),
        "ISO week of 2024-12-30 is 2025-W01"
    );
    // Epoch seconds, and milliseconds above 10^11.
    assert!(selects("{t|hour: 22}", r#"{"t":1700000000}"#));
    assert!(selects("{t|hour: 22}", r#"{"t":1700000000123}"#));
    assert!(selects("{t|year: 2023}", r#"{"t":"1700000000"}"#));
    assert!(!selects("{t|hour: 22}", r#"{"t":"yesterday"}"#));
}

#[test]
fn paths_walk_objects_arrays_and_dotted_keys() {
    let path = "{a.b.c: x}";
    assert!(selects(path, r#"{"a":{"b":{"c":"x"}}}"#));
    assert!(selects(path, r#"{"a.b.c":"x"}"#));
    assert!(selects(path, r#"{"a":{"b.c":"x"}}"#));
    assert!(selects(
        path,
        r#"{"a":[{"b":{"c":"y"}},[{"b":[{"c":"x"}]}]]}"#
    ));
    assert!(selects(path, r#"{"a":{"b":{"c":["y","x"]}}}"#));
    assert!(
        !selects(path, r#"{"A":{"b":{"c":"x"}}}"#),
        "keys are case-sensitive"
    );
    assert!(!selects(path, r#"{"a":{"b":"c"}}"#));
    assert!(!selects(path, r#"{"a":"b.c"}"#));
}

#[test]
fn string_patterns_search_inside_objects() {
    let record = r#"{"requestParameters":{"policy":{"Statement":[{"Action":"iam:*"}]},"n":443}}"#;
    assert!(selects("{requestParameters|contains: 'iam:*'}", record));
    assert!(selects("{requestParameters|startswith: 'IAM:'}", record));
    assert!(selects(r"{requestParameters: 'iam:\*'}", record));
    assert!(
        !selects("{requestParameters|contains: policy}", record),
        "keys are not values"
    );
    assert!(
        !selects("{requestParameters|contains: '44'}", record),
        "numbers are not strings"
    );
    assert!(
        selects("{requestParameters: 443}", record),
        "but equal numbers are found"
    );
    assert!(
        !selects("{requestParameters|gt: 400}", record),
        "comparisons ignore objects"
    );
}

#[test]
fn keywords_search_every_string() {
    let record = r#"{"a":{"b":[{"c":"Invoke-Mimikatz"}]},"port":4444,"ok":true}"#;
    assert!(detects("{kw: [mimikatz], condition: kw}", record));
    assert!(detects("{kw: [nothing, 'invoke-'], condition: kw}", record));
    assert!(
        !detects("{kw: ['4444'], condition: kw}", record),
        "numbers are not strings"
    );
    assert!(!detects("{kw: ['true'], condition: kw}", record));
    assert!(
        !detects("{kw: [port], condition: kw}", record),
        "keys are not values"
    );
}

/// A random JSON value for the keyword tests: strings over a few letters, a NUL and a quote
/// (escaped), numbers, booleans, and nested arrays and objects whose keys hold the letters too.
fn random_value(next: &mut impl FnMut(usize) -> usize, depth: usize) -> String {
    let text = |next: &mut dyn FnMut(usize) -> usize| {
        (0..next(5))
            .map(|_| ["a", "A", "b", "\\u0000", "\\\"", " "][next(6)])
            .collect::<String>()
    };
    match next(if depth < 3 { 6 } else { 4 }) {
        0 | 1 => format!("\"{}\"", text(next)),
        2 => ["403", "true", "null"][next(3)].to_string(),
        3 => "\"\"".to_string(),
        4 => {
            let items: Vec<String> = (0..next(4))
                .map(|_| random_value(next, depth + 1))
                .collect();
            format!("[{}]", items.join(","))
        }
        _ => {
            let members: Vec<String> = (0..next(4))
                .map(|i| format!("\"{}{i}\":{}", text(next), random_value(next, depth + 1)))
                .collect();
            format!("{{{}}}", members.join(","))
        }
    }
}

#[test]
fn keywords_searched_joined_answer_as_each_string() {
    let mut next = crate::testing::random(5);
    let mut joined = 0;
    for _ in 0..400 {
        // Plain keywords (`contains`), wildcards, an equality-like `startswith`, a NUL; few
        // and more than `JoinedSearch::FEW`.
        let keywords: Vec<String> = (0..1 + next(8))
            .map(|_| {
                let value: String = (0..next(4))
                    .map(|_| ["a", "b", "B", " ", "\\0"][next(5)])
                    .collect();
                [value.clone(), format!("*{value}*"), format!("{value}*")][next(3)].clone()
            })
            .collect();
        let quoted: Vec<String> = keywords.iter().map(|k| format!("\"{k}\"")).collect();
        let loaded = load(&format!("{{kw: [{}], condition: kw}}", quoted.join(", ")));
        let matcher = &loaded.rules.matchers()[0];
        joined += usize::from(keywords::joined_search(matcher).is_some());
        let mut evaluator = Evaluator::new(&loaded.rules);
        for _ in 0..20 {
            let members: Vec<String> = (0..next(5))
                .map(|i| format!("\"k{i}\":{}", random_value(&mut next, 1)))
                .collect();
            let record = format!("{{{}}}", members.join(","));
            let mut bytes = record.clone().into_bytes();
            let tape = simd_json::to_tape(&mut bytes).expect("valid JSON");
            let value = TapeRecord::new(tape.as_value());
            assert_eq!(
                evaluator.matches(RuleId(0), value),
                matcher::holds(matcher, value),
                "{keywords:?} on {record}"
            );
        }
    }
    assert!(joined > 100, "only {joined} sets were searched joined");
}

#[test]
fn a_list_mixing_kinds_holds_when_any_item_does() {
    // One lookup of `f` serves the string, the number and (for the whole field) `null`.
    let sel = "{f: [null, abc, 5]}";
    assert!(selects(sel, r#"{"f":5}"#));
    assert!(selects(sel, r#"{"f":"ABC"}"#));
    assert!(selects(sel, r#"{"g":1}"#));
    assert!(selects(sel, r#"{"f":[7,{"x":"abc"}]}"#));
    assert!(selects(sel, r#"{"f":[7,"5"]}"#));
    assert!(!selects(sel, r#"{"f":"zzz"}"#));
    assert!(!selects(sel, r#"{"f":[7,8]}"#));
    assert!(!selects(
        "{f|cidr: [10.0.0.0/8, 192.168.0.0/16]}",
        r#"{"f":["8.8.8.8",10]}"#
    ));
    assert!(selects(
        "{f|cidr: [10.0.0.0/8, 192.168.0.0/16]}",
        r#"{"f":["8.8.8.8","192.168.1.1"]}"#
    ));
}

#[test]
fn neq_negates_the_whole_item() {
    assert!(selects("{user|neq: root}", r#"{"user":"alice"}"#));
    assert!(!selects("{user|neq: root}", r#"{"user":"Root"}"#));
    assert!(selects("{user|neq: root}", r#"{"other":"x"}"#));
    assert!(selects("{user|neq: root}", r#"{"user":null}"#));
    assert!(!selects("{user|neq: [root, admin]}", r#"{"user":"admin"}"#));
    assert!(!selects("{user|neq: root}", r#"{"user":["alice","root"]}"#));
}

#[test]
fn conditions_combine_searches() {
    let detection = "{a: {x: 1}, b: {y: 2}, c: {z: 3}, condition: CONDITION}";
    let record = r#"{"x":1,"y":2,"z":0}"#;
    let holds = |condition: &str| detects(&detection.replace("CONDITION", condition), record);
    assert!(holds("a and b"));
    assert!(!holds("a and c"));
    assert!(holds("a and not c"));
    assert!(holds("c or b"));
    assert!(holds("1 of them"));
    assert!(!holds("all of them"));
    assert!(holds("not (c or (a and not b))"));
    // An OR of mappings inside one search.
    assert!(selects("[{x: 9}, {y: 2}]", record));
}

#[test]
fn shared_matchers_are_memoized_per_record() {
    let text = "title: a\nlogsource: {product: test}\ndetection: {s: {x: 1}, condition: s}\n---\n\
                title: b\nlogsource: {product: test}\ndetection: {s: {x: 1}, t: {y: 2}, \
                condition: s and not t}\n";
    let loaded = load_str("t.yml".as_ref(), text, &LoadOptions::default());
    assert_eq!(loaded.rules.matchers().len(), 2, "x: 1 is shared");
    let mut evaluator = Evaluator::new(&loaded.rules);
    let mut out = Vec::new();
    for (record, expected) in [
        (r#"{"x":1}"#, vec![RuleId(0), RuleId(1)]),
        (r#"{"x":1,"y":2}"#, vec![RuleId(0)]),
        (r#"{"x":2}"#, vec![]),
    ] {
        let mut bytes = record.as_bytes().to_vec();
        let record = simd_json::to_borrowed_value(&mut bytes).unwrap();
        out.clear();
        evaluator.matching_rules(&record, [RuleId(0), RuleId(1)], &mut out);
        assert_eq!(out, expected);
    }
    // The generation counter wraps around by clearing the memo.
    evaluator.generation = MAX_GENERATION;
    let mut bytes = br#"{"x":2}"#.to_vec();
    let record = simd_json::to_borrowed_value(&mut bytes).unwrap();
    assert!(!evaluator.matches(RuleId(0), &record));
    assert_eq!(evaluator.generation, 1);
}

#[test]
fn filters_and_correlations_never_match_here() {
    let text = "title: d\nname: d\nlogsource: {product: test}\ndetection: {s: {a: 1}, condition: s}\n\
                ---\ntitle: f\nlogsource: {product: test}\nfilter:\n  rules: [d]\n  \
                selection: {a: 1}\n  condition: selection\n";
    let loaded = load_str("t.yml".as_ref(), text, &LoadOptions::default());
    assert_eq!(loaded.rules.len(), 2, "{:?}", loaded.diagnostics);
    let mut bytes = br#"{"a":1}"#.to_vec();
    let record = simd_json::to_borrowed_value(&mut bytes).unwrap();
    let mut evaluator = Evaluator::new(&loaded.rules);
    assert!(evaluator.matches(RuleId(0), &record));
    assert!(!evaluator.matches(RuleId(1), &record));
    assert!(
        explain(&loaded.rules, RuleId(1), br#"{"a":1}"#)
            .unwrap()
            .is_none()
    );
}

#[test]
fn explain_reports_searches_matchers_and_values() {
    let loaded = load("{sel: {a.b: x, n|gt: 3}, other: {c: null}, condition: sel and other}");
    let record = br#"{"a":[{"b":"X"},{"b":"y"}],"n":2}"#;
    let explanation = explain(&loaded.rules, RuleId(0), record).unwrap().unwrap();
    assert!(!explanation.matched);
    let sel = &explanation.searches[0];
    assert!(!sel.held);
    assert_eq!(sel.matchers.len(), 2);
    assert!(sel.matchers[0].held);
    assert_eq!(sel.matchers[0].seen, [r#""X""#, r#""y""#]);
    assert!(!sel.matchers[1].held);
    assert_eq!(sel.matchers[1].seen, ["2"]);
    let other = &explanation.searches[1];
    assert!(other.held && other.matchers[0].seen.is_empty());
}

/// `depth` arrays nested around `"x"`, built without recursion.
fn nested_arrays(depth: usize) -> BorrowedValue<'static> {
    let mut value = BorrowedValue::String("x".into());
    for _ in 0..depth {
        value = BorrowedValue::Array(Box::new(vec![value]));
    }
    value
}

/// Takes a deeply nested value apart without recursion (its `Drop` would recurse).
fn dismantle(mut value: BorrowedValue) {
    while let BorrowedValue::Array(items) = &mut value {
        let Some(inner) = items.pop() else { break };
        value = inner;
    }
}

#[test]
fn deep_records_do_not_overflow_the_stack() {
    let deep_json = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let mut bytes = deep_json.into_bytes();
    assert!(
        simd_json::to_borrowed_value(&mut bytes).is_err(),
        "simd-json refuses records nested beyond its depth limit"
    );

    let loaded = load("{kw: [x], sel: {a: x}, condition: kw or sel}");
    let mut evaluator = Evaluator::new(&loaded.rules);
    for (depth, found) in [(MAX_DEPTH - 2, true), (10_000, false)] {
        let mut object = simd_json::borrowed::Object::default();
        object.insert("a".into(), nested_arrays(depth));
        let record = BorrowedValue::Object(Box::new(object));
        assert_eq!(
            evaluator.matches(RuleId(0), &record),
            found,
            "depth {depth}"
        );
        let BorrowedValue::Object(mut object) = record else {
            unreachable!()
        };
        dismantle(object.remove("a").unwrap());
    }
}

// The examples of the evaluator, kept as tests (the module is private to the crate).

#[test]
fn doc_module_example_finds_a_nested_field() {
    use crate::eval::Evaluator;
    use sigil_compiler::{LoadOptions, RuleId, load_str};

    let rule = "title: Console login without MFA\nlogsource: {product: aws}\ndetection:\n  \
                sel:\n    eventName: ConsoleLogin\n    additionalEventData.MFAUsed: 'No'\n  \
                condition: sel\n";
    let loaded = load_str("login.yml".as_ref(), rule, &LoadOptions::default());
    let mut evaluator = Evaluator::new(&loaded.rules);

    let mut bytes =
        br#"{"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"No"}}"#.to_vec();
    let record = simd_json::to_borrowed_value(&mut bytes).unwrap();
    assert!(evaluator.matches(RuleId(0), &record));
}

#[test]
fn doc_null_matches_a_missing_field() {
    use crate::eval::Evaluator;
    use sigil_compiler::{LoadOptions, RuleId, load_str};

    let rule = "title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    errorCode: null\n  \
                condition: sel\n";
    let loaded = load_str("t.yml".as_ref(), rule, &LoadOptions::default());
    let mut evaluator = Evaluator::new(&loaded.rules);
    let mut bytes = br#"{"eventName":"GetObject"}"#.to_vec();
    let record = simd_json::to_borrowed_value(&mut bytes).unwrap();
    assert!(evaluator.matches(RuleId(0), &record));
}

#[test]
fn doc_new_evaluator_on_an_empty_rule_set() {
    use crate::eval::Evaluator;
    use sigil_compiler::RuleSet;
    let rules = RuleSet::default();
    let _evaluator = Evaluator::new(&rules);
}

#[test]
fn doc_contains_finds_a_quote_star_quote() {
    use crate::eval::Evaluator;
    use sigil_compiler::{LoadOptions, RuleId, load_str};

    let rule = "title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    \
                requestParameters.policyDocument|contains: '\"*\"'\n  condition: sel\n";
    let loaded = load_str("t.yml".as_ref(), rule, &LoadOptions::default());
    let mut evaluator = Evaluator::new(&loaded.rules);
    let mut bytes = br#"{"requestParameters":{"policyDocument":"{\"Action\":\"*\"}"}}"#.to_vec();
    let record = simd_json::to_borrowed_value(&mut bytes).unwrap();
    assert!(evaluator.matches(RuleId(0), &record));
}

#[test]
fn doc_matching_rules_appends_in_order() {
    use crate::eval::Evaluator;
    use sigil_compiler::{LoadOptions, RuleId, load_str};

    let rules = "title: a\nlogsource: {product: aws}\ndetection:\n  sel:\n    eventName: A\n  \
                 condition: sel\n---\ntitle: b\nlogsource: {product: aws}\ndetection:\n  \
                 sel:\n    eventName: B\n  condition: sel\n";
    let loaded = load_str("t.yml".as_ref(), rules, &LoadOptions::default());
    let mut evaluator = Evaluator::new(&loaded.rules);
    let mut bytes = br#"{"eventName":"b"}"#.to_vec();
    let record = simd_json::to_borrowed_value(&mut bytes).unwrap();
    let mut out = Vec::new();
    evaluator.matching_rules(&record, [RuleId(0), RuleId(1)], &mut out);
    assert_eq!(out, [RuleId(1)]);
}

#[test]
fn doc_first_scalar_reads_the_first_scalar() {
    use crate::eval::first_scalar;
    use sigil_compiler::FieldPath;

    let mut bytes = br#"{"a":{"b":[null,403]},"c":"x"}"#.to_vec();
    let record = simd_json::to_borrowed_value(&mut bytes).unwrap();
    assert_eq!(
        first_scalar(&record, &FieldPath::new("a.b")).as_deref(),
        Some("403")
    );
    assert_eq!(
        first_scalar(&record, &FieldPath::new("c")).as_deref(),
        Some("x")
    );
    assert_eq!(first_scalar(&record, &FieldPath::new("d")), None);
}
