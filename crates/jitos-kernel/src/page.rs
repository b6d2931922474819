//! Pages that do not lie (contract §6): `first` + `after` over nodes and edges (ordered by id
//! bytes, cursor = last id in hex) and over events and SWSs (ordered by idx or id, cursor =
//! the last one in decimal), with node and edge filters.
//!
//! A page starts strictly after its cursor, whether or not the item the cursor names still
//! exists, so paging a pinned snapshot never duplicates or skips an item.
//!
//! # Invariants
//! - A cursor that is not of the page's form is `INVALID_INPUT` at `<page>.after`.
//! - `hasNextPage` is true exactly when another item matching the filter follows the page.
//! - Kind filters skip items, so their cost grows with the items skipped; `from` / `to`
//!   filters walk the node's incidence list only.

use std::collections::BTreeSet;

use jitos_core::Hash;
use jitos_core::limits::PAGE_FIRST_DEFAULT;
use jitos_graph::{Edge, Graph, GraphDiff, Node, NodeId};
use jitos_schema::enums::ChangeKind;
use jitos_schema::inputs::{EdgeFilterInput, NodeFilterInput, PageInput};
use jitos_schema::outputs::{
    EdgeChange, EdgeChangeConnection, GraphEdgeConnection, GraphNodeConnection, NodeChange,
    NodeChangeConnection, PageInfo,
};

use crate::error::KernelError;
use crate::output;
use crate::view::parse_sws_id;

/// A checked page request: how many items after which cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page<C> {
    /// At most this many items.
    pub first: usize,
    /// Start strictly after this.
    pub after: Option<C>,
}

fn first_of(page: Option<&PageInput>) -> usize {
    // The generated validator has checked 1 <= first <= PAGE_FIRST_MAX.
    page.and_then(|page| usize::try_from(page.first).ok())
        .unwrap_or(PAGE_FIRST_DEFAULT as usize)
}

/// A page over ids: the cursor is a node or edge id in hex.
///
/// # Errors
/// `INVALID_INPUT` at `<path>.after` for a cursor that is not 64 lowercase hex characters.
pub(crate) fn by_id(page: Option<&PageInput>, path: &str) -> Result<Page<Hash>, KernelError> {
    let after = page.and_then(|page| page.after.as_deref());
    let after = after
        .map(|cursor| {
            Hash::from_hex(cursor).map_err(|_| {
                KernelError::invalid(
                    format!("{path}.after"),
                    "this cursor is an id: 64 lowercase hex characters",
                )
            })
        })
        .transpose()?;
    Ok(Page {
        first: first_of(page),
        after,
    })
}

/// A page over positions: the cursor is an event idx or an SWS id in decimal.
///
/// # Errors
/// `INVALID_INPUT` at `<path>.after` for a cursor that is not the decimal form of a u64.
pub(crate) fn by_idx(page: Option<&PageInput>, path: &str) -> Result<Page<u64>, KernelError> {
    let after = page.and_then(|page| page.after.as_deref());
    let after = after
        .map(|cursor| parse_sws_id(cursor, &format!("{path}.after")))
        .transpose()
        .map_err(|_| {
            KernelError::invalid(
                format!("{path}.after"),
                "this cursor is a position: the decimal form of a u64",
            )
        })?;
    Ok(Page {
        first: first_of(page),
        after,
    })
}

/// A node filter, checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeFilter {
    kinds: Option<BTreeSet<String>>,
    /// `hasKeys`: v0 node data has exactly one key, `payload_b64`.
    keys_match: bool,
}

impl NodeFilter {
    pub(crate) fn new(input: Option<&NodeFilterInput>) -> NodeFilter {
        let Some(input) = input else {
            return NodeFilter {
                kinds: None,
                keys_match: true,
            };
        };
        let keys_match = input
            .has_keys
            .as_ref()
            .is_none_or(|keys| keys.iter().all(|key| key == output::NODE_DATA_PAYLOAD_KEY));
        NodeFilter {
            kinds: input
                .kinds
                .as_ref()
                .map(|kinds| kinds.iter().cloned().collect()),
            keys_match,
        }
    }

    fn accepts(&self, node: &Node) -> bool {
        self.keys_match
            && self
                .kinds
                .as_ref()
                .is_none_or(|kinds| kinds.contains(node.kind()))
    }
}

/// An edge filter, checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct EdgeFilter {
    kinds: Option<BTreeSet<String>>,
    from: Option<NodeId>,
    to: Option<NodeId>,
}

impl EdgeFilter {
    /// # Errors
    /// `INVALID_INPUT` at `edgeFilter.from` / `.to` for an id that is not hex (the schema's
    /// pattern has already refused it; this is the typed parse).
    pub(crate) fn new(input: Option<&EdgeFilterInput>) -> Result<EdgeFilter, KernelError> {
        let Some(input) = input else {
            return Ok(EdgeFilter::default());
        };
        let id = |text: &Option<String>, field: &str| {
            text.as_deref()
                .map(|text| {
                    Hash::from_hex(text)
                        .map_err(|error| KernelError::invalid(format!("edgeFilter.{field}"), error))
                })
                .transpose()
        };
        Ok(EdgeFilter {
            kinds: input
                .kinds
                .as_ref()
                .map(|kinds| kinds.iter().cloned().collect()),
            from: id(&input.from, "from")?,
            to: id(&input.to, "to")?,
        })
    }

    fn accepts(&self, edge: &Edge) -> bool {
        self.kinds
            .as_ref()
            .is_none_or(|kinds| kinds.contains(edge.kind()))
            && self.from.is_none_or(|from| *edge.from() == from)
            && self.to.is_none_or(|to| *edge.to() == to)
    }
}

/// One page of `graph`'s nodes.
pub(crate) fn nodes(graph: &Graph, page: Page<Hash>, filter: &NodeFilter) -> GraphNodeConnection {
    let matching = graph
        .nodes_after(page.after.as_ref())
        .filter(|(_, node)| filter.accepts(node));
    let (nodes, has_next_page) = take_page(matching, page.first);
    let nodes: Vec<_> = nodes
        .into_iter()
        .map(|(id, node)| output::node(id, node))
        .collect();
    GraphNodeConnection {
        page_info: PageInfo {
            end_cursor: nodes.last().map(|node| node.id.clone()),
            has_next_page,
        },
        nodes,
    }
}

/// One page of `graph`'s edges.
pub(crate) fn edges(graph: &Graph, page: Page<Hash>, filter: &EdgeFilter) -> GraphEdgeConnection {
    let (edges, has_next_page) = match filter.from.or(filter.to) {
        // Walk the incidence list of one end instead of every edge.
        Some(end) => {
            let after = page.after;
            let matching = graph
                .edges_touching(&end)
                .filter(|id| after.is_none_or(|after| **id > after))
                .filter_map(|id| Some((id, graph.edge(id)?)))
                .filter(|(_, edge)| filter.accepts(edge));
            take_page(matching, page.first)
        }
        None => {
            let matching = graph
                .edges_after(page.after.as_ref())
                .filter(|(_, edge)| filter.accepts(edge));
            take_page(matching, page.first)
        }
    };
    let edges: Vec<_> = edges
        .into_iter()
        .map(|(id, edge)| output::edge(id, edge))
        .collect();
    GraphEdgeConnection {
        page_info: PageInfo {
            end_cursor: edges.last().map(|edge| edge.id.clone()),
            has_next_page,
        },
        edges,
    }
}

/// The first `first` ids after `page.after` of two disjoint ascending lists, merged, each with
/// its change, and whether another follows.
fn merged_page(
    removed: &[Hash],
    added: &[Hash],
    page: Page<Hash>,
) -> (Vec<(Hash, ChangeKind)>, bool) {
    let after = page.after.as_ref();
    let tag = |ids: &[Hash], change| {
        GraphDiff::ids_after(ids, after)
            .iter()
            .take(page.first + 1)
            .map(move |id| (*id, change))
            .collect::<Vec<_>>()
    };
    let mut merged = tag(removed, ChangeKind::Removed);
    merged.extend(tag(added, ChangeKind::Added));
    merged.sort_unstable_by_key(|(id, _)| *id);
    let has_next = merged.len() > page.first;
    merged.truncate(page.first);
    (merged, has_next)
}

/// One page of the nodes that differ from `from` to `to` (`diff` is `from.diff(to)`): a removed
/// node as `from` has it, an added one as `to` has it.
pub(crate) fn node_changes(
    from: &Graph,
    to: &Graph,
    diff: &GraphDiff,
    page: Page<Hash>,
) -> NodeChangeConnection {
    let (ids, has_next_page) = merged_page(&diff.nodes_removed, &diff.nodes_added, page);
    let changes: Vec<NodeChange> = ids
        .into_iter()
        .filter_map(|(id, change)| {
            let holder = if change == ChangeKind::Removed {
                from
            } else {
                to
            };
            let node = holder.node(&id)?;
            Some(NodeChange {
                change,
                node: output::node(&id, node),
            })
        })
        .collect();
    NodeChangeConnection {
        page_info: PageInfo {
            end_cursor: changes.last().map(|change| change.node.id.clone()),
            has_next_page,
        },
        changes,
    }
}

/// One page of the edges that differ from `from` to `to`, as [`node_changes`] for nodes.
pub(crate) fn edge_changes(
    from: &Graph,
    to: &Graph,
    diff: &GraphDiff,
    page: Page<Hash>,
) -> EdgeChangeConnection {
    let (ids, has_next_page) = merged_page(&diff.edges_removed, &diff.edges_added, page);
    let changes: Vec<EdgeChange> = ids
        .into_iter()
        .filter_map(|(id, change)| {
            let holder = if change == ChangeKind::Removed {
                from
            } else {
                to
            };
            let edge = holder.edge(&id)?;
            Some(EdgeChange {
                change,
                edge: output::edge(&id, edge),
            })
        })
        .collect();
    EdgeChangeConnection {
        page_info: PageInfo {
            end_cursor: changes.last().map(|change| change.edge.id.clone()),
            has_next_page,
        },
        changes,
    }
}

/// The first `first` items and whether another follows.
fn take_page<T>(mut items: impl Iterator<Item = T>, first: usize) -> (Vec<T>, bool) {
    let page: Vec<T> = items.by_ref().take(first).collect();
    let has_next = items.next().is_some();
    (page, has_next)
}
