//! NodeKind and EdgeKind registries: parse, check the append-only rules, compute the digest.
//!
//! # Invariants
//! - An id belongs to one name forever: reusing, renumbering, or taking a reserved id is an
//!   error that names both entries.
//! - The lock (`kinds.lock`) only grows: every (family, id, name) it lists must still be in the
//!   registry, as a kind or as a reserved id.
//! - The registry digest depends on ids, names, `since`, `deprecated`, endpoints and reserved
//!   ids, never on descriptions or on the order of entries in the file.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::cbor;
use crate::diag::{Diagnostics, Loc};

/// Which registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// Node kinds.
    Node,
    /// Edge kinds.
    Edge,
}

impl Family {
    /// `node` or `edge`, as in the lock file and the digest.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Node => "node",
            Family::Edge => "edge",
        }
    }
}

/// One registered kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    /// Stable numeric id.
    pub id: u16,
    /// SCREAMING_SNAKE name, the kind's string form.
    pub name: String,
    /// What it is.
    pub description: String,
    /// Version that introduced it.
    pub since: String,
    /// Why it is deprecated, if it is.
    pub deprecated: Option<String>,
    /// Node kinds an edge of this kind may leave (edges only).
    pub from: Vec<String>,
    /// Node kinds an edge of this kind may enter (edges only).
    pub to: Vec<String>,
    /// Where it is defined.
    pub loc: Loc,
}

/// A retired id that may never be given again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserved {
    /// The id.
    pub id: u16,
    /// The name it had.
    pub name: String,
    /// Why it was retired.
    pub reason: String,
    /// Where it is listed.
    pub loc: Loc,
}

/// A checked registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    /// Which registry.
    pub family: Family,
    /// Kinds by id.
    pub kinds: BTreeMap<u16, Kind>,
    /// Reserved ids.
    pub reserved: BTreeMap<u16, Reserved>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    reserved: Vec<toml::Spanned<ReservedEntry>>,
    #[serde(default, rename = "kind")]
    kinds: Vec<toml::Spanned<KindEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KindEntry {
    id: u16,
    name: String,
    description: String,
    since: String,
    deprecated: Option<String>,
    #[serde(default)]
    from: Vec<String>,
    #[serde(default)]
    to: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReservedEntry {
    id: u16,
    name: String,
    reason: String,
}

/// The place of byte `offset` in `source`.
pub(crate) fn loc_at(file: &str, source: &str, offset: usize) -> Loc {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.chars().count(), |newline| {
            before[newline + 1..].chars().count()
        })
        + 1;
    Loc::new(file, line, column)
}

/// Parses and checks one registry file.
pub fn parse(
    family: Family,
    file: &str,
    source: &str,
    diags: &mut Diagnostics,
) -> Option<Registry> {
    let parsed: RegistryFile = match toml::from_str(source) {
        Ok(parsed) => parsed,
        Err(error) => {
            let loc = loc_at(file, source, error.span().map_or(0, |span| span.start));
            diags.error(&loc, error.message().to_owned());
            return None;
        }
    };
    let mut registry = Registry {
        family,
        kinds: BTreeMap::new(),
        reserved: BTreeMap::new(),
    };
    for spanned in parsed.reserved {
        let loc = loc_at(file, source, spanned.span().start);
        let entry = spanned.into_inner();
        if let Some(first) = registry.reserved.get(&entry.id) {
            let message = format!(
                "reserved id {} is listed twice: `{}` here and `{}` at {}",
                entry.id, entry.name, first.name, first.loc
            );
            diags.error(&loc, message);
            continue;
        }
        let reserved = Reserved {
            id: entry.id,
            name: entry.name,
            reason: entry.reason,
            loc,
        };
        registry.reserved.insert(reserved.id, reserved);
    }
    for spanned in parsed.kinds {
        let loc = loc_at(file, source, spanned.span().start);
        let entry = spanned.into_inner();
        let kind = Kind {
            id: entry.id,
            name: entry.name,
            description: entry.description.trim().to_owned(),
            since: entry.since,
            deprecated: entry.deprecated,
            from: entry.from,
            to: entry.to,
            loc,
        };
        add_kind(&mut registry, kind, diags);
    }
    Some(registry)
}

fn add_kind(registry: &mut Registry, kind: Kind, diags: &mut Diagnostics) {
    let family = registry.family.as_str();
    let well_formed = kind.name.starts_with(|c: char| c.is_ascii_uppercase())
        && kind
            .name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !well_formed {
        diags.error(
            &kind.loc,
            format!(
                "{family} kind name `{}` must be SCREAMING_SNAKE_CASE",
                kind.name
            ),
        );
    }
    if kind.description.is_empty() {
        diags.error(
            &kind.loc,
            format!("{family} kind `{}` has no description", kind.name),
        );
    }
    if kind.since.trim().is_empty() {
        diags.error(
            &kind.loc,
            format!("{family} kind `{}` has an empty `since`", kind.name),
        );
    }
    if registry.family == Family::Node && !(kind.from.is_empty() && kind.to.is_empty()) {
        diags.error(
            &kind.loc,
            format!(
                "node kind `{}`: only edge kinds have `from`/`to`",
                kind.name
            ),
        );
    }
    if let Some(reserved) = registry.reserved.get(&kind.id) {
        let message = format!(
            "{family} kind `{}` takes id {}, reserved for `{}` at {}: reserved ids are never reused",
            kind.name, kind.id, reserved.name, reserved.loc
        );
        diags.error(&kind.loc, message);
    }
    if let Some(other) = registry
        .kinds
        .values()
        .find(|other| other.name == kind.name)
    {
        let message = format!(
            "{family} kind `{}` is defined twice: id {} here and id {} at {}",
            kind.name, kind.id, other.id, other.loc
        );
        diags.error(&kind.loc, message);
        return;
    }
    if let Some(other) = registry.kinds.get(&kind.id) {
        let message = format!(
            "{family} kind id {} is used twice: `{}` here and `{}` at {}",
            kind.id, kind.name, other.name, other.loc
        );
        diags.error(&kind.loc, message);
        return;
    }
    registry.kinds.insert(kind.id, kind);
}

/// Checks that every edge endpoint names a node kind.
pub fn check_endpoints(nodes: &Registry, edges: &Registry, diags: &mut Diagnostics) {
    for edge in edges.kinds.values() {
        for endpoint in edge.from.iter().chain(&edge.to) {
            if !nodes.kinds.values().any(|node| node.name == *endpoint) {
                diags.error(
                    &edge.loc,
                    format!(
                        "edge kind `{}` names unknown node kind `{endpoint}`",
                        edge.name
                    ),
                );
            }
        }
    }
}

/// One line of `kinds.lock`: `FAMILY ID NAME` or `FAMILY ID NAME reserved`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct LockEntry {
    family: String,
    id: u16,
    name: String,
}

/// Checks `registries` against the previous lock, so no id is ever renumbered or reused.
pub fn check_lock(file: &str, lock: &str, registries: &[&Registry], diags: &mut Diagnostics) {
    for (line_idx, line) in lock.lines().enumerate() {
        let loc = Loc::new(file, line_idx + 1, 1);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let (Some(family), Some(Ok(id)), Some(name)) = (
            words.first(),
            words.get(1).map(|w| w.parse::<u16>()),
            words.get(2),
        ) else {
            diags.error(&loc, format!("malformed lock line `{line}`"));
            continue;
        };
        let Some(registry) = registries.iter().find(|r| r.family.as_str() == *family) else {
            diags.error(&loc, format!("unknown family `{family}`"));
            continue;
        };
        check_locked(
            registry,
            &LockEntry {
                family: (*family).to_owned(),
                id,
                name: (*name).to_owned(),
            },
            &loc,
            diags,
        );
    }
}

fn check_locked(registry: &Registry, locked: &LockEntry, loc: &Loc, diags: &mut Diagnostics) {
    let LockEntry { family, id, name } = locked;
    if let Some(kind) = registry.kinds.values().find(|kind| kind.name == *name)
        && kind.id != *id
    {
        let message = format!(
            "{family} kind `{name}` was id {id} ({loc}) and is now id {} ({}): ids are never renumbered",
            kind.id, kind.loc
        );
        diags.error(&kind.loc, message);
        // A renumbered kind is not also a removed one: one error per mistake.
        if !registry.kinds.contains_key(id) && !registry.reserved.contains_key(id) {
            return;
        }
    }
    let holder = registry
        .kinds
        .get(id)
        .map(|k| (&k.name, &k.loc))
        .or_else(|| registry.reserved.get(id).map(|r| (&r.name, &r.loc)));
    match holder {
        Some((holder_name, _)) if holder_name == name => {}
        Some((holder_name, holder_loc)) => {
            let message = format!(
                "{family} id {id} was `{name}` ({loc}) and is now `{holder_name}` ({holder_loc}): ids are never reused"
            );
            diags.error(holder_loc, message);
        }
        None => {
            let message = format!(
                "{family} kind `{name}` (id {id}, {loc}) was removed: retire it with a [[reserved]] entry instead"
            );
            diags.error(loc, message);
        }
    }
}

/// The lock file for `registries`: every kind and reserved id, by family then id.
pub fn lock_text(registries: &[&Registry]) -> String {
    let mut text = String::from(
        "# @generated by `cargo xtask codegen`: every kind id ever given. Append-only; do not edit.\n",
    );
    for registry in registries {
        let family = registry.family.as_str();
        let mut entries: Vec<(u16, &str, &str)> = registry
            .kinds
            .values()
            .map(|k| (k.id, k.name.as_str(), ""))
            .collect();
        entries.extend(
            registry
                .reserved
                .values()
                .map(|r| (r.id, r.name.as_str(), " reserved")),
        );
        entries.sort_unstable();
        for (id, name, suffix) in entries {
            text.push_str(&format!("{family} {id} {name}{suffix}\n"));
        }
    }
    text
}

/// The registry digest: blake3 of the canonical CBOR array
/// `["jitos-kind-registry-v0", family, [[id, name, since, deprecated|null, [from..], [to..]]..], [reserved id..]]`,
/// kinds and reserved ids in ascending id order.
pub fn digest(registry: &Registry) -> [u8; 32] {
    let mut out = Vec::new();
    cbor::array_head(&mut out, 4);
    cbor::text(&mut out, "jitos-kind-registry-v0");
    cbor::text(&mut out, registry.family.as_str());
    cbor::array_head(&mut out, registry.kinds.len());
    for kind in registry.kinds.values() {
        cbor::array_head(&mut out, 6);
        cbor::uint(&mut out, u64::from(kind.id));
        cbor::text(&mut out, &kind.name);
        cbor::text(&mut out, &kind.since);
        match &kind.deprecated {
            Some(reason) => cbor::text(&mut out, reason),
            None => cbor::null(&mut out),
        }
        for endpoints in [&kind.from, &kind.to] {
            cbor::array_head(&mut out, endpoints.len());
            for endpoint in endpoints {
                cbor::text(&mut out, endpoint);
            }
        }
    }
    cbor::array_head(&mut out, registry.reserved.len());
    for id in registry.reserved.keys() {
        cbor::uint(&mut out, u64::from(*id));
    }
    *blake3::hash(&out).as_bytes()
}

#[cfg(test)]
mod tests;
