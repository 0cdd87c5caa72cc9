//! The hostile-input table (issue 9; ../shared/SPEC.md "Limits on hostile input"). Workflow
//! files come from whoever opens a pull request; bodies come from servers nobody here controls.
//! Every case runs the real binary under an address-space limit and a watchdog
//! (support/limits.rs) and asserts, besides its own expectation:
//! - the exit code is the one the contract gives (never 0 where something was not proven);
//! - no secret of the run appears in stdout, stderr, the summary, the step outputs or the
//!   report (only as the `::add-mask::` lines of action mode);
//! - no line of stdout or stderr is a workflow command driftgate did not compose, and no raw
//!   control character (ESC, NUL, C1, U+0085, U+2028/2029) is written;
//! - the run ends within the watchdog's time and the memory limit.
//!
//! One `#[test]` per class, each with its cases; `CASES_PER_CLASS` below is checked so the table
//! cannot silently shrink.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use support::fake_forge::{
    self, FakeForge, Kind, Reply, TOKEN, TempDir, branch, gitea_rule, repository,
};
use support::limits::{Limited, run_limited};

/// Secrets every run has in its environment (besides per-case ones).
const ISSUE_TOKEN: &str = "dg-issue-token-9a8b7c6d5e4f3a2b1c0d";
const REGISTRY_PASSWORD: &str = "dg-registry-pw-1f2e3d4c5b6a7980";

/// A run's inputs.
struct Case {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// More values that must appear nowhere (besides TOKEN, ISSUE_TOKEN, REGISTRY_PASSWORD).
    secrets: Vec<String>,
    /// Exit codes that are right for this case.
    codes: Vec<i32>,
    /// Text the log (stdout + stderr) must contain, e.g. the cap a message names.
    says: Vec<String>,
    /// Action mode: `::add-mask::` lines are allowed, for these values' lines.
    masks: Vec<String>,
}

impl Case {
    fn new(name: &'static str, args: &[&str], codes: &[i32]) -> Case {
        Case {
            name,
            args: args.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
            secrets: Vec::new(),
            codes: codes.to_vec(),
            says: Vec::new(),
            masks: Vec::new(),
        }
    }

    fn env(mut self, k: &str, v: &str) -> Case {
        self.env.push((k.into(), v.into()));
        self
    }

    fn secret(mut self, s: &str) -> Case {
        self.secrets.push(s.into());
        self
    }

    fn says(mut self, s: &str) -> Case {
        self.says.push(s.into());
        self
    }

    fn masked(mut self, s: &str) -> Case {
        self.masks.push(s.into());
        self
    }
}

/// What a case left behind.
struct Outcome {
    run: Limited,
    files: Vec<(String, String)>,
}

fn run_case(c: &Case) -> Outcome {
    let out = TempDir::new(&format!("hostile-out-{}", c.name));
    let summary = out.join("summary.md");
    let outputs = out.join("outputs");
    let report = out.join("report.json");
    let action = c.env.iter().any(|(k, _)| k == "INPUT_CHECK");
    let mut args: Vec<&str> = c.args.iter().map(String::as_str).collect();
    let report_s = report.to_str().expect("utf8").to_string();
    if !action && !args.is_empty() && !args.contains(&"--report") {
        args.push("--report");
        args.push(&report_s);
    }
    let mut env: Vec<(&str, &str)> = vec![
        ("DRIFTGATE_TOKEN", TOKEN),
        ("DRIFTGATE_ISSUE_TOKEN", ISSUE_TOKEN),
        ("DRIFTGATE_REGISTRY_USERNAME", "ci"),
        ("DRIFTGATE_REGISTRY_PASSWORD", REGISTRY_PASSWORD),
        ("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf8")),
        ("GITHUB_OUTPUT", outputs.to_str().expect("utf8")),
        // In a runner: the log is workflow commands, where an injection would count.
        ("GITHUB_ACTIONS", "true"),
    ];
    for (k, v) in &c.env {
        env.push((k, v));
    }
    let cmd = fake_forge::command(&args, &env);
    let run = run_limited(cmd);
    let mut files = Vec::new();
    for p in [summary, outputs, report, out.join("driftgate-report.json")] {
        if let Ok(t) = std::fs::read_to_string(&p) {
            files.push((p.display().to_string(), t));
        }
    }
    Outcome { run, files }
}

/// Lines driftgate composes itself: annotations, groups, and (action mode) masks.
fn composed(line: &str) -> bool {
    let t = line.trim_start();
    for level in ["::error", "::warning", "::notice"] {
        if let Some(rest) = t.strip_prefix(level) {
            // `::error::msg` or `::error title=…,file=…::msg`, properties escaped.
            return rest.starts_with("::")
                || (rest.starts_with(' ') && rest.contains("::") && !rest[1..].starts_with(':'));
        }
    }
    t.starts_with("::group::") || t == "::endgroup::"
}

fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\r' && c != '\t') || matches!(c, '\u{2028}' | '\u{2029}')
}

fn check(c: Case) {
    let o = run_case(&c);
    let r = &o.run;
    eprintln!(
        "hostile case {}: exit {:?} in {:?}",
        c.name, r.code, r.elapsed
    );
    let log = format!("{}\n{}", r.stdout, r.stderr);
    let context = || {
        format!(
            "case {}: exit {:?} after {:?}\n--- stdout (first 3000)\n{}\n--- stderr (first 3000)\n{}",
            c.name,
            r.code,
            r.elapsed,
            r.stdout.chars().take(3000).collect::<String>(),
            r.stderr.chars().take(3000).collect::<String>()
        )
    };
    assert!(!r.timed_out, "hung: {}", context());
    let code = r
        .code
        .unwrap_or_else(|| panic!("killed by a signal (memory limit?): {}", context()));
    assert!(
        c.codes.contains(&code),
        "want exit in {:?}: {}",
        c.codes,
        context()
    );
    for s in &c.says {
        assert!(
            log.contains(s.as_str()),
            "log should say {s:?}: {}",
            context()
        );
    }
    // Secrets: nowhere but in the mask commands.
    let mut secrets: Vec<String> = vec![TOKEN.into(), ISSUE_TOKEN.into(), REGISTRY_PASSWORD.into()];
    secrets.extend(c.secrets.iter().cloned());
    let pieces: Vec<String> = secrets
        .iter()
        .flat_map(|s| {
            std::iter::once(s.trim().to_string())
                .chain(s.lines().map(|l| l.trim().to_string()))
                .collect::<Vec<_>>()
        })
        .filter(|p| p.chars().count() >= 4)
        .collect();
    let mask_lines: Vec<String> = c
        .masks
        .iter()
        .flat_map(|m| m.lines().map(|l| l.trim().to_string()).collect::<Vec<_>>())
        .filter(|l| l.chars().count() >= 4)
        .collect();
    for line in log.lines() {
        let t = line.trim_start();
        if let Some(masked) = t.strip_prefix("::add-mask::") {
            assert!(
                mask_lines.iter().any(|m| m.replace('%', "%25") == masked),
                "an add-mask line for something that is not a secret line: {line:?}: {}",
                context()
            );
            continue;
        }
        for p in &pieces {
            assert!(
                !line.contains(p.as_str()),
                "secret {p:?} leaked in {line:?}: {}",
                context()
            );
        }
        assert!(
            !t.starts_with("##["),
            "legacy command line {line:?}: {}",
            context()
        );
        if t.starts_with("::") {
            assert!(
                composed(line),
                "injected command line {line:?}: {}",
                context()
            );
        }
        assert!(
            !line.chars().any(unsafe_char),
            "raw control character in {line:?}: {}",
            context()
        );
    }
    for (path, text) in &o.files {
        for p in &pieces {
            assert!(
                !text.contains(p.as_str()),
                "secret {p:?} leaked in {path}: {}",
                context()
            );
        }
    }
}

// ------------------------------------------------------------------------------------------
// Repositories on disk.

fn repo(label: &str, files: &[(&str, &str)]) -> TempDir {
    let d = TempDir::new(&format!("hostile-{label}"));
    std::fs::create_dir_all(d.join(".gitea/workflows")).expect("mkdir");
    for (f, t) in files {
        d.write(&format!(".gitea/workflows/{f}"), t);
    }
    d
}

/// `required-checks --root <dir> --branch main --required <req>` (offline).
fn offline(root: &Path, required: &[&str]) -> Vec<String> {
    let mut a = vec![
        "required-checks".to_string(),
        "--root".into(),
        root.display().to_string(),
        "--branch".into(),
        "main".into(),
    ];
    for r in required {
        a.push("--required".into());
        a.push(r.to_string());
    }
    a
}

fn case(name: &'static str, args: Vec<String>, codes: &[i32]) -> Case {
    Case {
        args,
        ..Case::new(name, &[], codes)
    }
}

const VALID: &str =
    "name: ci\non: pull_request\njobs:\n  test:\n    runs-on: x\n    steps: [{run: make}]\n";
const REQ: &str = "ci / test (pull_request)";

fn matrix_workflow(name: &str, matrix: &Value) -> String {
    format!(
        "name: {name}\non: pull_request\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix: {matrix}\n"
    )
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().expect("utf8")).expect("cstr");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

// ------------------------------------------------------------------------------------------
// 1. Secrets.

#[test]
fn class_1_secrets_never_leak() {
    let mut n = 0;
    // A multi-line action token: masked line by line, no line of it printed anywhere else, and
    // its `::stop-commands::` line never a command of its own.
    let token = "first-line-of-token\nsecond-line\n::stop-commands::x";
    let d = repo("secret-action", &[("ci.yml", VALID)]);
    let ws = d.str().to_string();
    check(
        Case::new("action-multiline-token", &[], &[2])
            .env("INPUT_CHECK", "required-checks")
            .env("INPUT_REQUIRED", "nothing / here (pull_request)")
            .env("INPUT_BRANCH", "main")
            .env("INPUT_TOKEN", token)
            .env("GITHUB_WORKSPACE", &ws)
            .secret(token)
            .masked(token)
            .masked(TOKEN)
            .masked(ISSUE_TOKEN)
            .masked(REGISTRY_PASSWORD),
    );
    n += 1;

    // A GCR `_json_key` registry password (a whole JSON document with a private key): every
    // line of it masked in action mode, none printed, even when the registry echoes it.
    let json_key = "{\n  \"type\": \"service_account\",\n  \"private_key_id\": \"0a1b2c3d4e5f\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n\",\n  \"client_email\": \"ci@project.iam.gserviceaccount.com\"\n}";
    let registry = FakeForge::start(Kind::Gitea);
    let echo = json_key.lines().nth(3).unwrap_or_default().to_string();
    registry.handler("/v2/app/manifests/v1", move |seen, _| {
        if seen.authorization.is_none() {
            Reply::json(
                401,
                &json!({"errors": [{"code": "UNAUTHORIZED", "message": "auth"}]}),
            )
            .header("www-authenticate", "Basic realm=\"registry\"")
        } else {
            Reply::json(
                403,
                &json!({"errors": [{"code": "DENIED", "message": format!("bad key {echo}")}]}),
            )
        }
    });
    let image = format!("{}/app:v1", registry.url.trim_start_matches("http://"));
    check(
        Case::new("action-json-key-password", &[], &[3])
            .env("INPUT_CHECK", "runtime-pin")
            .env("INPUT_IMAGE", &image)
            .env(
                "INPUT_DIGEST",
                "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            )
            .env("DRIFTGATE_REGISTRY_PASSWORD", json_key)
            .secret(json_key)
            .masked(json_key)
            .masked(TOKEN)
            .masked(ISSUE_TOKEN),
    );
    n += 1;

    // image-drift knows the forge token too: a compose image interpolating it is redacted in
    // the log, the summary and the report.
    let d = TempDir::new("hostile-compose-token");
    d.write(
        "compose.yml",
        "services:\n  app:\n    image: registry.example/app:${DRIFTGATE_TOKEN}\n",
    );
    let compose = d.join("compose.yml").display().to_string();
    check(Case::new(
        "image-drift-interpolates-token",
        &[
            "image-drift",
            "--compose",
            &compose,
            "--docker-host",
            "unix:///nonexistent/driftgate.sock",
        ],
        &[5],
    ));
    n += 1;

    // A workflow that writes the tokens into its names: redacted everywhere.
    let wf = format!(
        "name: ci {TOKEN}\non: pull_request\njobs:\n  a:\n    name: \"{ISSUE_TOKEN} / {REGISTRY_PASSWORD}\"\n    runs-on: x\n"
    );
    let d = repo("secret-names", &[("ci.yml", &wf)]);
    check(case(
        "workflow-names-hold-secrets",
        offline(&d.path, &["x / y (push)"]),
        &[2],
    ));
    n += 1;

    // A token named by --token-env, in a job name.
    let custom = "dg-custom-token-77aa88bb99cc";
    let wf =
        format!("name: ci\non: pull_request\njobs:\n  a:\n    name: {custom}\n    runs-on: x\n");
    let d = repo("secret-token-env", &[("ci.yml", &wf)]);
    let mut args = offline(&d.path, &["x / y (push)"]);
    args.extend(["--token-env".into(), "CUSTOM_TOKEN".into()]);
    check(
        case("token-env-secret", args, &[2])
            .env("CUSTOM_TOKEN", custom)
            .secret(custom),
    );
    n += 1;

    // A forge that echoes the token in its error bodies.
    let forge = FakeForge::start(Kind::Gitea);
    forge.reply(
        "/api/v1/version",
        vec![Reply::json(
            401,
            &json!({"message": format!("token {TOKEN} is invalid"), "url": ""}),
        )],
    );
    let d = repo("secret-echo", &[("ci.yml", VALID)]);
    check(case(
        "forge-echoes-token",
        vec![
            "required-checks".into(),
            "--server".into(),
            forge.url.clone(),
            "--repo".into(),
            "acme/widget".into(),
            "--root".into(),
            d.str().into(),
        ],
        &[3],
    ));
    n += 1;

    // clap echoes argument values in its errors: a token passed as a value is redacted.
    check(Case::new(
        "clap-echoes-secret",
        &["required-checks", "--timeout", TOKEN],
        &[1],
    ));
    n += 1;

    // The issue token is a secret even for a check that never files an issue.
    let wf = format!(
        "name: ci\non: pull_request\njobs:\n  a:\n    name: \"x {ISSUE_TOKEN}\"\n    runs-on: x\n"
    );
    let d = repo("secret-issue-token", &[("ci.yml", &wf)]);
    check(case("issue-token-in-name", offline(&d.path, &[REQ]), &[2]));
    n += 1;
    assert_eq!(n, CASES_PER_CLASS[0]);
}

// ------------------------------------------------------------------------------------------
// 2. Workflow-command injection.

#[test]
fn class_2_no_injected_workflow_commands() {
    let mut n = 0;
    // clap's own message, with the raw value, in action mode and on the command line.
    check(
        Case::new("action-timeout-with-command", &[], &[1])
            .env("INPUT_CHECK", "required-checks")
            .env("INPUT_TIMEOUT", "5\n::stop-commands::pwned")
            .masked(TOKEN)
            .masked(ISSUE_TOKEN)
            .masked(REGISTRY_PASSWORD),
    );
    n += 1;
    check(
        Case::new(
            "cli-timeout-with-command",
            &[
                "required-checks",
                "--timeout",
                "5\n::stop-commands::pwned\n##[set-output name=a]b",
            ],
            &[1],
        )
        .says("stop-commands"),
    );
    n += 1;
    check(
        Case::new("action-unknown-check", &[], &[1])
            .env("INPUT_CHECK", "nope\n::add-mask::x\n::stop-commands::y")
            .masked(TOKEN)
            .masked(ISSUE_TOKEN)
            .masked(REGISTRY_PASSWORD),
    );
    n += 1;
    // Names from a workflow: commands, legacy commands and control characters.
    let wf = "name: \"ci\\n::add-mask::wf\\e[31m\\0\\x85\\u2028\\u2029\"\non: pull_request\njobs:\n  a:\n    name: \"##[set-output name=a]b\\n::error::injected\\r\\n::set-env name=A::b\"\n    runs-on: x\n  b:\n    name: \"::add-mask::job\"\n    runs-on: x\n  c:\n    runs-on: x\n    strategy:\n      matrix:\n        v: [\"::stop-commands::m\", \"\\e]0;title\\a\"]\n";
    let d = repo("inject-names", &[("ci.yml", wf)]);
    check(case(
        "workflow-and-job-names",
        offline(&d.path, &["nothing / here (pull_request)"]),
        &[2],
    ));
    n += 1;
    // A protection file whose rule and contexts carry commands.
    let d = repo("inject-rule", &[("ci.yml", VALID)]);
    let rules = json!([{
        "rule_name": "main", "branch_name": "main", "enable_status_check": true,
        "status_check_contexts": ["::add-mask::ctx", "x\n::stop-commands::y", "\u{1b}[2J##[warning]z"]
    }]);
    d.write("rules.json", &rules.to_string());
    let args = vec![
        "required-checks".into(),
        "--root".into(),
        d.str().into(),
        "--protection-file".into(),
        d.join("rules.json").display().to_string(),
    ];
    check(case("protection-file-contexts", args, &[2]));
    n += 1;
    // A compose service whose name and image carry commands.
    let d = TempDir::new("hostile-inject-compose");
    d.write(
        "compose.yml",
        "services:\n  \"web\\n::stop-commands::s\":\n    image: \"app:1\\n::add-mask::i\"\n",
    );
    let compose = d.join("compose.yml").display().to_string();
    check(Case::new(
        "compose-names",
        &[
            "image-drift",
            "--compose",
            &compose,
            "--docker-host",
            "unix:///nonexistent/x.sock",
        ],
        &[5, 8],
    ));
    n += 1;
    // A forge whose error body carries commands.
    let forge = FakeForge::start(Kind::Gitea);
    forge.reply(
        "/api/v1/version",
        vec![Reply::json(
            500,
            &json!({"message": "boom\n::stop-commands::srv\r\n##[error]x\u{2028}::add-mask::y", "url": ""}),
        )],
    );
    let d = repo("inject-forge", &[("ci.yml", VALID)]);
    check(case(
        "forge-error-body",
        vec![
            "required-checks".into(),
            "--server".into(),
            forge.url.clone(),
            "--repo".into(),
            "acme/widget".into(),
            "--root".into(),
            d.str().into(),
        ],
        &[5],
    ));
    n += 1;
    // A non-UTF-8 workflow file and a file name with a line break in it.
    let d = repo("inject-filename", &[("ci.yml", VALID)]);
    std::fs::write(d.join(".gitea/workflows/x\n::add-mask::f.yml"), "name: [").expect("write");
    check(case(
        "file-name-with-command",
        offline(&d.path, &[REQ]),
        &[8],
    ));
    n += 1;
    assert_eq!(n, CASES_PER_CLASS[1]);
}

// ------------------------------------------------------------------------------------------
// 3. Bounded work on what a pull request controls.

#[test]
fn class_3_bounded_work() {
    let mut n = 0;
    let mut go =
        |name: &'static str, files: Vec<(String, String)>, required: &[&str], says: &str| {
            let refs: Vec<(&str, &str)> = files
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            let d = repo(name, &refs);
            check(case(name, offline(&d.path, required), &[8]).says(says));
            n += 1;
        };
    // 7 axes x 10 values: 10^7 legs in 250 bytes.
    let axes: serde_json::Map<String, Value> = (0..7)
        .map(|i| (format!("a{i}"), json!((0..10).collect::<Vec<_>>())))
        .collect();
    go(
        "matrix-7x10",
        vec![("m.yml".into(), matrix_workflow("m", &Value::Object(axes)))],
        &[REQ],
        "cap",
    );
    // 2 axes x 30k values.
    let m = json!({"a": (0..30_000).collect::<Vec<_>>(), "b": (0..30_000).collect::<Vec<_>>()});
    go(
        "matrix-2x30k",
        vec![("m.yml".into(), matrix_workflow("m", &m))],
        &[REQ],
        "cap",
    );
    // Many one-value axes times a large product: memory, not legs.
    let mut axes: serde_json::Map<String, Value> =
        (0..15).map(|i| (format!("b{i}"), json!([0, 1]))).collect();
    for i in 0..3000 {
        axes.insert(format!("s{i}"), json!([i]));
    }
    go(
        "matrix-many-axes",
        vec![("m.yml".into(), matrix_workflow("m", &Value::Object(axes)))],
        &[REQ],
        "cap",
    );
    // 65,536 legs with thousands of excludes on distinct key sets.
    let mut axes: serde_json::Map<String, Value> =
        (0..16).map(|i| (format!("b{i}"), json!([0, 1]))).collect();
    let excludes: Vec<Value> = (1..200u32)
        .map(|mask| {
            let mut e = serde_json::Map::new();
            for bit in 0..16 {
                if mask & (1 << bit) != 0 {
                    e.insert(format!("b{bit}"), json!(2));
                }
            }
            Value::Object(e)
        })
        .collect();
    axes.insert("exclude".into(), Value::Array(excludes));
    go(
        "matrix-distinct-excludes",
        vec![("m.yml".into(), matrix_workflow("m", &Value::Object(axes)))],
        &[REQ],
        "cap",
    );
    // `${{ ((…)) }}` 20k deep, and `!!!…` 20k deep.
    let deep = format!("{}1{}", "(".repeat(20_000), ")".repeat(20_000));
    let wf = format!(
        "name: d\non: pull_request\njobs:\n  t:\n    name: \"x ${{{{ {deep} }}}}\"\n    runs-on: x\n    strategy:\n      matrix: {{a: [1]}}\n"
    );
    go(
        "expression-parentheses",
        vec![("d.yml".into(), wf)],
        &[REQ],
        "cap",
    );
    let wf = format!(
        "name: d\non: pull_request\njobs:\n  t:\n    name: \"x ${{{{ {}true }}}}\"\n    runs-on: x\n    strategy:\n      matrix: {{a: [1]}}\n",
        "!".repeat(20_000)
    );
    go(
        "expression-negations",
        vec![("d.yml".into(), wf)],
        &[REQ],
        "cap",
    );
    // format() repeating a 100 KB value 200k times.
    let wf = format!(
        "name: f\non: pull_request\njobs:\n  t:\n    name: \"${{{{ format('{}', matrix.a) }}}}\"\n    runs-on: x\n    strategy:\n      matrix: {{a: ['{}']}}\n",
        "{0}".repeat(200_000),
        "v".repeat(100_000)
    );
    go("format-blow-up", vec![("f.yml".into(), wf)], &[REQ], "cap");
    // A short format that still multiplies: 1,000 placeholders of a 1 KB value.
    let wf = format!(
        "name: f\non: pull_request\njobs:\n  t:\n    name: \"${{{{ format('{}', matrix.a) }}}}\"\n    runs-on: x\n    strategy:\n      matrix: {{a: ['{}']}}\n",
        "{0}".repeat(1_000),
        "v".repeat(1_000)
    );
    go(
        "format-multiplies",
        vec![("f.yml".into(), wf)],
        &[REQ],
        "cap",
    );
    // 500 callers of a 5,000-job reusable workflow.
    let callee: String = std::iter::once("name: callee\non: workflow_call\njobs:\n".to_string())
        .chain((0..5000).map(|i| format!("  j{i}:\n    runs-on: x\n")))
        .collect();
    let caller: String = std::iter::once("name: caller\non: pull_request\njobs:\n".to_string())
        .chain((0..500).map(|i| format!("  c{i}:\n    uses: ./.gitea/workflows/callee.yml\n")))
        .collect();
    go(
        "reusable-fan-out",
        vec![("callee.yml".into(), callee), ("caller.yml".into(), caller)],
        &[REQ],
        "cap",
    );
    // An alias bomb.
    let mut bomb = String::from("name: bomb\non: push\nx0: &x0 [l, l, l, l, l, l, l, l, l, l]\n");
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "x{i}: &x{i} [*x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}]\n"
        ));
    }
    bomb.push_str("jobs:\n  a:\n    runs-on: *x11\n");
    go(
        "alias-bomb",
        vec![("ci.yml".into(), VALID.into()), ("bomb.yml".into(), bomb)],
        &[REQ],
        "budget",
    );
    // A file over the size limit is refused, not read.
    let big = format!(
        "name: big\non: push\njobs:\n  a:\n    runs-on: x\n#{}\n",
        "x".repeat(3 << 20)
    );
    go(
        "huge-file",
        vec![("ci.yml".into(), VALID.into()), ("big.yml".into(), big)],
        &[REQ],
        "byte limit",
    );
    // 700k required contexts: de-duplicated, then over the cap (a protection file of 14 MB).
    let d = repo("required-700k", &[("ci.yml", VALID)]);
    let contexts: Vec<String> = (0..700_000).map(|i| format!("ci / j{i} (push)")).collect();
    let rules = json!([{"rule_name": "main", "branch_name": "main", "enable_status_check": true, "status_check_contexts": contexts}]);
    d.write("rules.json", &rules.to_string());
    let args = vec![
        "required-checks".into(),
        "--root".into(),
        d.str().into(),
        "--protection-file".into(),
        d.join("rules.json").display().to_string(),
    ];
    check(case("required-700k-distinct", args, &[8]).says("cap"));
    n += 1;
    // 500k copies of one context: de-duplicated to one, proven.
    let rules = json!([{"rule_name": "main", "branch_name": "main", "enable_status_check": true, "status_check_contexts": vec![REQ; 500_000]}]);
    d.write("rules2.json", &rules.to_string());
    let args = vec![
        "required-checks".into(),
        "--root".into(),
        d.str().into(),
        "--protection-file".into(),
        d.join("rules2.json").display().to_string(),
    ];
    check(case("required-700k-same", args, &[0]));
    n += 1;
    // 2,000 distinct glob patterns: over the glob cap.
    let globs: Vec<String> = (0..2000).map(|i| format!("ci / job-{i}-* (*)")).collect();
    let mut args = offline(&d.path, &[]);
    for g in &globs {
        args.push("--required".into());
        args.push(g.clone());
    }
    check(case("required-2000-globs", args, &[8]).says("cap"));
    n += 1;
    // A compose file that includes itself twice: 2^depth files, stopped at the file cap.
    let c = TempDir::new("hostile-include-bomb");
    c.write(
        "compose.yml",
        "include:\n  - compose.yml\n  - compose.yml\n",
    );
    let drift = |file: &std::path::Path| -> Vec<String> {
        vec![
            "image-drift".into(),
            "--compose".into(),
            file.display().to_string(),
            "--docker-host".into(),
            "unix:///nonexistent-driftgate.sock".into(),
        ]
    };
    check(
        case(
            "compose-include-bomb",
            drift(&c.join("compose.yml")),
            &[1, 5, 8],
        )
        .says("256"),
    );
    n += 1;
    // A 200-long extends chain: refused past the depth cap, not walked.
    let mut chain = String::from("services:\n  s0:\n    image: app:v1\n");
    for i in 1..200 {
        chain.push_str(&format!("  s{i}:\n    extends: s{}\n", i - 1));
    }
    c.write("chain.yml", &chain);
    check(
        case(
            "compose-extends-chain",
            drift(&c.join("chain.yml")),
            &[5, 8],
        )
        .says("16"),
    );
    n += 1;
    // 1,500 waivers (100 KB, under the file cap): over the waiver cap, a usage error naming it.
    let mut waivers = String::from("ignore:\n");
    for i in 0..1500 {
        waivers.push_str(&format!(
            "  - {{check: required-checks, kind: orphan, subject: 'x{i}', reason: r}}\n"
        ));
    }
    c.write("waivers.yml", &waivers);
    let mut args = offline(&d.path, &[REQ]);
    args.push("--config".into());
    args.push(c.join("waivers.yml").display().to_string());
    check(case("config-1500-waivers", args, &[1]).says("1000 waivers"));
    n += 1;
    assert_eq!(n, CASES_PER_CLASS[2]);
}

// ------------------------------------------------------------------------------------------
// 4. Only files, as the forge's git tree has them.

#[test]
fn class_4_only_regular_files_and_no_links_followed() {
    let mut n = 0;
    // A linked ci.yml whose target posts the required context: the forge reads the link's
    // text, which is no workflow, so the gate must not pass.
    let d = repo("link-file", &[]);
    d.write("elsewhere/ci.yml", VALID);
    std::os::unix::fs::symlink(
        d.join("elsewhere/ci.yml"),
        d.join(".gitea/workflows/ci.yml"),
    )
    .expect("symlink");
    check(case("linked-workflow-file", offline(&d.path, &[REQ]), &[8]).says("ci.yml"));
    n += 1;
    // x.yml -> /dev/zero: the link's text, not endless zeros.
    let d = repo("link-zero", &[("ci.yml", VALID)]);
    std::os::unix::fs::symlink("/dev/zero", d.join(".gitea/workflows/x.yml")).expect("symlink");
    check(case("link-to-dev-zero", offline(&d.path, &[REQ]), &[8]));
    n += 1;
    // A FIFO named x.yml: never opened (it would block forever).
    let d = repo("fifo", &[("ci.yml", VALID)]);
    mkfifo(&d.join(".gitea/workflows/x.yml"));
    check(case("fifo-workflow", offline(&d.path, &[REQ]), &[8]).says("FIFO"));
    n += 1;
    // A linked .gitea/workflows is not a folder: the forge falls back to .github/workflows.
    let d = TempDir::new("hostile-link-dir");
    d.write("real/ci.yml", VALID);
    d.write(
        ".github/workflows/other.yml",
        "name: other\non: pull_request\njobs:\n  o:\n    runs-on: x\n",
    );
    std::fs::create_dir_all(d.join(".gitea")).expect("mkdir");
    std::os::unix::fs::symlink(d.join("real"), d.join(".gitea/workflows")).expect("symlink");
    check(
        case("linked-workflow-folder", offline(&d.path, &[REQ]), &[2])
            .says("other / o (pull_request)"),
    );
    n += 1;
    // A file named exactly `.yml` is a workflow to the forge (a suffix match).
    let d = repo("dot-yml", &[(".yml", VALID)]);
    check(case("file-named-dot-yml", offline(&d.path, &[REQ]), &[0]));
    n += 1;
    // --protection-file, --digest-file, compose files and manifests: FIFOs, devices, links.
    let d = repo("files", &[("ci.yml", VALID)]);
    mkfifo(&d.join("fifo.json"));
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.json")).expect("symlink");
    for (name, path) in [
        ("protection-file-fifo", d.join("fifo.json")),
        ("protection-file-dev-zero", PathBuf::from("/dev/zero")),
        ("protection-file-link-to-zero", d.join("zero.json")),
        ("protection-file-folder", d.path.clone()),
    ] {
        let args = vec![
            "required-checks".into(),
            "--root".into(),
            d.str().into(),
            "--protection-file".into(),
            path.display().to_string(),
        ];
        check(case(name, args, &[1]));
        n += 1;
    }
    for (name, path) in [
        ("digest-file-fifo", d.join("fifo.json")),
        ("digest-file-dev-zero", PathBuf::from("/dev/zero")),
    ] {
        check(Case::new(
            name,
            &[
                "runtime-pin",
                "--digest-file",
                path.to_str().expect("utf8"),
                "--url",
                "http://127.0.0.1:9/pins",
            ],
            &[1],
        ));
        n += 1;
    }
    mkfifo(&d.join("compose.yml"));
    let compose = d.join("compose.yml").display().to_string();
    check(
        Case::new(
            "compose-fifo",
            &[
                "image-drift",
                "--compose",
                &compose,
                "--docker-host",
                "unix:///nonexistent/x.sock",
            ],
            &[8],
        )
        .says("FIFO"),
    );
    n += 1;
    std::fs::create_dir_all(d.join("modules/a")).expect("mkdir");
    std::os::unix::fs::symlink("/dev/zero", d.join("modules/a/module.yaml")).expect("symlink");
    let manifests = format!("{}/modules/*/module.yaml", d.str());
    check(Case::new(
        "manifest-link-to-zero",
        &[
            "image-drift",
            "--manifests",
            &manifests,
            "--docker-host",
            "unix:///nonexistent/x.sock",
        ],
        &[8],
    ));
    n += 1;
    // The config file, a project's .env and the runner's event file: never a FIFO opened.
    mkfifo(&d.join("config.fifo"));
    let mut args = offline(&d.path, &[REQ]);
    args.push("--config".into());
    args.push(d.join("config.fifo").display().to_string());
    check(case("config-fifo", args, &[1]).says("FIFO"));
    n += 1;
    let p = TempDir::new("hostile-env-fifo");
    p.write("compose.yml", "services:\n  web:\n    image: app:v1\n");
    mkfifo(&p.join(".env"));
    let compose = p.join("compose.yml").display().to_string();
    check(
        Case::new(
            "compose-env-fifo",
            &[
                "image-drift",
                "--compose",
                &compose,
                "--docker-host",
                "unix:///nonexistent/x.sock",
            ],
            &[1],
        )
        .says("FIFO"),
    );
    n += 1;
    mkfifo(&d.join("event.fifo"));
    let mut args = offline(&d.path, &[REQ]);
    args.push("--comment".into());
    let event = d.join("event.fifo").display().to_string();
    check(
        case("comment-event-fifo", args, &[1])
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_EVENT_PATH", &event)
            .env("GITHUB_REPOSITORY", "acme/widget")
            .env("GITHUB_SERVER_URL", "http://127.0.0.1:9")
            .says("FIFO"),
    );
    n += 1;
    assert_eq!(n, CASES_PER_CLASS[3]);
}

// ------------------------------------------------------------------------------------------
// 5. Incomplete is never clean.

/// A Gitea whose organisation `acme` has `count` repositories, paged by `pages`.
fn org(pages: impl Fn(usize, &str) -> Reply + Send + Sync + 'static, count: usize) -> FakeForge {
    let forge = FakeForge::start(Kind::Gitea);
    forge.reply(
        "/api/v1/version",
        vec![Reply::json(200, &json!({"version": "1.27.3"}))],
    );
    let base = forge.url.clone();
    forge.handler("/api/v1/orgs/acme/repos", move |seen, _| {
        let page: usize = seen
            .target
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("page="))
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        pages(page, &base)
    });
    for i in 1..=count {
        let name = format!("acme/r{i}");
        forge.reply(
            &format!("/api/v1/repos/{name}"),
            vec![Reply::json(
                200,
                &repository(&forge.url, i as i64, &name, "main"),
            )],
        );
        forge.reply(
            &format!("/api/v1/repos/{name}/branches/main"),
            vec![Reply::json(
                200,
                &branch(
                    "main",
                    Some(&gitea_rule("main", &["ci / test (push)"])),
                    true,
                ),
            )],
        );
        forge.reply(
            &format!("/api/v1/repos/{name}/contents/.gitea/workflows"),
            vec![Reply::json(200, &json!([]))],
        );
    }
    forge
}

fn repos_page(base: &str, from: usize, to: usize) -> Value {
    Value::Array(
        (from..=to)
            .map(|i| repository(base, i as i64, &format!("acme/r{i}"), "main"))
            .collect(),
    )
}

fn sweep_args(forge: &FakeForge) -> Vec<String> {
    vec![
        "required-checks".into(),
        "--server".into(),
        forge.url.clone(),
        "--owner".into(),
        "acme".into(),
        "--json".into(),
    ]
}

#[test]
fn class_5_incomplete_is_never_clean() {
    let mut n = 0;
    // 51 repositories, the total header missing, negative, not a number or absurd: all 51 are
    // swept (the orphan in each makes it 2), never 50 and clean.
    for (name, total) in [
        ("total-missing", None),
        ("total-negative", Some("-1")),
        ("total-garbage", Some("fifty-one")),
        ("total-absurd", Some("99999999999")),
    ] {
        let forge = org(
            move |page, base| {
                let body = match page {
                    1 => repos_page(base, 1, 50),
                    2 => repos_page(base, 51, 51),
                    _ => json!([]),
                };
                let r = Reply::json(200, &body);
                match total {
                    Some(t) => r.header("x-total-count", t),
                    None => r,
                }
            },
            51,
        );
        let c = case(name, sweep_args(&forge), &[2]);
        let o = run_case(&c);
        check(c);
        let doc: Value = serde_json::from_str(&o.run.stdout).expect("json");
        assert_eq!(
            doc["repositories"].as_array().map(Vec::len),
            Some(51),
            "{name}: every repository swept"
        );
        n += 1;
    }
    // A server that ignores `page`: the same page again is noticed, and the sweep is partial.
    let forge = org(
        |_, base| Reply::json(200, &repos_page(base, 1, 50)).header("x-total-count", "120"),
        50,
    );
    check(case("pages-repeat", sweep_args(&forge), &[8]).says("repeats"));
    n += 1;
    // A server that never stops: the page cap makes it partial, in bounded time. (Pages are
    // rendered from one template: the fake must not be the slow part.)
    let template = repos_page("http://127.0.0.1", 1, 50).to_string();
    let forge = org(
        move |page, _| {
            Reply::raw(
                200,
                "application/json",
                &template.replace("acme/r", &format!("acme/p{page}r")),
            )
        },
        0,
    );
    check(case("pages-never-end", sweep_args(&forge), &[8]).says("pages"));
    n += 1;
    // Pages of 8 MiB: the bytes kept are capped.
    let mut items = repos_page("http://127.0.0.1", 1, 50);
    if let Some(a) = items.as_array_mut() {
        for r in a {
            r["description"] = json!("d".repeat(160 * 1024));
        }
    }
    let template = items.to_string();
    let forge = org(
        move |page, _| {
            Reply::raw(
                200,
                "application/json",
                &template.replace("acme/r", &format!("acme/p{page}r")),
            )
            .header("x-total-count", "50000")
        },
        0,
    );
    check(case("pages-huge", sweep_args(&forge), &[8]).says("bytes"));
    n += 1;
    // A contents listing that lists itself, and a chain deeper than any real tree.
    let forge = org(|_, _| Reply::json(200, &json!([])), 0);
    forge.reply(
        "/api/v1/repos/acme/widget",
        vec![Reply::json(
            200,
            &repository(&forge.url, 7, "acme/widget", "main"),
        )],
    );
    forge.reply(
        "/api/v1/repos/acme/widget/branches/main",
        vec![Reply::json(
            200,
            &branch("main", Some(&gitea_rule("main", &[REQ])), true),
        )],
    );
    forge.handler(
        "/api/v1/repos/acme/widget/contents/.gitea/workflows",
        |_, _| {
            Reply::json(
                200,
                &json!([{"name": "loop", "path": ".gitea/workflows", "type": "dir"},
            {"name": "deep", "path": ".gitea/workflows/deep", "type": "dir"},
            {"name": "up.yml", "path": ".gitea/workflows/../../etc/up.yml", "type": "file"}]),
            )
        },
    );
    for depth in 0..40 {
        let here = format!(".gitea/workflows/deep{}", "/d".repeat(depth));
        let next = format!("{here}/d");
        forge.reply(
            &format!("/api/v1/repos/acme/widget/contents/{here}"),
            vec![Reply::json(
                200,
                &json!([{"name": "d", "path": next, "type": "dir"},
                {"name": "self", "path": here, "type": "dir"}]),
            )],
        );
    }
    check(case(
        "contents-cycle-and-depth",
        vec![
            "required-checks".into(),
            "--server".into(),
            forge.url.clone(),
            "--repos".into(),
            "acme/widget".into(),
        ],
        &[8],
    ));
    n += 1;
    // The branch's protection in another shape: never "nothing required".
    for (name, answer) in [
        ("branch-empty-object", json!({})),
        (
            "branch-without-contexts",
            json!({"name": "main", "protected": true, "enable_status_check": true}),
        ),
        (
            "branch-without-switch",
            json!({"name": "main", "protected": true, "status_check_contexts": [REQ]}),
        ),
        (
            "branch-without-protected",
            json!({"name": "main", "enable_status_check": true, "status_check_contexts": [REQ]}),
        ),
        ("branch-a-list", json!([{"name": "main"}])),
        (
            "branch-contexts-not-strings",
            json!({"name": "main", "protected": true, "enable_status_check": true, "status_check_contexts": [1]}),
        ),
    ] {
        let forge = FakeForge::gitea("1.27.3", &[]);
        forge.readable(
            "/api/v1/repos/acme/widget/branches/main",
            vec![Reply::json(200, &answer)],
        );
        let d = repo(name, &[("ci.yml", VALID)]);
        check(case(
            name,
            vec![
                "required-checks".into(),
                "--server".into(),
                forge.url.clone(),
                "--repo".into(),
                "acme/widget".into(),
                "--root".into(),
                d.str().into(),
            ],
            &[5],
        ));
        n += 1;
    }
    // A registry whose Docker-Content-Digest disagrees with the manifest it sends.
    let registry = FakeForge::start(Kind::Gitea);
    registry.handler("/v2/app/manifests/v1", |seen, _| {
        if seen.method == "HEAD" {
            Reply::raw(405, "text/plain", "")
        } else {
            Reply::raw(
                200,
                "application/vnd.oci.image.manifest.v1+json",
                "{\"schemaVersion\":2}",
            )
            .header(
                "docker-content-digest",
                "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            )
        }
    });
    let image = format!("{}/app:v1", registry.url.trim_start_matches("http://"));
    check(
        Case::new(
            "registry-digest-header-lies",
            &[
                "runtime-pin",
                "--image",
                &image,
                "--digest",
                "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ],
            &[5],
        )
        .says("not the SHA-256"),
    );
    n += 1;
    // Compose files that declare nothing: usage, not a clean run over 0 modules.
    for (name, text) in [
        ("compose-empty", ""),
        ("compose-typo", "servics:\n  web:\n    image: app:1\n"),
        ("compose-no-services", "name: x\nvolumes: {}\n"),
    ] {
        let d = TempDir::new(&format!("hostile-{name}"));
        d.write("compose.yml", text);
        let compose = d.join("compose.yml").display().to_string();
        check(Case::new(
            name,
            &[
                "image-drift",
                "--compose",
                &compose,
                "--docker-host",
                "unix:///nonexistent/x.sock",
            ],
            &[1],
        ));
        n += 1;
    }
    assert_eq!(n, CASES_PER_CLASS[4]);
}

// ------------------------------------------------------------------------------------------
// 6. No crash on input; 7. output size.

#[test]
fn class_6_no_crash_on_input() {
    use std::os::unix::ffi::OsStrExt;
    let mut n = 0;
    // A non-UTF-8 argument is usage, not a panic (101).
    let d = repo("non-utf8-arg", &[("ci.yml", VALID)]);
    let mut cmd = fake_forge::command(&["required-checks", "--root", d.str(), "--required"], &[]);
    cmd.arg(std::ffi::OsStr::from_bytes(b"ci / \xff\xfe (push)"));
    let r = run_limited(cmd);
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    n += 1;
    // A non-UTF-8 workflow file: unverifiable, not a crash.
    let d = repo("non-utf8-file", &[("ci.yml", VALID)]);
    std::fs::write(
        d.join(".gitea/workflows/bad.yml"),
        b"name: \xff\xfe\non: push\n",
    )
    .expect("write");
    check(case("non-utf8-workflow", offline(&d.path, &[REQ]), &[8]));
    n += 1;
    // Odd but valid YAML everywhere a value is read.
    let wf = "name: 3.10\non: {pull_request: {branches: [main, 1, true, null]}}\njobs:\n  \"1\":\n    name: 0x1F\n    runs-on: x\n    strategy:\n      matrix:\n        v: [.inf, -.inf, .nan, 1e400, 0o17, 0x1F, 9223372036854775808, -9223372036854775809, ~, [1, [2]], {a: {b: c}}]\n        include: [{v: 1e400, w: .nan}, {}]\n        exclude: [{v: .nan}]\n";
    let d = repo("odd-values", &[("ci.yml", wf)]);
    check(case(
        "odd-yaml-values",
        offline(&d.path, &["3.10 / *"]),
        &[0, 2, 8],
    ));
    n += 1;
    // A name that is 1 MB long, of wide characters.
    let wf = format!(
        "name: w\non: pull_request\njobs:\n  a:\n    name: \"{}\"\n    runs-on: x\n",
        "界".repeat(300_000)
    );
    let d = repo("long-name", &[("ci.yml", &wf)]);
    check(case("megabyte-job-name", offline(&d.path, &[REQ]), &[2]));
    n += 1;
    assert_eq!(n, CASES_PER_CLASS[5]);
}

#[test]
fn class_7_output_size_is_capped() {
    let mut n = 0;
    // 5,000 orphans: the log and the summary stay small and say where the rest is.
    let d = repo("many-orphans", &[("ci.yml", VALID)]);
    let contexts: Vec<String> = (0..5000)
        .map(|i| format!("ci / missing-{i} (push)"))
        .collect();
    let rules = json!([{"rule_name": "main", "branch_name": "main", "enable_status_check": true, "status_check_contexts": contexts}]);
    d.write("rules.json", &rules.to_string());
    let args = vec![
        "required-checks".into(),
        "--root".into(),
        d.str().into(),
        "--protection-file".into(),
        d.join("rules.json").display().to_string(),
    ];
    let c = case("many-orphans", args, &[2]).says("JSON report");
    let o = run_case(&c);
    assert!(
        o.run.stdout.len() < 1 << 20,
        "log {} bytes",
        o.run.stdout.len()
    );
    let summary = o
        .files
        .iter()
        .find(|(p, _)| p.ends_with("summary.md"))
        .map(|(_, t)| t.clone())
        .unwrap_or_default();
    assert!(
        summary.len() < 1 << 20 && summary.contains("JSON report"),
        "summary {} bytes",
        summary.len()
    );
    let report = o
        .files
        .iter()
        .find(|(p, _)| p.ends_with("report.json"))
        .map(|(_, t)| t.clone())
        .unwrap_or_default();
    let doc: Value = serde_json::from_str(&report).expect("report");
    assert_eq!(
        doc["findings"]
            .as_array()
            .map(|f| f.iter().filter(|x| x["kind"] == "orphan").count()),
        Some(5000)
    );
    check(c);
    n += 1;
    // 60,000 posted contexts (60 jobs x 1,000 legs): every one in the report, the log folded.
    let mut wf = String::from("name: big\non: pull_request\njobs:\n");
    for j in 0..60 {
        wf.push_str(&format!(
            "  j{j}:\n    runs-on: x\n    strategy:\n      matrix: {{v: [{}]}}\n",
            (0..1000)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let d = repo("many-contexts", &[("ci.yml", VALID), ("big.yml", &wf)]);
    let c = case("many-contexts", offline(&d.path, &[REQ]), &[0]).says("more");
    let o = run_case(&c);
    assert!(
        o.run.stdout.len() < 1 << 20,
        "log {} bytes",
        o.run.stdout.len()
    );
    check(c);
    n += 1;
    assert_eq!(n, CASES_PER_CLASS[6]);
}

/// Cases per class, in test order; a class that loses a case fails its count.
const CASES_PER_CLASS: [usize; 7] = [8, 8, 17, 16, 18, 4, 2];

#[test]
fn the_table_has_a_case_for_every_class() {
    let total: usize = CASES_PER_CLASS.iter().sum();
    assert!(CASES_PER_CLASS.iter().all(|n| *n > 0));
    assert!(total >= 60, "{total} hostile cases");
    // The binary under the limits at all: a clean run passes them.
    let d = repo("baseline", &[("ci.yml", VALID)]);
    let r = run_limited(fake_forge::command(
        &[
            "required-checks",
            "--root",
            d.str(),
            "--branch",
            "main",
            "--required",
            REQ,
        ],
        &[],
    ));
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    let _ = Command::new("true");
}
