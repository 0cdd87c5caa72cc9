//! `cargo bench --bench required_checks`: the real release binary's offline
//! `driftgate required-checks --root <tmp> --protection-file <file> --flavor gitea|forgejo` over
//! generated matrix-heavy workflows (1,000 by default: about 20,000 contexts and 2,000 required
//! patterns), side by side with
//!
//! - `benches/reference.py`, the naive Python/PyYAML script teams write today (C loader, matrix
//!   product, names, set comparison), and the same script only loading the files;
//! - the YAML crate alone: granit-parser's event parser over the same files, in this process;
//! - Forgejo mode against a rule whose 1,000 extra contexts no job posts (every orphan gets
//!   closest-emitter suggestions).
//!
//! It prints min/median wall time and peak RSS per command, the contexts and findings from the
//! JSON report, the ratios the performance goals are stated in, and the growth curve from 100 to
//! 20,000 workflows. Nothing here asserts on time.
//!
//! Knobs: `DRIFTGATE_BENCH_WORKFLOWS` (default 1000), `DRIFTGATE_BENCH_RUNS` (timed runs per
//! command, default 5), `DRIFTGATE_BENCH_CURVE` (workflow counts, default `100,1000,5000,20000`;
//! empty skips the curve), `DRIFTGATE_BENCH_PYTHON` (interpreter, default `python3`; PyYAML is
//! installed into `target/bench-venv` when it cannot import it), `DRIFTGATE_BENCH_KEEP=1` (keep
//! the generated repositories).
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
/// Extra contexts no job posts, in the orphan rule.
const MANY_ORPHANS: usize = 1000;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("required_checks: skipped (run it with `cargo bench --bench required_checks`)");
        return;
    }
    let workflows = env_usize("DRIFTGATE_BENCH_WORKFLOWS", 1000);
    let runs = env_usize("DRIFTGATE_BENCH_RUNS", 5).max(1);
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("required_checks-bench-{}", std::process::id()));
    let _cleanup = Cleanup(base.clone());
    let python = python();

    let root = base.join(format!("w{workflows}"));
    let g = generate(&root, workflows);
    println!(
        "generated {workflows} workflow files ({} KiB) in {}: {} required patterns ({} exact, {} glob, {} orphan); the orphan rule adds {MANY_ORPHANS} contexts no job posts",
        g.bytes / 1024,
        root.join(".gitea/workflows").display(),
        g.required,
        g.required - g.globs - ORPHANS.len(),
        g.globs,
        ORPHANS.len()
    );
    println!("binary: {DRIFTGATE}");
    match &python {
        Ok(p) => println!("reference: {p} benches/reference.py"),
        Err(why) => println!("reference: skipped ({why})"),
    }

    let gitea = driftgate(&root, &g.protection_file, "gitea", runs);
    let forgejo = driftgate(&root, &g.protection_file, "forgejo", runs);
    let orphans = driftgate(&root, &g.orphan_file, "forgejo", runs);
    let yaml = yaml_alone(&root, runs);
    let (py, py_parse) = match &python {
        Ok(p) => (
            Some(reference(p, &root, &g.protection_file, false, runs)),
            Some(reference(p, &root, &g.protection_file, true, runs)),
        ),
        Err(_) => (None, None),
    };

    let mut t = Table::new(&[
        "command",
        "wall min",
        "wall median",
        "peak RSS",
        "contexts",
        "findings",
        "exit",
    ]);
    let mut row = |label: &str, s: &Stats| {
        t.row(
            label,
            vec![
                ms(s.min),
                ms(s.median),
                mib(s.rss_kib),
                s.contexts.map_or("-".into(), |c| c.to_string()),
                s.findings.map_or("-".into(), |c| c.to_string()),
                s.exit_code.map_or("-".into(), |c| c.to_string()),
            ],
        )
    };
    row("driftgate --flavor gitea", &gitea);
    row("driftgate --flavor forgejo", &forgejo);
    row(
        &format!("driftgate --flavor forgejo, +{MANY_ORPHANS} orphans"),
        &orphans,
    );
    row("YAML alone (granit-parser, in process)", &yaml);
    if let (Some(p), Some(pp)) = (&py, &py_parse) {
        row("python reference.py (PyYAML C loader)", p);
        row("python reference.py --parse-only", pp);
    }
    println!();
    print!("{}", t.render());
    println!();
    let ratio = |a: &Stats, b: &Stats| a.median.as_secs_f64() / b.median.as_secs_f64();
    let mut r = Table::new(&["ratio (medians)", "measured", "goal"]);
    if let Some(p) = &py {
        r.row(
            "python / driftgate gitea",
            vec![format!("{:.1}x", ratio(p, &gitea)), ">= 20x".into()],
        );
        r.row(
            "python peak RSS / driftgate peak RSS",
            vec![
                match (p.rss_kib, gitea.rss_kib) {
                    (Some(a), Some(b)) => format!("{:.2}x", a as f64 / b as f64),
                    _ => "n/a".into(),
                },
                "-".into(),
            ],
        );
    }
    r.row(
        "driftgate gitea / YAML alone",
        vec![format!("{:.2}x", ratio(&gitea, &yaml)), "<= 2x".into()],
    );
    r.row(
        "driftgate forgejo / gitea",
        vec![format!("{:.2}x", ratio(&forgejo, &gitea)), "<= 1.5x".into()],
    );
    r.row(
        &format!("forgejo +{MANY_ORPHANS} orphans / gitea"),
        vec![format!("{:.2}x", ratio(&orphans, &gitea)), "<= 1.5x".into()],
    );
    r.row(
        "driftgate gitea peak RSS",
        vec![mib(gitea.rss_kib), "<= 30 MiB".into()],
    );
    print!("{}", r.render());
    if let Some(k) = &gitea.by_kind {
        println!();
        println!("gitea findings by kind: {k:?}");
    }
    if gitea.contexts != Some(g.gitea_contexts) {
        println!(
            "note: the generator expected {} gitea contexts; driftgate reported {:?}",
            g.gitea_contexts, gitea.contexts
        );
    }

    let curve: Vec<usize> = std::env::var("DRIFTGATE_BENCH_CURVE")
        .unwrap_or_else(|_| "100,1000,5000,20000".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    if curve.is_empty() {
        return;
    }
    println!();
    println!(
        "growth (driftgate --flavor gitea; per workflow relative to the first row; linear is 1.0x):"
    );
    let mut c = Table::new(&[
        "workflows",
        "contexts",
        "wall median",
        "us/workflow",
        "per-workflow ratio",
        "peak RSS",
        "KiB/workflow",
        "python wall",
    ]);
    let mut first: Option<(f64, f64)> = None;
    for n in curve {
        let dir = base.join(format!("w{n}"));
        let gn = if n == workflows {
            g.clone()
        } else {
            generate(&dir, n)
        };
        let s = driftgate(&dir, &gn.protection_file, "gitea", runs.min(3));
        let per = s.median.as_secs_f64() * 1e6 / n as f64;
        let per_rss = s.rss_kib.map_or(0.0, |k| k as f64 / n as f64);
        let (t0, _) = *first.get_or_insert((per, per_rss));
        let py_wall = match &python {
            Ok(p) => ms(reference(p, &dir, &gn.protection_file, false, 1).median),
            Err(_) => "-".into(),
        };
        c.row(
            &n.to_string(),
            vec![
                s.contexts.map_or("-".into(), |x| x.to_string()),
                ms(s.median),
                format!("{per:.0}"),
                format!("{:.2}x", per / t0),
                mib(s.rss_kib),
                format!("{per_rss:.1}"),
                py_wall,
            ],
        );
        if n != workflows && std::env::var_os("DRIFTGATE_BENCH_KEEP").is_none() {
            let _ = fs::remove_dir_all(&dir);
        }
    }
    print!("{}", c.render());
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

fn mib(k: Option<u64>) -> String {
    match k {
        Some(k) => format!("{:.1} MiB", k as f64 / 1024.0),
        None => "n/a".into(),
    }
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
// Running the commands

struct Stats {
    min: Duration,
    median: Duration,
    rss_kib: Option<u64>,
    exit_code: Option<i32>,
    contexts: Option<usize>,
    findings: Option<usize>,
    by_kind: Option<BTreeMap<String, usize>>,
}

impl Stats {
    fn of(mut walls: Vec<Duration>, rss_kib: Option<u64>) -> Stats {
        walls.sort();
        Stats {
            min: walls[0],
            median: walls[walls.len() / 2],
            rss_kib,
            exit_code: None,
            contexts: None,
            findings: None,
            by_kind: None,
        }
    }
}

struct Run {
    wall: Duration,
    exit_code: i32,
    rss_kib: Option<u64>,
}

/// Times `runs` runs of a command after one warm-up. Peak RSS comes from one more run under
/// `/usr/bin/time -v` where it exists: `wait4`'s figure can include the forked bench's own
/// pages (a child's maximum RSS survives `execve`).
fn timed(program: &str, args: &[String], out: &Path, runs: usize) -> (Run, Stats) {
    let err = out.with_extension("stderr");
    let first = run_once(program, args, out, &err);
    if !matches!(first.exit_code, 0 | 2 | 8) {
        let log = fs::read_to_string(&err).unwrap_or_default();
        let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");
        panic!("{program} {args:?} exited {}:\n{tail}", first.exit_code);
    }
    let mut walls = Vec::with_capacity(runs);
    let mut rss = first.rss_kib;
    for _ in 0..runs {
        let r = run_once(program, args, &out.with_extension("timed"), &err);
        walls.push(r.wall);
        rss = rss.max(r.rss_kib);
    }
    if Path::new("/usr/bin/time").is_file() {
        let log = out.with_extension("time");
        let mut a = vec!["-v".to_string(), "-o".into(), log.display().to_string()];
        a.push(program.into());
        a.extend(args.iter().cloned());
        run_once("/usr/bin/time", &a, &out.with_extension("timed"), &err);
        rss = fs::read_to_string(&log).ok().and_then(|t| {
            t.lines()
                .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
                .and_then(|v| v.trim().parse().ok())
        });
    }
    (first, Stats::of(walls, rss))
}

fn driftgate(root: &Path, protection: &Path, flavor: &str, runs: usize) -> Stats {
    let stem = protection
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let report_file = root.join(format!("report-{stem}-{flavor}.json"));
    // As the action runs it: the report to a file, the log on stdout.
    let args: Vec<String> = vec![
        "required-checks".into(),
        "--root".into(),
        root.display().to_string(),
        "--protection-file".into(),
        protection.display().to_string(),
        "--flavor".into(),
        flavor.into(),
        "--report".into(),
        report_file.display().to_string(),
    ];
    let out = root.join(format!("log-{stem}-{flavor}.txt"));
    let (first, mut stats) = timed(DRIFTGATE, &args, &out, runs);
    let report: Value =
        serde_json::from_slice(&fs::read(&report_file).expect("read the JSON report"))
            .expect("the report is JSON");
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    let mut by_kind = BTreeMap::new();
    for f in &findings {
        let k = f["kind"].as_str().unwrap_or("?").to_string();
        *by_kind.entry(k).or_insert(0) += 1;
    }
    stats.exit_code = Some(first.exit_code);
    // A report past its size cap lists fewer and says how many there were.
    stats.contexts = Some(
        report["truncated"]["emitted"]["total"]
            .as_u64()
            .map_or_else(
                || report["emitted"].as_array().map_or(0, Vec::len),
                |t| t as usize,
            ),
    );
    stats.findings = Some(findings.len());
    stats.by_kind = Some(by_kind);
    stats
}

fn reference(python: &str, root: &Path, protection: &Path, parse_only: bool, runs: usize) -> Stats {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/reference.py");
    let mut args = vec![
        script.to_string(),
        root.display().to_string(),
        protection.display().to_string(),
    ];
    if parse_only {
        args.push("--parse-only".into());
    }
    let out = root.join(format!("reference-{parse_only}.json"));
    let (first, mut stats) = timed(python, &args, &out, runs);
    let line: Value = fs::read(&out)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    stats.exit_code = Some(first.exit_code);
    if !parse_only {
        stats.contexts = line["contexts"].as_u64().map(|c| c as usize);
        stats.findings = line["missing"].as_u64().map(|c| c as usize);
    }
    stats
}

/// Reading every workflow file and running the YAML event parser driftgate uses over it, in
/// this process: what the YAML layer alone costs.
fn yaml_alone(root: &Path, runs: usize) -> Stats {
    let mut files = Vec::new();
    let mut stack = vec![root.join(".gitea/workflows")];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d)
            .expect("read the workflow folder")
            .flatten()
        {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    let once = || {
        let start = Instant::now();
        let mut events = 0usize;
        for f in &files {
            let text = fs::read_to_string(f).expect("read a workflow");
            for ev in granit_parser::Parser::new_from_str(&text) {
                ev.expect("the generated YAML parses");
                events += 1;
            }
        }
        (start.elapsed(), events)
    };
    let _ = once();
    let walls: Vec<Duration> = (0..runs).map(|_| once().0).collect();
    Stats::of(walls, None)
}

/// The interpreter that runs the reference script with PyYAML, or why there is none.
fn python() -> Result<String, String> {
    let configured = std::env::var("DRIFTGATE_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_yaml = |py: &str| {
        Command::new(py)
            .args(["-c", "import yaml; yaml.CSafeLoader"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if has_yaml(&configured) {
        return Ok(configured);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-venv");
    let venv_python = venv.join("bin/python3").display().to_string();
    if !has_yaml(&venv_python) {
        println!(
            "installing PyYAML into {} for the reference",
            venv.display()
        );
        let ok = Command::new(&configured)
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(&venv_python)
                .args(["-m", "pip", "install", "--quiet", "pyyaml"])
                .status()
                .is_ok_and(|s| s.success());
        if !ok || !has_yaml(&venv_python) {
            return Err(format!(
                "{configured} has no PyYAML with its C loader and it could not be installed"
            ));
        }
    }
    Ok(venv_python)
}

// `rusage::wait` reaps the child with wait4(2) when it can; clippy cannot see that.
#[allow(clippy::zombie_processes)]
fn run_once(program: &str, args: &[String], out: &Path, err: &Path) -> Run {
    let stdout = fs::File::create(out).expect("create the stdout file");
    let stderr = fs::File::create(err).expect("create the stderr file");
    let start = Instant::now();
    let mut child = Command::new(program)
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
        .expect("spawn the benchmarked command");
    if let Some((code, rss)) = rusage::wait(child.id()) {
        return Run {
            wall: start.elapsed(),
            exit_code: code,
            rss_kib: Some(rss),
        };
    }
    let status = child.wait().expect("wait for the benchmarked command");
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

#[derive(Clone)]
struct Generated {
    protection_file: PathBuf,
    /// The same rule with [`MANY_ORPHANS`] more contexts that no job posts.
    orphan_file: PathBuf,
    /// Bytes of workflow YAML.
    bytes: usize,
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

    let mut bytes = 0;
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
        bytes += y.len();
        fs::write(dir.join(format!("{name}.{ext}")), y).expect("write a workflow");
    }

    // Two required contexts per workflow: unconditional ones sampled across all workflows, some
    // as globs, plus the orphans.
    let mut rng = Rng::new(0xD21F7);
    let mut required: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    let candidates: Vec<&String> = contexts
        .iter()
        .filter(|(_, unconditional)| *unconditional)
        .map(|(c, _)| c)
        .collect();
    // Under driftgate's cap of 10,000 distinct required contexts, so that large runs check too.
    let want = (2 * workflows).min(9_000).min(candidates.len());
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

    let rule = |contexts: &[String]| {
        serde_json::json!([{
            "branch_name": "main",
            "rule_name": "main",
            "priority": 0,
            "enable_push": false,
            "enable_status_check": true,
            "status_check_contexts": contexts,
            "required_approvals": 1,
            "created_at": "2026-03-02T10:15:00Z",
            "updated_at": "2026-09-14T08:01:12Z"
        }])
    };
    let protection_file = root.join("branch-protection.json");
    fs::write(
        &protection_file,
        serde_json::to_string_pretty(&rule(&required)).expect("serialise the rule"),
    )
    .expect("write the protection file");
    // Misspelt job names, one per workflow as far as there are workflows, then retired ones.
    let mut with_orphans = required.clone();
    with_orphans.extend((0..MANY_ORPHANS).map(|n| {
        if n < workflows {
            format!("ci-{n:04} / tst (pull_request)")
        } else {
            format!("retired-{n:04} / test (pull_request)")
        }
    }));
    let orphan_file = root.join("branch-protection-orphans.json");
    fs::write(
        &orphan_file,
        serde_json::to_string_pretty(&rule(&with_orphans)).expect("serialise the rule"),
    )
    .expect("write the orphan protection file");

    Generated {
        protection_file,
        orphan_file,
        bytes,
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
