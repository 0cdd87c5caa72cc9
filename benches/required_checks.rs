//! `cargo bench --bench required_checks`: times the real release binary's
//! `driftgate required-checks --root <tmp> --protection-file <file> --flavor gitea` (offline) over
//! 1,000 generated matrix-heavy workflows, then the same files with `--flavor forgejo`.
//!
//! Prints workflows per second, the contexts emitted and the findings (from the `--json` report),
//! min/median wall time per run, and the driftgate process's peak RSS (`/usr/bin/time -v` when
//! present, else `wait4`'s rusage on Linux). Nothing here asserts on time.
//!
//! Knobs: `DRIFTGATE_BENCH_WORKFLOWS` (default 1000), `DRIFTGATE_BENCH_RUNS` (timed runs per
//! flavor, default 5), `DRIFTGATE_BENCH_RSS=wait4` (skip `/usr/bin/time`),
//! `DRIFTGATE_BENCH_KEEP=1` (keep the generated repository).
//!
//! Cargo passes `--bench` when it runs this target from `cargo bench`; without it (e.g.
//! `cargo test --benches`) the benchmark does nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The binary Cargo built for this bench (the `bench` profile, which inherits `release`).
const DRIFTGATE: &str = env!("CARGO_BIN_EXE_driftgate");

const ORPHANS: [&str; 2] = [
    "ci-0001 / lnt (pull_request)",
    "retired-pipeline / test (pull_request)",
];

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("required_checks: skipped (run it with `cargo bench --bench required_checks`)");
        return;
    }
    let workflows = env_usize("DRIFTGATE_BENCH_WORKFLOWS", 1000);
    let runs = env_usize("DRIFTGATE_BENCH_RUNS", 5).max(1);

    let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("required_checks-bench-{}", std::process::id()));
    let _cleanup = Cleanup(root.clone());
    let generated = generate(&root, workflows);
    println!(
        "generated {} workflow files in {} ({} required patterns: {} exact, {} glob, {} orphan)",
        workflows,
        root.join(".gitea/workflows").display(),
        generated.required,
        generated.required - generated.globs - ORPHANS.len(),
        generated.globs,
        ORPHANS.len()
    );
    println!("binary: {DRIFTGATE}");
    let rss_via = if std::env::var("DRIFTGATE_BENCH_RSS").as_deref() != Ok("wait4")
        && Path::new("/usr/bin/time").is_file()
    {
        RssVia::Time
    } else {
        RssVia::Wait4
    };

    let gitea = bench_flavor("gitea", &root, &generated, runs, rss_via);
    let forgejo = bench_flavor("forgejo", &root, &generated, runs, rss_via);

    let mut t = Table::new(&["", "gitea", "forgejo"]);
    let both = |f: &dyn Fn(&Stats) -> String| vec![f(&gitea), f(&forgejo)];
    t.row("workflows", both(&|_| workflows.to_string()));
    t.row("runs (timed)", both(&|_| runs.to_string()));
    t.row(
        "workflows/s (median)",
        both(&|s| format!("{:.0}", workflows as f64 / s.median.as_secs_f64())),
    );
    t.row("wall min", both(&|s| ms(s.min)));
    t.row("wall median", both(&|s| ms(s.median)));
    t.row(
        &format!("peak RSS ({})", rss_via.label()),
        both(&|s| match s.rss_kib {
            Some(k) => format!("{:.1} MiB", k as f64 / 1024.0),
            None => "n/a".into(),
        }),
    );
    t.row("exit code", both(&|s| s.exit_code.to_string()));
    t.row("contexts emitted", both(&|s| s.emitted.to_string()));
    t.row("findings", both(&|s| s.findings.to_string()));
    let kinds: BTreeSet<&String> = gitea.by_kind.keys().chain(forgejo.by_kind.keys()).collect();
    for k in kinds {
        t.row(
            &format!("  {k}"),
            both(&|s| s.by_kind.get(k).copied().unwrap_or(0).to_string()),
        );
    }
    println!();
    print!("{}", t.render());
    println!();
    println!(
        "gitea / forgejo median wall time: {:.2}x",
        gitea.median.as_secs_f64() / forgejo.median.as_secs_f64()
    );
    let expected_emitted = generated.gitea_contexts;
    if gitea.emitted != expected_emitted || gitea.by_kind.get("orphan") != Some(&ORPHANS.len()) {
        println!(
            "note: the generator expected {expected_emitted} gitea contexts and {} orphans; \
             driftgate reported {} and {}",
            ORPHANS.len(),
            gitea.emitted,
            gitea.by_kind.get("orphan").copied().unwrap_or(0)
        );
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if std::env::var_os("DRIFTGATE_BENCH_KEEP").is_none() {
            let _ = fs::remove_dir_all(&self.0);
        } else {
            println!("kept {}", self.0.display());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running driftgate

#[derive(Clone, Copy, PartialEq, Eq)]
enum RssVia {
    Time,
    Wait4,
}

impl RssVia {
    fn label(self) -> &'static str {
        match self {
            RssVia::Time => "/usr/bin/time -v",
            RssVia::Wait4 => "wait4 ru_maxrss",
        }
    }
}

struct Stats {
    min: Duration,
    median: Duration,
    rss_kib: Option<u64>,
    exit_code: i32,
    emitted: usize,
    findings: usize,
    by_kind: BTreeMap<String, usize>,
}

struct Run {
    wall: Duration,
    exit_code: i32,
    rss_kib: Option<u64>,
}

fn bench_flavor(flavor: &str, root: &Path, g: &Generated, runs: usize, via: RssVia) -> Stats {
    let out = root.join(format!("report-{flavor}.json"));
    let err = root.join(format!("stderr-{flavor}.log"));
    let args = |json: bool| {
        let mut a: Vec<String> = vec![
            "required-checks".into(),
            "--root".into(),
            root.display().to_string(),
            "--protection-file".into(),
            g.protection_file.display().to_string(),
            "--flavor".into(),
            flavor.into(),
        ];
        if json {
            a.push("--json".into());
        }
        a
    };

    // Warm-up run, which also gives the report.
    let first = run_once(&args(true), &out, &err, false);
    if !matches!(first.exit_code, 0 | 2 | 8) {
        let log = fs::read_to_string(&err).unwrap_or_default();
        let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");
        panic!(
            "driftgate --flavor {flavor} exited {}:\n{tail}",
            first.exit_code
        );
    }
    let report: Value = serde_json::from_slice(&fs::read(&out).expect("read the JSON report"))
        .expect("the --json report on stdout is JSON");
    let emitted = report["emitted"].as_array().map_or(0, Vec::len);
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    let mut by_kind = BTreeMap::new();
    for f in &findings {
        let k = f["kind"].as_str().unwrap_or("?").to_string();
        *by_kind.entry(k).or_insert(0) += 1;
    }

    // Timed runs: the same command as the report run (--json, stdout to a file).
    let mut walls = Vec::with_capacity(runs);
    let mut rss = None;
    for _ in 0..runs {
        let r = run_once(&args(true), &out, &err, via == RssVia::Wait4);
        walls.push(r.wall);
        rss = rss.max(r.rss_kib);
    }
    // With /usr/bin/time, one extra run under it so its exec does not land in the timings.
    if via == RssVia::Time {
        let log = root.join(format!("time-{flavor}.log"));
        let mut a = vec!["-v".to_string(), "-o".into(), log.display().to_string()];
        a.push(DRIFTGATE.into());
        a.extend(args(true));
        let status = Command::new("/usr/bin/time")
            .args(&a)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run /usr/bin/time");
        let _ = status;
        rss = fs::read_to_string(&log).ok().and_then(|t| {
            t.lines()
                .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
                .and_then(|v| v.trim().parse().ok())
        });
    }
    walls.sort();
    Stats {
        min: walls[0],
        median: walls[walls.len() / 2],
        rss_kib: rss,
        exit_code: first.exit_code,
        emitted,
        findings: findings.len(),
        by_kind,
    }
}

// `rusage::wait` reaps the child with wait4(2) when it can; clippy cannot see that.
#[allow(clippy::zombie_processes)]
fn run_once(args: &[String], out: &Path, err: &Path, want_rss: bool) -> Run {
    let stdout = fs::File::create(out).expect("create the stdout file");
    let stderr = fs::File::create(err).expect("create the stderr file");
    let start = Instant::now();
    let mut child = Command::new(DRIFTGATE)
        .args(args)
        // Offline: no runner variables may point it at a server or a summary file.
        .env_remove("GITHUB_SERVER_URL")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("GITHUB_BASE_REF")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITEA_STEP_SUMMARY")
        .env_remove("FORGEJO_STEP_SUMMARY")
        .env_remove("GITHUB_OUTPUT")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("spawn driftgate");
    if want_rss && let Some((code, rss)) = rusage::wait(child.id()) {
        return Run {
            wall: start.elapsed(),
            exit_code: code,
            rss_kib: Some(rss),
        };
    }
    let status = child.wait().expect("wait for driftgate");
    Run {
        wall: start.elapsed(),
        exit_code: status.code().unwrap_or(-1),
        rss_kib: None,
    }
}

/// `wait4(2)` for the child's own rusage, declared by hand (no libc dependency).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
mod rusage {
    use std::os::raw::{c_int, c_long};

    /// `struct rusage` on 64-bit Linux: two `timeval`s, then 14 longs (`ru_maxrss` first, KiB).
    #[repr(C)]
    struct Rusage {
        times: [c_long; 4],
        rest: [c_long; 14],
    }

    unsafe extern "C" {
        fn wait4(pid: c_int, status: *mut c_int, options: c_int, rusage: *mut Rusage) -> c_int;
    }

    /// Reaps `pid`; returns its exit code and peak RSS in KiB.
    pub fn wait(pid: u32) -> Option<(i32, u64)> {
        let mut status: c_int = 0;
        let mut ru = Rusage {
            times: [0; 4],
            rest: [0; 14],
        };
        // SAFETY: pointers to live locals of the layout the kernel ABI defines.
        let r = unsafe { wait4(pid as c_int, &mut status, 0, &mut ru) };
        if r != pid as c_int {
            return None;
        }
        // WIFEXITED / WEXITSTATUS
        let code = if status & 0x7f == 0 {
            (status >> 8) & 0xff
        } else {
            -1
        };
        Some((code, ru.rest[0].max(0) as u64))
    }
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
mod rusage {
    pub fn wait(_pid: u32) -> Option<(i32, u64)> {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Generating the repository

struct Generated {
    protection_file: PathBuf,
    required: usize,
    globs: usize,
    /// Every context the generator expects Gitea (newest behaviour) to post.
    gitea_contexts: usize,
}

/// A tiny deterministic PRNG (xorshift64*), so every run benchmarks the same files.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One matrix leg as the generator models it: key → printed value.
type Leg = BTreeMap<&'static str, String>;

/// act's expansion for the shapes generated here: product, excludes, then includes that either
/// extend every leg whose axis values they match or, matching none, add a leg.
fn expand(axes: &[(&'static str, Vec<String>)], exclude: &[Leg], include: &[Leg]) -> Vec<Leg> {
    let mut legs = vec![Leg::new()];
    for (k, vals) in axes {
        legs = legs
            .iter()
            .flat_map(|l| {
                vals.iter().map(move |v| {
                    let mut l = l.clone();
                    l.insert(k, v.clone());
                    l
                })
            })
            .collect();
    }
    legs.retain(|l| {
        !exclude
            .iter()
            .any(|ex| ex.iter().all(|(k, v)| l.get(k) == Some(v)))
    });
    let is_axis = |k: &str| axes.iter().any(|(a, _)| *a == k);
    let mut extra = Vec::new();
    for inc in include {
        let mut matched = false;
        for l in legs.iter_mut() {
            let fits = l
                .iter()
                .all(|(k, v)| !is_axis(k) || inc.get(k).is_none_or(|iv| iv == v));
            if fits {
                matched = true;
                l.extend(inc.iter().map(|(k, v)| (*k, v.clone())));
            }
        }
        if !matched {
            extra.push(inc.clone());
        }
    }
    legs.extend(extra);
    legs
}

fn leg(pairs: &[(&'static str, &str)]) -> Leg {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

fn yaml_list(vals: &[String]) -> String {
    format!("[{}]", vals.join(", "))
}

fn yaml_map(l: &Leg) -> String {
    let parts: Vec<String> = l.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{{ {} }}", parts.join(", "))
}

/// Gitea 1.23+: `${{ matrix.k }}` interpolated (no suffix), else `" (v1, v2)"` by key name.
fn gitea_name(declared: &str, l: &Leg) -> String {
    if declared.contains("${{") {
        let mut s = declared.to_string();
        for (k, v) in l {
            s = s.replace(&format!("${{{{ matrix.{k} }}}}"), v);
        }
        s
    } else {
        let vals: Vec<&str> = l.values().map(String::as_str).collect();
        format!("{declared} ({})", vals.join(", "))
    }
}

struct Job {
    id: &'static str,
    /// `name:` as written, if any.
    name: Option<String>,
    axes: Vec<(&'static str, Vec<String>)>,
    exclude: Vec<Leg>,
    include: Vec<Leg>,
}

impl Job {
    fn yaml(&self, out: &mut String) {
        let _ = writeln!(out, "  {}:", self.id);
        if let Some(n) = &self.name {
            let _ = writeln!(out, "    name: \"{n}\"");
        }
        out.push_str("    runs-on: docker\n");
        if !self.axes.is_empty() {
            out.push_str("    strategy:\n      fail-fast: false\n      matrix:\n");
            for (k, vals) in &self.axes {
                let _ = writeln!(out, "        {k}: {}", yaml_list(vals));
            }
            for (key, entries) in [("exclude", &self.exclude), ("include", &self.include)] {
                if !entries.is_empty() {
                    let _ = writeln!(out, "        {key}:");
                    for e in entries {
                        let _ = writeln!(out, "          - {}", yaml_map(e));
                    }
                }
            }
        }
        out.push_str("    steps:\n      - uses: actions/checkout@v4\n");
        let _ = writeln!(out, "      - run: make {}", self.id);
    }

    /// The job names Gitea posts, one per leg.
    fn gitea_names(&self) -> Vec<String> {
        let declared = self.name.clone().unwrap_or_else(|| self.id.to_string());
        if self.axes.is_empty() {
            return vec![declared];
        }
        expand(&self.axes, &self.exclude, &self.include)
            .iter()
            .map(|l| gitea_name(&declared, l))
            .collect()
    }
}

fn pick(rng: &mut Rng, from: &[&str], min: usize) -> Vec<String> {
    let n = min + rng.below(from.len() - min + 1);
    from[..n].iter().map(|s| s.to_string()).collect()
}

fn workflow_jobs(i: usize, rng: &mut Rng) -> Vec<Job> {
    let oses = pick(rng, &["ubuntu-22.04", "debian-12", "alpine-3.20"], 2);
    let nodes = pick(rng, &["18", "20", "22"], 2);
    let mut test_exclude = vec![leg(&[("node", "18"), ("arch", "arm64")])];
    if oses.iter().any(|o| o == "alpine-3.20") {
        test_exclude.push(leg(&[("os", "alpine-3.20"), ("arch", "arm64")]));
    }
    let test = Job {
        id: "test",
        name: match i % 4 {
            0 => Some("test ${{ matrix.os }}-node${{ matrix.node }}-${{ matrix.arch }}".into()),
            1 => Some("unit tests".into()),
            2 => None,
            _ => Some("${{ matrix.os }} / ${{ matrix.arch }} (node ${{ matrix.node }})".into()),
        },
        axes: vec![
            ("os", oses),
            ("node", nodes),
            ("arch", vec!["amd64".into(), "arm64".into()]),
        ],
        exclude: test_exclude,
        include: vec![
            // Extends the ubuntu legs with a key of its own.
            leg(&[("os", "ubuntu-22.04"), ("experimental", "true")]),
            // Matches no leg: one more leg.
            leg(&[("os", "windows-2022"), ("node", "22"), ("arch", "amd64")]),
        ],
    };
    let build = Job {
        id: "build",
        name: if i.is_multiple_of(2) {
            Some("build ${{ matrix.target }} ${{ matrix.profile }}".into())
        } else {
            Some("build".into())
        },
        axes: vec![
            (
                "target",
                pick(
                    rng,
                    &["x86_64-linux", "aarch64-linux", "x86_64-musl", "wasm32"],
                    2,
                ),
            ),
            ("profile", vec!["debug".into(), "release".into()]),
        ],
        exclude: vec![leg(&[("target", "aarch64-linux"), ("profile", "debug")])],
        include: vec![leg(&[("target", "riscv64-linux"), ("profile", "release")])],
    };
    let lint = Job {
        id: "lint",
        name: if i.is_multiple_of(3) {
            None
        } else {
            Some("lint".into())
        },
        axes: Vec::new(),
        exclude: Vec::new(),
        include: Vec::new(),
    };
    let mut jobs = vec![lint, test, build];
    if rng.chance(30) {
        jobs.push(Job {
            id: "docs",
            name: None,
            axes: vec![("format", vec!["html".into(), "pdf".into(), "epub".into()])],
            exclude: Vec::new(),
            include: Vec::new(),
        });
    }
    jobs
}

/// Writes `.gitea/workflows` and the protection file under `root`.
fn generate(root: &Path, workflows: usize) -> Generated {
    let _ = fs::remove_dir_all(root);
    let wf_dir = root.join(".gitea/workflows");
    fs::create_dir_all(&wf_dir).expect("create the workflow folder");

    // (context, unconditional) for every context Gitea posts.
    let mut contexts: Vec<(String, bool)> = Vec::new();
    for i in 0..workflows {
        let mut rng = Rng::new(i as u64 + 1);
        let name = format!("ci-{i:04}");
        let mut y = String::with_capacity(4096);
        let _ = writeln!(y, "name: {name}");
        // pull_request + push in the three shapes `on:` takes; the map form filters push.
        let push_filtered = match i % 3 {
            0 => {
                y.push_str("on: [push, pull_request]\n");
                false
            }
            1 => {
                y.push_str(
                    "on:\n  push:\n    branches: [main]\n  pull_request:\n    branches: [main, 'release/**']\n",
                );
                true
            }
            _ => {
                y.push_str(
                    "on:\n  push:\n  pull_request:\n    types: [opened, synchronize, reopened]\n  workflow_dispatch:\n",
                );
                false
            }
        };
        y.push_str("env:\n  CARGO_TERM_COLOR: always\njobs:\n");
        for job in workflow_jobs(i, &mut rng) {
            job.yaml(&mut y);
            for jn in job.gitea_names() {
                for (event, unconditional) in [("push", !push_filtered), ("pull_request", true)] {
                    contexts.push((format!("{name} / {jn} ({event})"), unconditional));
                }
            }
        }
        let ext = if i % 7 == 0 { "yaml" } else { "yml" };
        let dir = if i % 10 == 0 {
            wf_dir.join(format!("group-{}", i / 100))
        } else {
            wf_dir.clone()
        };
        fs::create_dir_all(&dir).expect("create a workflow subfolder");
        fs::write(dir.join(format!("{name}.{ext}")), y).expect("write a workflow");
    }

    // A few hundred required contexts: unconditional ones sampled across all workflows, some
    // as globs, plus the orphans.
    let mut rng = Rng::new(0xD21F7);
    let mut required: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    let candidates: Vec<&String> = contexts
        .iter()
        .filter(|(_, unconditional)| *unconditional)
        .map(|(c, _)| c)
        .collect();
    let want = 300.min(candidates.len());
    while required.len() < want {
        let c = candidates[rng.below(candidates.len())];
        if seen.insert(c.clone()) {
            required.push(c.clone());
        }
    }
    let globs: Vec<String> = (0..workflows)
        .step_by(37)
        .take(20)
        .enumerate()
        .map(|(n, i)| match n % 3 {
            0 => format!("ci-{i:04} / build* (pull_request)"),
            1 => format!("ci-{i:04} / lint (*)"),
            _ => format!("ci-{i:04} / * (pull_request)"),
        })
        .collect();
    let n_globs = globs.len();
    required.extend(globs);
    required.extend(ORPHANS.iter().map(|s| s.to_string()));

    let rule = serde_json::json!([{
        "branch_name": "main",
        "rule_name": "main",
        "priority": 0,
        "enable_push": false,
        "enable_status_check": true,
        "status_check_contexts": required,
        "required_approvals": 1,
        "created_at": "2026-03-02T10:15:00Z",
        "updated_at": "2026-09-14T08:01:12Z"
    }]);
    let protection_file = root.join("branch-protection.json");
    fs::write(
        &protection_file,
        serde_json::to_string_pretty(&rule).expect("serialise the rule"),
    )
    .expect("write the protection file");

    Generated {
        protection_file,
        required: required.len(),
        globs: n_globs,
        gitea_contexts: contexts.len(),
    }
}

// ---------------------------------------------------------------------------------------------
// Output

struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(headers: &[&str]) -> Table {
        Table {
            rows: vec![headers.iter().map(|h| h.to_string()).collect()],
        }
    }

    fn row(&mut self, label: &str, cells: Vec<String>) {
        let mut r = vec![label.to_string()];
        r.extend(cells);
        self.rows.push(r);
    }

    fn render(&self) -> String {
        let cols = self.rows[0].len();
        let width: Vec<usize> = (0..cols)
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for (n, r) in self.rows.iter().enumerate() {
            let mut line = String::new();
            for (c, cell) in r.iter().enumerate() {
                if c == 0 {
                    let _ = write!(line, "{cell:<w$}", w = width[c]);
                } else {
                    let _ = write!(line, "  {cell:>w$}", w = width[c]);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
            if n == 0 {
                let total = width.iter().sum::<usize>() + 2 * (cols - 1);
                out.push_str(&"-".repeat(total));
                out.push('\n');
            }
        }
        out
    }
}
