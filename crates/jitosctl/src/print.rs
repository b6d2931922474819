//! Output: aligned tables and `key  value` lines for people; with `--json`, one JSON object per
//! result, shaped like the GraphQL response data (`{"graph": {...}}`, `{"rewrites": [...]}`),
//! and for `watch` one event object per line.
//!
//! # Invariants
//! - `--json` prints exactly one line per result (one per event for `watch`) and nothing else
//!   on stdout; field names and value forms are the API's.

#![allow(clippy::print_stdout, reason = "printing results is this module's job")]

use std::collections::BTreeMap;

use anyhow::Result;
use jitos_client::types::{Collapsed, KernelInfo};
use jitos_client::{
    AppliedRewrite, ChangeKind, Conflict, Edge, EventKind, GraphDiff, GraphDigest, GraphSnapshot,
    MergeReceipt, Node, Rebased, RewriteEvent, Sws,
};
use serde::Serialize;

fn json_line<T: Serialize>(data: &T) -> Result<()> {
    println!("{}", serde_json::to_string(data)?);
    Ok(())
}

/// Prints `{"<name>": data}` on one line, `data`'s fields in the API's order.
fn named<T: Serialize + ?Sized>(name: &str, data: &T) -> Result<()> {
    json_line(&BTreeMap::from([(name, data)]))
}

/// Prints rows under a header, each column as wide as its widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..header.len())
        .map(|column| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .chain([header[column].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// Prints `key  value` lines with the keys aligned.
fn fields(pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|(key, _)| key.len()).max().unwrap_or(0);
    for (key, value) in pairs {
        println!("{key:<width$}  {value}");
    }
}

fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("-").to_owned()
}

pub(crate) fn kernel_info(json: bool, info: &KernelInfo) -> Result<()> {
    if json {
        return named("kernelInfo", info);
    }
    fields(&[
        ("version", info.version.clone()),
        ("rulePackId", or_dash(info.rule_pack_id.as_deref())),
        (
            "policyId",
            info.policy_id.map_or("-".into(), |id| id.to_string()),
        ),
        ("commitStatus", info.commit_status.to_string()),
        ("eventCount", info.event_count.to_string()),
    ]);
    let storage = &info.storage;
    let optional =
        |value: Option<&jitos_client::U64>| value.map_or("-".to_owned(), ToString::to_string);
    let mut pairs = vec![
        ("storage", storage.mode.to_string()),
        (
            "fsync",
            storage
                .fsync
                .as_ref()
                .map_or("-".into(), ToString::to_string),
        ),
        (
            "boot",
            format!(
                "{} events restored, {} replayed, checkpoint {}",
                storage.boot_event_count,
                storage.boot_replayed_count,
                optional(storage.boot_checkpoint_idx.as_ref())
            ),
        ),
        ("checkpointIdx", optional(storage.checkpoint_idx.as_ref())),
    ];
    if let Some(cut) = &storage.boot_cut {
        let what = if cut.was_corrupt {
            "corruption"
        } else {
            "torn tail"
        };
        pairs.push((
            "bootCut",
            format!(
                "{what}: {} at byte {}, {} bytes dropped, {} later segments removed",
                cut.segment,
                cut.offset,
                cut.dropped_bytes,
                cut.removed_segments.len()
            ),
        ));
    }
    fields(&pairs);
    Ok(())
}

pub(crate) fn digest(json: bool, digest: &GraphDigest) -> Result<()> {
    if json {
        return named("graph", digest);
    }
    println!("{}", digest.digest);
    Ok(())
}

pub(crate) fn graph(json: bool, graph: &GraphSnapshot) -> Result<()> {
    if json {
        return named("graph", graph);
    }
    fields(&[
        ("view", graph.view.to_string()),
        ("digest", graph.digest.clone()),
        ("commitDigest", graph.commit_digest.clone()),
        ("snapshotId", or_dash(graph.snapshot_id.as_deref())),
    ]);
    println!();
    let nodes: Vec<Vec<String>> = graph
        .nodes
        .nodes
        .iter()
        .map(|n| vec![n.id.clone(), n.kind.clone(), n.payload_b64.clone()])
        .collect();
    table(&["NODE", "KIND", "PAYLOAD (base64)"], &nodes);
    more(
        "nodes",
        graph.nodes.page_info.end_cursor.as_deref(),
        graph.nodes.page_info.has_next_page,
    );
    if !graph.edges.edges.is_empty() || graph.edges.page_info.has_next_page {
        println!();
        let edges: Vec<Vec<String>> = graph
            .edges
            .edges
            .iter()
            .map(|e| vec![e.id.clone(), e.kind.clone(), e.from.clone(), e.to.clone()])
            .collect();
        table(&["EDGE", "KIND", "FROM", "TO"], &edges);
        let info = &graph.edges.page_info;
        more("edges", info.end_cursor.as_deref(), info.has_next_page);
    }
    Ok(())
}

/// The line that tells how to read the next page of a list.
fn more(what: &str, cursor: Option<&str>, has_next_page: bool) {
    if has_next_page {
        let flag = if what == "edges" {
            "--edges-after"
        } else {
            "--after"
        };
        println!("... more {what}: {flag} {}", cursor.unwrap_or(""));
    }
}

/// `+` for an added item, `-` for a removed one, `?` for a change this client does not know.
fn sign(change: &ChangeKind) -> char {
    match change {
        ChangeKind::Added => '+',
        ChangeKind::Removed => '-',
        _ => '?',
    }
}

/// The lines of a diff for people: `+ node ID KIND`, `- edge ID FROM -> TO KIND`, in the
/// server's order (nodes, then edges, each by id), then a summary line.
pub(crate) fn diff_lines(diff: &GraphDiff) -> Vec<String> {
    let nodes = diff.nodes.changes.iter().map(|change| {
        let node = &change.node;
        format!("{} node {} {}", sign(&change.change), node.id, node.kind)
    });
    let edges = diff.edges.changes.iter().map(|change| {
        let edge = &change.edge;
        let (id, from, to, kind) = (&edge.id, &edge.from, &edge.to, &edge.kind);
        format!("{} edge {id} {from} -> {to} {kind}", sign(&change.change))
    });
    let mut lines: Vec<String> = nodes.chain(edges).collect();
    let (nodes_added, nodes_removed) = tally(diff.nodes.changes.iter().map(|c| &c.change));
    let (edges_added, edges_removed) = tally(diff.edges.changes.iter().map(|c| &c.change));
    lines.push(format!(
        "nodes: {nodes_added} added, {nodes_removed} removed; \
         edges: {edges_added} added, {edges_removed} removed"
    ));
    lines
}

/// How many of `changes` are additions, and how many removals.
fn tally<'a>(changes: impl Iterator<Item = &'a ChangeKind>) -> (usize, usize) {
    changes.fold((0, 0), |(added, removed), change| match change {
        ChangeKind::Added => (added + 1, removed),
        ChangeKind::Removed => (added, removed + 1),
        _ => (added, removed),
    })
}

/// A whole diff: `{"diff": {...}}` with `--json`, else [`diff_lines`].
pub(crate) fn diff(json: bool, diff: &GraphDiff) -> Result<()> {
    if json {
        return named("diff", diff);
    }
    for line in diff_lines(diff) {
        println!("{line}");
    }
    Ok(())
}

pub(crate) fn node(json: bool, node: Option<&Node>) -> Result<()> {
    if json {
        return named("node", &node);
    }
    if let Some(node) = node {
        fields(&[
            ("id", node.id.clone()),
            ("kind", node.kind.clone()),
            ("payloadB64", node.payload_b64.clone()),
            ("data", node.data.to_string()),
        ]);
    }
    Ok(())
}

pub(crate) fn edge(json: bool, edge: Option<&Edge>) -> Result<()> {
    if json {
        return named("edge", &edge);
    }
    if let Some(edge) = edge {
        let data = edge.data.as_ref().map(ToString::to_string);
        fields(&[
            ("id", edge.id.clone()),
            ("kind", edge.kind.clone()),
            ("from", edge.from.clone()),
            ("to", edge.to.clone()),
            ("data", or_dash(data.as_deref())),
        ]);
    }
    Ok(())
}

/// What a listing says of an event besides its ops: the outcome of a COLLAPSE or REBASE
/// (`committed`, `aborted: N conflicts`, `refused: N conflicts`), the reason of a DISCARD, or
/// `-`.
pub(crate) fn event_detail(event: &RewriteEvent) -> String {
    match (&event.receipt, &event.reason) {
        (Some(receipt), _) => outcome(receipt),
        (None, Some(reason)) if event.kind == EventKind::Discard => format!("reason: {reason}"),
        (None, _) => "-".to_owned(),
    }
}

fn event_row(event: &RewriteEvent) -> Vec<String> {
    let ops = serde_json::to_string(&event.ops).unwrap_or_default();
    vec![
        event.idx.to_string(),
        event.kind.to_string(),
        event.view.to_string(),
        event_detail(event),
        ops,
    ]
}

/// `rewrites` or `events`: `name` is the key of the JSON object.
pub(crate) fn events(json: bool, name: &str, events: &[RewriteEvent]) -> Result<()> {
    if json {
        return named(name, events);
    }
    let rows: Vec<Vec<String>> = events.iter().map(event_row).collect();
    table(&["IDX", "KIND", "VIEW", "DETAIL", "OPS"], &rows);
    Ok(())
}

/// One event of a watch, as one line.
pub(crate) fn watched(json: bool, event: &RewriteEvent) -> Result<()> {
    if json {
        return json_line(event);
    }
    println!("{}", event_row(event).join("  "));
    Ok(())
}

pub(crate) fn sws_list(json: bool, list: &[Sws]) -> Result<()> {
    if json {
        return named("listSws", list);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|sws| {
            vec![
                sws.id.clone(),
                sws.state.clone(),
                or_dash(sws.parent_snapshot_id.as_deref()),
            ]
        })
        .collect();
    table(&["SWS", "STATE", "BASE"], &rows);
    Ok(())
}

pub(crate) fn sws(json: bool, sws: Option<&Sws>) -> Result<()> {
    if json {
        return named("sws", &sws);
    }
    if let Some(sws) = sws {
        let meta = sws.meta.as_ref().map(ToString::to_string);
        fields(&[
            ("id", sws.id.clone()),
            ("state", sws.state.clone()),
            (
                "parentSnapshotId",
                or_dash(sws.parent_snapshot_id.as_deref()),
            ),
            ("meta", or_dash(meta.as_deref())),
        ]);
    }
    Ok(())
}

pub(crate) fn created(json: bool, sws: &Sws) -> Result<()> {
    if json {
        return named("createSws", &BTreeMap::from([("sws", sws)]));
    }
    println!("created sws:{} ({})", sws.id, sws.state);
    Ok(())
}

pub(crate) fn discarded(json: bool, discarded: bool) -> Result<()> {
    if json {
        return named("discardSws", &BTreeMap::from([("discarded", discarded)]));
    }
    println!("discarded: {discarded}");
    Ok(())
}

/// `committed`, or `aborted: N conflicts` (a collapse), `refused: N conflicts` (a rebase).
fn outcome(receipt: &MergeReceipt) -> String {
    if receipt.committed {
        return "committed".to_owned();
    }
    let verb = if receipt.kind == EventKind::Rebase {
        "refused"
    } else {
        "aborted"
    };
    let n_conflicts = receipt.conflicts.len();
    let plural = if n_conflicts == 1 { "" } else { "s" };
    format!("{verb}: {n_conflicts} conflict{plural}")
}

/// `collapse of sws:1 committed`, `rebase of sws:1 refused: 2 conflicts`.
pub(crate) fn merge_headline(receipt: &MergeReceipt) -> String {
    let what = receipt.kind.as_str().to_lowercase();
    format!("{what} of sws:{} {}", receipt.sws_id, outcome(receipt))
}

/// `NODE` or `EDGE` as a word of a sentence.
fn item(kind: &jitos_client::ItemKind) -> String {
    kind.as_str().to_lowercase()
}

/// One `!` line: the overlay's change, and the System change in its way.
pub(crate) fn conflict_line(conflict: &Conflict) -> String {
    format!(
        "! {} {} {} (overlay {}) vs {} {} (system {})",
        conflict.kind,
        item(&conflict.subject),
        conflict.id,
        conflict.overlay_change,
        item(&conflict.system_subject),
        conflict.system_id,
        conflict.system_change
    )
}

/// The receipt of a collapse or a rebase for people: the headline, the event, the snapshots
/// before and after, the counts of merged ops, the digests (`system_digest` for a collapse),
/// then one [`conflict_line`] per conflict.
pub(crate) fn merge_lines(receipt: &MergeReceipt, system_digest: Option<&str>) -> Vec<String> {
    let mut pairs = vec![
        ("event", receipt.event_idx.to_string()),
        (
            "snapshot",
            format!(
                "{} -> {}",
                receipt.base_snapshot_id, receipt.system_snapshot_id
            ),
        ),
        (
            "nodes",
            format!(
                "{} added, {} removed",
                receipt.nodes_added, receipt.nodes_removed
            ),
        ),
        (
            "edges",
            format!(
                "{} added, {} removed",
                receipt.edges_added, receipt.edges_removed
            ),
        ),
        ("sws", receipt.view_digest.clone()),
    ];
    if let Some(digest) = system_digest {
        pairs.push(("system", digest.to_owned()));
    }
    pairs.push(("receipt", receipt.digest.clone()));
    let width = pairs.iter().map(|(key, _)| key.len()).max().unwrap_or(0);
    let mut lines = vec![merge_headline(receipt)];
    lines.extend(
        pairs
            .iter()
            .map(|(key, value)| format!("  {key:<width$}  {value}")),
    );
    lines.extend(receipt.conflicts.iter().map(conflict_line));
    lines
}

/// A collapse: `{"collapseSws": {...}}` with `--json`, else [`merge_lines`].
pub(crate) fn collapsed(json: bool, collapsed: &Collapsed) -> Result<()> {
    if json {
        return named("collapseSws", collapsed);
    }
    let system_digest = Some(collapsed.system_digest.as_str());
    for line in merge_lines(&collapsed.collapse_receipt, system_digest) {
        println!("{line}");
    }
    Ok(())
}

/// A rebase: `{"rebaseSws": {...}}` with `--json`, else [`merge_lines`].
pub(crate) fn rebased(json: bool, rebased: &Rebased) -> Result<()> {
    if json {
        return named("rebaseSws", rebased);
    }
    for line in merge_lines(&rebased.receipt, None) {
        println!("{line}");
    }
    Ok(())
}

pub(crate) fn applied(json: bool, applied: &AppliedRewrite) -> Result<()> {
    if json {
        return named("applyRewrite", applied);
    }
    let receipt = &applied.receipt;
    println!(
        "accepted: {}\nrewriteIdx: {}\nviewDigest: {}",
        applied.accepted, receipt.rewrite_idx, receipt.view_digest
    );
    Ok(())
}
