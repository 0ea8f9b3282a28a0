//! Python modules that tests need: present, or a notice (a failure under `CI=true`).

/// Whether python3 can run `import`, the Python modules a test needs. When not, prints a
/// notice naming `install` (the caller skips), except under `CI=true`, where that is a failure.
pub fn python_available(import: &str, install: &str) -> bool {
    let available = std::process::Command::new("python3")
        .args(["-c", import])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3 with `{import}` is required under CI=true ({install})"
        );
        println!("NOTICE: skipped: python3 with `{import}` is not available ({install})");
    }
    available
}
