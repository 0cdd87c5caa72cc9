//! Every byte of text that reaches the runner's log may come from a workflow file, a remote body
//! or a container label. The escaping in `report::escape` must keep it data: it can never end the
//! line it is on or start a workflow command; the JSON report's strings must be serde_json's.
#![no_main]

use driftgate::report::escape::{
    command_data, command_property, guard_line, is_unsafe_char, log_text, markdown,
};
use libfuzzer_sys::fuzz_target;

/// Characters a runner, terminal or markdown renderer may treat as the end of a line.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// The toolkit's unescaping (`%0D`, `%0A`, `%25`, and for properties `%3A`, `%2C`), read left to
/// right so that `%250A` becomes `%0A`, not a line feed.
fn unescape(s: &str, property: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3);
        let c = match code {
            Some("25") => Some('%'),
            Some("0D") => Some('\r'),
            Some("0A") => Some('\n'),
            Some("3A") if property => Some(':'),
            Some("2C") if property => Some(','),
            _ => None,
        };
        match c {
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

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let s = s.as_ref();

    // The JSON report's own string writer: exactly serde_json's bytes, and they read back.
    let mut json = Vec::new();
    driftgate::report::pretty::string(&mut json, s);
    let reference = serde_json::to_string(s).expect("serde_json writes any str");
    assert_eq!(
        String::from_utf8_lossy(&json),
        reference,
        "pretty::string({s:?}) differs from serde_json"
    );

    // CR and LF are escaped reversibly, as the toolkit does; other unsafe characters are made
    // visible on purpose, so only the rest of the text round-trips.
    let safe: String = s
        .chars()
        .filter(|c| matches!(c, '\r' | '\n') || !is_unsafe_char(*c))
        .collect();
    let d = command_data(s);
    assert!(!d.chars().any(is_unsafe_char), "command_data({s:?}) = {d:?}");
    assert_eq!(
        unescape(&command_data(&safe), false),
        safe,
        "command_data does not round-trip"
    );

    let p = command_property(s);
    assert!(!p.chars().any(is_unsafe_char), "command_property({s:?}) = {p:?}");
    assert!(!p.contains([':', ',']), "command_property({s:?}) = {p:?}");
    assert_eq!(
        unescape(&command_property(&safe), true),
        safe,
        "command_property does not round-trip"
    );

    let l = log_text(s);
    assert!(
        !l.chars().any(|c| c.is_control() || is_line_break(c)),
        "log_text({s:?}) = {l:?}"
    );

    let g = guard_line(s);
    assert!(!g.chars().any(is_line_break), "guard_line({s:?}) = {g:?}");
    let start = g.trim_start();
    assert!(
        !start.starts_with("::") && !start.starts_with("##["),
        "guard_line({s:?}) = {g:?} starts a workflow command"
    );

    // CommonMark ends a line only at LF, CR or CRLF; other controls are dropped.
    let m = markdown(s);
    assert!(
        !m.chars().any(char::is_control),
        "markdown({s:?}) = {m:?} can end its table row"
    );
    assert!(
        !m.contains(['<', '>']),
        "markdown({s:?}) = {m:?} can open HTML"
    );
    // Every `|` is escaped: a backslash before it that is not itself escaped.
    let chars: Vec<char> = m.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == '|' {
            let backslashes = chars[..i].iter().rev().take_while(|b| **b == '\\').count();
            assert!(
                backslashes % 2 == 1,
                "markdown({s:?}) = {m:?} has a bare `|`"
            );
        }
    }
});
