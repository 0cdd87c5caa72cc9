//! Redaction of streamed output. The JSON report is written line by line (pretty JSON: one
//! value per line, and no string holds a raw line break), so each line is redacted whole before
//! it is written; a secret's JSON-escaped form is registered beside it.

use std::io::{self, Write};

/// A writer that redacts every registered secret line by line, or passes bytes straight
/// through when there is no secret.
pub struct Lines<W: Write> {
    inner: W,
    redacting: bool,
    line: Vec<u8>,
}

/// A line longer than this is redacted and written in pieces rather than buffered without
/// bound: pretty JSON lines are short, but a string value can be long.
const MAX_LINE: usize = 1024 * 1024;

impl<W: Write> Lines<W> {
    pub fn new(inner: W, redacting: bool) -> Self {
        Lines {
            inner,
            redacting,
            line: Vec::new(),
        }
    }

    /// Writes what is buffered and flushes.
    pub fn finish(mut self) -> io::Result<()> {
        self.emit()?;
        self.inner.flush()
    }

    fn emit(&mut self) -> io::Result<()> {
        if self.line.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.line);
        let red = crate::secrets::redact(&text);
        self.inner.write_all(red.as_bytes())?;
        self.line.clear();
        Ok(())
    }
}

impl<W: Write> Write for Lines<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.redacting {
            return self.inner.write(buf);
        }
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|b| *b == b'\n') {
            self.line.extend_from_slice(&rest[..=i]);
            self.emit()?;
            rest = &rest[i + 1..];
        }
        self.line.extend_from_slice(rest);
        if self.line.len() > MAX_LINE {
            // Cut at a character boundary; a secret spanning the cut is the price of bounding
            // memory on a line no renderer of driftgate's produces.
            let cut = (0..=4)
                .map(|k| self.line.len() - k)
                .find(|&n| std::str::from_utf8(&self.line[..n]).is_ok())
                .unwrap_or(self.line.len());
            let tail = self.line.split_off(cut);
            self.emit()?;
            self.line = tail;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
