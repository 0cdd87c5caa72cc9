//! A YAML document as the forges' Go decoder (yaml.v3) sees it, built from the events of
//! `granit-parser`: every scalar keeps its source text, its style (plain or quoted) and its tag,
//! so that a Go `string` field gets the text as written (`name: 3.10` is `3.10`) and an
//! `interface{}` gets what yaml.v3's resolver makes of it (see `go.rs`).
//!
//! Hostile input is bounded: events, nodes (alias copies included), nesting, aliases, anchors
//! and scalar bytes all have budgets, and one document at most is read. Duplicate keys are
//! refused as yaml.v3 refuses them (`decode.go` `mapping`: same kind and same text), and merge
//! keys (`<<`) are applied as yaml.v3 applies them (`merge`: explicit keys win, then the first
//! merged mapping that has a key).

use foldhash::{HashMap, HashMapExt, HashSet};
use std::rc::Rc;

use granit_parser::{Event, Options, Parser, ScalarStyle};

use super::YamlError;

/// Parse events per document, at most.
pub const MAX_EVENTS: usize = 400_000;
/// Nodes per document (alias copies counted), at most.
pub const MAX_NODES: usize = 100_000;
/// Nesting of sequences and mappings, at most.
pub const MAX_DEPTH: usize = 64;
/// Aliases and anchors per document, at most.
pub const MAX_ALIASES: usize = 2_000;
/// Bytes of scalar text per document (alias copies counted), at most.
pub const MAX_SCALAR_BYTES: usize = 8 * 1024 * 1024;

/// How a scalar was written: yaml.v3 resolves only plain scalars; quoted and block scalars are
/// strings (`Node.indicatedString`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    /// The text after escape processing, as yaml.v3's `Node.Value`.
    pub text: String,
    pub style: Style,
    /// The tag in yaml.v3's short form (`!!str`, `!custom`), if one was written.
    pub tag: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    /// Pairs in document order, merge keys already applied.
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line where the node starts.
    pub line: usize,
    pub value: Value,
}

/// A collection being built.
struct Frame {
    line: usize,
    anchor: usize,
    map: bool,
    items: Vec<Node>,
    size: usize,
    /// Scalar bytes of the items so far (alias copies counted), so that an anchor's cost is
    /// known without walking its tree again at every enclosing end.
    bytes: usize,
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Rc<Node>, usize, usize)>,
    nodes: usize,
    scalar_bytes: usize,
    aliases: usize,
    root: Option<Node>,
    documents: usize,
}

fn err(line: usize, message: impl Into<String>) -> YamlError {
    YamlError {
        message: message.into(),
        line: (line > 0).then_some(line),
    }
}

fn budget(line: usize, what: &str) -> YamlError {
    err(
        line,
        format!("budget breached: more than {what} (driftgate's cap on YAML size and nesting)"),
    )
}

impl Builder {
    fn spend(&mut self, nodes: usize, bytes: usize, line: usize) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(nodes);
        self.scalar_bytes = self.scalar_bytes.saturating_add(bytes);
        if self.nodes > MAX_NODES {
            return Err(budget(line, &format!("{MAX_NODES} nodes")));
        }
        if self.scalar_bytes > MAX_SCALAR_BYTES {
            return Err(budget(
                line,
                &format!("{MAX_SCALAR_BYTES} bytes of scalars"),
            ));
        }
        Ok(())
    }

    /// A finished node: into its parent, or the document root; remembered under its anchor.
    fn push(
        &mut self,
        node: Node,
        anchor: usize,
        size: usize,
        bytes: usize,
    ) -> Result<(), YamlError> {
        if anchor != 0 {
            if self.anchors.len() >= MAX_ALIASES {
                return Err(budget(node.line, &format!("{MAX_ALIASES} anchors")));
            }
            self.anchors
                .insert(anchor, (Rc::new(node.clone()), size, bytes));
        }
        match self.stack.last_mut() {
            Some(f) => {
                f.size += size;
                f.bytes += bytes;
                f.items.push(node);
            }
            None => {
                if self.root.is_some() {
                    return Err(err(node.line, "more than one YAML document"));
                }
                self.root = Some(node);
            }
        }
        Ok(())
    }
}

/// Parses one YAML document into a tree. An empty stream is a null scalar.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    let mut opts = Options::default();
    opts.flow_nesting_limit = MAX_DEPTH + 1;
    opts.block_nesting_limit = MAX_DEPTH + 1;
    let parser = Parser::new_from_str_with_options(text, opts);
    let mut b = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        scalar_bytes: 0,
        aliases: 0,
        root: None,
        documents: 0,
    };
    for (n, event) in parser.enumerate() {
        if n > MAX_EVENTS {
            return Err(budget(0, &format!("{MAX_EVENTS} parse events")));
        }
        let (event, span) = event.map_err(|e| err(e.marker().line(), e.info()))?;
        let line = span.start.line();
        match event {
            Event::DocumentStart(..) => {
                b.documents += 1;
                if b.documents > 1 {
                    return Err(err(line, "more than one YAML document"));
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                b.spend(1, value.len(), line)?;
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    _ => Style::Block,
                };
                let tag = tag.map(|t| short_tag(&t.to_string(), t.handle(), t.suffix()));
                let bytes = value.len();
                let node = Node {
                    line,
                    value: Value::Scalar(Scalar {
                        text: value.into_owned(),
                        style,
                        tag,
                    }),
                };
                b.push(node, anchor, 1, bytes)?;
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                if b.stack.len() >= MAX_DEPTH {
                    return Err(budget(line, &format!("{MAX_DEPTH} levels of nesting")));
                }
                b.spend(1, 0, line)?;
                b.stack.push(Frame {
                    line,
                    anchor,
                    map: matches!(event, Event::MappingStart(..)),
                    items: Vec::new(),
                    size: 1,
                    bytes: 0,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(f) = b.stack.pop() else {
                    return Err(err(line, "unbalanced YAML structure"));
                };
                // A merge key drops the `<<` pair and any merged pair an explicit key
                // overrides: such a mapping's bytes are counted on what it holds.
                let (value, merged) = if f.map {
                    let (pairs, merged) = mapping(f.items, f.line)?;
                    (Value::Map(pairs), merged)
                } else {
                    (Value::Seq(f.items), false)
                };
                let node = Node {
                    line: f.line,
                    value,
                };
                // (Walked for every merged mapping, anchored or not, so that enclosing
                // mappings' sums stay exact; nesting and nodes are capped, so this is bounded.)
                let bytes = if merged { scalar_bytes(&node) } else { f.bytes };
                b.push(node, f.anchor, f.size, bytes)?;
            }
            Event::Alias(id) => {
                b.aliases += 1;
                if b.aliases > MAX_ALIASES {
                    return Err(budget(line, &format!("{MAX_ALIASES} aliases")));
                }
                let Some((node, size, bytes)) = b.anchors.get(&id).cloned() else {
                    return Err(err(
                        line,
                        "an alias refers to an anchor whose value contains it, or to none",
                    ));
                };
                b.spend(size, bytes, line)?;
                let mut copy = (*node).clone();
                copy.line = line;
                b.push(copy, 0, size, bytes)?;
            }
            Event::UnresolvedAlias(name) => {
                return Err(err(line, format!("unknown anchor '{name}' referenced")));
            }
            _ => {}
        }
    }
    Ok(b.root.unwrap_or(Node {
        line: 1,
        value: Value::Scalar(Scalar {
            text: String::new(),
            style: Style::Plain,
            tag: None,
        }),
    }))
}

/// yaml.v3's short form of a tag: `tag:yaml.org,2002:str` is `!!str`; others as written.
fn short_tag(display: &str, handle: &str, suffix: &str) -> String {
    if handle == "tag:yaml.org,2002:" {
        format!("!!{suffix}")
    } else if let Some(rest) = display.strip_prefix("tag:yaml.org,2002:") {
        format!("!!{rest}")
    } else {
        display.to_string()
    }
}

/// Whether a key is a merge key (`isMerge`): a plain `<<` without a tag, or tagged `!!merge`.
fn is_merge(k: &Node) -> bool {
    match &k.value {
        Value::Scalar(s) => {
            s.text == "<<"
                && s.style == Style::Plain
                && matches!(s.tag.as_deref(), None | Some("!") | Some("!!merge"))
        }
        _ => false,
    }
}

/// The identity yaml.v3 compares keys by for duplicates: kind and text.
fn key_identity(k: &Node) -> (u8, &str) {
    match &k.value {
        Value::Scalar(s) => (0, s.text.as_str()),
        Value::Seq(_) => (1, ""),
        Value::Map(_) => (2, ""),
    }
}

/// Scalar bytes of a node's tree (alias copies counted); only for merged mappings, whose
/// bytes are not the sum of their items'.
fn scalar_bytes(n: &Node) -> usize {
    match &n.value {
        Value::Scalar(s) => s.text.len(),
        Value::Seq(items) => items.iter().map(scalar_bytes).sum(),
        Value::Map(pairs) => pairs
            .iter()
            .map(|(k, v)| scalar_bytes(k) + scalar_bytes(v))
            .sum(),
    }
}

/// Keys up to which a mapping's duplicates are found by comparing pairs.
const SMALL_MAPPING: usize = 16;

/// The pairs of a mapping: duplicates refused, merge keys applied.
/// Also says whether a merge key was applied.
fn mapping(items: Vec<Node>, line: usize) -> Result<(Vec<(Node, Node)>, bool), YamlError> {
    if !items.len().is_multiple_of(2) {
        return Err(err(line, "a mapping key without a value"));
    }
    // Most mappings have a handful of keys: comparing with each earlier one is cheaper than
    // hashing; long ones (hostile or generated) get a map, so nothing is quadratic.
    let keys = items.len() / 2;
    let mut seen: HashMap<(u8, &str), usize> = HashMap::new();
    for (n, k) in items.iter().step_by(2).enumerate() {
        let earlier = if keys <= SMALL_MAPPING {
            let id = key_identity(k);
            items
                .iter()
                .step_by(2)
                .take(n)
                .find(|e| key_identity(e) == id)
                .map(|e| e.line)
        } else {
            seen.insert(key_identity(k), k.line)
        };
        if let Some(first) = earlier {
            let shown = match &k.value {
                Value::Scalar(s) => s.text.as_str(),
                _ => "",
            };
            return Err(err(
                k.line,
                format!("mapping key {shown:?} already defined at line {first}"),
            ));
        }
    }
    let mut pairs: Vec<(Node, Node)> = Vec::with_capacity(items.len() / 2);
    let mut merge: Option<Node> = None;
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        if is_merge(&k) {
            merge = Some(v);
        } else {
            pairs.push((k, v));
        }
    }
    let merged = merge.is_some();
    if let Some(m) = merge {
        let sources: Vec<Node> = match m.value {
            Value::Map(_) => vec![m],
            Value::Seq(items) => items,
            Value::Scalar(_) => {
                return Err(err(
                    m.line,
                    "map merge requires map or sequence of maps as the value",
                ));
            }
        };
        let mut present: HashSet<String> = pairs.iter().map(|(k, _)| merged_key(k)).collect();
        for s in sources {
            let Value::Map(more) = s.value else {
                return Err(err(
                    s.line,
                    "map merge requires map or sequence of maps as the value",
                ));
            };
            for (k, v) in more {
                if present.insert(merged_key(&k)) {
                    pairs.push((k, v));
                }
            }
        }
    }
    Ok((pairs, merged))
}

/// The key as the merged map compares it (its decoded value; scalars by text is close enough
/// for string keys, which is all workflows and compose files use).
fn merged_key(k: &Node) -> String {
    match &k.value {
        Value::Scalar(s) => format!("s:{}", s.text),
        other => format!("c:{other:?}"),
    }
}

impl Node {
    pub fn scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(pairs) => Some(pairs),
            _ => None,
        }
    }

    /// The value under `key` in a mapping, as a Go struct field or `map[string]…` key matches
    /// it: by the key's text.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.map()?
            .iter()
            .find(|(k, _)| k.scalar().is_some_and(|s| s.text == key))
            .map(|(_, v)| v)
    }

    /// As `get`, but a null value counts as absent (an empty `key:`).
    pub fn field(&self, key: &str) -> Option<&Node> {
        self.get(key).filter(|v| !v.is_null())
    }

    /// Whether yaml.v3 decodes this as null: a plain `~`, `null`, `Null`, `NULL` or nothing.
    pub fn is_null(&self) -> bool {
        match &self.value {
            Value::Scalar(s) => {
                s.style == Style::Plain
                    && matches!(s.tag.as_deref(), None | Some("!!null"))
                    && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
            }
            _ => false,
        }
    }

    /// The value a Go `string` field gets: the scalar's text as written, `""` for null; a
    /// sequence or mapping cannot be decoded into a string.
    pub fn string_field(&self) -> Result<String, String> {
        match &self.value {
            Value::Scalar(_) if self.is_null() => Ok(String::new()),
            Value::Scalar(s) => {
                super::go::check_tag(s)?;
                Ok(s.text.clone())
            }
            Value::Seq(_) => Err(format!(
                "line {}: cannot unmarshal !!seq into string",
                self.line
            )),
            Value::Map(_) => Err(format!(
                "line {}: cannot unmarshal !!map into string",
                self.line
            )),
        }
    }

    /// The text of a scalar whatever its type (for `if:` and similar expression fields).
    pub fn text(&self) -> Option<&str> {
        self.scalar().map(|s| s.text.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_keep_text_style_and_tag() {
        let n = parse("a: 3.10\nb: '3.10'\nc: !!str 5\nd: |\n  x\n").expect("parse");
        let s = |k: &str| n.get(k).and_then(Node::scalar).cloned().expect("scalar");
        assert_eq!((s("a").text.as_str(), s("a").style), ("3.10", Style::Plain));
        assert_eq!(s("b").style, Style::Quoted);
        assert_eq!(s("c").tag.as_deref(), Some("!!str"));
        assert_eq!((s("d").text.as_str(), s("d").style), ("x\n", Style::Block));
        assert_eq!(n.get("a").map(|v| v.line), Some(1));
    }

    #[test]
    fn duplicate_keys_are_refused_as_yaml_v3_does() {
        let e = parse("a: 1\nb: 2\na: 3\n").expect_err("duplicate");
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("already defined at line 1"), "{e}");
        // `on` and `"on"` are the same key to yaml.v3 (same text).
        assert!(parse("on: push\n\"on\": pull_request\n").is_err());
    }

    #[test]
    fn merge_keys_apply_explicit_first_then_the_first_source() {
        let n = parse("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 0\n")
            .expect("parse");
        let c = n.get("c").expect("c");
        let txt = |k: &str| c.get(k).and_then(Node::text).map(str::to_string);
        assert_eq!(txt("x").as_deref(), Some("0"));
        assert_eq!(txt("y").as_deref(), Some("1"));
        assert_eq!(txt("z").as_deref(), Some("2"));
        assert!(c.get("<<").is_none());
        assert!(parse("a: {<<: 3}\n").is_err());
    }

    #[test]
    fn a_merged_anchor_costs_what_it_holds() {
        // `b` holds only `k: v` once the explicit key overrides the merged 1 MiB value: each
        // alias of it costs 2 bytes, not the merge source's megabyte (the budget is 8 MiB).
        let big = "a".repeat(1 << 20);
        let doc = format!(
            "x: &a {{k: \"{big}\"}}\ny: &b {{<<: *a, k: v}}\nz: [{}]\n",
            ["*b"; 7].join(", ")
        );
        let n = parse(&doc).expect("within budget");
        let z = n.get("z").and_then(Node::seq).expect("z");
        assert_eq!(z.len(), 7);
        assert_eq!(z[6].get("k").and_then(Node::text), Some("v"));
        // Without the override the merged megabyte is what each alias copies.
        let doc = format!(
            "x: &a {{k: \"{big}\"}}\ny: &b {{<<: *a}}\nz: [{}]\n",
            ["*b"; 7].join(", ")
        );
        let e = parse(&doc).expect_err("over budget");
        assert!(e.message.contains("bytes of scalars"), "{e}");
    }

    #[test]
    fn budgets_stop_alias_bombs_and_deep_nesting() {
        let mut doc = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = "a".to_string();
        for i in 0..12 {
            let n = format!("b{i}");
            doc.push_str(&format!(
                "{n}: &{n} [{}]\n",
                vec![format!("*{prev}"); 10].join(", ")
            ));
            prev = n;
        }
        let e = parse(&doc).expect_err("bomb");
        assert!(e.message.contains("budget"), "{e}");
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert!(parse(&deep).is_err());
        assert!(parse("a: 1\n---\nb: 2\n").is_err());
        assert!(parse("a: *nope\n").is_err());
    }
}
