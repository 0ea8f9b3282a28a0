//! Golden tests of pipelines on the command line: what `sigil debug ir -p ecs-aws` makes of an
//! ECS-named rule, and how a pipeline Sigil cannot apply is reported (`sigil check -p`), each
//! equal to its snapshot in `tests/snapshots/` (`cargo insta review` after an intended change).

use assert_cmd::Command;

fn sigil(args: &[&str]) -> (String, i32) {
    let output = Command::cargo_bin("sigil")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    let mut text = String::from_utf8(output.stdout).unwrap();
    text.push_str(&String::from_utf8(output.stderr).unwrap());
    (text, output.status.code().unwrap_or(-1))
}

#[test]
fn an_ecs_rule_under_ecs_aws() {
    let (text, code) = sigil(&[
        "debug",
        "ir",
        "-p",
        "ecs-aws",
        "tests/pipelines/rules/ecs.yml",
    ]);
    assert_eq!(code, 0, "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn an_unsupported_transformation_is_an_error() {
    let (text, code) = sigil(&[
        "check",
        "--color",
        "never",
        "-p",
        "tests/pipelines/cli/unsupported.yml",
        "tests/pipelines/rules/ecs.yml",
    ]);
    assert_eq!(code, 1, "{text}");
    insta::assert_snapshot!(text);
}

/// `docs/pipelines.md` lists every mapping of the built-in pipelines, as their YAML has it.
#[test]
fn the_docs_list_every_builtin_mapping() {
    use sigil_compiler::{SourceId, YamlNode, YamlValue, parse_yaml};
    let docs = std::fs::read_to_string("docs/pipelines.md").unwrap();
    let text = |n: &YamlNode| n.key_text().unwrap().to_string();
    for (name, yaml) in sigil_compiler::BUILTIN_PIPELINES {
        let doc = &parse_yaml(SourceId(0), yaml).unwrap()[0];
        let Some(YamlValue::Seq(items)) = doc.get("transformations").map(|n| &n.value) else {
            panic!("{name}: no transformations");
        };
        let mut rows = 0;
        for item in items {
            let Some(mapping) = item.get("mapping") else {
                continue;
            };
            for (from, to) in mapping.as_map().unwrap() {
                let targets: Vec<String> = match &to.value {
                    YamlValue::Seq(list) => list.iter().map(text).collect(),
                    _ => vec![text(to)],
                };
                let targets: Vec<String> = targets
                    .iter()
                    .map(|t| match t.as_str() {
                        "" => "(nothing: the prefix is removed)".to_string(),
                        t => format!("`{t}`"),
                    })
                    .collect();
                let row = format!("| `{}` | {} |", text(from), targets.join(" or "));
                assert!(docs.contains(&row), "{name}: docs/pipelines.md lacks {row}");
                rows += 1;
            }
        }
        assert!(rows > 10, "{name}: {rows} mappings");
    }
}
