//! `sigil compile -r RULES -o FILE` and the commands that take the file in place of the rules:
//! a hunt with the compiled file writes byte for byte what the hunt with the folder writes, on
//! the sample corpus and on `../shared/data` (skipped with a notice when absent); a damaged
//! file is refused with a message that says what is wrong.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn sigil() -> Command {
    Command::cargo_bin("sigil").unwrap()
}

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn compile(rules: &Path, out: &Path) {
    let run = sigil()
        .arg("compile")
        .arg("-r")
        .arg(rules)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(out.is_file(), "no compiled file: {stderr}");
    assert!(stderr.contains("compiled"), "{stderr}");
}

/// The hunt's stdout and exit code.
fn hunt(rules: &Path, args: &[&str], inputs: &[PathBuf]) -> (Vec<u8>, i32) {
    let run = sigil()
        .args(["hunt", "--format", "jsonl", "-r"])
        .arg(rules)
        .args(args)
        .args(inputs)
        .output()
        .unwrap();
    (run.stdout, run.status.code().unwrap())
}

#[test]
fn a_hunt_with_the_compiled_pack_writes_what_the_folder_hunt_writes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pack.sigil");
    compile(&repo("rules"), &file);
    let samples = [repo("corpus/samples")];
    for args in [
        &[][..],
        &["--any-logsource"],
        &["--no-prefilter", "--level", "high"],
    ] {
        let (from_folder, code) = hunt(&repo("rules"), args, &samples);
        let (from_file, file_code) = hunt(&file, args, &samples);
        assert!(from_folder.len() > 1000, "{args:?}: few matches");
        assert!(from_folder == from_file, "{args:?}: outputs differ");
        assert_eq!(code, file_code);
    }
}

#[test]
fn every_command_that_takes_rules_takes_the_compiled_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pack.sigil");
    compile(&repo("rules/cloudtrail"), &file);
    let folder = repo("rules/cloudtrail");
    let samples = repo("corpus/samples");
    let commands: [Vec<&std::ffi::OsStr>; 3] = [
        vec![
            "metrics".as_ref(),
            "--by".as_ref(),
            "eventName".as_ref(),
            "-r".as_ref(),
        ],
        vec!["list".as_ref()],
        vec!["test".as_ref()],
    ];
    for command in commands {
        let run = |rules: &Path| {
            let mut cmd = sigil();
            cmd.args(&command).arg(rules);
            if command[0] == "metrics" {
                cmd.arg(&samples);
            }
            let out = cmd.output().unwrap();
            (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                out.status.code(),
            )
        };
        let (from_folder, from_file) = (run(&folder), run(&file));
        assert!(!from_folder.0.is_empty(), "{command:?}");
        assert_eq!(from_folder, from_file, "{command:?}");
    }
}

#[test]
fn a_damaged_compiled_file_is_refused_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pack.sigil");
    compile(&repo("rules/cloudtrail"), &file);
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();
    let stderr = refused_hunt(&[], &file);
    assert!(stderr.contains("checksum mismatch"), "{stderr}");
    assert!(stderr.contains("pack.sigil"), "{stderr}");
}

#[test]
fn a_compiled_file_takes_no_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pack.sigil");
    compile(&repo("rules/cloudtrail"), &file);
    let stderr = refused_hunt(&["-p", "ecs-aws"], &file);
    assert!(stderr.contains("give them to `sigil compile`"), "{stderr}");
}

/// Hunts the samples with the compiled `file` (and `options`), which must be refused with
/// S070 and exit 1; returns stderr.
fn refused_hunt(options: &[&str], file: &Path) -> String {
    let run = sigil()
        .arg("hunt")
        .args(options)
        .arg("-r")
        .arg(file)
        .arg(repo("corpus/samples"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[S070]"), "{stderr}");
    stderr
}

#[test]
fn compile_refuses_to_overwrite_a_rule_file() {
    let rule = repo("rules/cloudtrail");
    let first = std::fs::read_dir(&rule)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "yml"))
        .unwrap();
    let before = std::fs::read(&first).unwrap();
    let run = sigil()
        .args(["compile", "-r"])
        .arg(&first)
        .arg("-o")
        .arg(&first)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(std::fs::read(&first).unwrap(), before);
}

#[test]
fn all_of_sigmahq_hunts_the_shared_data_alike_from_the_compiled_file() {
    let data = repo("../shared/data");
    if !data.join("sigmahq-rules").is_dir() {
        eprintln!("notice: {} is absent; test skipped", data.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sigmahq.sigil");
    let rules = data.join("sigmahq-rules");
    compile(&rules, &file);
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.ends_with("sigmahq-rules"))
        .collect();
    inputs.sort();
    let (from_folder, _) = hunt(&rules, &[], &inputs);
    let (from_file, _) = hunt(&file, &[], &inputs);
    assert!(!from_folder.is_empty());
    assert!(from_folder == from_file, "outputs differ");
    eprintln!("{} bytes of matches, identical", from_folder.len());
}
