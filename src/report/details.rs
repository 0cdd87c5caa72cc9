//! The check-specific members of the JSON report. Small ones are JSON values; large lists (every
//! emitted context) stay the check's typed data and are serialised straight to the output when
//! the report is written, so no `serde_json::Value` tree of 20,000 objects is ever built.

use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

/// Writes one list member's JSON, pretty-printed one level deep (as a member of the report
/// object), at most the given number of its items.
type Writer = dyn Fn(&mut Chunked<'_>, usize) -> io::Result<()> + Send + Sync;

/// Items kept of each list cut to fit the report's size cap, by member name (`findings` too).
pub type Limits = std::collections::BTreeMap<String, usize>;

/// Collects serde's many small writes in a buffer (appends the compiler inlines) and passes
/// the target whole chunks: a dynamic call per comma and quote cost more than the JSON itself.
pub(super) struct Chunked<'a> {
    buf: Vec<u8>,
    out: &'a mut dyn Write,
}

/// Bytes gathered before they are passed on.
const CHUNK: usize = 64 * 1024;

impl<'a> Chunked<'a> {
    pub(super) fn new(out: &'a mut dyn Write) -> Chunked<'a> {
        Chunked {
            buf: Vec::with_capacity(CHUNK + 1024),
            out,
        }
    }

    /// Passes on what is gathered.
    pub(super) fn finish(mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

impl Write for Chunked<'_> {
    #[inline]
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if b.len() >= CHUNK {
            // A whole block of rendered JSON: passed on as it is, not copied here first.
            if !self.buf.is_empty() {
                self.out.write_all(&self.buf)?;
                self.buf.clear();
            }
            self.out.write_all(b)?;
            return Ok(b.len());
        }
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHUNK {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(b.len())
    }

    #[inline]
    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        self.write(b).map(|_| ())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[derive(Clone)]
enum Member {
    Value(Value),
    List { write: Arc<Writer>, len: usize },
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

    /// A list kept as typed data (moved in) and serialised only when the report is written.
    pub fn insert_list<T: Serialize + Send + Sync + 'static>(
        &mut self,
        key: impl Into<String>,
        items: Vec<T>,
    ) {
        let len = items.len();
        let write = move |w: &mut Chunked<'_>, keep: usize| -> io::Result<()> {
            let kept = items.get(..keep.min(items.len())).unwrap_or(&[]);
            super::pretty::write_list(w, kept).map_err(io::Error::other)
        };
        self.put(
            key.into(),
            Member::List {
                write: Arc::new(write),
                len,
            },
        );
    }

    /// The list members with their lengths.
    pub(super) fn lists(&self) -> impl Iterator<Item = (&str, usize)> {
        self.members.iter().filter_map(|(k, m)| match m {
            Member::List { len, .. } => Some((k.as_str(), *len)),
            Member::Value(_) => None,
        })
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

    /// Writes `"key": value` pairs, each preceded by `,\n  `, indented one level as a member of
    /// the report object.
    pub(super) fn write_members(&self, w: &mut Chunked<'_>, limits: &Limits) -> io::Result<()> {
        for (k, m) in &self.members {
            w.write_all(b",\n  ")?;
            serde_json::to_writer(&mut *w, k).map_err(io::Error::other)?;
            w.write_all(b": ")?;
            match m {
                Member::Value(v) => nested(w, v)?,
                Member::List { write, len } => write(w, limits.get(k).copied().unwrap_or(*len))?,
            }
        }
        Ok(())
    }
}

fn to_value(m: &Member) -> Value {
    match m {
        Member::Value(v) => v.clone(),
        Member::List { write, len } => {
            let mut buf = Vec::new();
            let mut w = Chunked::new(&mut buf);
            // Indentation is whitespace between tokens: it parses the same.
            match write(&mut w, *len).and_then(|_| w.finish()) {
                Ok(()) => serde_json::from_slice(&buf).unwrap_or(Value::Null),
                Err(_) => Value::Null,
            }
        }
    }
}

/// Writes `value` as pretty JSON whose lines after the first are indented one level, so that it
/// reads as a member of the report object (what `to_string_pretty` of the whole report gives).
pub(super) fn nested<W: Write, T: Serialize + ?Sized>(w: &mut W, value: &T) -> io::Result<()> {
    super::pretty::write(w, value).map_err(io::Error::other)
}
