//! Output: aligned tables for people, the response data as JSON with `--json`.
//!
//! # Invariants
//! - `--json` prints exactly the response data of the operation, nothing else, on one line.

#![allow(clippy::print_stdout, reason = "printing results is this module's job")]

use anyhow::Result;
use serde::Serialize;

use crate::operations as ops;

fn json_line<T: Serialize>(data: &T) -> Result<()> {
    println!("{}", serde_json::to_string(data)?);
    Ok(())
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

pub(crate) fn digest(json: bool, data: &ops::graph_digest::ResponseData) -> Result<()> {
    if json {
        return json_line(data);
    }
    println!("{}", data.graph.digest);
    Ok(())
}

pub(crate) fn graph(json: bool, data: &ops::graph_nodes::ResponseData) -> Result<()> {
    if json {
        return json_line(data);
    }
    let graph = &data.graph;
    println!(
        "digest        {}\ncommitDigest  {}\n",
        graph.digest, graph.commit_digest
    );
    let nodes: Vec<Vec<String>> = graph
        .nodes
        .nodes
        .iter()
        .map(|n| vec![n.id.clone(), n.kind.clone(), n.payload_b64.clone()])
        .collect();
    table(&["NODE", "KIND", "PAYLOAD (base64)"], &nodes);
    if graph.nodes.page_info.has_next_page {
        println!(
            "... more nodes after {}",
            graph.nodes.page_info.end_cursor.as_deref().unwrap_or("")
        );
    }
    if !graph.edges.edges.is_empty() {
        println!();
        let edges: Vec<Vec<String>> = graph
            .edges
            .edges
            .iter()
            .map(|e| vec![e.id.clone(), e.kind.clone(), e.from.clone(), e.to.clone()])
            .collect();
        table(&["EDGE", "KIND", "FROM", "TO"], &edges);
    }
    Ok(())
}

pub(crate) fn rewrites(json: bool, data: &ops::rewrites::ResponseData) -> Result<()> {
    if json {
        return json_line(data);
    }
    let rows: Vec<Vec<String>> = data
        .rewrites
        .iter()
        .map(|event| {
            let view = match &event.view.sws_id {
                Some(id) => format!("sws:{id}"),
                None => "system".to_owned(),
            };
            let ops = serde_json::to_string(&event.ops).unwrap_or_default();
            vec![event.idx.clone(), format!("{:?}", event.kind), view, ops]
        })
        .collect();
    table(&["IDX", "KIND", "VIEW", "OPS"], &rows);
    Ok(())
}

pub(crate) fn sws_list(json: bool, data: &ops::list_sws::ResponseData) -> Result<()> {
    if json {
        return json_line(data);
    }
    let rows: Vec<Vec<String>> = data
        .list_sws
        .iter()
        .map(|sws| {
            vec![
                sws.id.clone(),
                sws.state.clone(),
                sws.parent_snapshot_id.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(&["SWS", "STATE", "BASE"], &rows);
    Ok(())
}

pub(crate) fn created(json: bool, data: &ops::create_sws::ResponseData) -> Result<()> {
    if json {
        return json_line(data);
    }
    println!(
        "created sws:{} ({})",
        data.create_sws.sws.id, data.create_sws.sws.state
    );
    Ok(())
}

pub(crate) fn discarded(json: bool, data: &ops::discard_sws::ResponseData) -> Result<()> {
    if json {
        return json_line(data);
    }
    println!("discarded: {}", data.discard_sws.discarded);
    Ok(())
}

pub(crate) fn applied(json: bool, data: &ops::apply_rewrite::ResponseData) -> Result<()> {
    if json {
        return json_line(data);
    }
    let receipt = &data.apply_rewrite.receipt;
    println!(
        "accepted: {}\nrewriteIdx: {}\nviewDigest: {}",
        data.apply_rewrite.accepted, receipt.rewrite_idx, receipt.view_digest
    );
    Ok(())
}
