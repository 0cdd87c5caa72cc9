//! Just enough of the Actions expression language to name jobs statically: `${{ }}` segments
//! over the `matrix` context, literals, `format()`, `||`, `&&`, `==`, `!=` and `!`. Anything that
//! depends on run-time state (`github`, `vars`, `needs`, `inputs`, other functions) is reported as
//! unresolved, with a glob that stands for every name the segment could produce.

use serde_json::Value;

use super::matrix::{Leg, go_sprint};

/// Both forges only interpolate when both `${{` and `}}` appear.
pub fn contains_expression(s: &str) -> bool {
    s.contains("${{") && s.contains("}}")
}

/// Nesting of an expression (parentheses, `!`, calls, indexes), at most.
pub const MAX_DEPTH: usize = 50;
/// Characters of one `${{ }}` segment, at most.
pub const MAX_SOURCE: usize = 64 * 1024;
/// Bytes one interpolated text may grow to (a `format()` repeating a long value), at most.
pub const MAX_OUTPUT: usize = 64 * 1024;

/// A name that cannot be computed without running the workflow, or over a cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// A glob (unknown parts are `*`) matching every value the text could take.
    pub template: String,
    pub reason: String,
    /// Over one of the caps above (the reason names it), not merely unknown.
    pub capped: bool,
}

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fail {
    why: String,
    capped: bool,
}

impl From<String> for Fail {
    fn from(why: String) -> Fail {
        Fail { why, capped: false }
    }
}

impl From<&str> for Fail {
    fn from(why: &str) -> Fail {
        Fail::from(why.to_string())
    }
}

fn capped(why: String) -> Fail {
    Fail { why, capped: true }
}

/// Interpolates every `${{ }}` segment of `text` with the given matrix leg.
pub fn interpolate(text: &str, leg: &Leg) -> Result<String, Unresolved> {
    let mut out = String::new();
    let mut template = String::new();
    let mut reason: Option<Fail> = None;
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let lit = &rest[..start];
        out.push_str(lit);
        template.push_str(&glob_escape(lit));
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else {
            // An unclosed expression is left as text, as act leaves it.
            out.push_str(&rest[start..]);
            template.push_str(&glob_escape(&rest[start..]));
            rest = "";
            break;
        };
        let src = &after[..end];
        match eval(src, leg) {
            Ok(v) => {
                let s = to_text(&v);
                template.push_str(&glob_escape(&s));
                out.push_str(&s);
            }
            Err(f) => {
                template.push('*');
                let shown = if src.chars().count() > 80 {
                    format!("{}…", src.chars().take(80).collect::<String>())
                } else {
                    src.to_string()
                };
                reason.get_or_insert(Fail {
                    why: format!("`${{{{{shown}}}}}` {}", f.why),
                    capped: f.capped,
                });
            }
        }
        if out.len() > MAX_OUTPUT || template.len() > MAX_OUTPUT {
            reason = Some(capped(format!(
                "the name grows past {MAX_OUTPUT} bytes (driftgate's cap)"
            )));
            break;
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    template.push_str(&glob_escape(rest));
    match reason {
        None => Ok(out),
        Some(f) => Err(Unresolved {
            template,
            reason: f.why,
            capped: f.capped,
        }),
    }
}

/// Escapes glob metacharacters so a literal text matches only itself.
pub fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// How an expression value reads when interpolated into a string.
fn to_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Array(_) => "Array".into(),
        Value::Object(_) => "Object".into(),
        other => go_sprint(other),
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

fn eval(src: &str, leg: &Leg) -> Result<Value, Fail> {
    if src.len() > MAX_SOURCE {
        return Err(capped(format!(
            "is longer than {MAX_SOURCE} bytes (driftgate's cap)"
        )));
    }
    let tokens = lex(src)?;
    let mut p = Parser {
        t: &tokens,
        i: 0,
        leg,
        depth: 0,
    };
    let v = p.or()?;
    if p.i != tokens.len() {
        return Err("is not an expression driftgate can evaluate".into());
    }
    Ok(v)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Punct(&'static str),
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("has an unterminated string".into()),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        s.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(s));
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let n = text
                .parse::<f64>()
                .map_err(|_| format!("has a number driftgate cannot read ({text})"))?;
            out.push(Tok::Num(n));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '-')
            {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let p = match two.as_str() {
                "||" => "||",
                "&&" => "&&",
                "==" => "==",
                "!=" => "!=",
                _ => match c {
                    '!' => "!",
                    '(' => "(",
                    ')' => ")",
                    '[' => "[",
                    ']' => "]",
                    '.' => ".",
                    ',' => ",",
                    _ => return Err(format!("uses {c:?}, which driftgate does not evaluate")),
                },
            };
            i += p.len();
            out.push(Tok::Punct(p));
        }
    }
    Ok(out)
}

struct Parser<'a> {
    t: &'a [Tok],
    i: usize,
    leg: &'a Leg,
    /// Current nesting, bounded by [`MAX_DEPTH`] so that `((((…))))` cannot exhaust the stack.
    depth: usize,
}

impl Parser<'_> {
    fn peek_punct(&self, p: &str) -> bool {
        matches!(self.t.get(self.i), Some(Tok::Punct(x)) if *x == p)
    }

    fn expect(&mut self, p: &str) -> Result<(), Fail> {
        if self.peek_punct(p) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("is missing {p:?}").into())
        }
    }

    /// One level deeper; fails past [`MAX_DEPTH`].
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Fail>) -> Result<T, Fail> {
        if self.depth >= MAX_DEPTH {
            return Err(capped(format!(
                "nests deeper than {MAX_DEPTH} levels (driftgate's cap)"
            )));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn or(&mut self) -> Result<Value, Fail> {
        self.nested(Self::or_inner)
    }

    fn or_inner(&mut self) -> Result<Value, Fail> {
        let mut v = self.and()?;
        while self.peek_punct("||") {
            self.i += 1;
            let r = self.and()?;
            if !truthy(&v) {
                v = r;
            }
        }
        Ok(v)
    }

    fn and(&mut self) -> Result<Value, Fail> {
        let mut v = self.cmp()?;
        while self.peek_punct("&&") {
            self.i += 1;
            let r = self.cmp()?;
            if truthy(&v) {
                v = r;
            }
        }
        Ok(v)
    }

    fn cmp(&mut self) -> Result<Value, Fail> {
        let l = self.unary()?;
        for op in ["==", "!="] {
            if self.peek_punct(op) {
                self.i += 1;
                let r = self.unary()?;
                let eq = loose_eq(&l, &r);
                return Ok(Value::Bool(if op == "==" { eq } else { !eq }));
            }
        }
        Ok(l)
    }

    fn unary(&mut self) -> Result<Value, Fail> {
        if self.peek_punct("!") {
            self.i += 1;
            let v = self.nested(Self::unary)?;
            return Ok(Value::Bool(!truthy(&v)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Value, Fail> {
        let tok = self.t.get(self.i).cloned().ok_or("ends early")?;
        self.i += 1;
        match tok {
            Tok::Str(s) => Ok(Value::String(s)),
            Tok::Num(n) => Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)),
            Tok::Punct("(") => {
                let v = self.or()?;
                self.expect(")")?;
                Ok(v)
            }
            Tok::Ident(id) => match id.as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                "null" => Ok(Value::Null),
                "matrix" => self.path(Value::Object(self.leg.clone())),
                _ if self.peek_punct("(") => self.call(&id),
                other => Err(format!("reads `{other}`, known only at run time").into()),
            },
            Tok::Punct(p) => Err(format!("has an unexpected {p:?}").into()),
        }
    }

    fn path(&mut self, mut v: Value) -> Result<Value, Fail> {
        loop {
            if self.peek_punct(".") {
                self.i += 1;
                let Some(Tok::Ident(key)) = self.t.get(self.i).cloned() else {
                    return Err("has a property access driftgate cannot read".into());
                };
                self.i += 1;
                v = property(&v, &key);
            } else if self.peek_punct("[") {
                self.i += 1;
                let idx = self.or()?;
                self.expect("]")?;
                v = match (&v, &idx) {
                    (Value::Array(a), Value::Number(n)) => n
                        .as_f64()
                        .and_then(|f| a.get(f as usize).cloned())
                        .unwrap_or(Value::Null),
                    (_, Value::String(k)) => property(&v, k),
                    _ => Value::Null,
                };
            } else {
                return Ok(v);
            }
        }
    }

    fn call(&mut self, name: &str) -> Result<Value, Fail> {
        self.expect("(")?;
        let mut args = Vec::new();
        if !self.peek_punct(")") {
            loop {
                args.push(self.or()?);
                if self.peek_punct(",") {
                    self.i += 1;
                } else {
                    break;
                }
            }
        }
        self.expect(")")?;
        match name.to_ascii_lowercase().as_str() {
            "format" => format_fn(&args),
            _ => Err(format!("calls {name}(), which driftgate does not evaluate").into()),
        }
    }
}

/// Property access is case-insensitive in the expression language.
fn property(v: &Value, key: &str) -> Value {
    match v {
        Value::Object(m) => m
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn format_fn(args: &[Value]) -> Result<Value, Fail> {
    let Some(Value::String(fmt)) = args.first() else {
        return Err("calls format() without a string".into());
    };
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '{' if chars.get(i + 1) == Some(&'{') => {
                out.push('{');
                i += 2;
            }
            '}' if chars.get(i + 1) == Some(&'}') => {
                out.push('}');
                i += 2;
            }
            '{' => {
                let end = chars[i..]
                    .iter()
                    .position(|c| *c == '}')
                    .ok_or("has an unclosed format placeholder")?;
                let idx: String = chars[i + 1..i + end].iter().collect();
                let n: usize = idx
                    .trim()
                    .parse()
                    .map_err(|_| "has a bad format placeholder")?;
                let arg = args
                    .get(n + 1)
                    .ok_or("has a format placeholder without argument")?;
                out.push_str(&to_text(arg));
                i += end + 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
        if out.len() > MAX_OUTPUT {
            return Err(capped(format!(
                "format() produces more than {MAX_OUTPUT} bytes (driftgate's cap)"
            )));
        }
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn leg(v: Value) -> Leg {
        v.as_object().expect("object").clone()
    }

    #[test]
    fn matrix_references_and_format_resolve() {
        let l = leg(json!({"os": "debian", "cacher": {"name": "redis"}, "py": 3.1, "n": 2}));
        assert_eq!(
            interpolate("build (${{ matrix.os }})", &l),
            Ok("build (debian)".into())
        );
        assert_eq!(
            interpolate(
                "${{ format('test-remote-cacher ({0})', matrix.cacher.name) }}",
                &l
            ),
            Ok("test-remote-cacher (redis)".into())
        );
        assert_eq!(
            interpolate("py${{matrix.py}}-${{ matrix.n }}", &l),
            Ok("py3.1-2".into())
        );
        assert_eq!(
            interpolate("${{ matrix.missing || 'dflt' }}", &l),
            Ok("dflt".into())
        );
        assert_eq!(
            interpolate("x ${{ matrix['os'] }}", &l),
            Ok("x debian".into())
        );
        assert_eq!(interpolate("${{ matrix.missing }}", &l), Ok("".into()));
    }

    #[test]
    fn run_time_contexts_are_unresolved_with_a_glob_template() {
        let l = leg(json!({"os": "a"}));
        let u = interpolate("deploy ${{ github.ref_name }} (${{ matrix.os }})", &l)
            .expect_err("run time");
        assert_eq!(u.template, "deploy * (a)");
        assert!(u.reason.contains("github"), "{}", u.reason);
        let u = interpolate("[x] ${{ toJSON(matrix) }}", &l).expect_err("unknown fn");
        assert_eq!(u.template, "\\[x\\] *");
    }
}
