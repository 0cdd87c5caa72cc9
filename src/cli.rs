//! Command-line interface: flags, defaults from the runner's environment, and the hand-off to
//! the checks and the report.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::checks::image_drift;
use crate::checks::required_checks::{self, FlavorChoice};
use crate::checks::runtime_pin;
use crate::config::Config;
use crate::forge::http::{HttpOptions, token_from_env};
use crate::forge::version::Version;
use crate::report::{self, Delivery, Mode};

#[derive(Debug, Parser)]
#[command(
    name = "driftgate",
    version,
    about = "Fail-closed drift gates for Forgejo/Gitea Actions",
    long_about = "Fail-closed drift gates for Forgejo/Gitea Actions.\n\nExit codes: 0 clean, 1 usage, 2 finding, 3 auth, 5 unreachable, 8 partial \
(the first of 1, 3, 5, 8, 2 that applies). --mode advisory reports the same result and exits 0."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Started as a container action: messages name inputs, not flags.
    #[arg(skip)]
    pub action: bool,
    /// Inputs given that the chosen check does not read (action mode).
    #[arg(skip)]
    pub unused_inputs: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Prove that every status context branch protection requires is posted by a workflow job.
    RequiredChecks(RequiredChecksArgs),
    /// Read the promoted pin back and fail unless it equals the digest just pushed.
    RuntimePin(RuntimePinArgs),
    /// Compare the images compose files and module manifests declare with what a Docker engine runs.
    ImageDrift(ImageDriftArgs),
}

/// Flags every check takes.
#[derive(Debug, Args)]
pub struct Common {
    /// assert: read-only, exit code is the result; advisory: same report, exits 0.
    #[arg(long, value_enum, default_value_t = Mode::Assert)]
    pub mode: Mode,
    /// Print the JSON report on stdout (the human log goes to stderr); as --format json.
    #[arg(long)]
    pub json: bool,
    /// auto: workflow commands in a runner, plain aligned text elsewhere (colour on a terminal
    /// unless NO_COLOR); github, human: always that; json: as --json.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Append the markdown summary to FILE [default: $GITHUB_STEP_SUMMARY, $GITEA_STEP_SUMMARY or $FORGEJO_STEP_SUMMARY].
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Seconds each request may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Read the token from this environment variable [default: DRIFTGATE_TOKEN, GITEA_TOKEN, FORGEJO_TOKEN, GITHUB_TOKEN].
    #[arg(long, value_name = "NAME")]
    pub token_env: Option<String>,
    /// A PEM file with extra CA certificates to trust (SSL_CERT_FILE replaces the system roots).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Issue mode: the label of tracking issues (created when missing).
    #[arg(long, value_name = "NAME", default_value = "driftgate")]
    pub label: String,
    /// Which findings fail the run: errors only, or warnings (conditional, duplicate, hollow …) too.
    #[arg(long, value_enum, default_value_t = report::FailOn::Error)]
    pub fail_on: report::FailOn,
    /// On a pull request, keep one comment with the summary (edited, never duplicated).
    #[arg(long)]
    pub comment: bool,
    /// The config file [default: .driftgate.yml at the repository root, when there is one].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RequiredChecksArgs {
    /// Forge URL [default: $GITHUB_SERVER_URL]. Not contacted with --required or --protection-file.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Repository [default: $GITHUB_REPOSITORY].
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// The protected branch [default: $GITHUB_BASE_REF, else the repository's default branch].
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    /// Repository checkout [default: $GITHUB_WORKSPACE, else the current directory].
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Workflow folder relative to --root, instead of the one the forge reads (repeatable).
    #[arg(long, value_name = "DIR")]
    pub workflows: Vec<String>,
    /// Which forge's naming rules apply; auto asks the server, or offline looks for .forgejo/workflows.
    #[arg(long, value_enum, default_value_t = FlavorChoice::Auto)]
    pub flavor: FlavorChoice,
    /// The forge release whose rules apply: Gitea 1.22–1.27 or Forgejo 11–16, X.Y or X.Y.Z [default: the server's, else the newest modelled].
    #[arg(long, value_name = "X.Y", value_parser = crate::forge::version::parse_flag)]
    pub forge_version: Option<(crate::forge::version::Flavor, Version)>,
    /// A required context pattern (repeatable); offline, no server needed.
    #[arg(long, value_name = "CONTEXT")]
    pub required: Vec<String>,
    /// Sweep these repositories (comma-separated or repeated), reading workflows through the API.
    #[arg(long, value_name = "OWNER/NAME,...", value_delimiter = ',', conflicts_with_all = ["repo", "required", "protection_file", "root"])]
    pub repos: Vec<String>,
    /// Sweep every repository of this organisation or user (archived ones skipped).
    #[arg(long, value_name = "ORG", conflicts_with_all = ["repo", "repos", "required", "protection_file", "root"])]
    pub owner: Option<String>,
    /// Sweeps skip repositories matching this glob on OWNER/NAME (repeatable).
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
    /// Repositories checked at once in a sweep.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub concurrency: u64,
    /// A JSON file with one branch protection rule or a list, as the API returns them; offline.
    #[arg(long, value_name = "FILE", conflicts_with = "required")]
    pub protection_file: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("pushed").required(true).args(["digest", "digest_file"])))]
#[command(group(clap::ArgGroup::new("pin").required(true).args(["url", "image"])))]
pub struct RuntimePinArgs {
    /// The digest just pushed: sha256: followed by 64 lowercase hex digits.
    #[arg(long, value_name = "DIGEST")]
    pub digest: Option<String>,
    /// A buildx --metadata-file (containerimage.digest) or a file holding the bare digest.
    #[arg(long, value_name = "FILE")]
    pub digest_file: Option<PathBuf>,
    /// The control-plane URL answering JSON with the pin rows (read with a bearer token).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The registry tag that should now point at the digest (credentials, if needed, from
    /// DRIFTGATE_REGISTRY_USERNAME and DRIFTGATE_REGISTRY_PASSWORD).
    #[arg(long, value_name = "REGISTRY/REPO:TAG")]
    pub image: Option<String>,
    /// Dotted path to the array of pin rows.
    #[arg(long, value_name = "PATH", default_value = "runtime_image_pins")]
    pub rows: String,
    /// Select rows where KEY equals VALUE (repeatable; all must hold).
    #[arg(long = "match", value_name = "KEY=VALUE")]
    pub matches: Vec<String>,
    /// The row field holding the digest.
    #[arg(long, value_name = "NAME", default_value = "image_digest")]
    pub field: String,
    /// Poll with backoff for up to SECONDS until the pin matches.
    #[arg(long, value_name = "SECONDS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub wait: u64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct ImageDriftArgs {
    /// A compose file whose services with `image:` are checked (repeatable).
    #[arg(long, value_name = "FILE")]
    pub compose: Vec<PathBuf>,
    /// Instead of the `.env` in the first compose file's folder.
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// The compose project's folder [default: the first compose file's]; without --compose,
    /// compose's files are looked for here (then upwards).
    #[arg(long, value_name = "DIR")]
    pub project_directory: Option<PathBuf>,
    /// The compose project name [default: $COMPOSE_PROJECT_NAME, the file's name:, else its folder's name].
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
    /// Module manifests to check, e.g. 'modules/*/module.yaml' (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub manifests: Vec<String>,
    /// An engine (repeatable: one report, rows per engine) [default: $DOCKER_HOST, else unix:///var/run/docker.sock]; unix://, tcp:// (TLS with DOCKER_TLS_VERIFY), https://, ssh://[USER@]HOST[:PORT].
    #[arg(long, value_name = "URL")]
    pub docker_host: Vec<String>,
    /// Only check these modules or services (repeatable).
    #[arg(long, value_name = "NAME")]
    pub module: Vec<String>,
    /// Resolve tag-only declarations in their registries (HEAD, runtime-pin's credentials): a
    /// container not running what the tag names now is stale-container.
    #[arg(long)]
    pub resolve_tags: bool,
    #[command(flatten)]
    pub common: Common,
}

/// A runner variable, unset when empty (runners set e.g. GITHUB_BASE_REF to "" on push); a
/// `GITHUB_*` name also falls back to its `GITEA_*` and `FORGEJO_*` twins.
fn env(name: &str) -> Option<String> {
    let get = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
    get(name).or_else(|| {
        let rest = name.strip_prefix("GITHUB_")?;
        get(&format!("GITEA_{rest}")).or_else(|| get(&format!("FORGEJO_{rest}")))
    })
}

/// Whether this runs in a Gitea/Forgejo (or GitHub) Actions job.
fn in_runner() -> bool {
    ["GITHUB_ACTIONS", "GITEA_ACTIONS", "FORGEJO_ACTIONS"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| v == "true"))
}

/// `--format`: workflow commands in a runner (or when asked), plain text otherwise; colour only
/// on a terminal and never with `NO_COLOR` (no-color.org: set and not empty).
fn style(format: Format, to_stderr: bool) -> report::log::Style {
    use std::io::IsTerminal;
    let github = match format {
        Format::Github => true,
        Format::Human => false,
        Format::Auto | Format::Json => in_runner(),
    };
    if github {
        return report::log::Style::Github;
    }
    let tty = if to_stderr {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    let no_color = std::env::var("NO_COLOR").is_ok_and(|v| !v.is_empty());
    report::log::Style::Human {
        colour: tty && !no_color,
    }
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Workflow commands in a runner, plain text elsewhere.
    Auto,
    /// Workflow commands (annotations, groups).
    Github,
    /// Plain aligned text.
    Human,
    /// The JSON report on stdout; the log on stderr.
    Json,
}

fn delivery(c: &Common) -> Delivery {
    let json = c.json || c.format == Format::Json;
    Delivery {
        mode: c.mode,
        json,
        style: style(c.format, json),
        report_file: c.report.clone(),
        // `env` falls back from GITHUB_STEP_SUMMARY to GITEA_ and FORGEJO_STEP_SUMMARY.
        summary_file: c
            .summary
            .clone()
            .or_else(|| env("GITHUB_STEP_SUMMARY").map(PathBuf::from)),
        output_file: env("GITHUB_OUTPUT").map(PathBuf::from),
    }
}

fn runtime_pin_options(
    a: &RuntimePinArgs,
    token: Option<crate::forge::http::Token>,
) -> Result<runtime_pin::Options, crate::error::Error> {
    let expected = match (&a.digest, &a.digest_file) {
        (Some(d), _) => runtime_pin::digest::parse(d)?,
        (None, Some(path)) => {
            // A digest file is a few hundred bytes (a buildx metadata file a few KiB).
            let text = crate::fsread::read_text(path, 1024 * 1024, true).map_err(|e| {
                crate::error::Error::Usage(format!("the digest file {} {e}", path.display()))
            })?;
            runtime_pin::digest::from_file_text(&text, &path.display().to_string())?
        }
        (None, None) => {
            return Err(crate::error::Error::Usage(
                "--digest or --digest-file is needed".into(),
            ));
        }
    };
    let matches = a
        .matches
        .iter()
        .map(|m| runtime_pin::control_plane::parse_match(m))
        .collect::<Result<Vec<_>, _>>()?;
    let source = match (&a.url, &a.image) {
        (Some(url), _) => runtime_pin::Source::ControlPlane {
            url: url.clone(),
            selector: runtime_pin::control_plane::Selector {
                rows: a.rows.clone(),
                matches,
                field: a.field.clone(),
            },
        },
        (None, Some(_)) if !matches.is_empty() => {
            return Err(crate::error::Error::Usage(
                "--match selects control-plane rows; it does not go with --image".into(),
            ));
        }
        (None, Some(image)) => {
            let image = runtime_pin::registry::parse_image(image)?;
            let credentials = runtime_pin::registry::credentials_for(image.registry())?;
            runtime_pin::Source::Registry { image, credentials }
        }
        (None, None) => {
            return Err(crate::error::Error::Usage(
                "--url or --image is needed".into(),
            ));
        }
    };
    Ok(runtime_pin::Options {
        expected,
        source,
        wait: Duration::from_secs(a.wait),
        http: HttpOptions::new(
            Duration::from_secs(a.common.timeout),
            a.common.ca_cert.clone(),
            token,
        ),
    })
}

/// The branch a required-checks report is about.
fn branch_of(r: &report::Report) -> String {
    r.target.branch.clone().unwrap_or_else(|| "-".into())
}

/// Issue mode: syncs the tracking issue for `report` and says what it did, as a finding.
/// The issue token is `DRIFTGATE_ISSUE_TOKEN`, else the check's own token.
async fn track(
    r: &report::Report,
    c: &Common,
    repo: Option<String>,
    server: Option<String>,
    target: String,
    check: &str,
) -> crate::outcome::Finding {
    let (Some(repo), Some(server)) = (repo, server) else {
        return crate::error::Error::Usage(
            "issue mode needs the repository to file issues in and the forge: --repo/--server, or GITHUB_REPOSITORY and GITHUB_SERVER_URL".into(),
        )
        .into_finding("tracking-issue");
    };
    let token = write_token(c);
    if token.is_none() {
        return crate::error::Error::Usage("issue mode needs a token that may write issues (DRIFTGATE_ISSUE_TOKEN or the token chain)".into())
            .into_finding("tracking-issue");
    }
    let t = crate::tracking::Target {
        repo,
        check: check.to_string(),
        target,
        label: c.label.clone(),
        run_link: crate::tracking::run_link(&|k| env(k)),
    };
    let forge = match crate::forge::client::Forge::new(
        &server,
        HttpOptions::new(Duration::from_secs(c.timeout), c.ca_cert.clone(), token),
    ) {
        Ok(f) => f,
        Err(e) => return e.into_finding("tracking-issue"),
    };
    // Redacted before it is compared with what the issue holds (which was redacted too).
    let summary =
        crate::secrets::redact(&report::summary_markdown(r, report::Mode::Issue)).into_owned();
    match crate::tracking::sync(&forge, &t, r.verdict(), &summary).await {
        Ok(action) => crate::tracking::notice(&t, &action),
        Err(e) => e.into_finding(format!("tracking issue in {}", t.repo)),
    }
}

/// The token of the two writes (tracking issues, the pull-request comment):
/// `DRIFTGATE_ISSUE_TOKEN`, else the check's own token.
fn write_token(c: &Common) -> Option<crate::forge::http::Token> {
    token_from_env(Some("DRIFTGATE_ISSUE_TOKEN")).or_else(|| token_from_env(c.token_env.as_deref()))
}

/// `--comment`: the summary as the pull request's one driftgate comment, or why not.
async fn comment(r: &report::Report, c: &Common, check: &str) -> crate::outcome::Finding {
    let getenv = |k: &str| env(k);
    let number = match crate::comment::pull_request(&getenv) {
        Ok(Some(n)) => n,
        Ok(None) => {
            return crate::outcome::Finding::notice(
                "pr-comment",
                "pull request",
                "not a pull_request or pull_request_target run: no comment",
            );
        }
        Err(e) => return e.into_finding("pr-comment"),
    };
    let (Some(repo), Some(server)) = (env("GITHUB_REPOSITORY"), env("GITHUB_SERVER_URL")) else {
        return crate::error::Error::Usage(
            "--comment needs GITHUB_REPOSITORY and GITHUB_SERVER_URL (set by the runner)".into(),
        )
        .into_finding("pr-comment");
    };
    let Some(token) = write_token(c) else {
        return crate::error::Error::Usage(
            "--comment needs a token (the job token, DRIFTGATE_ISSUE_TOKEN or the token chain)"
                .into(),
        )
        .into_finding("pr-comment");
    };
    let forge = match crate::forge::client::Forge::new(
        &server,
        HttpOptions::new(
            Duration::from_secs(c.timeout),
            c.ca_cert.clone(),
            Some(token),
        ),
    ) {
        Ok(f) => f,
        Err(e) => return e.into_finding("pr-comment"),
    };
    let summary = crate::secrets::redact(&report::summary_markdown(r, c.mode)).into_owned();
    let body = crate::comment::body(check, &summary);
    let done = crate::comment::sync(&forge, &repo, number, check, &body).await;
    crate::comment::finding(number, done)
}

/// What one check produced: the report to deliver, and the reports (with where their tracking
/// issue lives) that issue mode keeps in sync.
struct Ran {
    report: report::Report,
    tracked: Vec<Tracked>,
}

/// One tracking issue's subject: the report it mirrors, where it is filed and for which target.
struct Tracked {
    /// The swept repository's own report, or `None` for the run's report.
    repo_report: Option<report::Report>,
    repo: Option<String>,
    server: Option<String>,
    target: String,
}

impl Tracked {
    /// The run's own report, tracked in the repository the workflow runs in.
    fn in_this_repository(target: String) -> Tracked {
        Tracked {
            repo_report: None,
            repo: env("GITHUB_REPOSITORY"),
            server: env("GITHUB_SERVER_URL"),
            target,
        }
    }
}

async fn required_checks_run(a: &RequiredChecksArgs, cfg: &Config) -> Ran {
    let token = token_from_env(a.common.token_env.as_deref());
    // Flags override the config file.
    let flavor = match (a.flavor, cfg.forge.flavor.as_deref()) {
        (FlavorChoice::Auto, Some("gitea")) => FlavorChoice::Gitea,
        (FlavorChoice::Auto, Some("forgejo")) => FlavorChoice::Forgejo,
        (f, _) => f,
    };
    let forge_version = match (a.forge_version, cfg.forge.version.as_deref()) {
        (Some(v), _) => Some(v),
        // Checked when the file was read (`Config::parse`).
        (None, Some(v)) => crate::forge::version::parse_flag(v).ok(),
        (None, None) => None,
    };
    let workflows = if a.workflows.is_empty() {
        cfg.workflows.clone()
    } else {
        a.workflows.clone()
    };
    let opts = required_checks::Options {
        server: a.server.clone().or_else(|| env("GITHUB_SERVER_URL")),
        repo: a.repo.clone().or_else(|| env("GITHUB_REPOSITORY")),
        branch: a
            .branch
            .clone()
            .filter(|b| !b.is_empty())
            .or_else(|| env("GITHUB_BASE_REF")),
        root: a
            .root
            .clone()
            .or_else(|| env("GITHUB_WORKSPACE").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(".")),
        workflows,
        flavor,
        forge_version,
        server_version: None,
        required: a.required.clone(),
        protection_file: a.protection_file.clone(),
        remote: false,
        http: HttpOptions::new(
            Duration::from_secs(a.common.timeout),
            a.common.ca_cert.clone(),
            token,
        ),
    };
    if a.owner.is_none() && a.repos.is_empty() {
        let report = required_checks::run(&opts).await;
        let target = branch_of(&report);
        return Ran {
            report,
            tracked: vec![Tracked {
                repo_report: None,
                repo: opts.repo.clone(),
                server: opts.server.clone(),
                target,
            }],
        };
    }
    let sweep = required_checks::sweep::Sweep {
        base: opts.clone(),
        repos: a
            .repos
            .iter()
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect(),
        owner: a.owner.clone(),
        concurrency: a.concurrency as usize,
        exclude: a
            .exclude
            .iter()
            .chain(&cfg.sweep.exclude)
            .cloned()
            .collect(),
    };
    let (report, per_repo) = required_checks::sweep::run(&sweep).await;
    let tracked = per_repo
        .into_iter()
        .map(|r| Tracked {
            target: branch_of(&r.report),
            repo: Some(r.repo),
            server: opts.server.clone(),
            repo_report: Some(r.report),
        })
        .collect();
    Ran { report, tracked }
}

async fn runtime_pin_run(a: &RuntimePinArgs) -> Ran {
    let token = token_from_env(a.common.token_env.as_deref());
    let (report, target) = match runtime_pin_options(a, token) {
        Ok(opts) => (runtime_pin::run(&opts).await, opts.source.describe()),
        Err(e) => {
            let mut r = report::Report::new("runtime-pin");
            r.findings.push(e.into_finding("runtime-pin"));
            (r, "runtime-pin".to_string())
        }
    };
    Ran {
        report,
        tracked: vec![Tracked::in_this_repository(target)],
    }
}

async fn image_drift_run(a: &ImageDriftArgs) -> Ran {
    let opts = image_drift::Options {
        compose: a.compose.clone(),
        env_file: a.env_file.clone(),
        project_directory: a.project_directory.clone(),
        project: a.project.clone(),
        manifests: a.manifests.clone(),
        docker_host: a.docker_host.clone(),
        modules: a.module.clone(),
        resolve_tags: a.resolve_tags,
        timeout: Duration::from_secs(a.common.timeout),
    };
    let report = image_drift::run(&opts).await;
    // The tracking issue is about the engines checked together (one report).
    let hosts: Vec<String> = if opts.docker_host.is_empty() {
        vec![env("DOCKER_HOST").unwrap_or_else(|| image_drift::engine::DEFAULT_HOST.to_string())]
    } else {
        opts.docker_host.clone()
    };
    let target = hosts
        .iter()
        .map(|h| image_drift::engine::host::redact(h))
        .collect::<Vec<_>>()
        .join(", ");
    Ran {
        report,
        tracked: vec![Tracked::in_this_repository(target)],
    }
}

/// Runs the parsed command and returns the process exit code: the check, then the tracking
/// issues (issue mode), then every output — one pipeline for every check.
pub async fn run(cli: Cli) -> u8 {
    let (common, check, root) = match &cli.command {
        Command::RequiredChecks(a) => (
            &a.common,
            "required-checks",
            a.root
                .clone()
                .or_else(|| env("GITHUB_WORKSPACE").map(PathBuf::from)),
        ),
        Command::RuntimePin(a) => (&a.common, "runtime-pin", None),
        Command::ImageDrift(a) => (&a.common, "image-drift", None),
    };
    let root = root
        .or_else(|| env("GITHUB_WORKSPACE").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."));
    let cfg = match Config::load(common.config.as_deref(), &root) {
        Ok(c) => c.map(|(_, c)| c).unwrap_or_default(),
        Err(e) => {
            let mut r = report::Report::new(check);
            r.findings.push(e.into_finding("config"));
            let mut stdout = std::io::stdout().lock();
            let mut stderr = std::io::stderr().lock();
            return report::deliver_at_exit(r, &delivery(common), &mut stdout, &mut stderr);
        }
    };
    let mut ran = match &cli.command {
        Command::RequiredChecks(a) => required_checks_run(a, &cfg).await,
        Command::RuntimePin(a) => runtime_pin_run(a).await,
        Command::ImageDrift(a) => image_drift_run(a).await,
    };
    // Waivers before anything reads the result: the exit code, the tracking issues, the
    // comment and every output see waived findings as accepted.
    let today = crate::config::today();
    crate::waivers::apply(&mut ran.report, &cfg.ignore, today);
    for t in &mut ran.tracked {
        if let Some(r) = t.repo_report.as_mut() {
            crate::waivers::apply(r, &cfg.ignore, today);
        }
    }
    ran.report.fail_on = common.fail_on;
    if cli.action {
        for f in ran.report.findings.iter_mut().filter(|f| f.kind == "usage") {
            f.message = crate::action::name_inputs(&f.message).into();
        }
        for w in &cli.unused_inputs {
            ran.report.findings.push(crate::outcome::Finding::warning(
                "unused-input",
                "inputs",
                w.clone(),
            ));
        }
    }
    if common.mode == report::Mode::Issue {
        for t in std::mem::take(&mut ran.tracked) {
            let mut subject = t.repo_report.unwrap_or_else(|| ran.report.clone());
            subject.fail_on = common.fail_on;
            let notice = track(&subject, common, t.repo, t.server, t.target, check).await;
            ran.report.findings.push(notice);
        }
    }
    if common.comment {
        let done = comment(&ran.report, common, check).await;
        ran.report.findings.push(done);
    }
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    report::deliver_at_exit(ran.report, &delivery(common), &mut stdout, &mut stderr)
}

/// A container action whose inputs cannot make a command line: the same outputs, summary and
/// report as any run, with the result `usage`; in advisory mode the step still passes.
pub fn action_usage(message: &str) -> u8 {
    let mode = match env("INPUT_MODE").as_deref().map(str::trim) {
        Some("advisory") => Mode::Advisory,
        _ => Mode::Assert,
    };
    let check = match env("INPUT_CHECK").as_deref().map(str::trim) {
        Some("required-checks") => "required-checks",
        Some("runtime-pin") => "runtime-pin",
        Some("image-drift") => "image-drift",
        _ => "driftgate",
    };
    let mut r = report::Report::new(check);
    r.findings
        .push(crate::error::Error::Usage(message.to_string()).into_finding("inputs"));
    let getenv = |k: &str| env(k);
    let d = Delivery {
        mode,
        json: false,
        // Only a runner starts the action.
        style: report::log::Style::Github,
        report_file: env("INPUT_REPORT")
            .or_else(|| crate::action::default_report(&getenv))
            .map(PathBuf::from),
        summary_file: env("GITHUB_STEP_SUMMARY").map(PathBuf::from),
        output_file: env("GITHUB_OUTPUT").map(PathBuf::from),
    };
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    report::deliver(r, &d, &mut stdout, &mut stderr)
}
