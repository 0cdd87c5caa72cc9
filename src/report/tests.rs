use super::*;
use crate::outcome::Finding;

fn sample() -> Report {
    let mut r = Report::new("required-checks");
    r.facts.push(("repository".into(), "o/r".into()));
    r.findings
        .push(Finding::notice("extra", "b", "emitted, not required"));
    r.findings.push(
        Finding::problem("orphan", "ci / x\n::add-mask::s3cr3t-token", "no emitter")
            .with_suggestions(vec!["ci / y (push)".into()])
            .at("wf.yml", Some(3)),
    );
    r.sections.push(Section {
        title: "Emitted".into(),
        headers: vec!["context".into()],
        rows: vec![vec!["::error::from a job name".into()]],
        more: 0,
    });
    r
}

fn run(report: Report, delivery: &Delivery) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = deliver(report, delivery, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

fn delivery(dir: &std::path::Path) -> Delivery {
    crate::secrets::register("s3cr3t-token");
    Delivery {
        style: super::log::Style::Github,
        mode: Mode::Assert,
        json: false,
        report_file: Some(dir.join("report.json")),
        summary_file: Some(dir.join("summary.md")),
        output_file: Some(dir.join("output")),
    }
}

pub(super) fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("driftgate-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn every_sink_gets_the_result_and_no_line_starts_a_command() {
    let dir = tempdir("sinks");
    let (code, out, err) = run(sample(), &delivery(&dir));
    assert_eq!(code, 2);
    assert!(err.is_empty());
    // Our own commands are the only lines that start with `::`.
    for line in out.lines() {
        let t = line.trim_start();
        if t.starts_with("::") {
            assert!(
                [
                    "::group::",
                    "::endgroup::",
                    "::error ",
                    "::notice ",
                    "::warning "
                ]
                .iter()
                .any(|p| t.starts_with(p)),
                "unexpected command line: {line}"
            );
        }
        assert!(!line.contains("s3cr3t-token"), "secret leaked: {line}");
    }
    assert!(out.contains(
        "::error title=orphan%3A ci / x%0A%3A%3Aadd-mask%3A%3A***,file=wf.yml,line=3::no emitter"
    ));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).expect("report"))
            .expect("json");
    assert_eq!(json["schema"], "driftgate.report/v1");
    assert_eq!(json["result"], "finding");
    assert_eq!(json["exit_code"], 2);
    // Sorted: the error before the notice.
    assert_eq!(json["findings"][0]["kind"], "orphan");
    assert_eq!(json["findings"][0]["suggestions"][0], "ci / y (push)");
    assert_eq!(json["findings"][1]["kind"], "extra");
    assert!(json["findings"][1].get("file").is_none());
    let outputs = std::fs::read_to_string(dir.join("output")).expect("outputs");
    assert_eq!(
        outputs,
        format!(
            "result=finding\nexit-code=2\nfindings=1\nreport={}\n",
            dir.join("report.json").display()
        )
    );
    let summary = std::fs::read_to_string(dir.join("summary.md")).expect("summary");
    assert!(summary.contains("| error | orphan | ci / x ::add-mask::\\*\\*\\* | no emitter"));
    assert!(!summary.contains("s3cr3t-token"));
}

#[test]
fn advisory_exits_0_but_reports_the_true_result_and_downgrades_errors() {
    let dir = tempdir("advisory");
    let mut d = delivery(&dir);
    d.mode = Mode::Advisory;
    let (code, out, _) = run(sample(), &d);
    assert_eq!(code, 0);
    assert!(out.contains("::warning title=orphan"));
    assert!(!out.contains("::error "));
    let outputs = std::fs::read_to_string(dir.join("output")).expect("outputs");
    assert!(outputs.starts_with("result=finding\nexit-code=2\n"));
}

#[test]
fn json_mode_keeps_stdout_pure_json_and_moves_the_log_to_stderr() {
    let dir = tempdir("json");
    let mut d = delivery(&dir);
    d.json = true;
    let (code, out, err) = run(sample(), &d);
    assert_eq!(code, 2);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("stdout is one JSON document");
    assert_eq!(doc["check"], "required-checks");
    assert!(err.contains("::error title=orphan"));
}

#[test]
fn an_unwritable_report_file_is_a_usage_error_not_a_silent_pass() {
    let dir = tempdir("unwritable");
    let mut d = delivery(&dir);
    d.report_file = Some(dir.join("missing-dir/report.json"));
    let mut r = Report::new("required-checks");
    r.findings.push(Finding::notice("extra", "x", "y"));
    let (code, out, _) = run(r, &d);
    assert_eq!(code, 1);
    assert!(out.contains("::error title=driftgate::cannot write the report"));
}

/// A sink that failed makes the run a usage error, and every later output says so: a log,
/// step outputs, summary or `--json` copy that still read "finding" would contradict the exit
/// code a workflow branches on.
#[test]
fn after_a_failed_sink_every_later_output_states_the_usage_error() {
    for json in [false, true] {
        let dir = tempdir(&format!("failed-sink-{json}"));
        let mut d = delivery(&dir);
        d.json = json;
        d.report_file = Some(dir.join("missing-dir/report.json"));
        let (code, out, err) = run(sample(), &d);
        assert_eq!(code, 1);
        let (log, stdout) = if json {
            (err, out)
        } else {
            (out, String::new())
        };
        assert!(
            log.starts_with("driftgate required-checks: usage (exit 1)"),
            "{log}"
        );
        assert!(log.contains("result: usage (exit 1)"), "{log}");
        assert!(!log.contains("finding (exit 2)"), "{log}");
        let outputs = std::fs::read_to_string(dir.join("output")).expect("outputs");
        assert!(
            outputs.starts_with("result=usage\nexit-code=1\n"),
            "{outputs}"
        );
        let summary = std::fs::read_to_string(dir.join("summary.md")).expect("summary");
        assert!(
            summary.contains("usage") && !summary.contains("finding (exit 2)"),
            "{summary}"
        );
        if json {
            let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
            assert_eq!(doc["result"], "usage");
            assert_eq!(doc["exit_code"], 1);
        }
    }
    // A later sink failing: the report file was written before it (and says "finding"), but the
    // stdout copy is written anew with the run's result instead of copied from it.
    let dir = tempdir("failed-summary");
    let mut d = delivery(&dir);
    d.json = true;
    d.summary_file = Some(dir.join("missing-dir/summary.md"));
    let (code, out, err) = run(sample(), &d);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(doc["exit_code"], 1, "{doc:#}");
    assert!(err.contains("result: usage (exit 1)"), "{err}");
    let outputs = std::fs::read_to_string(dir.join("output")).expect("outputs");
    assert!(
        outputs.starts_with("result=usage\nexit-code=1\n"),
        "{outputs}"
    );
}

#[test]
fn many_notices_of_one_kind_are_folded_in_the_log() {
    let mut r = Report::new("required-checks");
    for i in 0..25 {
        r.findings
            .push(Finding::notice("extra", format!("c{i:02}"), "m"));
    }
    let d = Delivery {
        style: super::log::Style::Github,
        mode: Mode::Assert,
        json: false,
        report_file: None,
        summary_file: None,
        output_file: None,
    };
    let (code, out, _) = run(r, &d);
    assert_eq!(code, 0);
    assert_eq!(out.matches("::notice title=extra%3A").count(), 10);
    assert!(out.contains("15 more extra notices are in the JSON report"));
}

#[derive(serde::Serialize)]
struct Row {
    context: String,
    line: usize,
}

#[test]
fn typed_members_stream_as_the_tree_would_print_them_and_are_redacted_as_text() {
    let dir = tempdir("typed");
    let d = delivery(&dir);
    // A secret JSON has to escape: only its escaped form appears in the report's text.
    crate::secrets::register("pa\"ss\\word-77");
    let mut r = sample();
    r.details
        .insert("small", serde_json::json!({"a": [1, 2], "b": null}));
    r.details.insert_list(
        "rows",
        vec![
            Row {
                context: "x s3cr3t-token y".into(),
                line: 1,
            },
            Row {
                context: "q pa\"ss\\word-77 \"quoted\"\n::stop-commands::z".into(),
                line: 2,
            },
        ],
    );
    r.details.insert_list("empty", Vec::<Row>::new());
    let (code, _, _) = run(r, &d);
    assert_eq!(code, 2);
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report");
    assert!(!text.contains("s3cr3t-token"), "{text}");
    assert!(!text.contains(r#"pa\"ss\\word-77"#), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["rows"][0]["context"], "x *** y");
    assert_eq!(
        v["rows"][1]["context"],
        "q *** \"quoted\"\n::stop-commands::z"
    );
    assert_eq!(v["rows"][1]["line"], 2);
    assert_eq!(v["small"]["a"][1], 2);
    assert_eq!(v["empty"], serde_json::json!([]));
    // The streamed text is exactly what pretty-printing the whole tree gives.
    assert_eq!(
        text,
        format!("{}\n", serde_json::to_string_pretty(&v).expect("print"))
    );
}

#[test]
fn tables_keep_their_first_rows_and_count_the_rest() {
    let s = Section::new(
        "Emitted contexts",
        &["context"],
        (0..20_000).map(|i| vec![format!("c{i}")]),
    );
    assert_eq!(
        (s.rows.len(), s.more, s.total()),
        (SECTION_ROWS, 19_950, 20_000)
    );
    let mut r = Report::new("required-checks");
    r.sections.push(s);
    let d = Delivery {
        style: super::log::Style::Github,
        mode: Mode::Assert,
        json: false,
        report_file: None,
        summary_file: None,
        output_file: None,
    };
    let (_, out, _) = run(r.clone(), &d);
    assert!(out.contains("::group::Emitted contexts (20000)"), "{out}");
    assert!(out.contains("… 19950 more rows in the JSON report"));
    let md = summary_markdown(&r, Mode::Assert);
    assert!(md.contains("<summary>Emitted contexts (20000)</summary>"));
    assert!(md.contains("19950 more rows are in the JSON report."));
}

#[test]
fn plain_text_has_no_workflow_commands_and_escapes_hostile_text() {
    use super::log::{Style, render};
    let mut r = Report::new("required-checks");
    r.findings.push(
        Finding::problem(
            "orphan",
            "::add-mask::x\n::stop-commands::y",
            "evil \u{1b}[31m red \u{202e} bidi\r\n::set-env name=A::1",
        )
        .at("a\u{7}.yml", Some(3)),
    );
    r.sections.push(Section::new(
        "Emitted contexts",
        &["context", "file"],
        vec![
            vec!["漢字 ::x".to_string(), "f".to_string()],
            vec!["ab".into(), "g".into()],
        ],
    ));
    for colour in [false, true] {
        let text = render(&r, Mode::Assert, r.verdict(), &[], Style::Human { colour });
        for line in text.lines() {
            assert!(!line.trim_start().starts_with("::"), "{line}");
            assert!(
                !line.contains('\u{202e}') && !line.contains('\u{7}'),
                "{line:?}"
            );
            // Only our own colour codes, never one from the finding.
            assert!(!line.contains("\u{1b}[31m red"), "{line:?}");
        }
        assert_eq!(text.contains('\u{1b}'), colour);
        assert!(text.contains("(a\\u{7}.yml:3)"), "{text}");
    }
    // Columns line up in terminal cells: `漢字` is four wide.
    let text = render(
        &r,
        Mode::Assert,
        r.verdict(),
        &[],
        Style::Human { colour: false },
    );
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.ends_with(" f") || l.ends_with(" g"))
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    use unicode_width::UnicodeWidthStr;
    assert_eq!(rows[0].width(), rows[1].width(), "{rows:?}");
}

/// With `--json` the log goes to stderr; when it cannot be written the run fails, and the JSON
/// on stdout, written after it, says so instead of the check's own result.
#[test]
fn a_log_that_cannot_be_written_is_stated_by_the_json_copy() {
    struct Closed;
    impl std::io::Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let dir = tempdir("closed-log");
    let mut d = delivery(&dir);
    d.json = true;
    let mut out = Vec::new();
    let code = deliver(sample(), &d, &mut out, &mut Closed);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_slice(&out).expect("one JSON document");
    assert_eq!(doc["result"], "usage");
    assert_eq!(doc["exit_code"], 1);
}
