//! Escaping for everything driftgate prints. Text from workflow files, remote bodies and container
//! labels is untrusted: it must never be able to start a workflow-command line (`::add-mask::`,
//! `::set-env::`, `::stop-commands::` ...), which the runners read from stdout and stderr.

/// Characters that must never reach a log raw: C0 and C1 controls (NUL, ESC, U+0085 ...), DEL,
/// the Unicode line and paragraph separators (U+2028/2029, which some viewers break lines on),
/// and the invisible bidi and zero-width format characters that can make a line read as
/// something it is not.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c as u32,
            0x2028 | 0x2029 | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF
        )
}

/// A visible escape for an unsafe character: `\t`, `\u{1b}`.
fn push_visible(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        c => {
            out.push_str("\\u{");
            out.push_str(&format!("{:x}", c as u32));
            out.push('}');
        }
    }
}

/// Workflow-command data (the message after the second `::`), as the Actions toolkit escapes it:
/// `%` first, then CR and LF, so the message can never span a line; other unsafe characters
/// become visible escapes.
pub fn command_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if is_unsafe_char(c) => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Workflow-command property values (`title=`, `file=`): as data, plus `:` and `,`.
pub fn command_property(s: &str) -> String {
    command_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Untrusted text for one line of the human log: line breaks and other unsafe characters become
/// visible escapes, so the text cannot end the line it is on.
pub fn log_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe_char(c) => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Whether a line would be read as a workflow command by some runner: `::cmd::` (act and the
/// GitHub runner, which trims leading white space first) or the legacy `##[cmd]` form.
pub fn reads_as_command(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("::") || t.starts_with("##[")
}

/// A finished log line that carries untrusted text: one line, and never a workflow command (such
/// a line gets a visible `> ` prefix instead).
pub fn guard_line(line: &str) -> String {
    let one_line = log_text(line);
    if reads_as_command(&one_line) {
        format!("> {one_line}")
    } else {
        one_line
    }
}

/// Text someone else composed (clap's error messages, which echo raw argument values), made
/// safe for a log: every line guarded.
pub fn guard_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split('\n') {
        out.push_str(&guard_line(line.strip_suffix('\r').unwrap_or(line)));
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Untrusted text inside a markdown table cell or paragraph of the job summary / issue body.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push_str("\\`"),
            '*' | '_' | '[' | ']' | '\\' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {}
            '\n' => out.push(' '),
            c if is_unsafe_char(c) => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_first_then_line_breaks() {
        assert_eq!(command_data("100%\r\n::x"), "100%25%0D%0A::x");
        assert_eq!(command_data("%0A"), "%250A");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(command_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A".to_string());
    }

    #[test]
    fn a_log_line_can_never_start_a_command() {
        for hostile in [
            "::add-mask::x",
            "   ::error::x",
            "job\n::add-mask::secret",
            "\t::stop-commands::tok",
            "##[set-output name=a]b",
            " \u{2028}::x",
            "a\u{85}::warning::x",
        ] {
            let line = guard_line(hostile);
            assert!(!line.contains('\n'), "{line}");
            assert!(!line.trim_start().starts_with("::"), "{line}");
        }
        assert_eq!(guard_line("plain text"), "plain text");
        assert_eq!(guard_line("esc\u{1b}[31m"), "esc\\u{1b}[31m");
        assert_eq!(command_data("a\u{0}b\u{2029}"), "a\\u{0}b\\u{2029}");
        let t = guard_text("error: invalid value '5\n::stop-commands::pwned' for x\n");
        assert!(t.lines().all(|l| !reads_as_command(l)), "{t}");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(markdown("a|b\n<script>"), "a\\|b &lt;script&gt;");
    }
}
