//! Running as a container action: the runner passes inputs as `INPUT_<NAME>` (upper-cased,
//! hyphens kept) and no arguments; this turns them into the command line the CLI takes, so both
//! ways of running share one parser and one set of rules.

/// What each check reads from which input; multi-value inputs are newline-separated.
struct Flag {
    input: &'static str,
    flag: &'static str,
    multi: bool,
}

const fn one(input: &'static str, flag: &'static str) -> Flag {
    Flag {
        input,
        flag,
        multi: false,
    }
}

const fn many(input: &'static str, flag: &'static str) -> Flag {
    Flag {
        input,
        flag,
        multi: true,
    }
}

const COMMON: &[Flag] = &[
    one("mode", "--mode"),
    one("report", "--report"),
    one("timeout", "--timeout"),
    one("ca-cert", "--ca-cert"),
    one("label", "--label"),
    one("fail-on", "--fail-on"),
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
    one("docker-host", "--docker-host"),
    many("module", "--module"),
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

/// The command line for the inputs, or why the inputs cannot run.
pub fn argv(env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<String>, String> {
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
    let mut out = vec!["driftgate".to_string(), check];
    for f in COMMON.iter().chain(flags) {
        let Some(value) = get(f.input) else { continue };
        if f.multi {
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
    // The report is an output: without the input, it goes beside the runner's file commands
    // (`/var/run/act/...`), which later steps of the job can read.
    if get("report").is_none()
        && let Some(dir) = env("GITHUB_OUTPUT")
            .filter(|p| !p.is_empty())
            .and_then(|p| std::path::Path::new(&p).parent().map(|d| d.to_path_buf()))
    {
        out.push("--report".into());
        out.push(dir.join("driftgate-report.json").display().to_string());
    }
    // The token input is read from its variable, never put on a command line.
    if get("token").is_some() {
        out.push("--token-env".into());
        out.push(input_var("token"));
    }
    Ok(out)
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
            ("INPUT_ROWS", "runtime_image_pins"),
            ("INPUT_MODE", "advisory"),
            ("INPUT_TOKEN", "secret-value"),
            ("INPUT_TIMEOUT", "30"),
        ]);
        let argv = argv(&e).expect("argv");
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
        let a = argv(&e).expect("argv");
        assert_eq!(
            a[2..],
            ["--report", "/var/run/act/workflow/driftgate-report.json"]
        );
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
        assert!(!a.contains(&"--owner".to_string()));
        let a = argv(&env(&[
            ("INPUT_CHECK", "required-checks"),
            ("INPUT_REPOS", "a/b\nc/d"),
        ]))
        .expect("argv");
        assert_eq!(a[2..], ["--repos", "a/b", "--repos", "c/d"]);
        let a = argv(&env(&[
            ("INPUT_CHECK", "image-drift"),
            ("INPUT_MODE", "issue"),
        ]))
        .expect("argv");
        assert_eq!(a[2..], ["--mode", "issue"]);
    }
}
