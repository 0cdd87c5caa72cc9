//! Escaping for everything driftgate prints. Text from workflow files, remote bodies and container
//! labels is untrusted: it must never be able to start a workflow-command line (`::add-mask::`,
//! `::set-env::`, `::stop-commands::` ...), which the runners read from stdout and stderr.

/// Workflow-command data (the message after the second `::`), as the Actions toolkit escapes it:
/// `%` first, then CR and LF, so the message can never span a line.
pub fn command_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow-command property values (`title=`, `file=`): as data, plus `:` and `,`.
pub fn command_property(s: &str) -> String {
    command_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Untrusted text for one line of the human log: control characters become visible escapes, so
/// the text cannot end the line it is on.
pub fn log_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A finished log line that carries untrusted text. Runners trim leading white space before they
/// look for `::` (the GitHub runner does; act anchors at the line start), so such a line gets a
/// visible prefix instead of being able to act as a command.
pub fn guard_line(line: &str) -> String {
    let one_line = log_text(line);
    if one_line.trim_start().starts_with("::") {
        format!("> {one_line}")
    } else {
        one_line
    }
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
            c if c.is_control() => {}
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
        ] {
            let line = guard_line(hostile);
            assert!(!line.contains('\n'), "{line}");
            assert!(!line.trim_start().starts_with("::"), "{line}");
        }
        assert_eq!(guard_line("plain text"), "plain text");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(markdown("a|b\n<script>"), "a\\|b &lt;script&gt;");
    }
}
