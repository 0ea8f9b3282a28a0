//! Golden tests of pipelines on the command line: what `sigil debug ir -p ecs-aws` makes of an
//! ECS-named rule, and how a pipeline Sigil cannot apply is reported (`sigil check -p`), each
//! equal to its snapshot in `tests/snapshots/` (`cargo insta review` after an intended change).

use assert_cmd::Command;

fn sigil(args: &[&str]) -> (String, i32) {
    let output = Command::cargo_bin("sigil").unwrap().args(args).output().unwrap();
    let mut text = String::from_utf8(output.stdout).unwrap();
    text.push_str(&String::from_utf8(output.stderr).unwrap());
    (text, output.status.code().unwrap_or(-1))
}

#[test]
fn an_ecs_rule_under_ecs_aws() {
    let (text, code) = sigil(&["debug", "ir", "-p", "ecs-aws", "tests/pipelines/rules/ecs.yml"]);
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
