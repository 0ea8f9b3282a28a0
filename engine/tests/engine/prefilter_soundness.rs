//! The prefilter's soundness contract, tested on random rules and random records: the matches
//! with the prefilter on equal the matches with it off, and every rule that matches a record
//! has a literal formula true for the record's bytes (with its optional escapes spelled out).
//!
//! Rules use every kind of value and modifier (wildcards and escapes, `re` with flags, base64,
//! utf16, windash, cased, all, neq, null, exists, cidr, comparisons, fieldref, time parts,
//! numbers and numeric strings, keywords), nested conditions with `not`, `1 of`, `all of`.
//! Records are nested objects and arrays written with random whitespace, optional escapes
//! (`\u....`, `\/`), mandatory ones (`\"`, `\\`, `\n`), raw non-ASCII (the Kelvin sign, `ß`,
//! `ſ`) and numbers next to numeric strings (numbers beyond 64 bits too, and keys repeated in an
//! object, of which the last wins), built from the same atoms as the rules so that they match
//! often; some keys are such atoms too, whose occurrences the prefilter must not take for a
//! value's.
//!
//! The CI run checks about 50,000 rule/record pairs. For a long run:
//!
//! ```text
//! SIGIL_PROPTEST_PAIRS=1000000 cargo test --release -p sigil-engine --test engine prefilter_soundness
//! ```
//!
//! Failures are kept in `engine/proptest-regressions/prefilter_soundness.txt` and replayed first;
//! each bug found also has a named test at the end of this file.

use crate::support::prefilter::Pair;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{FileFailurePersistence, TestRunner};
use serde_json::{Value, json};
use sigil_compiler::{LoadOptions, RuleSet, load_str};
use sigil_engine::ScanOptions;
use std::sync::atomic::{AtomicU64, Ordering};

const RULES_PER_CASE: usize = 8;
const RECORDS_PER_CASE: usize = 24;
const DEFAULT_PAIRS: u32 = 50_000;

/// Text atoms shared by rule values and record strings.
const ATOMS: &[&str] = &[
    "ConsoleLogin",
    "consolelogin",
    "Delete",
    "Trail",
    "abc",
    "a\"b",
    "c:\\temp",
    "\\\\srv",
    "Straße",
    "STRASSE",
    "\u{212A}elvin",
    "kelvin",
    "ſecret",
    "secret",
    "École",
    "403",
    "403.0",
    "4.03e2",
    "true",
    "null",
    "10.0.0.1",
    "x/y",
    "-p",
    "/p",
    "\u{2013}p",
    "cmd",
    "Y21k",
    "YwBtAGQA",
    "c\u{0}m\u{0}d\u{0}",
    "a\tb",
    "2026-01-01T10:30:00Z",
    " ",
    "é",
];

/// Field names of rules; record keys are their segments (and `a.b` as one key).
const FIELDS: &[&str] = &[
    "eventName",
    "EventName",
    "a",
    "a.b",
    "user.name",
    "list",
    "x.y.z",
    "n",
];
const KEYS: &[&str] = &[
    "eventName",
    "webaclId",
    "httpRequest",
    "EventName",
    "N",
    "a",
    "b",
    "a.b",
    "user",
    "name",
    "list",
    "x",
    "y",
    "z",
    "n",
];
const NUMBERS: &[&str] = &["403", "403.0", "4.03e2", "-1", "0", "10.5", "1e3"];
/// Valid JSON numbers that fit no 64-bit type: records hold them as numbers, rules as strings.
const BIG_NUMBERS: &[&str] = &[
    "123456789012345678901234567890",
    "18446744073709551616",
    "-9223372036854775809",
    "1e400",
    "-1E+400",
];

fn atom() -> impl Strategy<Value = String> {
    select(ATOMS).prop_map(str::to_string)
}

/// A record's key: mostly one of [`KEYS`], sometimes a value's text, which the prefilter must
/// not count as the value (string patterns never test keys).
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(KEYS).prop_map(str::to_string),
        1 => (atom(), any::<u32>()).prop_map(|(atom, mask)| mangle(&atom, mask)),
    ]
}

/// Flips the ASCII case of the characters whose bit is set in `mask`.
fn mangle(text: &str, mask: u32) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 32) & 1 == 1 {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            } else {
                c
            }
        })
        .collect()
}

/// A rule string: atoms, wildcards and escapes.
fn rule_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => atom(),
        1 => Just("*".to_string()),
        1 => Just("?".to_string()),
        1 => Just("\\*".to_string()),
        1 => Just("\\\\".to_string()),
    ];
    (prop::collection::vec(piece, 1..4), any::<u32>())
        .prop_map(|(pieces, mask)| mangle(&pieces.concat(), mask & 0x0f0f))
}

/// A value as YAML (JSON) writes it: a string, a number or a boolean.
fn rule_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => rule_text().prop_map(Value::String),
        1 => select(NUMBERS).prop_map(|n| serde_json::from_str(n).unwrap()),
        1 => select(NUMBERS).prop_map(|n| Value::String(n.to_string())),
        1 => select(BIG_NUMBERS).prop_map(|n| Value::String(n.to_string())),
        1 => any::<bool>().prop_map(Value::Bool),
    ]
}

fn regex() -> impl Strategy<Value = String> {
    let part = select(
        &[
            "Delete",
            "Trail",
            "console[Ll]ogin",
            "c:\\\\temp",
            "a\"b",
            "Stra(ß|ss)e",
            "\\x{212A}elvin",
            "kelvin",
            "403",
            "x/y",
            "abc",
            ".*",
            "[0-9]+",
            "\\d?",
            "(Delete|Trail)",
            "^",
            "$",
            "(?i)",
            "[a-z]{2}",
            "k",
            "ſ",
            "\\t",
        ][..],
    );
    prop::collection::vec(part, 1..5).prop_map(|parts| parts.concat())
}

/// One `field|modifiers: values` item.
fn item() -> impl Strategy<Value = (String, Value)> {
    const STRING_MODS: &[&str] = &[
        "",
        "",
        "|contains",
        "|startswith",
        "|endswith",
        "|contains|all",
        "|cased",
        "|contains|cased",
        "|neq",
        "|contains|neq",
        "|base64",
        "|base64offset|contains",
        "|utf16le|base64offset|contains",
        "|wide|base64|contains",
        "|windash|contains",
        "|windash",
        "|endswith|windash",
    ];
    let field = || select(FIELDS);
    let values = prop::collection::vec(rule_scalar(), 1..4).prop_map(|mut v| {
        if v.len() == 1 {
            v.pop().unwrap()
        } else {
            Value::Array(v)
        }
    });
    prop_oneof![
        10 => (field(), select(STRING_MODS), values)
            .prop_map(|(f, m, v)| (format!("{f}{m}"), v)),
        2 => (field(), select(&["|re", "|re|i", "|re|s", "|re|i|m"][..]), regex())
            .prop_map(|(f, m, r)| (format!("{f}{m}"), Value::String(r))),
        1 => (field(), any::<bool>()).prop_map(|(f, b)| (format!("{f}|exists"), json!(b))),
        1 => (field(), select(&["10.0.0.0/8", "192.168.1.0/24", "::1/128"][..]))
            .prop_map(|(f, c)| (format!("{f}|cidr"), json!(c))),
        1 => (field(), select(&["|gt", "|lt", "|gte", "|lte"][..]), select(NUMBERS))
            .prop_map(|(f, m, n)| (format!("{f}{m}"), serde_json::from_str(n).unwrap())),
        1 => (field(), select(FIELDS)).prop_map(|(f, o)| (format!("{f}|fieldref"), json!(o))),
        1 => (field(), 0..24u32).prop_map(|(f, h)| (format!("{f}|hour"), json!(h))),
        1 => field().prop_map(|f| (f.to_string(), Value::Null)),
    ]
}

/// A search: a map of items (AND), a list of maps (OR), or a keyword list.
fn search() -> impl Strategy<Value = Value> {
    let map = || {
        prop::collection::vec(item(), 1..4)
            .prop_map(|items| Value::Object(items.into_iter().collect()))
    };
    prop_oneof![
        5 => map(),
        1 => prop::collection::vec(map(), 1..3).prop_map(Value::Array),
        1 => prop::collection::vec(rule_text().prop_map(Value::String), 1..3)
            .prop_map(Value::Array),
    ]
}

fn condition(searches: usize) -> impl Strategy<Value = String> {
    let names: Vec<String> = (0..searches).map(|i| format!("sel{i}")).collect();
    let leaf = prop_oneof![
        6 => select(names),
        1 => Just("1 of sel*".to_string()),
        1 => Just("all of them".to_string()),
        1 => Just("2 of them".to_string()),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not {a}")),
        ]
    })
}

/// One rule as YAML (JSON is YAML).
fn rule() -> impl Strategy<Value = String> {
    let logsource = select(vec![
        json!({"product": "aws", "service": "cloudtrail"}),
        json!({"product": "aws", "service": "waf"}),
        json!({"product": "aws"}),
        json!({}),
    ]);
    (1..4usize)
        .prop_flat_map(|n| (prop::collection::vec(search(), n), condition(n)))
        .prop_flat_map(move |(searches, condition)| {
            logsource.clone().prop_map(move |logsource| {
                let mut detection = serde_json::Map::new();
                for (i, s) in searches.iter().enumerate() {
                    detection.insert(format!("sel{i}"), s.clone());
                }
                detection.insert("condition".into(), json!(condition));
                json!({"title": "r", "logsource": logsource, "detection": detection}).to_string()
            })
        })
}

/// A record's value, before it is written out.
#[derive(Clone, Debug)]
enum Json {
    Str(String),
    /// A number, boolean or null, written as is.
    Raw(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

fn json_value() -> impl Strategy<Value = Json> {
    let text = (prop::collection::vec(atom(), 1..3), any::<u32>())
        .prop_map(|(atoms, mask)| Json::Str(mangle(&atoms.concat(), mask)));
    let leaf = prop_oneof![
        6 => text,
        2 => select(NUMBERS).prop_map(|n| Json::Raw(n.to_string())),
        1 => select(BIG_NUMBERS).prop_map(|n| Json::Raw(n.to_string())),
        1 => select(&["true", "false", "null"][..]).prop_map(|n| Json::Raw(n.to_string())),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Arr),
            prop::collection::vec((key(), inner), 1..4).prop_map(Json::Obj),
        ]
    })
}

/// How a record is written: optional escapes and whitespace, driven by `seed`.
#[derive(Clone, Copy, Debug)]
struct Style {
    unicode_escapes: bool,
    slash_escapes: bool,
    whitespace: bool,
    seed: u64,
}

fn style() -> impl Strategy<Value = Style> {
    (0..10u8, 0..10u8, any::<bool>(), any::<u64>()).prop_map(|(u, s, whitespace, seed)| Style {
        unicode_escapes: u == 0,
        slash_escapes: s == 0,
        whitespace,
        seed,
    })
}

fn record() -> impl Strategy<Value = Vec<u8>> {
    let fields = prop::collection::vec((key(), json_value()), 1..6);
    (fields, 0..4u8, style()).prop_map(|(mut fields, kind, style)| {
        // A CloudTrail record, a WAF record, one with the keys of both, or neither: the
        // prefilter scans a record with the automaton of the source it presumes, and must
        // notice a record of another source. The keys also occur nested (`KEYS`).
        if kind & 1 == 1 {
            fields.insert(0, ("eventVersion".into(), Json::Str("1.08".into())));
            fields.insert(
                1,
                ("eventSource".into(), Json::Str("s3.amazonaws.com".into())),
            );
        }
        if kind & 2 == 2 {
            fields.push(("webaclId".into(), Json::Str("arn:aws:wafv2".into())));
            fields.push(("httpRequest".into(), Json::Obj(Vec::new())));
        }
        let mut writer = Writer {
            style,
            out: String::new(),
        };
        writer.value(&Json::Obj(fields));
        writer.out.into_bytes()
    })
}

struct Writer {
    style: Style,
    out: String,
}

impl Writer {
    /// A pseudo-random choice, true one time in `n`.
    fn chance(&mut self, n: u64) -> bool {
        self.style.seed ^= self.style.seed << 13;
        self.style.seed ^= self.style.seed >> 7;
        self.style.seed ^= self.style.seed << 17;
        self.style.seed.is_multiple_of(n)
    }

    fn space(&mut self) {
        if self.style.whitespace && self.chance(2) {
            let ws = if self.chance(3) { "\n  " } else { " " };
            self.out.push_str(ws);
        }
    }

    fn value(&mut self, value: &Json) {
        self.space();
        match value {
            Json::Str(s) => self.string(s),
            Json::Raw(r) => self.out.push_str(r),
            Json::Arr(items) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.value(item);
                }
                self.space();
                self.out.push(']');
            }
            Json::Obj(fields) => {
                self.out.push('{');
                for (i, (key, item)) in fields.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.space();
                    self.string(key);
                    self.space();
                    self.out.push(':');
                    self.value(item);
                }
                self.space();
                self.out.push('}');
            }
        }
    }

    fn string(&mut self, text: &str) {
        self.out.push('"');
        for c in text.chars() {
            let unicode = self.style.unicode_escapes && self.chance(3);
            match c {
                '"' if !unicode => self.out.push_str("\\\""),
                '\\' if !unicode => self.out.push_str("\\\\"),
                '\n' if !unicode => self.out.push_str("\\n"),
                '\t' if !unicode => self.out.push_str("\\t"),
                '/' if self.style.slash_escapes && self.chance(2) => self.out.push_str("\\/"),
                c if unicode || (c as u32) < 0x20 => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        self.out.push_str(&format!("\\u{unit:04X}"));
                    }
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
}

fn load(rules: &[String]) -> RuleSet {
    let text = rules.join("\n---\n");
    load_str("random.yml".as_ref(), &text, &LoadOptions::default()).rules
}

/// Checks one case with the prefilter as it is by default, and with every set of rules
/// narrowed to the rules the record's keys allow (which by default only sets of rules too big
/// for a DFA are); returns the rule/record pairs checked, the matches seen and the rule
/// evaluations the prefilter spared.
fn check(rules: &[String], records: &[Vec<u8>]) -> Result<[u64; 3], String> {
    let mut counts = [0; 3];
    for narrow_above in [None, Some(0)] {
        let pair = Pair::narrowing_above(|| load(rules), ScanOptions::default(), narrow_above);
        let loaded = pair.on.rules().len() as u64;
        let (matches, spared) = pair
            .compare(records.iter().map(Vec::as_slice))
            .map_err(|e| format!("narrowing above {narrow_above:?} bytes: {e}"))?;
        for (count, n) in counts
            .iter_mut()
            .zip([loaded * records.len() as u64, matches, spared])
        {
            *count += n;
        }
    }
    Ok(counts)
}

fn cases() -> u32 {
    let pairs = std::env::var("SIGIL_PROPTEST_PAIRS")
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or(DEFAULT_PAIRS);
    pairs.div_ceil((2 * RULES_PER_CASE * RECORDS_PER_CASE) as u32)
}

#[test]
fn prefilter_on_and_off_match_the_same() {
    let config = ProptestConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/prefilter_soundness.txt",
        ))),
        ..ProptestConfig::default()
    };
    let totals = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];
    let strategy = (
        prop::collection::vec(rule(), RULES_PER_CASE),
        prop::collection::vec(record(), RECORDS_PER_CASE),
    );
    let result = TestRunner::new(config).run(&strategy, |(rules, records)| {
        let counts = check(&rules, &records).map_err(TestCaseError::fail)?;
        for (total, n) in totals.iter().zip(counts) {
            total.fetch_add(n, Ordering::Relaxed);
        }
        Ok(())
    });
    let [pairs, matches, spared] = totals.map(AtomicU64::into_inner);
    eprintln!(
        "prefilter_soundness: {pairs} rule/record pairs checked, {matches} matches, \
         {spared} evaluations spared by the prefilter"
    );
    if let Err(failure) = result {
        panic!("{failure}");
    }
    assert!(
        matches > pairs / 50,
        "the random rules must match often enough to test something"
    );
    assert!(
        spared > pairs / 10,
        "the prefilter must rule out rules often enough to be tested"
    );
}

/// Found by the long run once `RecordSource` grew past eight kinds: the per-rule mask of
/// sources was a `u8`, so in release builds the bit of `Unknown` wrapped onto another source and
/// a rule for `product: aws` was evaluated (and matched, by `not`) on a record of no known source.
#[test]
fn regression_source_mask_wider_than_eight_sources() {
    let rule = r#"{"title":"r","logsource":{"product":"aws"},"detection":{"sel0":{"eventName":"ConsoleLogin"},"condition":"not sel0"}}"#;
    let records = [br#"{"a":[1e3,"NuLL4.03e2"],"b":[0,"cmd"]}"#.to_vec()];
    let [_, matches, _] = check(&[rule.to_string()], &records).unwrap();
    assert_eq!(matches, 0, "an unknown record is not an AWS record");
}

/// The prefilter scans a record of unknown source with the automaton of the source it presumes
/// (the last one parsed); a WAF record after CloudTrail ones must still meet the WAF rule.
#[test]
fn a_record_of_another_source_than_the_presumed_one_keeps_its_matches() {
    let cloudtrail = r#"{"title":"c","logsource":{"product":"aws","service":"cloudtrail"},"detection":{"sel":{"eventName":"ConsoleLogin"},"condition":"sel"}}"#;
    let waf = r#"{"title":"w","logsource":{"product":"aws","service":"waf"},"detection":{"sel":{"action":"BLOCK"},"condition":"sel"}}"#;
    let records = [
        br#"{"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin"}"#.to_vec(),
        br#"{"webaclId":"arn:x","httpRequest":{},"action":"BLOCK"}"#.to_vec(),
        br#"{"webaclId":"arn:x","httpRequest":{},"action":"BLOCK"}"#.to_vec(),
        br#"{"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin"}"#.to_vec(),
        br#"{"eventVersion":"1.08","eventSource":"x","r":{"webaclId":1,"httpRequest":2},"eventName":"ConsoleLogin"}"#.to_vec(),
        br#"{"webaclId":"arn:x","httpRequest":{},"action":"BLOCK"}"#.to_vec(),
    ];
    let [_, matches, _] = check(&[cloudtrail.to_string(), waf.to_string()], &records).unwrap();
    // Six matches, counted once as the prefilter is by default and once narrowed.
    assert_eq!(matches, 12);
}

/// Literals that trigger no rule (`false`, `admin` and `s3 browser` beside a rarer literal)
/// are looked for only when a formula asks; they must decide the rule as if they had been
/// searched with the others. The random rules seldom make such a literal decisive, so this
/// puts each in and out of records that hold the trigger.
#[test]
fn deferred_literals_decide_as_searched_ones() {
    let rules = [
        r#"{"title":"g","logsource":{},"detection":{"sel":{"eventName":"UpdateDetector","requestParameters.enable":"false"},"condition":"sel"}}"#,
        r#"{"title":"a","logsource":{},"detection":{"sel":{"eventName":"AddUserToGroup","requestParameters.groupName|contains":"Admin"},"condition":"sel"}}"#,
        r#"{"title":"k","logsource":{},"detection":{"sel":{"eventName":"CreateUser"},"ua":{"userAgent|contains":["S3 Browser","cyberduck"]},"condition":"sel and ua"}}"#,
    ];
    let records: Vec<Vec<u8>> = [
        r#"{"eventName":"UpdateDetector","requestParameters":{"enable":false}}"#,
        r#"{"eventName":"UpdateDetector","requestParameters":{"enable":"FALSE"}}"#,
        r#"{"eventName":"UpdateDetector","requestParameters":{"enable":true}}"#,
        r#"{"eventName":"AddUserToGroup","requestParameters":{"groupName":"xADMINs"}}"#,
        r#"{"eventName":"AddUserToGroup","requestParameters":{"groupName":"x\u0041dmins"}}"#,
        r#"{"eventName":"AddUserToGroup","requestParameters":{"groupName":"ops"},"x":"admin"}"#,
        r#"{"eventName":"CreateUser","userAgent":"[S3 Browser 9.5.5]"}"#,
        r#"{"eventName":"CreateUser","userAgent":"Cyberduck/8"}"#,
        r#"{"eventName":"CreateUser","userAgent":"aws-cli"}"#,
        r#"{"eventName":"createuser","userAgent":"s3 browser"}"#,
    ]
    .map(|r| r.as_bytes().to_vec())
    .into();
    let rules: Vec<String> = rules.map(str::to_string).into();
    let [_, matches, _] = check(&rules, &records).unwrap();
    // Records 1, 2, 4, 5, 7, 8 and 10 match, once as by default and once narrowed.
    assert_eq!(matches, 14);
}
