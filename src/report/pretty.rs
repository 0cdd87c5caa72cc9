//! The report's JSON writer: the same bytes as serde_json's `PrettyFormatter` (two spaces),
//! starting one level deep so that a value reads as a member of the report object.
//!
//! Why not serde_json's own serializer: a 1,000-workflow report is 17 MB, nearly all of it
//! strings, and serde_json looks up every byte of every string in its escape table; here clean
//! runs are skipped eight bytes at a time. Numbers are still written by serde_json, so they are
//! byte for byte what it writes; `tests` compare the two over arbitrary values.

use std::io::Write;

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::Error;

/// Writes `value` as pretty JSON whose lines after the first are indented one level.
pub fn write<W: Write + ?Sized, T: Serialize + ?Sized>(w: &mut W, value: &T) -> Result<(), Error> {
    let mut p = Pretty {
        out: w,
        buf: Vec::with_capacity(CHUNK + 4096),
        level: 1,
        chunk: CHUNK,
    };
    value.serialize(&mut p)?;
    p.out.write_all(&p.buf).map_err(io)
}

/// Items rendered at a time by [`write_list`]: about 110 KB of a report's entries. At most four
/// blocks are held at once (the one written, the helper's, the one waiting between them, a
/// recycled one): 2,048 items a block cost 3 MiB of peak memory on the 1,000-workflow bench.
const BLOCK: usize = 512;

/// What [`write`] writes for `items` (a JSON array one level deep), the same bytes, with every
/// other block of items rendered by a helper thread: a large report's two long lists (every
/// emitted context, every `extra` notice) were most of the time between the verdict and exit.
/// Without a thread to spare, or for a short list, it is [`write`].
pub fn write_list<W: Write + ?Sized, T: Serialize + Sync>(
    w: &mut W,
    items: &[T],
) -> Result<(), Error> {
    write_list_in(w, items, BLOCK)
}

fn write_list_in<W: Write + ?Sized, T: Serialize + Sync>(
    w: &mut W,
    items: &[T],
    block: usize,
) -> Result<(), Error> {
    if items.len() < 4 * block || block == 0 || crate::cores::available() < 2 {
        return write(w, items);
    }
    let blocks: Vec<(usize, &[T])> = items
        .chunks(block)
        .enumerate()
        .map(|(n, c)| (n * block, c))
        .collect();
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<u8>, Error>>(1);
        // Written blocks go back to the helper: a fresh buffer per block cost more in page
        // faults than rendering it.
        let (back, returned) = std::sync::mpsc::channel::<Vec<u8>>();
        let odd = &blocks;
        let helper = std::thread::Builder::new()
            .name("report-json".into())
            .spawn_scoped(scope, move || {
                for (first, chunk) in odd.iter().skip(1).step_by(2) {
                    let mut buf = returned.try_recv().unwrap_or_default();
                    let done = render_items(&mut buf, *first, chunk).map(|()| buf);
                    // A closed channel: the writer stopped on an error of its own.
                    if tx.send(done).is_err() {
                        return;
                    }
                }
            });
        let Ok(_helper) = helper else {
            return write(w, items);
        };
        w.write_all(b"[").map_err(io)?;
        let mut mine = Vec::new();
        for (n, (first, chunk)) in blocks.iter().enumerate() {
            if n % 2 == 0 {
                render_items(&mut mine, *first, chunk)?;
                w.write_all(&mine).map_err(io)?;
            } else {
                let theirs = rx
                    .recv()
                    .map_err(|_| io(std::io::Error::other("the JSON helper stopped")))??;
                w.write_all(&theirs).map_err(io)?;
                let _ = back.send(theirs);
            }
        }
        // As `Compound::end` closes a non-empty array one level deep.
        w.write_all(b"\n  ]").map_err(io)
    })
}

/// The items of an array one level deep, each after its separator and indent, as `write`
/// puts them, into `buf` (cleared first); `first` is the index of `items[0]` in the array.
fn render_items<T: Serialize>(buf: &mut Vec<u8>, first: usize, items: &[T]) -> Result<(), Error> {
    buf.clear();
    let mut p = Pretty {
        out: &mut std::io::sink(),
        buf: std::mem::take(buf),
        level: 2,
        chunk: usize::MAX,
    };
    let mut result = Ok(());
    for (n, item) in items.iter().enumerate() {
        let sep: &[u8] = if first + n == 0 { b"\n" } else { b",\n" };
        p.buf.extend_from_slice(sep);
        p.indent();
        result = item.serialize(&mut p);
        if result.is_err() {
            break;
        }
    }
    *buf = p.buf;
    result
}

/// Bytes gathered before they are passed on: the many small pieces of JSON (quotes, commas,
/// indents) are appends to a buffer, not calls through `Write`.
const CHUNK: usize = 64 * 1024;

struct Pretty<'a, W: Write + ?Sized> {
    out: &'a mut W,
    buf: Vec<u8>,
    /// Nesting of the value being written (1: a member of the report object).
    level: usize,
    /// `buf` is passed on once it holds this much (`usize::MAX`: kept whole, for a block).
    chunk: usize,
}

/// Spaces for the deepest indent written without a loop.
const SPACES: &[u8; 64] = b"                                                                ";

fn io(e: std::io::Error) -> Error {
    Error::io(e)
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Whether any of the eight bytes must be escaped: below 0x20, `"` or `\`.
#[inline]
fn dirty(x: u64) -> bool {
    let below = x.wrapping_sub(LO * 0x20) & !x;
    let q = x ^ (LO * u64::from(b'"'));
    let b = x ^ (LO * u64::from(b'\\'));
    ((below | (q.wrapping_sub(LO) & !q) | (b.wrapping_sub(LO) & !b)) & HI) != 0
}

/// serde_json's escapes: the short ones, else `\u00XX` (lower-case hex) below 0x20.
fn escape(c: u8) -> Option<&'static [u8]> {
    Some(match c {
        b'"' => b"\\\"",
        b'\\' => b"\\\\",
        0x08 => b"\\b",
        0x0C => b"\\f",
        b'\n' => b"\\n",
        b'\r' => b"\\r",
        b'\t' => b"\\t",
        0x00..=0x1F => return Some(&UNICODE[c as usize]),
        _ => return None,
    })
}

/// `\u0000` … `\u001f`.
static UNICODE: [[u8; 6]; 32] = {
    let hex = b"0123456789abcdef";
    let mut t = [[0u8; 6]; 32];
    let mut i = 0;
    while i < 32 {
        t[i] = [b'\\', b'u', b'0', b'0', hex[i >> 4], hex[i & 15]];
        i += 1;
    }
    t
};

/// A JSON string: quotes, and escapes where serde_json puts them.
pub fn string(w: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    w.reserve(b.len() + 2);
    w.push(b'"');
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        // Eight bytes at a time; the tail padded with spaces (which need no escape).
        let word = match b.get(i..i + 8) {
            Some(c) => <[u8; 8]>::try_from(c).ok(),
            None => {
                let mut pad = [b' '; 8];
                let tail = b.get(i..).unwrap_or_default();
                if let Some(p) = pad.get_mut(..tail.len()) {
                    p.copy_from_slice(tail);
                }
                Some(pad)
            }
        };
        if word.is_some_and(|w| !dirty(u64::from_le_bytes(w))) {
            i += 8;
            continue;
        }
        if let Some(e) = b.get(i).copied().and_then(escape) {
            w.extend_from_slice(b.get(start..i).unwrap_or_default());
            w.extend_from_slice(e);
            start = i + 1;
        }
        i += 1;
    }
    w.extend_from_slice(b.get(start..).unwrap_or_default());
    w.push(b'"');
}

impl<W: Write + ?Sized> Pretty<'_, W> {
    fn indent(&mut self) {
        let mut n = self.level * 2;
        while n > 0 {
            let k = n.min(SPACES.len());
            self.buf
                .extend_from_slice(SPACES.get(..k).unwrap_or_default());
            n -= k;
        }
    }

    fn open(&mut self, c: u8) {
        self.level += 1;
        self.buf.push(c);
    }

    /// Passes the buffer on once it holds a chunk.
    fn flush_if_full(&mut self) -> Result<(), Error> {
        if self.buf.len() >= self.chunk {
            self.out.write_all(&self.buf).map_err(io)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// A number, as serde_json writes it.
    fn number<T: Serialize>(&mut self, v: T) -> Result<(), Error> {
        serde_json::to_writer(&mut self.buf, &v)
    }

    /// `{ "variant": ` of an externally tagged enum variant.
    fn variant_open(&mut self, variant: &str) {
        self.open(b'{');
        self.buf.push(b'\n');
        self.indent();
        string(&mut self.buf, variant);
        self.buf.extend_from_slice(b": ");
    }

    /// The `}` closing what `variant_open` opened.
    fn variant_close(&mut self) {
        self.level -= 1;
        self.buf.push(b'\n');
        self.indent();
        self.buf.push(b'}');
    }
}

/// A sequence or mapping being written: whether an item was written yet, and its closer.
pub struct Compound<'p, 'a, W: Write + ?Sized> {
    p: &'p mut Pretty<'a, W>,
    first: bool,
    close: u8,
    /// Also close an enclosing `{ "variant": …}`.
    variant: bool,
}

impl<W: Write + ?Sized> Compound<'_, '_, W> {
    fn item(&mut self) -> Result<(), Error> {
        self.p.flush_if_full()?;
        let sep: &[u8] = if self.first { b"\n" } else { b",\n" };
        self.first = false;
        self.p.buf.extend_from_slice(sep);
        self.p.indent();
        Ok(())
    }

    fn end(self) -> Result<(), Error> {
        self.p.level -= 1;
        if !self.first {
            self.p.buf.push(b'\n');
            self.p.indent();
        }
        self.p.buf.push(self.close);
        if self.variant {
            self.p.variant_close();
        }
        Ok(())
    }

    fn key(&mut self, key: &str) -> Result<(), Error> {
        self.item()?;
        string(&mut self.p.buf, key);
        self.p.buf.extend_from_slice(b": ");
        Ok(())
    }
}

/// `serialize_<number>` methods that hand the number to `$how`.
macro_rules! numbers {
    ($how:ident) => {
        numbers!($how: serialize_i8 i8, serialize_i16 i16, serialize_i32 i32, serialize_i64 i64,
            serialize_i128 i128, serialize_u8 u8, serialize_u16 u16, serialize_u32 u32,
            serialize_u64 u64, serialize_u128 u128, serialize_f32 f32, serialize_f64 f64);
    };
    ($how:ident: $($name:ident $t:ty),*) => {
        $(fn $name(self, v: $t) -> Result<(), Error> {
            self.$how(v)
        })*
    };
}

impl<'p, 'a, W: Write + ?Sized> ser::Serializer for &'p mut Pretty<'a, W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'p, 'a, W>;
    type SerializeTuple = Compound<'p, 'a, W>;
    type SerializeTupleStruct = Compound<'p, 'a, W>;
    type SerializeTupleVariant = Compound<'p, 'a, W>;
    type SerializeMap = Compound<'p, 'a, W>;
    type SerializeStruct = Compound<'p, 'a, W>;
    type SerializeStructVariant = Compound<'p, 'a, W>;

    numbers!(number);

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        let text: &[u8] = if v { b"true" } else { b"false" };
        self.buf.extend_from_slice(text);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        string(&mut self.buf, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        string(&mut self.buf, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq;
        let mut s = self.serialize_seq(Some(v.len()))?;
        for b in v {
            s.serialize_element(b)?;
        }
        s.end()
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.buf.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, v: &'static str) -> Result<(), Error> {
        self.serialize_str(v)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.variant_open(variant);
        v.serialize(&mut *self)?;
        self.variant_close();
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        self.open(b'[');
        Ok(Compound {
            p: self,
            first: true,
            close: b']',
            variant: false,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        self.variant_open(variant);
        self.open(b'[');
        Ok(Compound {
            p: self,
            first: true,
            close: b']',
            variant: true,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        self.open(b'{');
        Ok(Compound {
            p: self,
            first: true,
            close: b'}',
            variant: false,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Self::SerializeStruct, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        self.variant_open(variant);
        self.open(b'{');
        Ok(Compound {
            p: self,
            first: true,
            close: b'}',
            variant: true,
        })
    }
}

impl<W: Write + ?Sized> ser::SerializeSeq for Compound<'_, '_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), Error> {
        self.item()?;
        v.serialize(&mut *self.p)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

/// Tuples of every kind are written as sequences.
macro_rules! like_seq {
    ($($tr:ident::$method:ident),*) => {
        $(impl<W: Write + ?Sized> ser::$tr for Compound<'_, '_, W> {
            type Ok = ();
            type Error = Error;
            fn $method<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), Error> {
                ser::SerializeSeq::serialize_element(self, v)
            }
            fn end(self) -> Result<(), Error> {
                Compound::end(self)
            }
        })*
    };
}

like_seq!(
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl<W: Write + ?Sized> ser::SerializeMap for Compound<'_, '_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        self.item()?;
        key.serialize(KeySerializer { w: &mut self.p.buf })?;
        self.p.buf.extend_from_slice(b": ");
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(&mut *self.p)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl<W: Write + ?Sized> ser::SerializeStruct for Compound<'_, '_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.key(key)?;
        v.serialize(&mut *self.p)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl<W: Write + ?Sized> ser::SerializeStructVariant for Compound<'_, '_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(self, key, v)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

/// Map keys as serde_json writes them: strings, and numbers, booleans and chars quoted.
struct KeySerializer<'a> {
    w: &'a mut Vec<u8>,
}

fn key_must_be_a_string() -> Error {
    ser::Error::custom("key must be a string")
}

impl KeySerializer<'_> {
    fn quoted<T: Serialize>(self, v: T) -> Result<(), Error> {
        self.w.push(b'"');
        serde_json::to_writer(&mut *self.w, &v)?;
        self.w.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for KeySerializer<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    numbers!(quoted);

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        string(self.w, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        string(self.w, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, v: &'static str) -> Result<(), Error> {
        self.serialize_str(v)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// What the report wrote before: serde_json's pretty printer, nested one level.
    fn reference(v: &Value) -> String {
        let text = serde_json::to_string_pretty(v).expect("serialise");
        text.replace('\n', "\n  ")
    }

    fn ours<T: Serialize>(v: &T) -> String {
        let mut out = Vec::new();
        write(&mut out, v).expect("write");
        String::from_utf8(out).expect("utf-8")
    }

    /// The list written in blocks on two cores is byte for byte the list written whole, at
    /// every length around the block boundaries, the empty and short lists included.
    #[test]
    fn a_list_in_blocks_is_the_list_written_whole() {
        let items: Vec<Value> = (0..41)
            .map(|i| json!({"context": format!("ci / job {i} (push)"), "line": i, "tags": ["a\"b", i]}))
            .collect();
        for len in 0..items.len() {
            for block in [1, 2, 3, 5, 8] {
                let mut parallel = Vec::new();
                write_list_in(&mut parallel, &items[..len], block).expect("write");
                assert_eq!(
                    String::from_utf8(parallel).expect("utf-8"),
                    ours(&&items[..len]),
                    "{len} items in blocks of {block}"
                );
            }
        }
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            ".*".prop_map(Value::String),
            // Mostly clean text with the odd character to escape, at any offset.
            "[a-z /()\"\\\\\u{0}-\u{1f}\u{7f}é€😀]{0,40}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((".{0,12}", inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn writes_what_serde_json_writes(v in value()) {
            prop_assert_eq!(ours(&v), reference(&v));
        }
    }

    #[test]
    fn every_byte_is_escaped_as_serde_json_escapes_it() {
        for c in 0u32..=0x80 {
            let Some(ch) = char::from_u32(c) else {
                continue;
            };
            for s in [
                format!("{ch}"),
                format!("abcdefgh{ch}ijklmnop"),
                format!("{ch}{ch}1234567"),
            ] {
                assert_eq!(ours(&s), serde_json::to_string(&s).expect("json"), "{c:#x}");
            }
        }
    }

    #[derive(Serialize)]
    enum E {
        Unit,
        New(u8),
        Tuple(u8, String),
        Struct { a: Vec<u8>, b: Option<String> },
    }

    #[derive(Serialize)]
    struct S {
        e: Vec<E>,
        empty: Vec<u8>,
        map: std::collections::BTreeMap<u32, bool>,
        skipped: Option<u8>,
        c: char,
        t: (u8, f32),
    }

    #[test]
    fn enums_structs_and_number_keys_match_serde_json() {
        let s = S {
            e: vec![
                E::Unit,
                E::New(1),
                E::Tuple(2, "x".into()),
                E::Struct { a: vec![], b: None },
            ],
            empty: vec![],
            map: [(3, true), (10, false)].into_iter().collect(),
            skipped: None,
            c: '"',
            t: (7, 0.5),
        };
        let mut reference = Vec::new();
        let mut ser = serde_json::Serializer::pretty(&mut reference);
        s.serialize(&mut ser).expect("serde_json");
        let reference = String::from_utf8(reference)
            .expect("utf-8")
            .replace('\n', "\n  ");
        assert_eq!(ours(&s), reference);
    }
}
