//! Property tests of `report::escape` over arbitrary text: arbitrary Unicode mixed with the
//! fragments that matter to a runner (`::`, `##[`, `%`, escapes, CR/LF, U+0085, U+2028, U+2029,
//! other controls). What comes from a workflow file, a remote body or a container label must never
//! end its line or start a workflow command, and the toolkit escaping must be lossless.

use driftgate::report::escape::{
    command_data, command_property, guard_line, is_unsafe_char, log_text, markdown,
};
use proptest::prelude::*;

/// Characters a runner, log viewer or terminal may treat as the end of a line.
const LINE_BREAKS: [char; 7] = [
    '\n', '\r', '\u{0B}', '\u{0C}', '\u{85}', '\u{2028}', '\u{2029}',
];

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2048,
        // Regressions are reproduced from the printed minimal input; no files are written.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text built from hostile fragments and arbitrary characters.
fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => any::<char>().prop_map(String::from),
        2 => "[a-z ]{1,4}",
        1 => (0u32..0x20).prop_map(|c| char::from_u32(c).map(String::from).unwrap_or_default()),
        1 => (0x7fu32..0xa0).prop_map(|c| char::from_u32(c).map(String::from).unwrap_or_default()),
        2 => prop::sample::select(vec![
            "::", "##[", "%", "\r", "\n", "\r\n", "\u{85}", "\u{2028}", "\u{2029}", "%0A", "%0D",
            "%25", "%3A", "%2C", "%250A", ":", ",", " ", "\t", "\u{a0}", "\u{feff}",
            "::add-mask::", "::error file=a,line=1::", "##[group]", "##[error]", "::stop-commands::",
        ])
        .prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

/// The Actions toolkit's unescaping, read left to right: `%25` → `%`, `%0D` → CR, `%0A` → LF,
/// and for properties also `%3A` → `:`, `%2C` → `,`; anything else stays as it is.
/// The text without the characters escaping makes visible rather than reversible (CR and LF
/// stay: the toolkit's escaping reverses them).
fn safe_part(s: &str) -> String {
    s.chars()
        .filter(|c| matches!(c, '\r' | '\n') || !is_unsafe_char(*c))
        .collect()
}

fn unescape(s: &str, property: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let decoded = match rest.get(i + 1..i + 3) {
            Some("25") => Some('%'),
            Some("0D") => Some('\r'),
            Some("0A") => Some('\n'),
            Some("3A") if property => Some(':'),
            Some("2C") if property => Some(','),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[i + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

proptest! {
    #![proptest_config(config())]

    // (a) Workflow-command data and properties never span a line.
    #[test]
    fn command_data_has_no_cr_or_lf(s in hostile()) {
        let out = command_data(&s);
        prop_assert!(!out.contains(['\r', '\n']), "{:?} -> {:?}", s, out);
    }

    #[test]
    fn command_property_has_no_cr_lf_colon_or_comma(s in hostile()) {
        let out = command_property(&s);
        prop_assert!(!out.contains(['\r', '\n', ':', ',']), "{:?} -> {:?}", s, out);
    }

    // (b) A guarded log line never starts a workflow command and never ends early.
    #[test]
    fn guard_line_never_starts_with_double_colon(s in hostile()) {
        let out = guard_line(&s);
        prop_assert!(!out.trim_start().starts_with("::"), "{:?} -> {:?}", s, out);
    }

    #[test]
    fn guard_line_never_starts_with_hash_bracket(s in hostile()) {
        let out = guard_line(&s);
        prop_assert!(!out.trim_start().starts_with("##["), "{:?} -> {:?}", s, out);
    }

    #[test]
    fn guard_line_has_no_cr_or_lf(s in hostile()) {
        let out = guard_line(&s);
        prop_assert!(!out.contains(['\r', '\n']), "{:?} -> {:?}", s, out);
    }

    #[test]
    fn guard_line_has_no_line_break_characters(s in hostile()) {
        let out = guard_line(&s);
        prop_assert!(!out.contains(LINE_BREAKS), "{:?} -> {:?}", s, out);
    }

    #[test]
    fn log_text_has_no_control_characters(s in hostile()) {
        let out = log_text(&s);
        prop_assert!(!out.chars().any(char::is_control), "{:?} -> {:?}", s, out);
    }

    // (c) The toolkit escaping is lossless: the runner's unescaping gives the input back.
    #[test]
    fn command_data_round_trips(s in hostile()) {
        // CR and LF are escaped as the toolkit does; other unsafe characters are made visible
        // on purpose (a runner would print them raw), so only safe text round-trips.
        let safe = safe_part(&s);
        prop_assert_eq!(unescape(&command_data(&safe), false), safe);
        prop_assert!(!command_data(&s).chars().any(is_unsafe_char), "{:?}", s);
    }

    #[test]
    fn command_property_round_trips(s in hostile()) {
        let safe = safe_part(&s);
        prop_assert_eq!(unescape(&command_property(&safe), true), safe);
        prop_assert!(!command_property(&s).chars().any(is_unsafe_char), "{:?}", s);
    }

    // The summary's table cells: no line end, no HTML, every `|` escaped.
    #[test]
    fn markdown_cells_stay_in_their_row(s in hostile()) {
        let out = markdown(&s);
        prop_assert!(!out.chars().any(char::is_control), "{:?} -> {:?}", s, out);
        prop_assert!(!out.contains(['<', '>']), "{:?} -> {:?}", s, out);
        let chars: Vec<char> = out.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            if *c == '|' {
                let backslashes = chars[..i].iter().rev().take_while(|b| **b == '\\').count();
                prop_assert!(backslashes % 2 == 1, "{:?} -> {:?}: bare `|`", s, out);
            }
        }
    }
}

// The same failing properties as fixed examples, for whoever fixes escape.rs.

#[test]
fn a_hash_bracket_command_is_guarded() {
    for hostile in ["##[group]x", "  ##[error]boom", "\t##[warning]w"] {
        let out = guard_line(hostile);
        assert!(
            !out.trim_start().starts_with("##["),
            "{hostile:?} -> {out:?}"
        );
    }
}

#[test]
fn unicode_line_separators_are_escaped() {
    for hostile in ["x\u{2028}::add-mask::s", "x\u{2029}::add-mask::s"] {
        let out = guard_line(hostile);
        assert!(!out.contains(LINE_BREAKS), "{hostile:?} -> {out:?}");
    }
}

#[test]
fn next_line_u0085_is_escaped() {
    let out = guard_line("x\u{85}::add-mask::s");
    assert!(!out.contains(LINE_BREAKS), "{out:?}");
}
