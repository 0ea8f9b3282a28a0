//! Compiled rule-set files (`sigil_compiler::compiled`): what is read back is what was loaded,
//! and no bytes (flipped, cut, crafted, from another version) make reading panic or succeed
//! on a damaged file.

use proptest::prelude::*;
use sigil_compiler::compiled::{self, CompiledError, FORMAT_VERSION, MAX_COMPILED_DEPTH};
use sigil_compiler::{
    Code, Literals, LoadOptions, Loaded, MatcherId, RuleSet, StrKind, ValuePattern, load_paths,
    load_str,
};
use std::path::PathBuf;
use std::sync::OnceLock;

fn bundled_pack() -> Loaded {
    let rules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules");
    load_paths(&[rules], &LoadOptions::default())
}

/// The bundled pack, compiled once for every case.
fn pack_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| compiled::write(&bundled_pack()).expect("the pack compiles"))
}

/// Everything a rule set holds that an evaluator or a match record reads.
fn assert_same_rules(read: &RuleSet, loaded: &RuleSet) {
    // Rules' Debug holds their metadata, spans, searches and conditions (matchers by id).
    assert_eq!(
        format!("{:?}", read.rules()),
        format!("{:?}", loaded.rules())
    );
    // Matchers compare their fields, values, spans and keys (regexes by source and flags).
    assert!(read.matchers() == loaded.matchers(), "matchers differ");
    assert_eq!(
        sigil_compiler::dump_ir(read),
        sigil_compiler::dump_ir(loaded)
    );
    // The literals kept in the file are those the rules get now.
    let (kept, extracted) = (read.literals(), Literals::extract(loaded));
    assert_eq!(kept.literals(), extracted.literals());
    for (id, _) in loaded.iter() {
        assert_eq!(kept.rule(id), extracted.rule(id), "rule {}", id.0);
        assert_eq!(kept.rule_keys(id), extracted.rule_keys(id), "rule {}", id.0);
    }
    for id in (0..loaded.matchers().len() as u32).map(MatcherId) {
        assert_eq!(kept.matcher(id), extracted.matcher(id), "matcher {}", id.0);
    }
}

/// `bytes` with the checksum recomputed, as a crafted file would have it.
fn resealed(mut bytes: Vec<u8>) -> Vec<u8> {
    let checksum = crc32fast::hash(&bytes[16..]);
    bytes[12..16].copy_from_slice(&checksum.to_le_bytes());
    bytes
}

#[test]
fn the_bundled_pack_reads_back_as_loaded() {
    let loaded = bundled_pack();
    assert!(loaded.rules.len() > 50);
    let read = compiled::read(pack_bytes()).unwrap();
    assert_same_rules(&read.rules, &loaded.rules);
    let paths = |l: &Loaded| {
        l.sources
            .iter()
            .map(|(_, f)| f.path.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(paths(&read), paths(&loaded));
    assert_eq!((read.refused, read.diagnostics.len()), (0, 0));
}

#[test]
fn all_of_sigmahq_reads_back_as_loaded() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/sigmahq-rules");
    if !path.is_dir() {
        eprintln!("notice: {} is absent; test skipped", path.display());
        return;
    }
    let loaded = load_paths(&[path], &LoadOptions::default());
    assert!(loaded.rules.len() > 3000, "{} rules", loaded.rules.len());
    let bytes = compiled::write(&loaded).unwrap();
    let read = compiled::read(&bytes).unwrap();
    assert_same_rules(&read.rules, &loaded.rules);
    eprintln!(
        "{} rules, {} matchers: {} bytes compiled",
        loaded.rules.len(),
        loaded.rules.matchers().len(),
        bytes.len()
    );
}

#[test]
fn load_paths_takes_a_compiled_file_alone_and_says_why_not_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pack.sigil");
    std::fs::write(&file, pack_bytes()).unwrap();
    let read = load_paths(std::slice::from_ref(&file), &LoadOptions::default());
    assert_same_rules(&read.rules, &bundled_pack().rules);

    let rules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let mixed = load_paths(&[file.clone(), rules], &LoadOptions::default());
    assert!(mixed.rules.is_empty());
    assert_eq!(mixed.diagnostics[0].code, Code::CompiledRules);
    assert!(mixed.diagnostics[0].message.contains("only rule path"));

    let options = LoadOptions {
        placeholder_file: Some(dir.path().join("values.yml")),
        ..LoadOptions::default()
    };
    let with_values = load_paths(std::slice::from_ref(&file), &options);
    assert!(with_values.diagnostics[0].message.contains("placeholder"));

    let mut corrupt = pack_bytes().to_vec();
    corrupt[100] ^= 0x10;
    std::fs::write(&file, corrupt).unwrap();
    let refused = load_paths(std::slice::from_ref(&file), &LoadOptions::default());
    assert_eq!((refused.rules.len(), refused.refused), (0, 1));
    let diag = &refused.diagnostics[0];
    assert_eq!(diag.code, Code::CompiledRules);
    assert!(
        diag.message.contains("checksum mismatch"),
        "{}",
        diag.message
    );
    assert_eq!(refused.sources.path(diag.primary.span.source), file);
}

#[test]
fn the_header_says_what_is_wrong() {
    let bytes = pack_bytes();
    assert_eq!(
        compiled::read(b"title: x\n").unwrap_err(),
        CompiledError::NotCompiled
    );
    for len in [8, 20, 30, bytes.len() / 2, bytes.len() - 1] {
        let err = compiled::read(&bytes[..len]).unwrap_err();
        assert!(
            matches!(err, CompiledError::Truncated { .. }),
            "{len}: {err}"
        );
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert!(matches!(
        compiled::read(&longer),
        Err(CompiledError::TooLong { .. })
    ));

    let mut other_format = bytes.to_vec();
    other_format[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let err = compiled::read(&other_format).unwrap_err();
    assert!(err.to_string().contains("compile the rules again"), "{err}");

    // The version text follows the fixed header; the same length, another version.
    let mut other_sigil = bytes.to_vec();
    other_sigil[25] = b'9';
    let err = compiled::read(&resealed(other_sigil)).unwrap_err();
    assert!(matches!(&err, CompiledError::SigilVersion { found } if found.starts_with('9')));
    assert!(err.to_string().contains("compiled by Sigil 9"), "{err}");
}

#[test]
fn trailing_bytes_in_the_payload_are_corruption() {
    let mut bytes = pack_bytes().to_vec();
    bytes.push(0);
    let len = u64::from_le_bytes(bytes[16..24].try_into().unwrap()) + 1;
    bytes[16..24].copy_from_slice(&len.to_le_bytes());
    let err = compiled::read(&resealed(bytes)).unwrap_err();
    assert_eq!(
        err,
        CompiledError::Corrupt("1 bytes after the rules".into())
    );
}

#[test]
fn a_rule_nested_too_deep_for_a_file_is_refused_when_written() {
    // Each filter AND-s its condition onto the rule's: 140 filters nest it 140 deep.
    let mut text = String::from(
        "title: base\nname: base\nlogsource: {product: aws}\ndetection:\n  sel: {a: b}\n  \
         condition: sel\n",
    );
    for i in 0..=MAX_COMPILED_DEPTH + 10 {
        text.push_str(&format!(
            "---\ntitle: f{i}\nlogsource: {{product: aws}}\nfilter:\n  rules: [base]\n  \
             sel{i}: {{c: d{i}}}\n  condition: not sel{i}\n"
        ));
    }
    let loaded = load_str("deep.yml".as_ref(), &text, &LoadOptions::default());
    assert_eq!(loaded.refused, 0);
    let err = compiled::write(&loaded).unwrap_err();
    assert!(err.to_string().contains("nested deeper than"), "{err}");
}

/// The compiled bytes of one rule whose `|re` value is `regex`.
fn one_regex_rule(regex: &str) -> Vec<u8> {
    let rule = format!(
        "title: t\nlogsource: {{product: aws}}\ndetection:\n  sel:\n    \
         userAgent|re: '{regex}'\n  condition: sel\n"
    );
    let loaded = load_str("t.yml".as_ref(), &rule, &LoadOptions::default());
    assert_eq!(loaded.refused, 0, "{:?}", loaded.diagnostics);
    compiled::write(&loaded).unwrap()
}

/// The only `|re` value of a rule set.
fn the_regex(rules: &RuleSet) -> &sigil_compiler::SigmaRegex {
    let values = rules.matchers().iter().flat_map(|m| &m.values);
    let regexes: Vec<_> = values
        .filter_map(|v| match v {
            ValuePattern::Str(s) => match &s.kind {
                StrKind::Regex(re) => Some(re),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(regexes.len(), 1);
    regexes[0]
}

#[test]
fn regexes_read_back_are_compiled_when_first_matched() {
    let read = compiled::read(&one_regex_rule("^aws-cli/[0-9]+")).unwrap();
    let regex = the_regex(&read.rules);
    assert_eq!(regex.memory_usage(), 0, "not built before it is matched");
    assert!(regex.is_match("aws-cli/2.13.0 Python/3.11"));
    assert!(!regex.is_match("Boto3/1.28"));
    assert!(regex.memory_usage() > 0);
}

#[test]
fn a_crafted_regex_is_checked_for_syntax_when_read_and_matches_nothing_if_too_big() {
    // Regexes of the same length put in place of the one written, under a new checksum.
    let bytes = one_regex_rule("abcdefghijkl");
    let at = bytes
        .windows(12)
        .position(|w| w == b"abcdefghijkl")
        .unwrap();
    let crafted = |regex: &[u8; 12]| {
        let mut bytes = bytes.clone();
        bytes[at..at + 12].copy_from_slice(regex);
        compiled::read(&resealed(bytes))
    };
    let err = crafted(b"abc(efghijkl").unwrap_err();
    assert!(err.to_string().contains("unclosed group"), "{err}");
    let err = crafted(b"(?=a)efghijk").unwrap_err();
    assert!(err.to_string().contains("look-around"), "{err}");

    // Unicode word characters, 99 x 99 times: far over the size limit of one regex, which a
    // load refuses and a crafted file can only defer. It never matches, and never panics.
    let too_big = crafted(br"(\w{99}){99}").unwrap();
    let regex = the_regex(&too_big.rules);
    assert!(!regex.is_match(&"a".repeat(10_000)));
    assert_eq!(regex.memory_usage(), 0);
    let rule = format!(
        "title: t\nlogsource: {{product: aws}}\ndetection:\n  sel:\n    \
         userAgent|re: '{}'\n  condition: sel\n",
        r"(\w{99}){99}"
    );
    let loaded = load_str("t.yml".as_ref(), &rule, &LoadOptions::default());
    assert_eq!(loaded.refused, 1, "a load refuses it");
}

/// The file's payload bytes depend on every type it writes: when this checksum changes, the
/// layout did, and [`FORMAT_VERSION`] must be bumped with it.
#[test]
fn payload_layout_is_pinned() {
    let rule = "title: t\nid: 7a5d2a4e-1b1c-4f7e-9a0e-2f6f2c1d9b01\nlevel: high\ntags: [a.b]\n\
                logsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    \
                eventName|startswith: Get\n    userAgent|re: '^x'\n    errorCode: null\n  \
                filter: {sourceIPAddress|cidr: 10.0.0.0/8}\n  condition: sel and not filter\n";
    let loaded = load_str("t.yml".as_ref(), rule, &LoadOptions::default());
    let bytes = compiled::write(&loaded).unwrap();
    let header = 25 + usize::from(bytes[24]);
    assert_eq!(
        (FORMAT_VERSION, crc32fast::hash(&bytes[header..])),
        (2, 142696854),
        "the payload's layout changed: bump FORMAT_VERSION and pin the new checksum"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Flipped bytes anywhere are an error, never a panic and never a rule set.
    #[test]
    fn flipped_bytes_are_refused(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..8)
    ) {
        let mut bytes = pack_bytes().to_vec();
        let len = bytes.len();
        for (at, xor) in &flips {
            bytes[at.index(len)] ^= xor;
        }
        // Two flips of one byte may cancel out.
        prop_assume!(bytes != pack_bytes());
        prop_assert!(compiled::read(&bytes).is_err());
    }

    /// Flipped payload bytes under a recomputed checksum (a crafted file) reach the decoder and
    /// the validation: an error or a sound rule set, never a panic.
    #[test]
    fn crafted_payloads_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..8)
    ) {
        let mut bytes = pack_bytes().to_vec();
        let header = 25 + usize::from(bytes[24]);
        let len = bytes.len() - header;
        for (at, xor) in &flips {
            bytes[header + at.index(len)] ^= xor;
        }
        if let Ok(read) = compiled::read(&resealed(bytes)) {
            // What decoded passed validation: every index a walk follows is in range.
            let _ = sigil_compiler::dump_ir(&read.rules);
            let _ = sigil_compiler::Literals::extract(&read.rules);
            let _ = sigil_compiler::dump_literals(&read.rules);
        }
    }
}
