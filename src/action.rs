//! Running as a container action: the runner passes inputs as `INPUT_<NAME>` (upper-cased,
//! hyphens kept) and no arguments; this turns them into the command line the CLI takes, so both
//! ways of running share one parser and one set of rules.

/// What each check reads from which input; multi-value inputs are newline-separated.
struct Flag {
    input: &'static str,
    flag: &'static str,
    takes: Takes,
}

#[derive(PartialEq)]
enum Takes {
    One,
    /// One value per line.
    Many,
    /// `true` gives the flag alone, `false` nothing.
    Switch,
}

const fn one(input: &'static str, flag: &'static str) -> Flag {
    Flag {
        input,
        flag,
        takes: Takes::One,
    }
}

const fn many(input: &'static str, flag: &'static str) -> Flag {
    Flag {
        input,
        flag,
        takes: Takes::Many,
    }
}

const fn switch(input: &'static str, flag: &'static str) -> Flag {
    Flag {
        input,
        flag,
        takes: Takes::Switch,
    }
}

const COMMON: &[Flag] = &[
    one("mode", "--mode"),
    one("report", "--report"),
    one("timeout", "--timeout"),
    one("ca-cert", "--ca-cert"),
    one("label", "--label"),
    one("fail-on", "--fail-on"),
    switch("comment", "--comment"),
    one("format", "--format"),
    one("config", "--config"),
];

const REQUIRED_CHECKS: &[Flag] = &[
    one("server-url", "--server"),
    one("repository", "--repo"),
    one("branch", "--branch"),
    many("workflows", "--workflows"),
    one("flavor", "--flavor"),
    many("required", "--required"),
    one("protection-file", "--protection-file"),
    many("repos", "--repos"),
    one("owner", "--owner"),
    one("concurrency", "--concurrency"),
    many("exclude", "--exclude"),
];

const RUNTIME_PIN: &[Flag] = &[
    one("digest", "--digest"),
    one("digest-file", "--digest-file"),
    one("url", "--url"),
    one("rows", "--rows"),
    many("match", "--match"),
    one("field", "--field"),
    one("image", "--image"),
    one("wait", "--wait"),
];

const IMAGE_DRIFT: &[Flag] = &[
    many("compose", "--compose"),
    one("project", "--project"),
    many("manifests", "--manifests"),
    many("docker-host", "--docker-host"),
    many("module", "--module"),
    switch("resolve-tags", "--resolve-tags"),
];

/// Inputs whose action.yml default is not empty: a value equal to it was not chosen by the
/// workflow, so it is no reason to warn that the input does not belong to the check.
/// (A test keeps this equal to action.yml.)
pub const DEFAULTS: &[(&str, &str)] = &[
    ("mode", "assert"),
    ("flavor", "auto"),
    ("rows", "runtime_image_pins"),
    ("field", "image_digest"),
    ("wait", "0"),
    ("label", "driftgate"),
    ("fail-on", "error"),
    ("timeout", "30"),
    ("concurrency", "8"),
    ("comment", "false"),
    ("resolve-tags", "false"),
];

/// The environment variable of an input, as runners name it.
pub fn input_var(name: &str) -> String {
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

/// Whether this process was started as a container action (inputs, no arguments).
pub fn is_action(args: &[String], env: &dyn Fn(&str) -> Option<String>) -> bool {
    args.len() <= 1 && env(&input_var("check")).is_some_and(|c| !c.trim().is_empty())
}

/// The command line the inputs make, and warnings about inputs the chosen check does not read.
#[derive(Debug)]
pub struct Argv {
    pub args: Vec<String>,
    pub warnings: Vec<String>,
}

/// The command line for the inputs, or why the inputs cannot run (the message names inputs).
pub fn argv(env: &dyn Fn(&str) -> Option<String>) -> Result<Argv, String> {
    let get = |name: &str| {
        env(&input_var(name))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let check = get("check").unwrap_or_default();
    let flags = match check.as_str() {
        "required-checks" => REQUIRED_CHECKS,
        "runtime-pin" => RUNTIME_PIN,
        "image-drift" => IMAGE_DRIFT,
        other => {
            return Err(format!(
                "input check: {other:?} is not one of required-checks, runtime-pin, image-drift"
            ));
        }
    };
    let mut out = vec!["driftgate".to_string(), check.clone()];
    for f in COMMON.iter().chain(flags) {
        let Some(value) = get(f.input) else { continue };
        if f.takes == Takes::Switch {
            // As the Actions toolkit's getBooleanInput reads YAML 1.2 core booleans.
            match value.as_str() {
                "true" | "True" | "TRUE" => out.push(f.flag.to_string()),
                "false" | "False" | "FALSE" => {}
                _ => {
                    return Err(format!(
                        "input {}: takes true or false, not a value of {} characters",
                        f.input,
                        value.chars().count()
                    ));
                }
            }
        } else if f.takes == Takes::Many {
            for line in value.lines().map(str::trim).filter(|l| !l.is_empty()) {
                out.push(f.flag.to_string());
                out.push(line.to_string());
            }
        } else if value.contains(['\n', '\r']) {
            // A one-value input holding a line break is a mistake or an injection attempt
            // (`5\n::stop-commands::x`); it never reaches a command line or a message raw.
            return Err(format!(
                "input {}: takes one value, but the value has {} lines",
                f.input,
                value.lines().count()
            ));
        } else {
            out.push(f.flag.to_string());
            out.push(value);
        }
    }
    let warnings = [REQUIRED_CHECKS, RUNTIME_PIN, IMAGE_DRIFT]
        .iter()
        .flat_map(|t| t.iter())
        .filter(|f| !flags.iter().any(|g| g.input == f.input))
        .filter_map(|f| {
            let v = get(f.input)?;
            let default = DEFAULTS.iter().find(|(n, _)| *n == f.input).map(|d| d.1);
            (default != Some(v.as_str())).then_some(f.input)
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|i| format!("input {i} is not read by check {check}; it is ignored"))
        .collect();
    // The report is an output: without the input, it goes beside the runner's file commands
    // (`/var/run/act/...`), which later steps of the job can read; named after the step, so
    // that two driftgate steps of one job keep their own.
    if get("report").is_none()
        && let Some(file) = default_report(env)
    {
        out.push("--report".into());
        out.push(file);
    }
    if let Some(token) = get("token") {
        // The job token goes to the forge and nowhere else: runtime-pin's control plane gets
        // a token only when the workflow gave one (see `job_token_leaves_the_forge`).
        if check == "runtime-pin" && job_token_leaves_the_forge(&token, env) {
            if get("url").is_some() {
                return Err(
                    "input token: runtime-pin sends it to the control plane (input url), and it holds the job token, which driftgate sends to the forge only; set token to the control plane's token".into(),
                );
            }
        } else {
            // Read from its variable, never put on a command line.
            out.push("--token-env".into());
            out.push(input_var("token"));
        }
    }
    Ok(Argv {
        args: out,
        warnings,
    })
}

/// Whether `token` is the job token the runner filled in as the default: action.yml passes it
/// a second time in the input `job-token`, which workflows leave alone.
fn job_token_leaves_the_forge(token: &str, env: &dyn Fn(&str) -> Option<String>) -> bool {
    env(&input_var("job-token")).is_some_and(|j| !j.trim().is_empty() && j.trim() == token)
}

/// `driftgate-report-<step id>.json` in the folder of the runner's file commands.
pub fn default_report(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let dir = env("GITHUB_OUTPUT")
        .filter(|p| !p.is_empty())
        .and_then(|p| std::path::Path::new(&p).parent().map(|d| d.to_path_buf()))?;
    let step: String = env("GITHUB_ACTION")
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let name = match step.trim_matches('.') {
        "" => "driftgate-report.json".to_string(),
        s => format!("driftgate-report-{s}.json"),
    };
    Some(dir.join(name).display().to_string())
}

/// `text` with every CLI flag that has an input written as that input (`--timeout` → `input
/// timeout`), so that a workflow's author reads the names they wrote. clap's quoted forms
/// (`'--timeout <SECONDS>'`) lose their value name; the `--help` hint goes.
pub fn name_inputs(text: &str) -> String {
    let mut flags: Vec<&Flag> = COMMON
        .iter()
        .chain(REQUIRED_CHECKS)
        .chain(RUNTIME_PIN)
        .chain(IMAGE_DRIFT)
        .collect();
    // Longest first: `--digest-file` before `--digest`.
    flags.sort_by_key(|f| std::cmp::Reverse(f.flag.len()));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        let quoted = rest.starts_with("'--");
        let at = if quoted { &rest[1..] } else { rest };
        if at.starts_with("--") {
            for f in &flags {
                let Some(after) = at.strip_prefix(f.flag) else {
                    continue;
                };
                if after
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
                {
                    continue;
                }
                out.push_str("input ");
                out.push_str(f.input);
                rest = after;
                if quoted {
                    // Drop ` <VALUE>'` up to the closing quote on this line.
                    if let Some(end) = rest.find('\'').filter(|&e| !rest[..e].contains('\n')) {
                        rest = &rest[end + 1..];
                    }
                }
                continue 'scan;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out.lines()
        .filter(|l| !l.contains("try '--help'"))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| m.get(k).cloned()
    }

    #[test]
    fn inputs_keep_hyphens_and_upper_case() {
        assert_eq!(input_var("server-url"), "INPUT_SERVER-URL");
        assert_eq!(input_var("ca cert"), "INPUT_CA_CERT");
    }

    #[test]
    fn inputs_become_flags_for_the_chosen_check_only() {
        let e = env(&[
            ("INPUT_CHECK", "required-checks"),
            ("INPUT_SERVER-URL", "https://forge.example"),
            ("INPUT_REQUIRED", "ci / a (push)\n\n  ci / b (push)  \n"),
            ("INPUT_ROWS", "pins"),
            ("INPUT_FIELD", "image_digest"),
            ("INPUT_MODE", "advisory"),
            ("INPUT_TOKEN", "secret-value"),
            ("INPUT_TIMEOUT", "30"),
        ]);
        let a = argv(&e).expect("argv");
        // The runtime-pin input `rows` set to something else than its default is warned about.
        assert_eq!(
            a.warnings,
            ["input rows is not read by check required-checks; it is ignored"]
        );
        let argv = a.args;
        assert_eq!(
            argv,
            [
                "driftgate",
                "required-checks",
                "--mode",
                "advisory",
                "--timeout",
                "30",
                "--server",
                "https://forge.example",
                "--required",
                "ci / a (push)",
                "--required",
                "ci / b (push)",
                "--token-env",
                "INPUT_TOKEN",
            ]
        );
        assert!(!argv.iter().any(|a| a.contains("secret-value")));
        assert!(is_action(&["driftgate".into()], &e));
        assert!(!is_action(&["driftgate".into(), "--help".into()], &e));
    }

    #[test]
    fn a_one_value_input_with_a_line_break_is_refused_without_echoing_it() {
        let e = argv(&env(&[
            ("INPUT_CHECK", "required-checks"),
            ("INPUT_TIMEOUT", "5\n::stop-commands::pwned"),
        ]))
        .expect_err("refused");
        assert!(e.contains("input timeout") && !e.contains("pwned"), "{e}");
    }

    #[test]
    fn the_report_defaults_to_the_file_command_folder() {
        let e = env(&[
            ("INPUT_CHECK", "image-drift"),
            ("GITHUB_OUTPUT", "/var/run/act/workflow/outputcmd.txt"),
        ]);
        let a = argv(&e).expect("argv").args;
        assert_eq!(
            a[2..],
            ["--report", "/var/run/act/workflow/driftgate-report.json"]
        );
        // Two steps of one job: each its own report, named after the step's id.
        for (step, file) in [
            ("gate", "driftgate-report-gate.json"),
            ("__acme_driftgate", "driftgate-report-__acme_driftgate.json"),
            ("a/../b c", "driftgate-report-a_.._b_c.json"),
            ("..", "driftgate-report.json"),
        ] {
            let pairs = [
                ("INPUT_CHECK", "image-drift"),
                ("GITHUB_OUTPUT", "/var/run/act/workflow/outputcmd.txt"),
                ("GITHUB_ACTION", step),
            ];
            let a = argv(&env(&pairs)).expect("argv").args;
            assert_eq!(a[3], format!("/var/run/act/workflow/{file}"), "{step}");
        }
    }

    #[test]
    fn the_job_token_never_reaches_a_control_plane() {
        let job = [
            ("INPUT_CHECK", "runtime-pin"),
            ("INPUT_URL", "https://cp.example/pins"),
            ("INPUT_TOKEN", "job-123"),
            ("INPUT_JOB-TOKEN", "job-123"),
        ];
        let e = argv(&env(&job)).expect_err("refused");
        assert!(e.contains("input token") && !e.contains("job-123"), "{e}");
        // A token of its own is passed on, by name.
        let mut own = job;
        own[2] = ("INPUT_TOKEN", "cp-456");
        let a = argv(&env(&own)).expect("argv").args;
        assert!(
            a.ends_with(&["--token-env".into(), "INPUT_TOKEN".into()]),
            "{a:?}"
        );
        // A registry tag needs no token: the job token is simply not passed.
        let reg = [
            ("INPUT_CHECK", "runtime-pin"),
            ("INPUT_IMAGE", "127.0.0.1:5000/app:prod"),
            ("INPUT_TOKEN", "job-123"),
            ("INPUT_JOB-TOKEN", "job-123"),
        ];
        let a = argv(&env(&reg)).expect("argv").args;
        assert!(!a.contains(&"--token-env".to_string()), "{a:?}");
        // The forge gets it.
        let gate = [
            ("INPUT_CHECK", "required-checks"),
            ("INPUT_TOKEN", "job-123"),
            ("INPUT_JOB-TOKEN", "job-123"),
        ];
        let a = argv(&env(&gate)).expect("argv").args;
        assert!(
            a.ends_with(&["--token-env".into(), "INPUT_TOKEN".into()]),
            "{a:?}"
        );
    }

    #[test]
    fn messages_name_inputs_not_flags() {
        assert_eq!(
            name_inputs(
                "error: invalid value 'x' for '--timeout <SECONDS>': invalid digit found in string\n\nFor more information, try '--help'.\n"
            ),
            "error: invalid value 'x' for input timeout: invalid digit found in string"
        );
        assert_eq!(
            name_inputs("--digest or --digest-file is needed; --repo \"x\" is not OWNER/NAME"),
            "input digest or input digest-file is needed; input repository \"x\" is not OWNER/NAME"
        );
        // Not a flag of ours, or a longer word: left alone.
        assert_eq!(
            name_inputs("--timeouts and --json"),
            "--timeouts and --json"
        );
    }

    #[test]
    fn defaults_equal_action_yml() {
        let yml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml"))
            .expect("action.yml");
        let doc: serde_json::Value = serde_saphyr::from_str(&yml).expect("action.yml parses");
        let inputs = doc["inputs"].as_object().expect("inputs");
        for (name, input) in inputs {
            let default = input["default"].as_str().unwrap_or_default();
            let listed = DEFAULTS.iter().find(|(n, _)| n == name).map(|d| d.1);
            if name == "token" || name == "job-token" {
                assert_eq!(default, "${{ github.token }}", "{name}");
                continue;
            }
            match listed {
                Some(d) => assert_eq!(d, default, "input {name}"),
                None => assert_eq!(default, "", "input {name} has a default DEFAULTS lacks"),
            }
        }
    }

    #[test]
    fn unknown_checks_are_refused_and_sweep_inputs_map() {
        assert!(argv(&env(&[("INPUT_CHECK", "nope")])).is_err());
        // Sweep inputs go only to the check that sweeps.
        let a = argv(&env(&[
            ("INPUT_CHECK", "image-drift"),
            ("INPUT_OWNER", "org"),
        ]))
        .expect("argv");
        assert!(!a.args.contains(&"--owner".to_string()));
        assert_eq!(
            a.warnings,
            ["input owner is not read by check image-drift; it is ignored"]
        );
        let a = argv(&env(&[
            ("INPUT_CHECK", "required-checks"),
            ("INPUT_REPOS", "a/b\nc/d"),
        ]))
        .expect("argv")
        .args;
        assert_eq!(a[2..], ["--repos", "a/b", "--repos", "c/d"]);
        let a = argv(&env(&[
            ("INPUT_CHECK", "image-drift"),
            ("INPUT_MODE", "issue"),
        ]))
        .expect("argv")
        .args;
        assert_eq!(a[2..], ["--mode", "issue"]);
    }
}
