//! Hostile and broken rule files: each gets a clear error, nothing panics, memory stays bounded.

use sigil_compiler::{Code, LoadOptions, Loaded, load_paths, load_str};

fn load(text: &str) -> Loaded {
    load_str("bad.yml".as_ref(), text, &LoadOptions::default())
}

fn codes(loaded: &Loaded) -> Vec<Code> {
    loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code)
        .collect()
}

const RULE_HEAD: &str = "title: t\nid: 7f0c6d7e-1b1a-4d0e-9a1e-000000000001\nlevel: low\n\
                         logsource: {product: aws, service: cloudtrail}\n";

#[test]
fn empty_and_whitespace_files_hold_no_rule() {
    for text in ["", "\n\n", "# only a comment\n", "---\n"] {
        let loaded = load(text);
        assert_eq!(codes(&loaded), [Code::NotARule], "{text:?}");
        assert_eq!(loaded.refused, 1);
    }
}

#[test]
fn text_that_is_not_yaml_is_a_syntax_error_or_not_a_rule() {
    let loaded = load("this: is: not: yaml\n");
    assert_eq!(codes(&loaded), [Code::YamlSyntax]);
    let loaded = load("just a sentence\n");
    assert_eq!(codes(&loaded), [Code::NotARule]);
    let loaded = load("\t\u{1}\u{2}{[}]\"");
    assert_eq!(loaded.refused, 1);
}

#[test]
fn invalid_utf8_names_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.yml");
    std::fs::write(&path, b"title: caf\xe9\n").unwrap();
    let loaded = load_paths(&[path], &LoadOptions::default());
    assert_eq!(codes(&loaded), [Code::NotUtf8]);
    assert_eq!(loaded.diagnostics[0].primary.span.start, 10);
}

#[test]
fn ten_thousand_nested_parentheses_are_refused_without_overflow() {
    let condition = format!("{}sel{}", "(".repeat(10_000), ")".repeat(10_000));
    let text = format!("{RULE_HEAD}detection:\n  sel: {{a: b}}\n  condition: '{condition}'\n");
    assert_eq!(codes(&load(&text)), [Code::ConditionTooDeep]);
}

#[test]
fn ten_thousand_nested_yaml_lists_are_refused() {
    let text = format!(
        "{RULE_HEAD}detection: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert_eq!(codes(&load(&text)), [Code::YamlLimit]);
}

#[test]
fn a_ten_megabyte_rule_loads_or_is_refused_cleanly() {
    // 10 MB of values in one list: within the node budget, so it loads.
    let values: String = (0..400_000)
        .map(|i| format!("    - value{i:014}\n"))
        .collect();
    let text = format!("{RULE_HEAD}detection:\n  sel:\n    a:\n{values}  condition: sel\n");
    assert!(text.len() > 10_000_000);
    let loaded = load(&text);
    assert_eq!(loaded.rules.len(), 1, "{:?}", codes(&loaded));
}

#[test]
fn a_regex_that_does_not_compile_is_refused() {
    let text = format!("{RULE_HEAD}detection:\n  sel: {{a|re: '[z-a]'}}\n  condition: sel\n");
    assert_eq!(codes(&load(&text)), [Code::InvalidRegex]);
}

#[test]
fn a_huge_regex_is_refused_not_compiled() {
    let text = format!(
        "{RULE_HEAD}detection:\n  sel: {{a|re: '(\\w{{100}}){{100}}'}}\n  condition: sel\n"
    );
    assert_eq!(codes(&load(&text)), [Code::InvalidRegex]);
}

#[test]
fn one_bad_rule_does_not_stop_the_others() {
    let good = format!("{RULE_HEAD}detection:\n  sel: {{a: b}}\n  condition: sel\n");
    let bad = format!("{RULE_HEAD}detection:\n  sel: {{a|nope: b}}\n  condition: sel\n");
    let loaded = load(&format!("{good}---\n{bad}---\n{good}"));
    assert_eq!(loaded.rules.len(), 2);
    assert_eq!(loaded.refused, 1);
    assert_eq!(codes(&loaded), [Code::UnknownModifier]);
}

#[test]
fn a_folder_loads_in_file_order_with_each_problem_in_its_own_file() {
    // Files are parsed on several threads: ids, rules and diagnostics must still come in file
    // order, each diagnostic pointing into the file it is about.
    let dir = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for i in 0..60 {
        let name = format!("{i:02}.yml");
        let (text, code): (Vec<u8>, Option<Code>) = match i % 4 {
            0 => (b"title: caf\xe9\n".to_vec(), Some(Code::NotUtf8)),
            1 => (b"this: is: not: yaml\n".to_vec(), Some(Code::YamlSyntax)),
            2 => (Vec::new(), Some(Code::NotARule)),
            _ => {
                let rule = format!(
                    "title: rule {i}\nlogsource: {{product: aws}}\n\
                                    detection:\n  sel: {{n: {i}}}\n  condition: sel\n"
                );
                (rule.into_bytes(), None)
            }
        };
        std::fs::write(dir.path().join(&name), text).unwrap();
        expected.push((name, code));
    }
    let loaded = load_paths(&[dir.path().to_path_buf()], &LoadOptions::default());
    let errors: Vec<(String, Code)> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let path = loaded.sources.path(d.primary.span.source);
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                d.code,
            )
        })
        .collect();
    let wanted: Vec<(String, Code)> = expected
        .iter()
        .filter_map(|(name, code)| code.map(|code| (name.clone(), code)))
        .collect();
    assert_eq!(errors, wanted);
    let titles = titles(&loaded);
    let wanted: Vec<String> = (0..60)
        .filter(|i| i % 4 == 3)
        .map(|i| format!("rule {i}"))
        .collect();
    assert_eq!(titles, wanted);
    assert_eq!(loaded.refused, 45);
}

proptest::proptest! {
    /// Any text loads without panicking, and every diagnostic points inside its file.
    #[test]
    fn loading_never_panics(text in "(title|detection|condition|sel|logsource|\\||:|-|\\[|\\]|\\{|\\}|'|\"|\\\\|\\*|%|&a|\\*a| |\n|  |re|contains|all|base64offset|windash|cidr|1 of|not|and|or|\\(|\\)|[a-z0-9.]{1,4}|é|\u{212A})*") {
        let loaded = load(&text);
        for diag in &loaded.diagnostics {
            let file = loaded.sources.get(diag.primary.span.source);
            proptest::prop_assert!(diag.primary.span.start <= file.text.len());
        }
    }

    /// A valid rule head followed by a random detection body never panics either.
    #[test]
    fn random_detections_never_panic(body in "(  sel: |  sel:\n    |a|b\\.c|\\|contains|\\|re|\\|all|\\|cidr|\\|gt|\\|base64|\\|expand|: |\n    - |\n  condition: |sel|not |1 of s\\*|[a-z*?\\\\%]{1,5}|'|\\d{1,3}|null|true)*") {
        let _ = load(&format!("{RULE_HEAD}detection:\n{body}\n"));
    }
}

/// Issue 18 #14: symbolic links to rule files and folders are followed; a loop, or a link to
/// nothing, is reported (a warning, or an error for a rule file that cannot be read), never
/// skipped in silence.
#[cfg(unix)]
#[test]
fn symlinked_rule_files_and_folders_are_followed_and_loops_reported() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let (rules, elsewhere) = (dir.path().join("rules"), dir.path().join("elsewhere"));
    std::fs::create_dir_all(rules.join("sub")).unwrap();
    std::fs::create_dir_all(elsewhere.join("folder")).unwrap();
    std::fs::write(
        elsewhere.join("linked_file.yml"),
        rule_text("linked file", 1),
    )
    .unwrap();
    std::fs::write(
        elsewhere.join("folder/inside.yml"),
        rule_text("in a linked folder", 2),
    )
    .unwrap();
    std::fs::write(rules.join("plain.yml"), rule_text("plain", 3)).unwrap();
    symlink(elsewhere.join("linked_file.yml"), rules.join("a.yml")).unwrap();
    symlink(elsewhere.join("folder"), rules.join("sub/folder")).unwrap();
    symlink(&rules, rules.join("sub/loop")).unwrap();
    symlink(dir.path().join("nothing"), rules.join("gone")).unwrap();
    symlink(dir.path().join("nothing.yml"), rules.join("gone.yml")).unwrap();

    let loaded = load_paths(&[rules], &LoadOptions::default());
    let mut titles = titles(&loaded);
    titles.sort();
    assert_eq!(titles, ["in a linked folder", "linked file", "plain"]);
    let found: Vec<(Code, &str)> = loaded
        .diagnostics
        .iter()
        .map(|d| (d.code, d.message.as_str()))
        .collect();
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found.iter().any(|(code, m)| *code == Code::SymlinkSkipped
        && m.contains("sub/loop")
        && m.contains("leads back")));
    assert!(found.iter().any(|(code, m)| *code == Code::SymlinkSkipped
        && m.ends_with("gone` leads nowhere: not followed")));
    assert!(
        found.iter().any(|(code, m)| *code == Code::Io
            && m == &"cannot read rule file: symbolic link leads nowhere")
    );
    assert_eq!(loaded.refused, 1);
}

/// A rule file reached through several paths (a folder and a folder inside it, the same path
/// twice, a link to it) is loaded once, so that none of its matches is reported twice.
#[cfg(unix)]
#[test]
fn a_rule_file_reached_through_several_paths_is_loaded_once() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(rules.join("aws")).unwrap();
    for (file, n) in [("a.yml", 1), ("aws/b.yml", 2)] {
        std::fs::write(rules.join(file), rule_text(&format!("rule {n}"), n)).unwrap();
    }
    std::os::unix::fs::symlink(rules.join("a.yml"), dir.path().join("link.yml")).unwrap();
    let paths = [
        rules.join("aws"),
        rules.clone(),
        rules.join("aws/b.yml"),
        dir.path().join("link.yml"),
        rules.join("aws/../a.yml"),
    ];
    let loaded = load_paths(&paths, &LoadOptions::default());
    let titles = titles(&loaded);
    assert_eq!(titles, ["rule 2", "rule 1"]);
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
}

/// Issue 18 #4: `|windash` is a dash class per dash, not an enumeration, so a value's size does
/// not grow with its dashes (50,000 such values once took 10 GB); where spellings must be
/// enumerated (before an encoder), too many is an error, not a silent cut.
#[test]
fn windash_values_stay_one_pattern_and_enumeration_has_a_clear_limit() {
    let dashes = "-a ".repeat(40);
    let text = format!(
        "{RULE_HEAD}detection:\n  sel:\n    CommandLine|contains|windash: ['{dashes}', 'x-y']\n  \
         condition: sel\n"
    );
    let loaded = load(&text);
    assert_eq!(loaded.refused, 0, "{:?}", loaded.diagnostics);
    assert_eq!(loaded.rules.matchers()[0].values.len(), 2);

    let text = format!(
        "{RULE_HEAD}detection:\n  sel:\n    CommandLine|windash|base64offset|contains: \
         '-a -b -c -d -e -f'\n  condition: sel\n"
    );
    let loaded = load(&text);
    assert_eq!(codes(&loaded), [Code::InvalidValue]);
    assert!(
        loaded.diagnostics[0]
            .message
            .contains("more than 4096 variants"),
        "{:?}",
        loaded.diagnostics
    );
}

/// Issue 18 #17: the compiled regexes of a load have a memory budget. A regex past it is refused
/// (S026) and not kept, rules before it load, and which rules are refused does not depend on
/// the number of threads (files are read in groups, each file with its share of the room).
#[test]
fn regexes_past_the_memory_budget_are_refused_the_same_way_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    for file in 0..20 {
        let values: Vec<String> = (0..20)
            .map(|v| format!("      - 'f{file:02}v{v:02}[0-9]+x'"))
            .collect();
        let text = format!(
            "title: f{file}\nid: 7f0c6d7e-1b1a-4d0e-9a1e-0000000017{file:02}\nlevel: low\n\
             logsource: {{product: aws}}\ndetection:\n  sel:\n    userAgent|re:\n{}\n  \
             condition: sel\n",
            values.join("\n")
        );
        std::fs::write(dir.path().join(format!("r{file:02}.yml")), text).unwrap();
    }
    let options = LoadOptions {
        max_regex_bytes: 1 << 20,
        ..LoadOptions::default()
    };
    let load_on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| load_paths(&[dir.path().to_path_buf()], &options))
    };
    let (one, two) = (load_on(1), load_on(2));
    let refused = |loaded: &Loaded| -> Vec<String> {
        loaded
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::RegexBudget)
            .map(|d| format!("{:?} {}", d.primary.span, d.message))
            .collect()
    };
    assert!(!refused(&one).is_empty(), "the budget is reached");
    // As in a load one file at a time: the first files load, every later one is refused.
    let titles: Vec<&str> = one
        .rules
        .rules()
        .iter()
        .map(|r| r.meta.title.as_str())
        .collect();
    let first: Vec<String> = (0..titles.len()).map(|f| format!("f{f}")).collect();
    assert_eq!(titles, first);
    assert!(
        titles.len() >= 5,
        "rules within the budget load: {titles:?}"
    );
    assert_eq!(one.refused + one.rules.len(), 20);
    assert_eq!(refused(&one), refused(&two));
    assert_eq!(one.rules.len(), two.rules.len());
    assert!(
        refused(&one)[0].contains("at most 1 MiB"),
        "{:?}",
        refused(&one)
    );
    let kept: usize = one
        .rules
        .matchers()
        .iter()
        .flat_map(|m| &m.values)
        .map(|v| match v {
            sigil_compiler::ValuePattern::Str(s) => match &s.kind {
                sigil_compiler::StrKind::Regex(re) => re.memory_usage(),
                _ => 0,
            },
            _ => 0,
        })
        .sum();
    assert!(kept <= 1 << 20, "{kept} bytes of regexes kept");
}

/// Issue 18 #17: a regex whose automaton is huge loads with a `huge_regex` warning.
#[test]
fn a_huge_automaton_gets_a_warning() {
    let text = format!(
        "{RULE_HEAD}detection:\n  sel: {{userAgent|re: '(a|b|c){{5000}}'}}\n  condition: sel\n"
    );
    let loaded = load(&text);
    assert_eq!(loaded.refused, 0);
    let warning = loaded
        .diagnostics
        .iter()
        .find(|d| d.code == Code::HugeRegex)
        .expect("a huge_regex warning");
    assert!(
        warning.message.contains("KiB automaton"),
        "{}",
        warning.message
    );
}

/// The titles of the rules loaded, in their order.
fn titles(loaded: &Loaded) -> Vec<&str> {
    loaded
        .rules
        .rules()
        .iter()
        .map(|r| r.meta.title.as_str())
        .collect()
}

/// A valid rule titled `title`, with an id and a value of its own made from `n`.
fn rule_text(title: &str, n: u32) -> String {
    format!(
        "title: {title}\nid: 7f0c6d7e-1b1a-4d0e-9a1e-0000000001{n:02}\nlevel: low\n\
         logsource: {{product: aws}}\ndetection:\n  sel: {{x: {n}}}\n  condition: sel\n"
    )
}
