//! The `.env` file of a compose project (compose-go `dotenv`): `KEY=VALUE` lines, an optional
//! `export ` prefix, `#` comments; single-quoted values are literal, double-quoted ones know
//! `\n`, `\t`, `\\`, `\"` and are interpolated, unquoted ones are trimmed, lose a ` #` comment and
//! are interpolated. Interpolation sees the shell's variables and the lines above.

use std::collections::BTreeMap;

use super::interpolate::{Failure, interpolate};

/// At most this many variables (a `.env` is a few dozen lines).
const MAX_VARS: usize = 10_000;

/// The variables of a `.env` text, or why a line cannot be read (with its number).
pub fn parse(
    text: &str,
    shell: &dyn Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, String>, String> {
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((key, value)) = line.split_once('=') else {
            // `KEY` alone takes the shell's value, if any (compose-go `parseLine`).
            if is_key(line) {
                if let Some(v) = shell(line) {
                    vars.insert(line.to_string(), v);
                }
                continue;
            }
            return Err(format!("line {}: not KEY=VALUE", n + 1));
        };
        let key = key.trim();
        if !is_key(key) {
            return Err(format!("line {}: {key:?} is not a variable name", n + 1));
        }
        if vars.len() >= MAX_VARS {
            return Err(format!("more than {MAX_VARS} variables"));
        }
        let lookup = |k: &str| shell(k).or_else(|| vars.get(k).cloned());
        let value = value.trim_start();
        let parsed = if let Some(body) = value.strip_prefix('\'') {
            body.rfind('\'')
                .map(|end| body[..end].to_string())
                .ok_or_else(|| format!("line {}: an unclosed '", n + 1))?
        } else if let Some(body) = value.strip_prefix('"') {
            let end =
                closing_quote(body).ok_or_else(|| format!("line {}: an unclosed \"", n + 1))?;
            let unescaped = unescape(&body[..end]);
            expand(&unescaped, &lookup).map_err(|e| format!("line {}: {e}", n + 1))?
        } else {
            let value = match value.find(" #") {
                Some(i) => &value[..i],
                None => value,
            };
            expand(value.trim(), &lookup).map_err(|e| format!("line {}: {e}", n + 1))?
        };
        vars.insert(key.to_string(), parsed);
    }
    Ok(vars)
}

fn expand(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, Failure> {
    interpolate(s, lookup, &mut Vec::new())
}

fn is_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

/// The index of the first `"` not escaped by a backslash.
fn closing_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_quotes_comments_and_interpolation() {
        let shell = |k: &str| (k == "HOME").then(|| "/root".to_string());
        let text = "\
# a comment
TAG=v2
export REG = r.example
QUOTED='literal ${TAG}'
DQ=\"${REG}/app:${TAG}\\t!\"
INLINE=v3 # trailing comment
HOME
EMPTY=
";
        let v = parse(text, &shell).expect("parses");
        assert_eq!(v["TAG"], "v2");
        assert_eq!(v["REG"], "r.example");
        assert_eq!(v["QUOTED"], "literal ${TAG}");
        assert_eq!(v["DQ"], "r.example/app:v2\t!");
        assert_eq!(v["INLINE"], "v3");
        assert_eq!(v["HOME"], "/root");
        assert_eq!(v["EMPTY"], "");
        assert!(parse("NOT A LINE\n", &shell).is_err());
        assert!(parse("A='open\n", &shell).is_err());
    }
}
