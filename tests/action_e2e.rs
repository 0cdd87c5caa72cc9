//! The container action end to end on the real Docker engine: the final image (built with the
//! Dockerfile's `local` target around a static musl binary) run exactly as act_runner runs a
//! `runs.using: docker` action — every input of action.yml as `INPUT_<NAME>` (upper-cased,
//! hyphens kept, defaults filled in), the workspace volume at `/workspace/<owner>/<repo>` as the
//! working directory, `/var/run/act` holding `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`, and
//! `GITHUB_SERVER_URL` pointing at a fake forge on the host (`--network host`).
//!
//! Each check is asserted through what a workflow sees: the exit code, the outputs file, the
//! summary file, the JSON report beside the file commands, and the annotations on stdout.
//!
//! The static binary is `DRIFTGATE_STATIC_BINARY`, else
//! `target/x86_64-unknown-linux-musl/release/driftgate` (build it with
//! `cargo build --release --target x86_64-unknown-linux-musl --bin driftgate`). Without it, or
//! without a reachable engine, every test prints "skipping: <reason>" and passes, unless
//! DRIFTGATE_REQUIRE_DOCKER is set (as `.ci/run` does).

mod support;
use support::GITEA_CI;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use support::fake_forge::{FakeForge, Kind, REPO, Reply, TOKEN, TempDir, branch, gitea_rule};

/// The tag of the image under test, rebuilt by every test process.
const IMAGE: &str = "driftgate-e2e:test";
/// Where act_runner mounts the workspace volume: `/workspace/<owner>/<repo>`.
const WORKSPACE: &str = "/workspace/acme/widget";
/// act_runner's file commands.
const OUTPUT: &str = "/var/run/act/workflow/outputcmd.txt";
const SUMMARY: &str = "/var/run/act/workflow/SUMMARY.md";
/// The report path without the `report` input: beside the file commands.
/// The step's id (act_runner's `GITHUB_ACTION`), which names its default report.
const STEP_ID: &str = "gate";
const REPORT: &str = "/var/run/act/workflow/driftgate-report-gate.json";
/// What the runner puts where action.yml says `${{ github.token }}`: the job's own token.
const JOB_TOKEN: &str = "dg-job-token-77aa66bb55cc44dd33ee22ff";
/// The longest one container run may take before the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(120);
/// The image size the spec aims at.
const SIZE_GOAL: u64 = 10 * 1024 * 1024;

const OLD: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const NEW: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

// ------------------------------------------------------------------------------------------
// The image.

/// Why the tests cannot run here (skip), or a build that failed (fail).
#[derive(Debug)]
enum NoImage {
    Skip(String),
    Fail(String),
}

static BUILT: OnceLock<Result<u64, NoImage>> = OnceLock::new();

/// Prints "skipping: <why>" and returns `None`, or panics under DRIFTGATE_REQUIRE_DOCKER.
fn skip<T>(why: &str) -> Option<T> {
    if std::env::var_os("DRIFTGATE_REQUIRE_DOCKER").is_some() {
        panic!("{why}, and DRIFTGATE_REQUIRE_DOCKER is set");
    }
    eprintln!("skipping: {why}");
    None
}

/// The image tag once it is built, or `None` (skipped) where it cannot be.
fn image() -> Option<&'static str> {
    match BUILT.get_or_init(build_image) {
        Ok(_) => Some(IMAGE),
        Err(NoImage::Skip(why)) => skip(why),
        Err(NoImage::Fail(why)) => panic!("{why}"),
    }
}

fn static_binary() -> PathBuf {
    match std::env::var_os("DRIFTGATE_STATIC_BINARY") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/x86_64-unknown-linux-musl/release/driftgate"),
    }
}

fn docker(args: &[&str]) -> std::io::Result<std::process::Output> {
    Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
}

fn build_image() -> Result<u64, NoImage> {
    let binary = static_binary();
    if !binary.is_file() {
        return Err(NoImage::Skip(format!(
            "no static driftgate binary at {} (cargo build --release --target \
             x86_64-unknown-linux-musl --bin driftgate, or set DRIFTGATE_STATIC_BINARY)",
            binary.display()
        )));
    }
    match docker(&["info", "--format", "{{.ServerVersion}}"]) {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            return Err(NoImage::Skip(format!(
                "the Docker engine is unreachable: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            )));
        }
        Err(e) => return Err(NoImage::Skip(format!("no `docker` CLI: {e}"))),
    }
    let ca_bundle = Path::new("/etc/ssl/certs/ca-certificates.crt");
    if !ca_bundle.is_file() {
        return Err(NoImage::Skip(format!(
            "no CA bundle at {} to put in the image",
            ca_bundle.display()
        )));
    }
    let ctx = TempDir::new("e2e-image");
    let copy = |from: &Path, to: &str| {
        let dest = ctx.join(to);
        std::fs::create_dir_all(dest.parent().unwrap()).expect("mkdir");
        std::fs::copy(from, &dest)
            .unwrap_or_else(|e| panic!("copy {} to {}: {e}", from.display(), dest.display()));
    };
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile"),
        "Dockerfile",
    );
    copy(&binary, "dist/driftgate");
    copy(ca_bundle, "dist/etc/ssl/certs/ca-certificates.crt");
    let started = Instant::now();
    let out = docker(&["build", "--target", "local", "-t", IMAGE, ctx.str()])
        .map_err(|e| NoImage::Fail(format!("docker build: {e}")))?;
    if !out.status.success() {
        return Err(NoImage::Fail(format!(
            "docker build --target local failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let out = docker(&["image", "inspect", "-f", "{{.Size}}", IMAGE])
        .map_err(|e| NoImage::Fail(format!("docker image inspect: {e}")))?;
    let size: u64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| {
            NoImage::Fail(format!(
                "docker image inspect -f {{{{.Size}}}}: {e}: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        })?;
    println!(
        "built {IMAGE} from {} in {:.1}s: {size} bytes ({:.2} MiB)",
        binary.display(),
        started.elapsed().as_secs_f64(),
        size as f64 / 1024.0 / 1024.0
    );
    Ok(size)
}

// ------------------------------------------------------------------------------------------
// Running it as act_runner does.

#[derive(Deserialize)]
struct Action {
    inputs: BTreeMap<String, ActionInput>,
}

#[derive(Deserialize)]
struct ActionInput {
    #[serde(default)]
    default: Option<String>,
}

/// Every input of action.yml with its default ("" without one), as the runner fills them in.
fn defaults() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml");
    let action: Action =
        serde_saphyr::from_str(&std::fs::read_to_string(&path).expect("action.yml"))
            .expect("action.yml parses");
    action
        .inputs
        .into_iter()
        .map(|(name, i)| {
            let d = i.default.unwrap_or_default();
            (name, d.replace("${{ github.token }}", JOB_TOKEN))
        })
        .collect()
}

/// The variable a runner sets for an input: upper-cased, hyphens kept, others `_`.
fn input_var(name: &str) -> String {
    let mut v = String::from("INPUT_");
    for c in name.chars() {
        v.push(match c {
            'a'..='z' => c.to_ascii_uppercase(),
            'A'..='Z' | '0'..='9' | '-' => c,
            _ => '_',
        });
    }
    v
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// One step: a workspace, a `/var/run/act` folder, inputs and extra environment.
struct Step {
    image: &'static str,
    workspace: TempDir,
    act: TempDir,
    inputs: BTreeMap<String, String>,
    env: Vec<(String, String)>,
    docker_args: Vec<String>,
    server: String,
}

/// What one container run left behind.
#[derive(Debug)]
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
    /// The outputs file as written (`name=value` lines).
    outputs_raw: String,
    outputs: BTreeMap<String, String>,
    summary: String,
    /// The report at its default place, read on the host through the bound folder.
    report_raw: Option<String>,
    elapsed: Duration,
}

impl Ran {
    fn report(&self) -> Value {
        let raw = self.report_raw.as_deref().unwrap_or_else(|| {
            panic!("no report at {REPORT} (host side of /var/run/act):\n{self}")
        });
        serde_json::from_str(raw).unwrap_or_else(|e| panic!("report is not JSON ({e}):\n{self}"))
    }

    /// Annotation lines (`::error`, `::warning`, `::notice`) on stdout.
    fn annotations(&self, level: &str) -> Vec<&str> {
        let prefix = format!("::{level} ");
        let bare = format!("::{level}::");
        self.stdout
            .lines()
            .filter(|l| l.starts_with(&prefix) || l.starts_with(&bare))
            .collect()
    }

    /// Asserts the contract every run keeps: exit code, outputs, report, summary.
    #[track_caller]
    fn expect(&self, code: i32, result: &str) -> Value {
        assert_eq!(self.code, code, "exit code\n{self}");
        assert_eq!(
            self.outputs.get("result").map(String::as_str),
            Some(result),
            "outputs result=\n{self}"
        );
        assert_eq!(
            self.outputs.get("exit-code").map(String::as_str),
            Some(code.to_string().as_str()),
            "outputs exit-code=\n{self}"
        );
        assert_eq!(
            self.outputs.get("report").map(String::as_str),
            Some(REPORT),
            "outputs report=\n{self}"
        );
        let findings: usize = self
            .outputs
            .get("findings")
            .unwrap_or_else(|| panic!("no findings= output\n{self}"))
            .parse()
            .unwrap_or_else(|e| panic!("findings= is not a count ({e})\n{self}"));
        let report = self.report();
        assert_eq!(report["schema"], "driftgate.report/v1", "{self}");
        assert_eq!(report["result"], result, "report result\n{self}");
        assert_eq!(report["exit_code"], json!(code), "report exit_code\n{self}");
        let counted = report["findings"]
            .as_array()
            .expect("findings array")
            .iter()
            .filter(|f| f["severity"] == "error" || f["severity"] == "warning")
            .count();
        assert_eq!(
            findings, counted,
            "findings= counts errors and warnings\n{self}"
        );
        assert!(
            !self.summary.trim().is_empty(),
            "the job summary was written\n{self}"
        );
        assert!(
            self.summary.contains(result),
            "the summary names the result {result:?}\n{self}"
        );
        if code == 0 {
            assert!(self.annotations("error").is_empty(), "no ::error\n{self}");
        } else {
            assert!(!self.annotations("error").is_empty(), "an ::error\n{self}");
        }
        let masks = self.masks().len();
        for line in self.stdout.lines().skip(masks).chain(self.stderr.lines()) {
            assert!(
                !line.starts_with("::add-mask::"),
                "::add-mask:: only in the first lines\n{self}"
            );
        }
        report
    }

    /// The leading `::add-mask::` lines of stdout: the token input, then the job token.
    fn masks(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .take_while(|l| l.starts_with("::add-mask::"))
            .collect()
    }

    /// The token appears once, in the leading lines of stdout (the masks), and nowhere else.
    #[track_caller]
    fn expect_masked(&self, token: &str) {
        let masks = self.masks();
        assert!(
            masks.contains(&format!("::add-mask::{token}").as_str()),
            "the first lines mask the token\n{self}"
        );
        let head: usize = masks.iter().map(|m| m.len() + 1).sum();
        let rest = &self.stdout[head.min(self.stdout.len())..];
        for (what, text) in [
            ("stdout after the mask", rest),
            ("stderr", self.stderr.as_str()),
            ("the outputs file", self.outputs_raw.as_str()),
            ("the summary", self.summary.as_str()),
            ("the report", self.report_raw.as_deref().unwrap_or_default()),
        ] {
            assert!(
                !text.contains(token),
                "the token leaked into {what}\n{self}"
            );
        }
    }
}

impl std::fmt::Display for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {} after {:.1}s\n--- stdout\n{}--- stderr\n{}--- {OUTPUT}\n{}--- {SUMMARY}\n{}\n--- {REPORT}\n{}",
            self.code,
            self.elapsed.as_secs_f64(),
            self.stdout,
            self.stderr,
            self.outputs_raw,
            self.summary,
            self.report_raw.as_deref().unwrap_or("(none)")
        )
    }
}

impl Step {
    /// A step of `check` in a fresh workspace, the runner's variables pointing at `server`.
    fn new(image: &'static str, check: &str, server: &str) -> Step {
        let act = TempDir::new("e2e-act");
        act.write("workflow/outputcmd.txt", "")
            .write("workflow/SUMMARY.md", "")
            .write("workflow/envs.txt", "")
            .write("workflow/pathcmd.txt", "")
            .write("workflow/statecmd.txt", "");
        let mut inputs = defaults();
        inputs.insert("check".into(), check.into());
        Step {
            image,
            workspace: TempDir::new("e2e-workspace"),
            act,
            inputs,
            env: Vec::new(),
            docker_args: Vec::new(),
            server: server.trim_end_matches('/').to_string(),
        }
    }

    fn input(mut self, name: &str, value: &str) -> Step {
        assert!(
            self.inputs.contains_key(name),
            "{name} is not an input of action.yml"
        );
        self.inputs.insert(name.into(), value.into());
        self
    }

    fn env(mut self, name: &str, value: &str) -> Step {
        self.env.push((name.into(), value.into()));
        self
    }

    fn file(self, rel: &str, text: &str) -> Step {
        self.workspace.write(rel, text);
        self
    }

    fn docker_arg(mut self, arg: &str) -> Step {
        self.docker_args.push(arg.into());
        self
    }

    /// `docker run` as act_runner does it, killed (and the test failed) after RUN_LIMIT.
    fn run(&self) -> Ran {
        let name = format!(
            "driftgate-e2e-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let mut args: Vec<String> = vec![
            "run".into(),
            "--rm".into(),
            "--name".into(),
            name.clone(),
            "--network".into(),
            "host".into(),
            "-v".into(),
            format!("{}:{WORKSPACE}", self.workspace.str()),
            "-w".into(),
            WORKSPACE.into(),
            "-v".into(),
            format!("{}:/var/run/act", self.act.str()),
        ];
        let mut env: Vec<(String, String)> = vec![
            ("CI".into(), "true".into()),
            ("GITHUB_ACTIONS".into(), "true".into()),
            ("GITEA_ACTIONS".into(), "true".into()),
            ("GITHUB_SERVER_URL".into(), self.server.clone()),
            ("GITHUB_API_URL".into(), format!("{}/api/v1", self.server)),
            ("GITHUB_REPOSITORY".into(), REPO.into()),
            ("GITHUB_REPOSITORY_OWNER".into(), "acme".into()),
            ("GITHUB_WORKSPACE".into(), WORKSPACE.into()),
            ("GITHUB_EVENT_NAME".into(), "push".into()),
            ("GITHUB_REF".into(), "refs/heads/main".into()),
            ("GITHUB_REF_NAME".into(), "main".into()),
            ("GITHUB_OUTPUT".into(), OUTPUT.into()),
            ("GITHUB_STEP_SUMMARY".into(), SUMMARY.into()),
            ("GITHUB_ENV".into(), "/var/run/act/workflow/envs.txt".into()),
            (
                "GITHUB_PATH".into(),
                "/var/run/act/workflow/pathcmd.txt".into(),
            ),
            (
                "GITHUB_STATE".into(),
                "/var/run/act/workflow/statecmd.txt".into(),
            ),
            ("GITHUB_ACTION".into(), STEP_ID.into()),
            ("RUNNER_OS".into(), "Linux".into()),
            ("RUNNER_TEMP".into(), "/tmp".into()),
        ];
        for (name, value) in &self.inputs {
            env.push((input_var(name), value.clone()));
        }
        env.extend(self.env.iter().cloned());
        for (k, v) in &env {
            args.push("-e".into());
            args.push(format!("{k}={v}"));
        }
        args.extend(self.docker_args.iter().cloned());
        args.push(self.image.into());

        let started = Instant::now();
        let mut child = Command::new("docker")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn docker run");
        let (out_t, err_t) = drain(&mut child);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if started.elapsed() > RUN_LIMIT {
                let _ = docker(&["kill", &name]);
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "docker run {name} ran longer than {}s and was killed\nstdout:\n{}",
                    RUN_LIMIT.as_secs(),
                    out_t.join().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let elapsed = started.elapsed();
        let outputs_raw = self.act.read("workflow/outputcmd.txt");
        let outputs = outputs_raw
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let report_path = self
            .act
            .join(&format!("workflow/driftgate-report-{STEP_ID}.json"));
        Ran {
            code: status.code().expect("docker run was killed by a signal"),
            stdout: out_t.join().unwrap(),
            stderr: err_t.join().unwrap(),
            outputs_raw,
            outputs,
            summary: self.act.read("workflow/SUMMARY.md"),
            report_raw: std::fs::read_to_string(report_path).ok(),
            elapsed,
        }
    }
}

type Reader = std::thread::JoinHandle<String>;

/// Reads a child's stdout and stderr on threads, so neither pipe can fill and block it.
fn drain(child: &mut Child) -> (Reader, Reader) {
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    (
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        }),
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        }),
    )
}

/// Kinds of the report's error findings, in order.
fn error_kinds(report: &Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["kind"].as_str().unwrap_or_default())
        .collect()
}

// ------------------------------------------------------------------------------------------
// The image itself.

#[test]
fn the_image_is_small_and_runs_as_root() {
    let Some(image) = image() else { return };
    let size = BUILT.get().unwrap().as_ref().unwrap();
    println!(
        "image {image}: {size} bytes ({:.2} MiB)",
        *size as f64 / 1024.0 / 1024.0
    );
    assert!(
        *size < SIZE_GOAL,
        "the image is {size} bytes, the goal is < {SIZE_GOAL}"
    );
    let out = docker(&[
        "image",
        "inspect",
        "-f",
        "{{.Config.User}} {{json .Config.Entrypoint}}",
        image,
    ])
    .expect("docker image inspect");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"0:0 ["/driftgate"]"#
    );
}

// ------------------------------------------------------------------------------------------
// required-checks online against the fake Gitea API.

#[test]
fn required_checks_online_clean_with_the_token_masked() {
    let Some(image) = image() else { return };
    let forge = FakeForge::gitea("1.24.3", &["CI / build (pull_request)", "CI / lint (*)"]);
    let r = Step::new(image, "required-checks", &forge.url)
        .input("token", TOKEN)
        .file(".gitea/workflows/ci.yml", GITEA_CI)
        .run();
    let report = r.expect(0, "clean");
    r.expect_masked(TOKEN);
    assert_eq!(report["check"], "required-checks", "{r}");
    assert_eq!(report["branch"], "main", "{r}");
    assert_eq!(
        report["required"],
        json!(["CI / build (pull_request)", "CI / lint (*)"]),
        "{r}"
    );
    assert_eq!(r.outputs["findings"], "0", "{r}");
    assert_eq!(
        forge.requests(),
        [
            "GET /api/v1/version",
            "GET /api/v1/repos/acme/widget",
            "GET /api/v1/repos/acme/widget/branches/main",
            "GET /api/v1/repos/acme/widget/branch_protections"
        ],
        "{r}"
    );
    for s in forge.seen() {
        assert_eq!(
            s.authorization.as_deref(),
            Some(format!("token {TOKEN}").as_str()),
            "the INPUT_TOKEN reached the forge as `token <t>`"
        );
    }
}

#[test]
fn required_checks_online_orphan_exits_2() {
    let Some(image) = image() else { return };
    let forge = FakeForge::gitea("1.24.3", &["CI / biuld (pull_request)", "CI / lint (*)"]);
    let r = Step::new(image, "required-checks", &forge.url)
        .input("token", TOKEN)
        .file(".gitea/workflows/ci.yml", GITEA_CI)
        .run();
    let report = r.expect(2, "finding");
    r.expect_masked(TOKEN);
    let orphan = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "orphan")
        .unwrap_or_else(|| panic!("an orphan finding\n{r}"));
    assert_eq!(orphan["subject"], "CI / biuld (pull_request)", "{r}");
    assert_eq!(orphan["suggestions"][0], "CI / build (pull_request)", "{r}");
    let errors = r.annotations("error");
    assert!(
        errors
            .iter()
            .any(|l| l.starts_with("::error title=orphan") && l.contains("biuld")),
        "an ::error title=orphan… line\n{r}"
    );
    assert!(
        r.summary.contains("CI / biuld (pull\\_request)") && r.summary.contains("orphan"),
        "the summary lists the orphan (markdown-escaped)\n{r}"
    );
    assert_eq!(r.outputs["findings"], "1", "{r}");
}

#[test]
fn advisory_mode_exits_0_with_the_true_result_in_the_outputs() {
    let Some(image) = image() else { return };
    let forge = FakeForge::gitea("1.24.3", &["CI / biuld (pull_request)"]);
    let r = Step::new(image, "required-checks", &forge.url)
        .input("token", TOKEN)
        .input("mode", "advisory")
        .file(".gitea/workflows/ci.yml", GITEA_CI)
        .run();
    assert_eq!(r.code, 0, "advisory exits 0\n{r}");
    assert_eq!(r.outputs["result"], "finding", "{r}");
    assert_eq!(r.outputs["exit-code"], "2", "{r}");
    assert_eq!(r.report()["result"], "finding", "{r}");
    assert!(r.annotations("error").is_empty(), "{r}");
    assert!(!r.annotations("warning").is_empty(), "{r}");
    r.expect_masked(TOKEN);
}

/// The PR gate with no `token` input: the runner fills in the job token (here the fake's
/// TOKEN), which may read the branch but not the admin-only rule list (403), as on both forges.
#[test]
fn the_job_token_alone_runs_the_pr_gate() {
    let Some(image) = image() else { return };
    let forge = FakeForge::gitea("1.27.3", &["CI / build (pull_request)", "CI / lint (*)"]);
    forge.reply(
        "/api/v1/repos/acme/widget/branch_protections",
        vec![Reply::json(
            403,
            &json!({"message": "user should be an owner or a collaborator with admin write of a repository", "url": format!("{}api/swagger", forge.root())}),
        )],
    );
    let r = Step::new(image, "required-checks", &forge.url)
        .input("token", TOKEN)
        .input("job-token", TOKEN)
        .file(".gitea/workflows/ci.yml", GITEA_CI)
        .run();
    let report = r.expect(0, "clean");
    r.expect_masked(TOKEN);
    assert!(
        report["rule"]["name"]
            .as_str()
            .unwrap_or_default()
            .contains("admins only"),
        "{r}"
    );
    assert_eq!(
        forge.requests(),
        [
            "GET /api/v1/version",
            "GET /api/v1/repos/acme/widget",
            "GET /api/v1/repos/acme/widget/branches/main",
            "GET /api/v1/repos/acme/widget/branch_protections"
        ],
        "{r}"
    );
}

/// A bad input in advisory mode: the outputs say `usage`, the step passes, and the message
/// names the input as the workflow wrote it.
#[test]
fn a_bad_input_in_advisory_mode_never_fails_the_step() {
    let Some(image) = image() else { return };
    let forge = FakeForge::start(Kind::Gitea);
    for (mode, code) in [("advisory", 0), ("assert", 1)] {
        let r = Step::new(image, "required-checks", &forge.url)
            .input("mode", mode)
            .input("timeout", "soon")
            .input("required", "CI / build (pull_request)")
            .file(".gitea/workflows/ci.yml", GITEA_CI)
            .run();
        assert_eq!(r.code, code, "{mode}\n{r}");
        assert_eq!(r.outputs["result"], "usage", "{r}");
        assert_eq!(r.outputs["exit-code"], "1", "{r}");
        assert!(r.summary.contains("usage"), "{r}");
        let report = r.report();
        let message = report["findings"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(message.contains("input timeout"), "{r}");
        assert!(!message.contains("--timeout"), "{r}");
        assert!(!r.stdout.contains("--help"), "{r}");
    }
    // A one-value input with two lines fails before any command line exists: the same.
    let r = Step::new(image, "required-checks", &forge.url)
        .input("mode", "advisory")
        .input("branch", "main\ndev")
        .run();
    assert_eq!(r.code, 0, "{r}");
    assert_eq!(r.outputs["result"], "usage", "{r}");
    assert!(r.summary.contains("input branch"), "{r}");
    assert!(forge.requests().is_empty(), "{:?}", forge.requests());
}

/// runtime-pin never sends the job token to a control plane; a token of its own it does.
#[test]
fn runtime_pin_refuses_to_send_the_job_token_to_the_control_plane() {
    let Some(image) = image() else { return };
    let cp = control_plane(NEW);
    let r = Step::new(image, "runtime-pin", &cp.url)
        .input("url", &format!("{}/pins", cp.url))
        .input("match", "environment=prod\nservice=api")
        .input("digest", NEW)
        .run();
    let report = r.expect(1, "usage");
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("input token"),
        "{r}"
    );
    assert!(cp.requests().is_empty(), "{:?}", cp.requests());
    r.expect_masked(JOB_TOKEN);
}

/// An input the chosen check does not read is said, not silently dropped.
#[test]
fn inputs_of_another_check_are_warned_about() {
    let Some(image) = image() else { return };
    let forge = FakeForge::start(Kind::Gitea);
    let r = Step::new(image, "required-checks", &forge.url)
        .input("required", "CI / build (pull_request)")
        .input("compose", "compose.yml")
        .file(".gitea/workflows/ci.yml", GITEA_CI)
        .run();
    let report = r.expect(0, "clean");
    assert!(
        r.annotations("warning")
            .iter()
            .any(|w| w.contains("input compose is not read by check required-checks")),
        "{r}"
    );
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "unused-input"),
        "{r}"
    );
}

// ------------------------------------------------------------------------------------------
// required-checks offline: nothing is asked of the forge.

#[test]
fn required_checks_offline_from_the_required_input() {
    let Some(image) = image() else { return };
    let forge = FakeForge::start(Kind::Gitea);
    let step =
        Step::new(image, "required-checks", &forge.url).file(".gitea/workflows/ci.yml", GITEA_CI);
    let clean = step
        .input("required", "CI / build (pull_request)\nCI / lint (push)\n")
        .run();
    let report = clean.expect(0, "clean");
    assert_eq!(
        report["required"],
        json!(["CI / build (pull_request)", "CI / lint (push)"]),
        "both lines of the multi-line input\n{clean}"
    );

    let forge2 = FakeForge::start(Kind::Gitea);
    let orphan = Step::new(image, "required-checks", &forge2.url)
        .file(".gitea/workflows/ci.yml", GITEA_CI)
        .input("required", "CI / build (pull_request)\nCI / test (push)")
        .run();
    let report = orphan.expect(2, "finding");
    assert_eq!(report["findings"][0]["kind"], "orphan", "{orphan}");
    assert_eq!(
        report["findings"][0]["subject"], "CI / test (push)",
        "{orphan}"
    );
    assert!(
        orphan
            .annotations("error")
            .iter()
            .any(|l| l.starts_with("::error title=orphan")),
        "{orphan}"
    );
    assert!(
        forge.requests().is_empty(),
        "offline: {:?}",
        forge.requests()
    );
    assert!(
        forge2.requests().is_empty(),
        "offline: {:?}",
        forge2.requests()
    );
}

#[test]
fn required_checks_offline_from_a_protection_file_in_the_workspace() {
    let Some(image) = image() else { return };
    let forge = FakeForge::start(Kind::Gitea);
    let rules = json!([gitea_rule(
        "main",
        &["CI / build (pull_request)", "CI / deploy (push)"]
    )]);
    let r = Step::new(image, "required-checks", &forge.url)
        .file(".gitea/workflows/ci.yml", GITEA_CI)
        .file("ops/protection.json", &rules.to_string())
        .input("protection-file", "ops/protection.json")
        .input("branch", "main")
        .run();
    let report = r.expect(2, "finding");
    assert_eq!(
        report["required"],
        json!(["CI / build (pull_request)", "CI / deploy (push)"]),
        "{r}"
    );
    let kinds = error_kinds(&report);
    assert_eq!(kinds, ["orphan"], "{r}");
    assert_eq!(
        report["findings"][0]["subject"], "CI / deploy (push)",
        "{r}"
    );
    assert!(
        forge.requests().is_empty(),
        "offline: {:?}",
        forge.requests()
    );
}

// ------------------------------------------------------------------------------------------
// runtime-pin against a fake control plane on the host.

fn pins(prod_api: &str) -> Value {
    json!({ "runtime_image_pins": [
        { "environment": "prod", "service": "api", "image_digest": prod_api },
        { "environment": "prod", "service": "worker", "image_digest": OLD },
        { "environment": "staging", "service": "api", "image_digest": OLD },
    ]})
}

fn control_plane(prod_api: &str) -> FakeForge {
    let cp = FakeForge::start(Kind::Gitea);
    cp.reply("/pins", vec![Reply::json(200, &pins(prod_api))]);
    cp
}

fn runtime_pin(image: &'static str, cp: &FakeForge) -> Ran {
    Step::new(image, "runtime-pin", &cp.url)
        .input("url", &format!("{}/pins", cp.url))
        .input("match", "environment=prod\nservice=api\n")
        .input("digest", NEW)
        .input("token", TOKEN)
        .run()
}

#[test]
fn runtime_pin_in_sync_is_clean() {
    let Some(image) = image() else { return };
    let cp = control_plane(NEW);
    let r = runtime_pin(image, &cp);
    r.expect(0, "clean");
    r.expect_masked(TOKEN);
    assert_eq!(r.outputs["findings"], "0", "{r}");
    let seen = cp.seen();
    assert_eq!(cp.requests(), ["GET /pins"], "{r}");
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str()),
        "the token input is the control plane's bearer token"
    );
}

#[test]
fn runtime_pin_mismatch_exits_2() {
    let Some(image) = image() else { return };
    let cp = control_plane(OLD);
    let r = runtime_pin(image, &cp);
    let report = r.expect(2, "finding");
    r.expect_masked(TOKEN);
    let f = &report["findings"][0];
    assert_eq!(f["kind"], "mismatch", "{r}");
    let subject = f["subject"].as_str().unwrap_or_default();
    assert!(
        subject.contains("environment=prod") && subject.contains("service=api"),
        "both lines of the multi-line match input select the row\n{r}"
    );
    assert!(
        f["message"].as_str().unwrap_or_default().contains(OLD),
        "the message shows the pinned digest\n{r}"
    );
    assert!(
        r.annotations("error")
            .iter()
            .any(|l| l.contains("mismatch")),
        "an ::error about the mismatch\n{r}"
    );
    assert_eq!(r.outputs["findings"], "1", "{r}");
}

// ------------------------------------------------------------------------------------------
// image-drift against the engine, through the socket act_runner mounts.

#[test]
fn image_drift_missing_container_exits_2() {
    let Some(image) = image() else { return };
    let forge = FakeForge::start(Kind::Gitea);
    let project = format!("dge2e{}", std::process::id());
    let compose = format!(
        "name: {project}\nservices:\n  app:\n    image: \"registry.invalid/acme/app:1.0\"\n"
    );
    let r = Step::new(image, "image-drift", &forge.url)
        .file("deploy/compose.yaml", &compose)
        .input("compose", "deploy/compose.yaml")
        .docker_arg("-v")
        .docker_arg("/var/run/docker.sock:/var/run/docker.sock")
        .run();
    let report = r.expect(2, "finding");
    let kinds = error_kinds(&report);
    assert_eq!(kinds, ["missing-container"], "{r}");
    assert!(
        r.annotations("error")
            .iter()
            .any(|l| l.contains("missing-container")),
        "an ::error about the missing container\n{r}"
    );
    assert_eq!(r.outputs["findings"], "1", "{r}");
}

// ------------------------------------------------------------------------------------------
// HTTPS with a private CA: given as an input, as SSL_CERT_FILE, and missing.

/// A private CA and a server certificate for 127.0.0.1 signed by it, made with the openssl CLI.
struct Pki {
    dir: TempDir,
}

impl Pki {
    fn ca_pem(&self) -> String {
        std::fs::read_to_string(self.dir.join("ca.pem")).expect("ca.pem")
    }
}

fn openssl(dir: &TempDir, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(&dir.path)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn pki() -> Option<Pki> {
    if support::registry::which("openssl").is_none() {
        return skip("no `openssl` CLI on PATH");
    }
    let dir = TempDir::new("e2e-pki");
    dir.write(
        "server.ext",
        "basicConstraints = critical, CA:FALSE\n\
         keyUsage = critical, digitalSignature, keyEncipherment\n\
         extendedKeyUsage = serverAuth\n\
         subjectAltName = IP:127.0.0.1\n",
    );
    #[rustfmt::skip]
    openssl(&dir, &[
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=driftgate e2e private CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    #[rustfmt::skip]
    openssl(&dir, &[
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1",
    ]);
    #[rustfmt::skip]
    openssl(&dir, &[
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-set_serial", "4242", "-days", "2", "-sha256",
        "-extfile", "server.ext", "-out", "server.pem",
    ]);
    Some(Pki { dir })
}

/// `openssl s_server -WWW`: serves files from `root` over TLS on 127.0.0.1; killed on drop.
struct TlsServer {
    url: String,
    child: Child,
    _root: TempDir,
}

impl TlsServer {
    fn start(pki: &Pki, root: TempDir) -> TlsServer {
        let cert = pki.dir.join("server.pem");
        let key = pki.dir.join("server.key");
        let (child, port) = support::s_server::start(
            &root.path,
            &[
                "-cert".as_ref(),
                cert.as_os_str(),
                "-key".as_ref(),
                key.as_os_str(),
            ],
        );
        TlsServer {
            url: format!("https://127.0.0.1:{port}"),
            child,
            _root: root,
        }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTPS "forge" answering only the branch `main` (as an admin sees it), and a step against it that
/// needs nothing else (`branch` and `flavor` given).
fn https_step(image: &'static str, pki: &Pki, server: &TlsServer) -> Step {
    Step::new(image, "required-checks", &server.url)
        .input("token", TOKEN)
        .input("branch", "main")
        .input("flavor", "gitea")
        .input("timeout", "10")
        .file(".gitea/workflows/ci.yml", GITEA_CI)
        .file("certs/ca.pem", &pki.ca_pem())
}

fn https_forge(pki: &Pki) -> TlsServer {
    let root = TempDir::new("e2e-www");
    root.write(
        "api/v1/repos/acme/widget/branches/main",
        &branch(
            "main",
            Some(&gitea_rule("main", &["CI / build (pull_request)"])),
            true,
        )
        .to_string(),
    );
    TlsServer::start(pki, root)
}

#[test]
fn https_forge_with_the_private_ca_as_the_ca_cert_input() {
    let Some(image) = image() else { return };
    let Some(pki) = pki() else { return };
    let server = https_forge(&pki);
    let r = https_step(image, &pki, &server)
        .input("ca-cert", "certs/ca.pem")
        .run();
    let report = r.expect(0, "clean");
    r.expect_masked(TOKEN);
    assert_eq!(
        report["rule"]["source"],
        "the forge's rule for the branch (GET /api/v1/repos/acme/widget/branches/main)",
        "{r}"
    );
    assert_eq!(report["rule"]["name"], "main", "{r}");
    assert_eq!(
        report["required"],
        json!(["CI / build (pull_request)"]),
        "{r}"
    );
}

#[test]
fn https_forge_with_the_private_ca_as_ssl_cert_file() {
    let Some(image) = image() else { return };
    let Some(pki) = pki() else { return };
    let server = https_forge(&pki);
    let r = https_step(image, &pki, &server)
        .env("SSL_CERT_FILE", &format!("{WORKSPACE}/certs/ca.pem"))
        .run();
    let report = r.expect(0, "clean");
    r.expect_masked(TOKEN);
    assert_eq!(
        report["rule"]["source"],
        "the forge's rule for the branch (GET /api/v1/repos/acme/widget/branches/main)",
        "{r}"
    );
    assert_eq!(report["rule"]["name"], "main", "{r}");
}

#[test]
fn https_forge_without_the_ca_is_unreachable_not_a_crash() {
    let Some(image) = image() else { return };
    let Some(pki) = pki() else { return };
    let server = https_forge(&pki);
    let r = https_step(image, &pki, &server).run();
    let report = r.expect(5, "unreachable");
    r.expect_masked(TOKEN);
    let text = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["message"].as_str().unwrap_or_default().to_lowercase())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("certificate") || text.contains("tls"),
        "the error names TLS or the certificate\n{r}"
    );
    assert!(
        r.annotations("error")
            .iter()
            .any(|l| l.to_lowercase().contains("certificate") || l.contains("TLS")),
        "{r}"
    );
}
