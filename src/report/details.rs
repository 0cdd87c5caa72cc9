//! The check-specific members of the JSON report. Small ones are JSON values; large lists (every
//! emitted context) stay the check's typed data and are serialised straight to the output when
//! the report is written, so no `serde_json::Value` tree of 20,000 objects is ever built.

use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

/// Writes one member's JSON (pretty, at indentation level 0).
type Writer = dyn Fn(&mut dyn Write) -> io::Result<()> + Send + Sync;

#[derive(Clone)]
enum Member {
    Value(Value),
    Typed(Arc<Writer>),
}

/// Members in insertion order; inserting a key again replaces its value in place.
#[derive(Clone, Default)]
pub struct Details {
    members: Vec<(String, Member)>,
}

impl fmt::Debug for Details {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.members.iter().map(|(k, _)| k))
            .finish()
    }
}

impl Details {
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        self.put(key.into(), Member::Value(value));
    }

    /// A member kept as typed data (moved in) and serialised only when the report is written.
    pub fn insert_typed<T: Serialize + Send + Sync + 'static>(
        &mut self,
        key: impl Into<String>,
        value: T,
    ) {
        let write = move |w: &mut dyn Write| -> io::Result<()> {
            serde_json::to_writer_pretty(w, &value).map_err(io::Error::other)
        };
        self.put(key.into(), Member::Typed(Arc::new(write)));
    }

    fn put(&mut self, key: String, m: Member) {
        match self.members.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = m,
            None => self.members.push((key, m)),
        }
    }

    /// A member as a JSON value (sweeps copy a few members of each repository's report).
    pub fn get(&self, key: &str) -> Option<Value> {
        let (_, m) = self.members.iter().find(|(k, _)| k == key)?;
        Some(to_value(m))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|(k, _)| k.as_str())
    }

    /// Every member as a JSON value, in order.
    pub fn values(&self) -> impl Iterator<Item = (&str, Value)> {
        self.members.iter().map(|(k, m)| (k.as_str(), to_value(m)))
    }

    /// Writes `"key": value` pairs, each preceded by `,\n  `, indented one level as a member of
    /// the report object.
    pub(super) fn write_members(&self, w: &mut dyn Write) -> io::Result<()> {
        for (k, m) in &self.members {
            w.write_all(b",\n  ")?;
            serde_json::to_writer(&mut *w, k).map_err(io::Error::other)?;
            w.write_all(b": ")?;
            let mut indented = Indent(&mut *w);
            match m {
                Member::Value(v) => {
                    serde_json::to_writer_pretty(&mut indented, v).map_err(io::Error::other)?
                }
                Member::Typed(write) => write(&mut indented)?,
            }
        }
        Ok(())
    }
}

fn to_value(m: &Member) -> Value {
    match m {
        Member::Value(v) => v.clone(),
        Member::Typed(write) => {
            let mut buf = Vec::new();
            match write(&mut buf) {
                Ok(()) => serde_json::from_slice(&buf).unwrap_or(Value::Null),
                Err(_) => Value::Null,
            }
        }
    }
}

/// Indents pretty JSON by one level: a line break in pretty JSON is always structural (strings
/// escape theirs), so two spaces after each is exactly the nesting of a member.
pub(super) struct Indent<'a>(pub &'a mut dyn Write);

impl Write for Indent<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|b| *b == b'\n') {
            self.0.write_all(&rest[..=i])?;
            self.0.write_all(b"  ")?;
            rest = &rest[i + 1..];
        }
        self.0.write_all(rest)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
