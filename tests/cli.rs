//! trycmd cases under tests/cmd: help, usage errors, and offline runs with their human output
//! and exit codes. Refresh the expected files with `TRYCMD=overwrite cargo test --test cli`.

#[test]
fn cli_cases() {
    let cases = trycmd::TestCases::new();
    // The runner's variables must not leak in from the machine running the tests; driftgate
    // treats an empty variable as unset.
    for name in [
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
        "GITEA_STEP_SUMMARY",
        "FORGEJO_STEP_SUMMARY",
        "GITHUB_SERVER_URL",
        "GITHUB_REPOSITORY",
        "GITHUB_BASE_REF",
        "GITHUB_WORKSPACE",
        "DRIFTGATE_TOKEN",
        "GITEA_TOKEN",
        "FORGEJO_TOKEN",
        "GITHUB_TOKEN",
    ] {
        cases.env(name, "");
    }
    cases.case("tests/cmd/*.toml");
}
