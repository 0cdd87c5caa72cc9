//! One compose file as compose loads it before the merge: read (size-capped, no devices),
//! parsed, every value interpolated, its services' `extends` resolved (from the same file or
//! `file:`, recursively), and the services of the files its top-level `include` names added
//! (compose-spec `extends.md`, `include.md`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::interpolate::{Failure, interpolate};
use super::{Project, dotenv};
use crate::error::Error;
use crate::yaml;

/// `extends` chains and `include` trees deeper than this are refused (compose has no limit;
/// a hostile file has no end).
const MAX_DEPTH: usize = 16;
/// Files read for one project at most (includes and `extends.file` included).
const MAX_FILES: usize = 256;

/// What loading a file needs besides the file.
pub struct Loader<'a> {
    pub lookup: &'a dyn Fn(&str) -> Option<String>,
    pub project: &'a mut Project,
    /// Files read so far, for the cap.
    pub read: usize,
}

/// A loaded file: its interpolated document and its services, `extends` resolved.
pub struct Loaded {
    pub doc: Value,
    pub services: Map<String, Value>,
}

impl Loader<'_> {
    /// Reads `path`; a file that cannot be read or parsed is recorded as unreadable (`None`);
    /// a required variable that is unset stops the project (usage), as compose stops.
    pub fn file(&mut self, path: &Path, depth: usize) -> Result<Option<Loaded>, Error> {
        let source = path.display().to_string();
        let Some(mut doc) = self.parse(path)? else {
            return Ok(None);
        };
        let services = match doc.get_mut("services").map(Value::take) {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => {
                self.unreadable(&source, "services: is not a mapping".into());
                return Ok(None);
            }
        };
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut resolved = Map::new();
        for (name, _) in services.iter() {
            let mut chain = BTreeSet::new();
            match self.extended(&services, name, &dir, &source, depth, &mut chain)? {
                Some(body) => {
                    resolved.insert(name.clone(), body);
                }
                None => continue,
            }
        }
        if let Some(list) = doc.get("include").cloned() {
            self.include(&list, &dir, &source, depth, &mut resolved)?;
        }
        Ok(Some(Loaded {
            doc,
            services: resolved,
        }))
    }

    fn unreadable(&mut self, source: &str, reason: String) {
        self.project.unreadable.push((source.to_string(), reason));
    }

    fn parse(&mut self, path: &Path) -> Result<Option<Value>, Error> {
        let source = path.display().to_string();
        self.read += 1;
        if self.read > MAX_FILES {
            self.unreadable(
                &source,
                format!("more than {MAX_FILES} compose files to read"),
            );
            return Ok(None);
        }
        let text = match crate::fsread::read_text(path, yaml::MAX_FILE_BYTES as u64, true) {
            Ok(t) => t,
            Err(e) => {
                self.unreadable(&source, e.to_string());
                return Ok(None);
            }
        };
        let mut doc: Value = match yaml::parse(&text) {
            Ok(v) => v,
            Err(e) => {
                self.unreadable(&source, format!("does not parse: {e}"));
                return Ok(None);
            }
        };
        let mut unset = Vec::new();
        match interpolate_values(&mut doc, self.lookup, &mut unset) {
            Ok(()) => {}
            Err(f @ Failure::Required { .. }) => {
                // compose stops the same way: nothing of the project would run.
                return Err(Error::Usage(format!("{source}: {f}")));
            }
            Err(f) => {
                self.unreadable(&source, f.to_string());
                return Ok(None);
            }
        }
        for var in unset.into_iter().collect::<BTreeSet<_>>() {
            self.project.notes.push((
                source.clone(),
                format!("the {var} variable is not set: compose substitutes a blank string"),
            ));
        }
        Ok(Some(doc))
    }

    /// `name`'s body with what it extends under it (the service's own keys win; maps merge,
    /// everything else is replaced). `None` when its base cannot be read (recorded).
    fn extended(
        &mut self,
        services: &Map<String, Value>,
        name: &str,
        dir: &Path,
        source: &str,
        depth: usize,
        chain: &mut BTreeSet<String>,
    ) -> Result<Option<Value>, Error> {
        let Some(body) = services.get(name) else {
            self.unreadable(
                source,
                format!("extends names service {name:?}, which {source} does not have"),
            );
            return Ok(None);
        };
        let Some(ext) = body.get("extends") else {
            return Ok(Some(body.clone()));
        };
        let key = format!("{source}#{name}");
        if depth >= MAX_DEPTH || !chain.insert(key) {
            self.unreadable(
                source,
                format!("service {name}: extends loops or nests deeper than {MAX_DEPTH}"),
            );
            return Ok(None);
        }
        let (base_name, file) = match ext {
            Value::String(s) => (s.clone(), None),
            Value::Object(m) => (
                m.get("service")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                m.get("file").and_then(Value::as_str).map(str::to_string),
            ),
            _ => {
                self.unreadable(
                    source,
                    format!("service {name}: extends is neither a name nor a mapping"),
                );
                return Ok(None);
            }
        };
        let base = match file {
            None => self.extended(services, &base_name, dir, source, depth + 1, chain)?,
            Some(f) => {
                let path = dir.join(&f);
                let Some(mut doc) = self.parse(&path)? else {
                    return Ok(None);
                };
                let other = match doc.get_mut("services").map(Value::take) {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                let other_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                let other_source = path.display().to_string();
                self.extended(
                    &other,
                    &base_name,
                    &other_dir,
                    &other_source,
                    depth + 1,
                    chain,
                )?
            }
        };
        let Some(mut merged) = base else {
            return Ok(None);
        };
        let mut own = body.clone();
        if let Some(m) = own.as_object_mut() {
            m.remove("extends");
        }
        overlay(&mut merged, own);
        Ok(Some(merged))
    }

    /// The services of the files `include` names, added to `services` (a name both define is
    /// an error in compose: usage here too).
    fn include(
        &mut self,
        list: &Value,
        dir: &Path,
        source: &str,
        depth: usize,
        services: &mut Map<String, Value>,
    ) -> Result<(), Error> {
        if depth >= MAX_DEPTH {
            self.unreadable(source, format!("include nests deeper than {MAX_DEPTH}"));
            return Ok(());
        }
        let Some(items) = list.as_array() else {
            self.unreadable(source, "include: is not a list".into());
            return Ok(());
        };
        for item in items {
            let (paths, env_file): (Vec<String>, Option<String>) = match item {
                Value::String(s) => (vec![s.clone()], None),
                Value::Object(m) => (
                    match m.get("path") {
                        Some(Value::String(s)) => vec![s.clone()],
                        Some(Value::Array(a)) => a
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect(),
                        _ => Vec::new(),
                    },
                    m.get("env_file")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                ),
                _ => (Vec::new(), None),
            };
            let Some(first) = paths.first() else {
                self.unreadable(source, "an include entry names no path".into());
                continue;
            };
            let first_path: PathBuf = dir.join(first);
            let inc_dir = first_path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            // The included project's own `.env` (or env_file), under the including lookup.
            let env_path = env_file.map_or_else(|| inc_dir.join(".env"), |f| dir.join(f));
            let vars = match crate::fsread::read_text(&env_path, 1024 * 1024, true) {
                Ok(t) => dotenv::parse(&t, self.lookup).map_err(|e| {
                    Error::Usage(format!("the env file {}: {e}", env_path.display()))
                })?,
                Err(_) => Default::default(),
            };
            let outer = self.lookup;
            let lookup = move |k: &str| outer(k).or_else(|| vars.get(k).cloned());
            let mut inner = Loader {
                lookup: &lookup,
                project: self.project,
                read: self.read,
            };
            for p in &paths {
                let Some(loaded) = inner.file(&dir.join(p), depth + 1)? else {
                    continue;
                };
                for (name, body) in loaded.services {
                    if services.contains_key(&name) {
                        return Err(Error::Usage(format!(
                            "{source}: service {name:?} is both defined here and imported by include ({p})"
                        )));
                    }
                    services.insert(name, body);
                }
            }
            self.read = inner.read;
        }
        Ok(())
    }
}

/// `over` on top of `base`: maps merge key by key, anything else is replaced.
fn overlay(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot @ Value::Object(_)) if v.is_object() => overlay(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Interpolates every string value (not keys), as compose does before it merges.
fn interpolate_values(
    v: &mut Value,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<(), Failure> {
    match v {
        Value::String(s) if s.contains('$') => {
            *s = interpolate(s, lookup, unset)?;
        }
        Value::Array(items) => {
            for i in items {
                interpolate_values(i, lookup, unset)?;
            }
        }
        Value::Object(m) => {
            for (_, i) in m.iter_mut() {
                interpolate_values(i, lookup, unset)?;
            }
        }
        _ => {}
    }
    Ok(())
}
