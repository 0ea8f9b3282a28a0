//! The pipelines shipped inside the binary, named like files on the command line (`-p ecs-aws`).
//! Each is a pySigma pipeline file in `builtin/`, documented field by field in
//! `docs/pipelines.md`.

/// The built-in pipelines: name and YAML text.
pub const BUILTIN_PIPELINES: &[(&str, &str)] = &[
    ("ecs-aws", include_str!("builtin/ecs-aws.yml")),
    (
        "cloudtrail-ocsf",
        include_str!("builtin/cloudtrail-ocsf.yml"),
    ),
    (
        "ocsf-cloudtrail",
        include_str!("builtin/ocsf-cloudtrail.yml"),
    ),
];

/// The YAML text of the built-in pipeline `name`, if there is one.
pub fn builtin_pipeline(name: &str) -> Option<&'static str> {
    BUILTIN_PIPELINES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}
