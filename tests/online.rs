//! `driftgate required-checks` against a fake Gitea/Forgejo API: the real binary, real HTTP,
//! every request recorded. Covers the happy paths, the flavor the server reports, every way a
//! read can fail (and the exit code it must map to), retries, the token never leaking, the
//! read-only promise, and pagination through the library.

mod support;
use support::GITEA_CI;

use std::time::Duration;

use serde_json::{Value, json};
use support::fake_forge::{
    FakeForge, Kind, REPO, RawAction, RawServer, Reply, Run, TOKEN, TempDir, api_error, branch,
    driftgate, forgejo_rule, gitea_rule, http_answer, not_found, repository,
};

const VERSION: &str = "/api/v1/version";
const REPO_PATH: &str = "/api/v1/repos/acme/widget";
const PROTECTIONS: &str = "/api/v1/repos/acme/widget/branch_protections";
/// What any reader (the job token included) may read: the rule the forge applies to `main`.
const BRANCH: &str = "/api/v1/repos/acme/widget/branches/main";

/// The branch endpoint's answer for a reader when `main`'s rule requires `contexts`.
fn branch_reply(contexts: &[&str]) -> Reply {
    Reply::json(
        200,
        &branch("main", Some(&gitea_rule("main", contexts)), false),
    )
}

/// Contexts the Gitea workflow below posts, and a required list it satisfies.
const CLEAN: &[&str] = &["CI / build (pull_request)", "CI / lint (*)"];

/// A checkout with `.gitea/workflows/ci.yml`.
fn gitea_checkout() -> TempDir {
    let t = TempDir::new("repo");
    t.write(".gitea/workflows/ci.yml", GITEA_CI);
    t
}

/// `required-checks` against `server` for `acme/widget` in `root`, JSON on stdout.
fn args<'a>(server: &'a str, root: &'a TempDir, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "required-checks",
        "--server",
        server,
        "--repo",
        REPO,
        "--root",
        root.str(),
        "--json",
        "--timeout",
        "10",
    ];
    a.extend_from_slice(extra);
    a
}

fn with_token() -> Vec<(&'static str, &'static str)> {
    vec![("DRIFTGATE_TOKEN", TOKEN)]
}

/// Runs against a fake with the default token.
fn run(forge: &FakeForge, root: &TempDir, extra: &[&str]) -> Run {
    driftgate(&args(&forge.url, root, extra), &with_token())
}

fn get(path: &str) -> String {
    format!("GET {path}")
}

/// The one error finding of a failed run: its kind and message.
fn error(r: &Run) -> (String, String) {
    let doc = r.json();
    let errors: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "one error finding expected: {doc:#}");
    (
        errors[0]["kind"].as_str().unwrap().to_string(),
        errors[0]["message"].as_str().unwrap().to_string(),
    )
}

#[track_caller]
fn assert_code(r: &Run, code: i32) {
    assert_eq!(
        r.code, code,
        "exit code\nstdout:\n{}\nstderr:\n{}",
        r.stdout, r.stderr
    );
    let doc = r.json();
    assert_eq!(doc["exit_code"], json!(code), "{doc:#}");
}

// ------------------------------------------------------------------------------------------
// Results.

#[test]
fn clean_when_every_required_context_is_emitted() {
    let forge = FakeForge::gitea("1.24.3", CLEAN);
    let root = gitea_checkout();
    let r = run(&forge, &root, &[]);

    assert_code(&r, 0);
    let doc = r.json();
    assert_eq!(doc["result"], "clean");
    assert_eq!(doc["branch"], "main", "the default branch from the API");
    assert_eq!(doc["rule"]["name"], "main");
    assert_eq!(
        doc["rule"]["source"],
        format!("the forge's rule for the branch (GET {BRANCH})")
    );
    assert_eq!(doc["required"], json!(CLEAN));
    assert_eq!(doc["flavor"]["name"], "gitea");
    assert_eq!(doc["forge_version"]["version"], "1.24.3");
    assert_eq!(doc["forge_version"]["rules"], "1.24");
    assert_eq!(doc["requests"], 4);
    assert_eq!(
        forge.requests(),
        [get(VERSION), get(REPO_PATH), get(BRANCH), get(PROTECTIONS)]
    );
    let auth: Vec<Option<String>> = forge.seen().into_iter().map(|s| s.authorization).collect();
    assert!(
        auth.iter()
            .all(|a| a.as_deref() == Some(&format!("token {TOKEN}"))),
        "every request carries `Authorization: token <t>`: {auth:?}"
    );
}

#[test]
fn orphan_exits_2_with_the_closest_emitted_context() {
    let forge = FakeForge::gitea("1.24.3", &["CI / biuld (pull_request)", "CI / lint (*)"]);
    let root = gitea_checkout();
    let r = run(&forge, &root, &[]);

    assert_code(&r, 2);
    let doc = r.json();
    assert_eq!(doc["result"], "finding");
    let orphan = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "orphan")
        .unwrap_or_else(|| panic!("an orphan finding: {doc:#}"));
    assert_eq!(orphan["severity"], "error");
    assert_eq!(orphan["subject"], "CI / biuld (pull_request)");
    assert_eq!(
        orphan["suggestions"][0], "CI / build (pull_request)",
        "{orphan:#}"
    );
    assert_eq!(
        forge.requests(),
        [get(VERSION), get(REPO_PATH), get(BRANCH), get(PROTECTIONS)]
    );
}

#[test]
fn advisory_mode_exits_0_but_reports_the_finding() {
    let forge = FakeForge::gitea("1.24.3", &["CI / biuld (pull_request)"]);
    let root = gitea_checkout();
    let r = run(&forge, &root, &["--mode", "advisory"]);

    assert_eq!(r.code, 0, "advisory exits 0\nstderr:\n{}", r.stderr);
    let doc = r.json();
    assert_eq!(doc["mode"], "advisory");
    assert_eq!(doc["result"], "finding");
    assert_eq!(doc["exit_code"], 2);
    assert_eq!(r.messages("orphan").len(), 1);
    assert_eq!(forge.count(BRANCH), 1);
}

#[test]
fn the_version_the_server_reports_chooses_the_naming_rules() {
    // The same workflow for both forges: a matrix job with a static `name:`. Gitea appends the
    // matrix values ("CI / Test (20) (pull_request)"); Forgejo does not ("CI / Test (pull_request)").
    let matrix_ci = "\
name: CI
on: [pull_request]
jobs:
  test:
    name: Test
    runs-on: docker
    strategy:
      matrix:
        node: [\"20\", \"22\"]
    steps:
      - run: npm test
";
    let root = TempDir::new("flavor");
    root.write(".forgejo/workflows/ci.yml", matrix_ci)
        .write(".github/workflows/ci.yml", matrix_ci);
    let required = ["CI / Test (pull_request)"];

    let forgejo = FakeForge::forgejo("15.0.3+gitea-1.22.0", &required);
    let r = run(&forgejo, &root, &[]);
    assert_code(&r, 0);
    let doc = r.json();
    assert_eq!(doc["flavor"]["name"], "forgejo");
    assert_eq!(
        doc["flavor"]["source"],
        "server reports 15.0.3+gitea-1.22.0"
    );
    assert_eq!(doc["forge_version"]["version"], "15.0.3");
    assert_eq!(doc["forge_version"]["rules"], "15.0");
    assert_eq!(doc["workflows"]["folders"], json!([".forgejo/workflows"]));
    let emitted: Vec<&str> = doc["emitted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["context"].as_str().unwrap())
        .collect();
    // Forgejo 15 renames the second leg of a static name (modules/actions/job_parser.go
    // JobParser, forgejo#8864).
    assert_eq!(
        emitted,
        ["CI / Test (pull_request)", "CI / Test-1 (pull_request)"]
    );
    assert_eq!(
        forgejo.requests(),
        [get(VERSION), get(REPO_PATH), get(BRANCH), get(PROTECTIONS)]
    );

    let gitea = FakeForge::gitea("1.24.3", &required);
    let r = run(&gitea, &root, &[]);
    assert_code(&r, 2);
    let doc = r.json();
    assert_eq!(doc["flavor"]["name"], "gitea");
    assert_eq!(doc["flavor"]["source"], "server reports 1.24.3");
    assert_eq!(doc["workflows"]["folders"], json!([".github/workflows"]));
    let emitted: Vec<&str> = doc["emitted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["context"].as_str().unwrap())
        .collect();
    assert_eq!(
        emitted,
        [
            "CI / Test (20) (pull_request)",
            "CI / Test (22) (pull_request)"
        ]
    );
    let orphan = &doc["findings"][0];
    assert_eq!(orphan["kind"], "orphan", "{doc:#}");
    assert_eq!(orphan["subject"], "CI / Test (pull_request)");
    assert!(
        orphan["suggestions"]
            .as_array()
            .unwrap()
            .contains(&json!("CI / Test (20) (pull_request)")),
        "{orphan:#}"
    );
}

#[test]
fn only_get_and_head_are_sent() {
    let forge = FakeForge::gitea("1.24.3", CLEAN);
    let root = gitea_checkout();
    assert_code(&run(&forge, &root, &[]), 0);
    forge.reply(BRANCH, vec![branch_reply(&["CI / missing (push)"])]);
    forge.reply(
        PROTECTIONS,
        vec![Reply::json(
            200,
            &json!([gitea_rule("main", &["CI / missing (push)"])]),
        )],
    );
    assert_code(&run(&forge, &root, &[]), 2);

    let seen = forge.seen();
    assert_eq!(seen.len(), 8, "{:?}", forge.requests());
    for s in &seen {
        assert!(
            s.method == "GET" || s.method == "HEAD",
            "driftgate sent {} {} in assert mode",
            s.method,
            s.target
        );
    }
}

// ------------------------------------------------------------------------------------------
// Credentials.

#[test]
fn http_401_is_an_auth_error() {
    // A proxy that strips the header, as the forge answers a request without a token.
    let forge = FakeForge::gitea("1.25.3", CLEAN);
    forge.reply(
        BRANCH,
        vec![Reply::json(
            401,
            &api_error("token is required", forge.root()),
        )],
    );
    let root = gitea_checkout();
    let r = run(&forge, &root, &[]);
    assert_code(&r, 3);
    assert_eq!(r.json()["result"], "auth");
    let (kind, message) = error(&r);
    assert_eq!(kind, "auth");
    assert!(message.contains("HTTP 401"), "{message}");
    assert!(message.contains("token is required"), "{message}");
    assert_eq!(forge.count(BRANCH), 1, "401 is not retried");

    // A token the server does not know, through the fake's own token check.
    let forge = FakeForge::gitea("1.25.3", CLEAN);
    let r = driftgate(
        &args(&forge.url, &root, &[]),
        &[("DRIFTGATE_TOKEN", "dg-other-token-0000")],
    );
    assert_code(&r, 3);
    let (_, message) = error(&r);
    assert!(
        message.contains("invalid username, password or token"),
        "{message}"
    );
    assert_eq!(
        forge.seen().last().unwrap().authorization.as_deref(),
        Some("token dg-other-token-0000")
    );
}

#[test]
fn http_403_on_the_branch_is_an_auth_error() {
    // A token without the `read:repository` scope (`tokenRequiresScopes`) is refused by any
    // repository route, the branch endpoint included.
    let forge = FakeForge::gitea("1.24.3", CLEAN);
    forge.reply(
        BRANCH,
        vec![Reply::json(
            403,
            &api_error(
                "token does not have at least one of required scope(s), required=[read:repository], token scope=read:user",
                forge.root(),
            ),
        )],
    );
    let root = gitea_checkout();
    let r = run(&forge, &root, &[]);
    assert_code(&r, 3);
    let (kind, message) = error(&r);
    assert_eq!(kind, "auth");
    assert!(message.contains("HTTP 403"), "{message}");
    assert!(
        message.contains("read:repository"),
        "the server's reason: {message}"
    );
    assert!(
        message.contains("can read the repository"),
        "says what the token needs: {message}"
    );
    assert!(
        !message.contains("admin"),
        "no admin token is needed: {message}"
    );
    assert_eq!(forge.count(BRANCH), 1, "403 is not retried");
    assert_eq!(forge.count(PROTECTIONS), 0);
}

/// Gitea `routers/api/v1/api.go`: the rule list is `reqRepoAdmin()`, which the Actions job
/// token never passes; the branch is `reqRepoReader(unit.TypeCode)`, which it does.
fn job_token_forge(kind: Kind) -> FakeForge {
    let forge = match kind {
        Kind::Gitea => FakeForge::gitea("1.27.3", CLEAN),
        Kind::Forgejo => FakeForge::forgejo("15.0.3+gitea-1.22.0", CLEAN),
    };
    let message = match kind {
        Kind::Gitea => "user should be an owner or a collaborator with admin write of a repository",
        Kind::Forgejo => {
            "user should be an owner or a collaborator with admin write of a repository"
        }
    };
    forge.reply(
        PROTECTIONS,
        vec![Reply::json(403, &api_error(message, forge.root()))],
    );
    forge
}

#[test]
fn the_job_token_is_enough_and_the_rule_stays_unnamed() {
    for kind in [Kind::Gitea, Kind::Forgejo] {
        let forge = job_token_forge(kind);
        let root = gitea_checkout();
        let r = run(&forge, &root, &["--branch", "main"]);
        assert_code(&r, 0);
        let doc = r.json();
        assert_eq!(doc["required"], json!(CLEAN), "{doc:#}");
        assert!(
            doc["rule"]["name"]
                .as_str()
                .unwrap()
                .contains("admins only"),
            "{doc:#}"
        );
        assert!(
            doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["kind"] != "rule-name"),
            "a 403 on the rule list is the usual case and says nothing: {doc:#}"
        );
        assert_eq!(
            forge.requests(),
            [get(VERSION), get(BRANCH), get(PROTECTIONS)]
        );

        // The same rule with an orphan: the job token proves it as well.
        forge.reply(BRANCH, vec![branch_reply(&["CI / biuld (pull_request)"])]);
        let r = run(&forge, &root, &["--branch", "main"]);
        assert_code(&r, 2);
        assert_eq!(r.messages("orphan").len(), 1);
    }
}

#[test]
fn an_admin_sees_the_rule_name_in_the_branch_and_the_list_is_not_read() {
    let forge = FakeForge::gitea("1.27.3", CLEAN);
    let rule = gitea_rule("release-*", CLEAN);
    forge.reply(
        "/api/v1/repos/acme/widget/branches/release-1",
        vec![Reply::json(200, &branch("release-1", Some(&rule), true))],
    );
    let root = gitea_checkout();
    let r = run(&forge, &root, &["--branch", "release-1"]);
    assert_code(&r, 0);
    assert_eq!(r.json()["rule"]["name"], "release-*");
    assert_eq!(forge.count(PROTECTIONS), 0, "{:?}", forge.requests());
}

#[test]
fn an_unprotected_branch_requires_nothing_and_a_missing_one_is_unreachable() {
    let forge = FakeForge::gitea("1.27.3", CLEAN);
    forge.reply(
        "/api/v1/repos/acme/widget/branches/dev",
        vec![Reply::json(200, &branch("dev", None, false))],
    );
    let root = gitea_checkout();
    let r = run(&forge, &root, &["--branch", "dev"]);
    assert_code(&r, 0);
    assert_eq!(r.messages("no-rule").len(), 1, "{}", r.stdout);
    assert_eq!(r.json()["required"], json!([]));

    // No such branch: GetBranch answers the flavor's 404 (`ctx.APIErrorNotFound`).
    let r = run(&forge, &root, &["--branch", "gone"]);
    assert_code(&r, 5);
    let (_, message) = error(&r);
    assert!(message.contains("HTTP 404"), "{message}");
    assert!(message.contains("does not exist"), "{message}");
}

#[test]
fn a_rule_list_that_disagrees_with_the_branch_loses_and_says_so() {
    // The list a newer forge orders differently than driftgate models: the branch answer is
    // the forge's own selection, so its contexts are the ones checked.
    let forge = FakeForge::gitea("1.27.3", CLEAN);
    forge.protected(
        PROTECTIONS,
        vec![Reply::json(
            200,
            &json!([gitea_rule("main", &["CI / other (push)"])]),
        )],
    );
    let root = gitea_checkout();
    let r = run(&forge, &root, &[]);
    assert_code(&r, 0);
    let doc = r.json();
    assert_eq!(doc["required"], json!(CLEAN));
    assert_eq!(r.messages("rule-name").len(), 1, "{doc:#}");
}

#[test]
fn no_token_is_a_usage_error_and_sends_nothing() {
    let forge = FakeForge::gitea("1.24.3", CLEAN);
    let root = gitea_checkout();
    let r = driftgate(&args(&forge.url, &root, &[]), &[]);
    assert_code(&r, 1);
    let (kind, message) = error(&r);
    assert_eq!(kind, "usage");
    assert!(message.contains("no token"), "{message}");
    assert!(message.contains("DRIFTGATE_TOKEN"), "{message}");
    assert_eq!(forge.requests(), Vec::<String>::new());

    // An empty variable counts as unset.
    let r = driftgate(&args(&forge.url, &root, &[]), &[("DRIFTGATE_TOKEN", "")]);
    assert_code(&r, 1);
    assert_eq!(forge.requests(), Vec::<String>::new());
}

#[test]
fn a_token_echoed_by_the_server_never_reaches_any_output() {
    let forge = FakeForge::gitea("1.24.3", CLEAN);
    let root = gitea_checkout();
    let out = TempDir::new("outputs");
    let report = out.join("report.json");
    let summary = out.join("summary.md");
    let outputs = out.join("github_output");
    let (report_s, summary_s, outputs_s) = (
        report.to_str().unwrap().to_string(),
        summary.to_str().unwrap().to_string(),
        outputs.to_str().unwrap().to_string(),
    );
    let bodies = [
        // A JSON error whose message quotes the token.
        Reply::json(403, &api_error(&format!("bad token {TOKEN}"), forge.root())),
        // A proxy's plain-text answer that quotes the request headers.
        Reply::raw(
            404,
            "text/plain; charset=utf-8",
            &format!("no route for GET {BRANCH}\nAuthorization: token {TOKEN}\n"),
        ),
        // A 200 that is not JSON and quotes it.
        Reply::raw(
            200,
            "text/html",
            &format!("<html><body>welcome {TOKEN}</body></html>"),
        ),
    ];
    for (body, code) in bodies.into_iter().zip([3, 5, 5]) {
        forge.reply(BRANCH, vec![body]);
        let _ = std::fs::remove_file(&report);
        let r = driftgate(
            &args(
                &forge.url,
                &root,
                &["--report", &report_s, "--summary", &summary_s],
            ),
            &[("DRIFTGATE_TOKEN", TOKEN), ("GITHUB_OUTPUT", &outputs_s)],
        );
        assert_code(&r, code);
        let (_, message) = error(&r);
        assert!(message.contains("***"), "the echo is redacted: {message}");
        for (what, text) in [
            ("stdout", r.stdout.clone()),
            ("stderr", r.stderr.clone()),
            ("--report", out.read("report.json")),
            ("--summary", out.read("summary.md")),
            ("GITHUB_OUTPUT", out.read("github_output")),
        ] {
            assert!(!text.is_empty(), "{what} was written");
            assert!(
                !text.contains(TOKEN),
                "the token leaked into {what}:\n{text}"
            );
        }
    }
}

// ------------------------------------------------------------------------------------------
// Unreachable: what must exist is missing, or the answer is not the one expected.

#[test]
fn http_404_is_unreachable() {
    // The repository does not exist (or the token cannot see it): Gitea ≥ 1.25's body.
    let forge = FakeForge::start(Kind::Gitea);
    forge.reply(
        VERSION,
        vec![Reply::json(200, &json!({"version": "1.25.3"}))],
    );
    let root = gitea_checkout();
    let r = run(&forge, &root, &[]);
    assert_code(&r, 5);
    assert_eq!(r.json()["result"], "unreachable");
    let (kind, message) = error(&r);
    assert_eq!(kind, "unreachable");
    assert!(message.contains("HTTP 404: not found"), "{message}");
    assert_eq!(forge.requests(), [get(VERSION), get(REPO_PATH)]);

    // Forgejo's body, on the branch itself (with --branch, the repository is not read).
    let forge = FakeForge::forgejo("15.0.3+gitea-1.22.0", CLEAN);
    forge.reply(
        BRANCH,
        vec![Reply::json(404, &not_found(Kind::Forgejo, forge.root()))],
    );
    let r = run(&forge, &root, &["--branch", "main"]);
    assert_code(&r, 5);
    let (_, message) = error(&r);
    assert!(
        message.contains("HTTP 404: The target couldn't be found."),
        "{message}"
    );
    assert_eq!(forge.requests(), [get(VERSION), get(BRANCH)]);
}

#[test]
fn a_500_is_retried_and_the_retry_can_succeed() {
    let forge = FakeForge::gitea("1.24.3", CLEAN);
    forge.readable(
        BRANCH,
        vec![
            Reply::json(500, &api_error("", forge.root())),
            branch_reply(CLEAN),
        ],
    );
    let root = gitea_checkout();
    let r = run(&forge, &root, &[]);
    assert_code(&r, 0);
    assert_eq!(r.json()["requests"], 5);
    assert_eq!(forge.count(BRANCH), 2, "{:?}", forge.requests());
}

#[test]
fn a_500_that_persists_gives_up_after_4_attempts() {
    let forge = FakeForge::gitea("1.24.3", CLEAN);
    forge.reply(BRANCH, vec![Reply::json(500, &api_error("", forge.root()))]);
    let root = gitea_checkout();
    let r = run(&forge, &root, &[]);
    assert_code(&r, 5);
    let (kind, message) = error(&r);
    assert_eq!(kind, "unreachable");
    assert!(message.contains("HTTP 500"), "{message}");
    assert!(message.contains("gave up after 4 attempts"), "{message}");
    assert_eq!(forge.count(BRANCH), 4, "{:?}", forge.requests());
    // Backoff 0.5 s + 1 s + 2 s between the four attempts.
    assert!(
        r.elapsed >= Duration::from_millis(3400),
        "backoff between attempts: {:?}",
        r.elapsed
    );
}

/// nginx's `limit_req_status 429` page: the forges have no rate limiter of their own.
const NGINX_429: &str = "<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

#[test]
fn a_429_retry_after_is_honoured() {
    let forge = FakeForge::gitea("1.24.3", CLEAN);
    forge.reply(
        BRANCH,
        vec![
            Reply::raw(429, "text/html", NGINX_429).header("retry-after", "1"),
            branch_reply(CLEAN),
        ],
    );
    let root = gitea_checkout();
    let r = run(&forge, &root, &[]);
    assert_code(&r, 0);
    assert_eq!(forge.count(BRANCH), 2, "{:?}", forge.requests());
    assert!(
        r.elapsed >= Duration::from_millis(900),
        "waited for Retry-After: 1 ({:?})",
        r.elapsed
    );
}

#[test]
fn a_429_retry_after_beyond_the_cap_fails_at_once() {
    let forge = FakeForge::gitea("1.24.3", CLEAN);
    forge.reply(
        BRANCH,
        vec![Reply::raw(429, "text/html", NGINX_429).header("retry-after", "3600")],
    );
    let root = gitea_checkout();
    let r = run(&forge, &root, &[]);
    assert_code(&r, 5);
    let (_, message) = error(&r);
    assert!(message.contains("HTTP 429"), "{message}");
    assert!(message.contains("3600s"), "{message}");
    assert!(message.contains("30s"), "names the cap: {message}");
    assert_eq!(forge.count(BRANCH), 1);
    assert!(
        r.elapsed < Duration::from_secs(10),
        "did not wait: {:?}",
        r.elapsed
    );
}

#[test]
fn an_html_page_with_200_is_unreachable() {
    // A login page or a proxy's error page served with 200 instead of the API.
    let forge = FakeForge::gitea("1.24.3", CLEAN);
    forge.reply(
        BRANCH,
        vec![Reply::raw(
            200,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><head><title>Sign In - Gitea</title></head><body>…</body></html>",
        )],
    );
    let root = gitea_checkout();
    let r = run(&forge, &root, &[]);
    assert_code(&r, 5);
    let (kind, message) = error(&r);
    assert_eq!(kind, "unreachable");
    assert!(message.contains("not the JSON expected"), "{message}");
    assert!(message.contains("text/html"), "{message}");
    assert_eq!(forge.count(BRANCH), 1, "a 200 is not retried");
}

#[test]
fn malformed_or_misshapen_json_is_unreachable() {
    let root = gitea_checkout();
    let forge = FakeForge::gitea("1.24.3", CLEAN);
    forge.reply(
        BRANCH,
        vec![Reply::raw(
            200,
            "application/json;charset=utf-8",
            "{\"name\": main, \"enable_status_check\": true}",
        )],
    );
    let r = run(&forge, &root, &[]);
    assert_code(&r, 5);
    let (_, message) = error(&r);
    assert!(message.contains("not the JSON expected"), "{message}");

    // Valid JSON, but a list where the branch belongs.
    forge.reply(BRANCH, vec![Reply::json(200, &json!([{"message": "ok"}]))]);
    let r = run(&forge, &root, &[]);
    assert_code(&r, 5);
    let (_, message) = error(&r);
    assert!(message.contains("not a branch"), "{message}");

    // A branch without the status-check keys: a changed API, not "nothing required".
    forge.reply(
        BRANCH,
        vec![Reply::json(
            200,
            &json!({"name": "main", "protected": true}),
        )],
    );
    let r = run(&forge, &root, &[]);
    assert_code(&r, 5);
    let (_, message) = error(&r);
    assert!(
        message.contains("not a branch with its protection"),
        "{message}"
    );

    // A version string that is no release number.
    forge.reply(
        VERSION,
        vec![Reply::json(200, &json!({"version": "development"}))],
    );
    let r = run(&forge, &root, &[]);
    assert_code(&r, 5);
    let (_, message) = error(&r);
    assert!(message.contains("\"development\""), "{message}");
}

#[test]
fn a_truncated_body_is_unreachable() {
    let base = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let base2 = base.clone();
    let server = RawServer::start(move |target| {
        let json_type = "application/json;charset=utf-8";
        match target {
            VERSION => RawAction::Send(http_answer("200 OK", json_type, r#"{"version":"1.24.3"}"#)),
            REPO_PATH => {
                let body = repository(&base2.lock().unwrap(), 7, REPO, "main").to_string();
                RawAction::Send(http_answer("200 OK", json_type, &body))
            }
            BRANCH => {
                // Content-Length promises 4096 bytes; the connection closes after 40.
                let full = branch("main", Some(&gitea_rule("main", CLEAN)), false).to_string();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {json_type}\r\nContent-Length: 4096\r\nConnection: close\r\n\r\n"
                );
                RawAction::Send([head.as_bytes(), &full.as_bytes()[..40]].concat())
            }
            _ => RawAction::Send(http_answer(
                "404 Not Found",
                json_type,
                &not_found(Kind::Gitea, "http://127.0.0.1/").to_string(),
            )),
        }
    });
    *base.lock().unwrap() = server.url.clone();
    let root = gitea_checkout();
    let r = driftgate(&args(&server.url, &root, &[]), &with_token());
    assert_code(&r, 5);
    let (kind, message) = error(&r);
    assert_eq!(kind, "unreachable");
    assert!(message.contains(BRANCH), "{message}");
    let requests = server.requests();
    assert_eq!(requests[..2], [get(VERSION), get(REPO_PATH)]);
    assert!(
        requests[2..].iter().all(|r| *r == get(BRANCH)) && requests.len() >= 3,
        "{requests:?}"
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = RawServer::start(|_| RawAction::Hang);
    let root = gitea_checkout();
    let mut a = args(&server.url, &root, &[]);
    let t = a.iter().position(|x| *x == "--timeout").unwrap();
    a[t + 1] = "2";
    let r = driftgate(&a, &with_token());
    assert_code(&r, 5);
    let (kind, message) = error(&r);
    assert_eq!(kind, "unreachable");
    assert!(message.contains("no answer within 2s"), "{message}");
    let requests = server.requests();
    assert!(!requests.is_empty() && requests.iter().all(|r| *r == get(VERSION)));
    // Four attempts of 2 s plus 3.5 s of backoff; far below the 30 s default timeout.
    assert!(
        r.elapsed < Duration::from_secs(20),
        "bounded by --timeout: {:?}",
        r.elapsed
    );
    assert!(r.elapsed >= Duration::from_secs(2), "{:?}", r.elapsed);
}

#[test]
fn connection_refused_is_unreachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let root = gitea_checkout();
    let r = driftgate(&args(&url, &root, &[]), &with_token());
    assert_code(&r, 5);
    let (kind, message) = error(&r);
    assert_eq!(kind, "unreachable");
    assert!(message.contains("cannot connect"), "{message}");
    assert!(message.contains("GET /api/v1/version"), "{message}");
}

// ------------------------------------------------------------------------------------------
// Pagination, through the library.

/// A listing that pages as Gitea's `listUserRepos` does: `page` from 1, `limit` clamped to
/// 1..=50 (default 30), `X-Total-Count`, and `Link` as `genAPILinks` writes it (next, last,
/// first, prev; the query re-encoded with sorted keys; joined by "," without a space).
/// `hidden` ids count in the total but are left out of their page.
fn org_repos(forge: &FakeForge, total: usize, hidden: &'static [usize]) {
    let root = forge.root().to_string();
    let base = forge.url.clone();
    forge.handler("/api/v1/orgs/acme/repos", move |seen, _| {
        let query: Vec<(String, String)> = seen
            .target
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or("")
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let param = |k: &str| {
            query
                .iter()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let limit = match param("limit") {
            Some(0) | None => 30,
            Some(l) => l.min(50),
        };
        let page = param("page").unwrap_or(1).max(1);
        let items: Vec<Value> = ((page - 1) * limit + 1..=(page * limit).min(total))
            .filter(|id| !hidden.contains(id))
            .map(|id| repository(&base, id as i64, &format!("acme/repo-{id:03}"), "main"))
            .collect();
        let pages = total.div_ceil(limit);
        let link = |p: usize, rel: &str| {
            let mut q: Vec<(String, String)> = query
                .iter()
                .filter(|(k, _)| k != "page")
                .cloned()
                .chain([("page".to_string(), p.to_string())])
                .collect();
            q.sort();
            let q: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!(
                "<{root}api/v1/orgs/acme/repos?{}>; rel=\"{rel}\"",
                q.join("&")
            )
        };
        let current = page.min(pages).max(1);
        let mut links = Vec::new();
        if current * limit < total {
            links.push(link(current + 1, "next"));
            links.push(link(pages, "last"));
        }
        if current != 1 {
            links.push(link(1, "first"));
            links.push(link(current - 1, "prev"));
        }
        let mut reply = Reply::json(200, &Value::Array(items))
            .header("x-total-count", &total.to_string())
            .header("access-control-expose-headers", "X-Total-Count, Link");
        if !links.is_empty() {
            reply = reply.header("link", &links.join(","));
        }
        reply
    });
}

fn list_org_repos(forge: &FakeForge) -> Vec<Value> {
    use driftgate::forge::client::{Forge, READ_HINT};
    use driftgate::forge::http::{HttpOptions, Token};
    let token = Token {
        value: TOKEN.into(),
        source: "test".into(),
    };
    let client = Forge::new(
        &forge.url,
        HttpOptions::new(Duration::from_secs(10), None, Some(token)),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let items = rt
        .block_on(client.list("/orgs/acme/repos", READ_HINT, |v| Ok(Some(v.clone()))))
        .unwrap();
    assert_eq!(client.http().sent().len(), forge.seen().len());
    items
}

#[test]
fn list_all_follows_every_page_in_order() {
    let forge = FakeForge::start(Kind::Gitea);
    org_repos(&forge, 123, &[]);
    let items = list_org_repos(&forge);

    let ids: Vec<i64> = items.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, (1..=123).collect::<Vec<i64>>());
    assert_eq!(items[122]["full_name"], "acme/repo-123");
    assert_eq!(
        forge.requests(),
        [
            "GET /api/v1/orgs/acme/repos?page=1&limit=50",
            "GET /api/v1/orgs/acme/repos?page=2&limit=50",
            "GET /api/v1/orgs/acme/repos?page=3&limit=50",
        ]
    );
    assert!(
        forge
            .seen()
            .iter()
            .all(|s| s.authorization.as_deref() == Some(&format!("token {TOKEN}")))
    );
}

#[test]
fn list_all_survives_pages_shorter_than_the_total_promises() {
    // listUserRepos drops repositories the token cannot see after paging in the database:
    // page 2 holds 48 items while X-Total-Count still says 120. The client must not stop
    // early, must not loop, and must stop after the last page (120 / 50 → 3 pages).
    let forge = FakeForge::start(Kind::Gitea);
    org_repos(&forge, 120, &[60, 61]);
    let items = list_org_repos(&forge);

    let ids: Vec<i64> = items.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    let expected: Vec<i64> = (1..=120).filter(|i| *i != 60 && *i != 61).collect();
    assert_eq!(ids, expected);
    assert_eq!(
        forge.requests(),
        [
            "GET /api/v1/orgs/acme/repos?page=1&limit=50",
            "GET /api/v1/orgs/acme/repos?page=2&limit=50",
            "GET /api/v1/orgs/acme/repos?page=3&limit=50",
        ]
    );
}

#[test]
fn the_fake_pages_like_gitea() {
    // The fake's own headers, checked against the example Gitea's genAPILinks produces.
    let forge = FakeForge::start(Kind::Gitea);
    org_repos(&forge, 5, &[]);
    let head = {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(forge.url.trim_start_matches("http://")).unwrap();
        s.write_all(b"GET /api/v1/orgs/acme/repos?limit=2&page=2 HTTP/1.1\r\n")
            .unwrap();
        s.write_all(b"Host: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        text
    };
    let root = forge.root();
    let expected = format!(
        "link: <{root}api/v1/orgs/acme/repos?limit=2&page=3>; rel=\"next\",<{root}api/v1/orgs/acme/repos?limit=2&page=3>; rel=\"last\",<{root}api/v1/orgs/acme/repos?limit=2&page=1>; rel=\"first\",<{root}api/v1/orgs/acme/repos?limit=2&page=1>; rel=\"prev\""
    );
    assert!(head.contains(&expected), "{head}");
    assert!(head.contains("x-total-count: 5"), "{head}");
    let body = head.split("\r\n\r\n").nth(1).unwrap();
    let items: Value = serde_json::from_str(body).unwrap();
    assert_eq!(items.as_array().unwrap().len(), 2);
    assert_eq!(items[0]["id"], 3);
}

#[test]
fn forgejo_rules_without_priority_are_read() {
    // Forgejo's rule shape has no `priority`; a glob rule has an empty branch_name.
    let forge = FakeForge::forgejo("15.0.3+gitea-1.22.0", &["CI / build (pull_request)"]);
    forge.protected(
        PROTECTIONS,
        vec![Reply::json(
            200,
            &json!([
                forgejo_rule("main", &["CI / build (pull_request)"]),
                forgejo_rule("release/*", &["CI / nothing (push)"]),
            ]),
        )],
    );
    let root = gitea_checkout();
    let r = run(&forge, &root, &[]);
    assert_code(&r, 0);
    let doc = r.json();
    assert_eq!(doc["rule"]["name"], "main");
    assert_eq!(doc["flavor"]["name"], "forgejo");
    assert_eq!(doc["workflows"]["folders"], json!([".gitea/workflows"]));
}

// ------------------------------------------------------------------------------------------
// Releases: the one the server reports chooses the rules (forge/version.rs, behaviour.rs).

/// The notice of an unmodelled release, if any.
fn unmodelled(doc: &Value) -> Option<String> {
    doc["findings"]
        .as_array()?
        .iter()
        .find(|f| f["kind"] == "unmodelled-release")
        .and_then(|f| f["message"].as_str())
        .map(str::to_string)
}

#[test]
fn a_newer_release_than_any_modelled_uses_the_newest_rules_with_a_notice() {
    let root = gitea_checkout();
    for (reported, flavor, rules) in [
        ("1.28.0+dev-123-gabcdef0", "gitea", "1.27"),
        ("17.0.0-dev-577-c4d05ee1a9+gitea-1.22.0", "forgejo", "16.0"),
    ] {
        let forge = if flavor == "gitea" {
            FakeForge::gitea(reported, CLEAN)
        } else {
            FakeForge::forgejo(reported, CLEAN)
        };
        let r = run(&forge, &root, &[]);
        assert_code(&r, 0);
        let doc = r.json();
        assert_eq!(doc["flavor"]["name"], flavor);
        assert_eq!(doc["forge_version"]["rules"], rules, "{reported}");
        let notice = unmodelled(&doc).unwrap_or_else(|| panic!("{reported}: no notice"));
        assert!(
            notice.contains(rules) && notice.contains("newer"),
            "{notice}"
        );
    }
    // A modelled release gets no notice.
    let forge = FakeForge::gitea("1.27.3", CLEAN);
    let doc = run(&forge, &root, &[]).json();
    assert_eq!(doc["forge_version"]["version"], "1.27.3");
    assert!(unmodelled(&doc).is_none());
}

#[test]
fn an_older_release_than_any_modelled_is_a_usage_error() {
    let forge = FakeForge::gitea("1.21.11", CLEAN);
    let root = gitea_checkout();
    let r = run(&forge, &root, &[]);
    assert_code(&r, 1);
    let (kind, msg) = error(&r);
    assert_eq!(kind, "usage");
    assert!(
        msg.contains("older") && msg.contains("--forge-version"),
        "{msg}"
    );
    // Choosing the rules by flag gets past it.
    let r = run(&forge, &root, &["--forge-version", "1.22"]);
    assert_code(&r, 0);
}

#[test]
fn gitea_1_27_scoped_workflows_may_post_what_no_file_shows() {
    // Gitea 1.27 (#38154): owner- and instance-level workflows post `<owner>/<repo>: …`
    // contexts, which no API lists: a pattern of that shape cannot be proven missing.
    let scoped = "acme/scoped-workflows: db-tests / test-sqlite (pull_request)";
    let plain = "CI / missing (pull_request)";
    let forge = FakeForge::gitea("1.27.3", &[scoped, plain]);
    let root = gitea_checkout();
    let r = run(&forge, &root, &[]);
    assert_code(&r, 8);
    let doc = r.json();
    let finding = |subject: &str| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["subject"] == subject)
            .cloned()
            .unwrap_or_else(|| panic!("no finding for {subject}: {doc:#}"))
    };
    let s = finding(scoped);
    assert_eq!(s["kind"], "unverifiable");
    assert!(s["message"].as_str().unwrap().contains("scoped workflow"));
    let p = finding(plain);
    assert_eq!(p["kind"], "orphan");
    assert!(p["message"].as_str().unwrap().contains("cannot match"));
    // Before 1.27 there are no scoped workflows: both are orphans.
    let forge = FakeForge::gitea("1.26.4", &[scoped, plain]);
    let r = run(&forge, &root, &[]);
    assert_code(&r, 2);
}

#[test]
fn the_flag_chooses_the_flavor_its_release_belongs_to() {
    let root = gitea_checkout();
    let r = driftgate(
        &[
            "required-checks",
            "--root",
            root.str(),
            "--branch",
            "main",
            "--required",
            "CI / build (pull_request)",
            "--forge-version",
            "15.0",
            "--json",
        ],
        &[],
    );
    // Forgejo reads `.gitea/workflows` when there is no `.forgejo/workflows`.
    assert_eq!(r.code, 0, "{}", r.stdout);
    let doc = r.json();
    assert_eq!(doc["flavor"]["name"], "forgejo");
    assert_eq!(doc["forge_version"]["rules"], "15.0");
    assert_eq!(doc["flavor"]["source"], "--forge-version 15.0");
    // A flavor that contradicts the release is refused.
    let r = driftgate(
        &[
            "required-checks",
            "--root",
            root.str(),
            "--required",
            "x",
            "--forge-version",
            "15.0",
            "--flavor",
            "gitea",
            "--json",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    // Releases driftgate does not model are refused with the list.
    for bad in ["99.0", "1.21", "1.28", "10.0"] {
        let r = driftgate(
            &[
                "required-checks",
                "--root",
                root.str(),
                "--required",
                "x",
                "--forge-version",
                bad,
            ],
            &[],
        );
        assert_eq!(r.code, 1, "{bad}");
        assert!(
            r.stderr.contains("Gitea 1.22–1.27 and Forgejo 11–16"),
            "{bad}: {}",
            r.stderr
        );
    }
}

// ------------------------------------------------------------------------------------------
// A gate that cannot see the workflows says so (issue 11).

#[test]
fn a_checkout_without_workflows_is_told_apart_from_no_checkout() {
    let forge = FakeForge::gitea("1.27.3", CLEAN);
    // The branch has a workflow folder the checkout lacks: the checkout is incomplete.
    forge.reply(
        "/api/v1/repos/acme/widget/contents/.gitea/workflows",
        vec![Reply::json(
            200,
            &json!([{"name": "ci.yml", "path": ".gitea/workflows/ci.yml", "type": "file"}]),
        )],
    );
    let root = TempDir::new("sparse");
    root.write(".git/HEAD", "ref: refs/heads/main\n");
    let r = run(&forge, &root, &[]);
    assert_code(&r, 1);
    let (kind, msg) = error(&r);
    assert_eq!(kind, "usage");
    assert!(msg.contains("run actions/checkout"), "{msg}");
    assert!(msg.contains(".gitea/workflows"), "{msg}");
    assert_eq!(r.json()["workflows"]["read"], json!(false));

    // No folder there either: a repository without workflows, whose orphans are real.
    let forge = FakeForge::gitea("1.27.3", CLEAN);
    let r = run(&forge, &root, &[]);
    assert_code(&r, 2);
    let doc = r.json();
    assert_eq!(doc["workflows"]["none"], json!(true));
    assert!(
        r.stderr.contains("the repository has no workflow folder"),
        "{}",
        r.stderr
    );
    assert!(
        r.messages("orphan").len() == CLEAN.len(),
        "{:?}",
        r.messages("orphan")
    );

    // Not a checkout at all: usage, and the forge is asked nothing about workflows.
    let empty = TempDir::new("no-checkout");
    empty.write("README.md", "x\n");
    let forge = FakeForge::gitea("1.27.3", CLEAN);
    let r = run(&forge, &empty, &[]);
    assert_code(&r, 1);
    assert!(error(&r).1.contains("no checkout at"), "{}", error(&r).1);
    assert!(!forge.requests().iter().any(|q| q.contains("/contents/")));
}
