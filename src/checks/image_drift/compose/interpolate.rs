//! Compose's variable substitution, as the compose specification defines it (compose-spec
//! `interpolation.md`; compose-go `template/template.go`): `$$`, `$VAR`, `${VAR}`,
//! `${VAR:-default}` / `${VAR-default}`, `${VAR:?error}` / `${VAR?error}`, `${VAR:+alt}` /
//! `${VAR+alt}`, where default, alternative and error may themselves hold substitutions. An unset
//! variable without a modifier is the empty string (compose warns and goes on); an unset
//! required one stops compose with `required variable VAR is missing a value: error`.

/// Nesting deeper than this is refused (hostile input: `${A:-${A:-${A:-…}}}`).
const MAX_DEPTH: usize = 32;
/// A value that grows past this is refused (each substitution may add a variable's value).
const MAX_OUT: usize = 64 * 1024;

/// Why a value cannot be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// `${VAR:?e}` / `${VAR?e}` with VAR unset (or empty, for `:?`): compose stops here.
    Required { var: String, reason: String },
    /// Not a template compose accepts (`${`, an unclosed brace, a bad name), or past a cap.
    Invalid(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // compose-go `MissingRequiredError.Error`.
            Failure::Required { var, reason } if reason.is_empty() => {
                write!(f, "required variable {var} is missing a value")
            }
            Failure::Required { var, reason } => {
                write!(f, "required variable {var} is missing a value: {reason}")
            }
            Failure::Invalid(why) => write!(f, "{why}"),
        }
    }
}

/// `text` with every substitution made from `env`; `unset` collects variables used without a
/// value or default (compose substitutes "" and warns).
pub fn interpolate(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<String, Failure> {
    let mut out = String::new();
    expand(text, env, unset, 0, &mut out)?;
    Ok(out)
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

fn push(out: &mut String, s: &str) -> Result<(), Failure> {
    if out.len() + s.len() > MAX_OUT {
        return Err(Failure::Invalid(format!(
            "a value grows past {MAX_OUT} bytes when interpolated"
        )));
    }
    out.push_str(s);
    Ok(())
}

fn expand(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
    depth: usize,
    out: &mut String,
) -> Result<(), Failure> {
    if depth > MAX_DEPTH {
        return Err(Failure::Invalid(format!(
            "substitutions nest deeper than {MAX_DEPTH}"
        )));
    }
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        push(out, &rest[..i])?;
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('$') {
            push(out, "$")?;
            rest = r;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = closing(inner).ok_or_else(|| {
                Failure::Invalid(format!("Invalid template: {text:?} (an unclosed ${{)"))
            })?;
            braced(&inner[..end], text, env, unset, depth, out)?;
            rest = &inner[end + 1..];
        } else if after.starts_with(is_name_start) {
            let n = after.find(|c: char| !is_name(c)).unwrap_or(after.len());
            let var = &after[..n];
            match env(var) {
                Some(v) => push(out, &v)?,
                None => unset.push(var.to_string()),
            }
            rest = &after[n..];
        } else {
            // A lone `$` (before a space, a digit, the end) stays as it is.
            push(out, "$")?;
            rest = after;
        }
    }
    push(out, rest)
}

/// The index of the `}` that closes a `${` whose text starts `s`, counting nested `${`.
fn closing(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'$') => i += 1,
            b'$' if b.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn braced(
    expr: &str,
    whole: &str,
    env: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
    depth: usize,
    out: &mut String,
) -> Result<(), Failure> {
    let n = expr.find(|c: char| !is_name(c)).unwrap_or(expr.len());
    let (var, op) = expr.split_at(n);
    if var.is_empty() || !var.starts_with(is_name_start) {
        return Err(Failure::Invalid(format!("Invalid template: {whole:?}")));
    }
    let value = env(var);
    let set = value.is_some();
    let non_empty = value.as_deref().is_some_and(|v| !v.is_empty());
    let (strict, modifier, arg) = match op.as_bytes() {
        [] => {
            match value {
                Some(v) => push(out, &v)?,
                None => unset.push(var.to_string()),
            }
            return Ok(());
        }
        // Modifiers are ASCII; checking that keeps the slices on character boundaries
        // (fuzzing found `${EMPTY:̘…}`, a combining mark after the colon).
        [b':', m, ..] if m.is_ascii() => (true, *m, &op[2..]),
        [m, ..] if m.is_ascii() => (false, *m, &op[1..]),
        _ => return Err(Failure::Invalid(format!("Invalid template: {whole:?}"))),
    };
    // `:` tests "set and not empty"; without it, "set".
    let present = if strict { non_empty } else { set };
    match modifier {
        b'-' if present => push(out, value.as_deref().unwrap_or_default()),
        b'-' => expand(arg, env, unset, depth + 1, out),
        b'+' if present => expand(arg, env, unset, depth + 1, out),
        b'+' => Ok(()),
        b'?' if present => push(out, value.as_deref().unwrap_or_default()),
        b'?' => {
            let mut reason = String::new();
            expand(arg, env, unset, depth + 1, &mut reason)?;
            Err(Failure::Required {
                var: var.to_string(),
                reason,
            })
        }
        _ => Err(Failure::Invalid(format!("Invalid template: {whole:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "TAG" => Some("v2".into()),
            "EMPTY" => Some(String::new()),
            "REG" => Some("r.example".into()),
            _ => None,
        }
    }

    fn run(s: &str) -> Result<String, Failure> {
        interpolate(s, &env, &mut Vec::new())
    }

    /// compose-spec interpolation.md, case by case.
    #[test]
    fn every_form_of_the_specification() {
        for (text, want) in [
            ("app:${TAG}", "app:v2"),
            ("app:$TAG", "app:v2"),
            ("app:${NOPE:-v1}", "app:v1"),
            ("app:${EMPTY:-v1}", "app:v1"),
            ("app:${EMPTY-v1}", "app:"),
            ("app:${NOPE-v1}", "app:v1"),
            ("app:${TAG:-v1}", "app:v2"),
            ("app:${TAG:+alt}", "app:alt"),
            ("app:${EMPTY:+alt}", "app:"),
            ("app:${EMPTY+alt}", "app:alt"),
            ("app:${NOPE+alt}", "app:"),
            ("app:${TAG:?need a tag}", "app:v2"),
            ("app:${EMPTY?set, even empty}", "app:"),
            (
                "${NOPE:-${REG}}/app:${NOPE:-${NOPE2:-v3}}",
                "r.example/app:v3",
            ),
            ("a$$b$${TAG}", "a$b${TAG}"),
            ("app:${NOPE}", "app:"),
            ("price $ 5", "price $ 5"),
            ("app:$1", "app:$1"),
        ] {
            assert_eq!(run(text).as_deref(), Ok(want), "{text}");
        }
    }

    #[test]
    fn required_variables_stop_with_composes_message() {
        assert_eq!(
            run("app:${NOPE:?set NOPE in .env}").map_err(|e| e.to_string()),
            Err("required variable NOPE is missing a value: set NOPE in .env".into())
        );
        assert_eq!(
            run("app:${EMPTY:?}").map_err(|e| e.to_string()),
            Err("required variable EMPTY is missing a value".into())
        );
        // The error text is interpolated too.
        assert_eq!(
            run("${NOPE?no tag for ${REG}}").map_err(|e| e.to_string()),
            Err("required variable NOPE is missing a value: no tag for r.example".into())
        );
    }

    #[test]
    fn unset_variables_are_collected_and_bad_templates_refused() {
        let mut unset = Vec::new();
        assert_eq!(
            interpolate("${A}:$B:${C:-x}", &env, &mut unset).as_deref(),
            Ok("::x")
        );
        assert_eq!(unset, ["A", "B"]);
        for bad in [
            "${",
            "app:${TAG",
            "${}",
            "${1A}",
            "${TAG:%x}",
            "${TAG!}",
            "x${EMPTY:\u{318}a}",
            "${TAGé}",
        ] {
            assert!(matches!(run(bad), Err(Failure::Invalid(_))), "{bad}");
        }
        // Hostile nesting and growth are bounded.
        let deep = format!("{}x{}", "${N:-".repeat(100), "}".repeat(100));
        assert!(matches!(run(&deep), Err(Failure::Invalid(_))));
        let big = |k: &str| (k == "B").then(|| "b".repeat(40_000));
        assert!(interpolate("$B$B", &big, &mut Vec::new()).is_err());
    }
}
