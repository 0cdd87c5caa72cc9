//! YAML reading for every input driftgate parses (workflows, compose files, manifests), with
//! budgets so that hostile input (alias bombs, deep nesting, huge files) fails fast and small.

pub mod go;
pub mod tree;

use serde::de::DeserializeOwned;

/// Files larger than this are refused before parsing: no real workflow or compose file is.
pub const MAX_FILE_BYTES: usize = 2 * 1024 * 1024;

/// A parse failure with a one-line reason and, where known, the line it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub line: Option<usize>,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    // A large real workflow is a few thousand events; these limits leave room for 100x that
    // while an alias bomb hits them within milliseconds.
    budget.max_events = 200_000;
    budget.max_nodes = 100_000;
    budget.max_aliases = 2_000;
    budget.max_anchors = 2_000;
    budget.max_depth = 64;
    budget.max_documents = 1;
    budget.max_recorded_anchor_events = 100_000;
    budget.max_recorded_anchor_bytes = 4 * 1024 * 1024;
    budget.max_total_scalar_bytes = 8 * 1024 * 1024;
    let mut alias = serde_saphyr::options::AliasLimits::default();
    alias.max_total_replayed_events = 100_000;
    alias.max_replay_stack_depth = 16;
    let mut o = serde_saphyr::Options::default();
    o.budget = Some(budget);
    o.alias_limits = alias;
    // `yes`, `no`, `on`, `off` stay strings, as Go's yaml.v3 reads them into interface{}.
    o.strict_booleans = true;
    o.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    o.with_snippet = false;
    o
}

/// Parses one YAML document into `T` under the budgets above.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(YamlError {
            message: format!(
                "file is {} bytes, over the {} byte limit",
                text.len(),
                MAX_FILE_BYTES
            ),
            line: None,
        });
    }
    serde_saphyr::from_str_with_options(text, options()).map_err(|e| {
        let line = e.location().map(|l| l.line() as usize).filter(|l| *l > 0);
        // The first line of the message is the reason; the rest would be a source excerpt.
        let first = e.to_string();
        let first = first.lines().next().unwrap_or("invalid YAML");
        let message = if first.contains("budget") {
            format!("{first} (driftgate's cap on YAML nodes, aliases and nesting)")
        } else {
            first.to_string()
        };
        YamlError { message, line }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn numbers_keep_their_yaml_type_and_on_is_a_key() {
        let v: Value =
            parse("on: push\na: 3.10\nb: 3\nc: 3.0\nd: yes\ne: '3.10'\n").expect("parse");
        assert_eq!(v["on"], "push");
        assert!(v["a"].is_f64() && v["a"].as_f64() == Some(3.1));
        assert!(v["b"].is_i64());
        assert!(v["c"].is_f64());
        assert_eq!(v["d"], "yes");
        assert_eq!(v["e"], "3.10");
    }

    #[test]
    fn an_alias_bomb_is_refused_quickly() {
        let mut doc = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
        let mut prev = "a";
        for n in names {
            doc.push_str(&format!(
                "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
            prev = n;
        }
        let start = std::time::Instant::now();
        let r: Result<Value, _> = parse(&doc);
        assert!(r.is_err(), "an alias bomb must not parse");
        // Not a timing assertion on the product: a guard that the budget, not luck, stopped it.
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn duplicate_keys_and_syntax_errors_carry_a_line() {
        let e = parse::<Value>("a: 1\na: 2\n").expect_err("duplicate");
        assert!(e.message.to_lowercase().contains("duplicate"), "{e}");
        let e = parse::<Value>("a: [1, 2\nb: 3\n").expect_err("syntax");
        assert!(e.line.is_some(), "{e:?}");
    }
}
