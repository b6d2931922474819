//! Paging helpers that follow cursors to the end of a listing.
//!
//! A graph listing is pinned: the first page's `snapshotId` names the immutable node and edge
//! set that every following page reads, so the listing is one consistent view however many
//! writes land meanwhile (contract §6). A diff is not pinned: every page compares the two views
//! as the caller named them, and the listing fails rather than mix two moments if either view's
//! snapshot changes between pages. Event lists (`rewrites`, `events`) are plain lists whose
//! cursor is the last idx; they are followed until a page comes back shorter than asked.
//!
//! The loops take the fetch as a closure, so `tests.rs` drives them without a server.
//!
//! # Invariants
//! - Every page after the first of a graph listing reads the first page's snapshot, and its
//!   digest must equal the first page's; otherwise the listing fails with [`Error::Protocol`].
//! - Every page of a diff listing names the same `fromSnapshotId` and `toSnapshotId` as the
//!   first; otherwise it fails with [`Error::Protocol`].
//! - Ids (graph, diff) and idxs (events) are strictly ascending across the whole listing, so no item
//!   is returned twice; a page that does not advance the cursor fails instead of looping.
//! - Every loop ends: each round either stops or adds at least one item beyond the last one.

use crate::input::{GraphFilter, Page};
use crate::types::{EdgeChange, GraphDiff, GraphSnapshot, NodeChange, PageInfo, RewriteEvent};
use crate::view::ViewRef;
use crate::{Client, Error};

/// The server's page size when a request gives none (`PageInput.first`'s default).
pub const DEFAULT_PAGE_FIRST: i64 = 200;

impl Client {
    /// Every node and edge of a view: the first page as `nodes_page` and `edges_page` ask, then
    /// every following page of the same snapshot, merged into one [`GraphSnapshot`] whose page
    /// infos are those of the last pages.
    ///
    /// # Errors
    /// As every call; and [`Error::Protocol`] when more pages follow but the server gave no
    /// `snapshotId` to pin them to, or when a page breaks the invariants above.
    pub async fn graph_all(
        &self,
        view: &ViewRef,
        nodes_page: &Page,
        edges_page: &Page,
        filter: &GraphFilter,
    ) -> Result<GraphSnapshot, Error> {
        follow_graph(view, nodes_page, edges_page, async |view, nodes, edges| {
            self.graph(view, &nodes, &edges, filter).await
        })
        .await
    }

    /// Every node change and every edge change from `from` to `to`, following both cursors in
    /// pages of [`DEFAULT_PAGE_FIRST`], merged into one [`GraphDiff`] whose page infos are those
    /// of the last pages.
    ///
    /// This pins nothing: each page compares `from` and `to` as given. Pass views pinned with
    /// [`ViewRef::snapshot`] (a diff names both snapshots in `fromSnapshotId` and
    /// `toSnapshotId`) or [`ViewRef::as_of`] for a diff that no write can disturb; with a live
    /// view, a write landing between two pages fails the listing instead of mixing two moments.
    ///
    /// # Errors
    /// As every call; and [`Error::Protocol`] when a view's snapshot changes between pages, or
    /// when a page breaks the paging invariants (ids that do not ascend, a cursor that does not
    /// advance).
    pub async fn diff_all(&self, from: &ViewRef, to: &ViewRef) -> Result<GraphDiff, Error> {
        follow_diff(DEFAULT_PAGE_FIRST, async |nodes, edges| {
            self.diff(from, to, &nodes, &edges).await
        })
        .await
    }

    /// Every event that targets a view from `page.after` on, page by page.
    ///
    /// # Errors
    /// As every call; and [`Error::Protocol`] when idxs do not ascend.
    pub async fn rewrites_all(
        &self,
        view: &ViewRef,
        page: &Page,
    ) -> Result<Vec<RewriteEvent>, Error> {
        follow_idx(page, async |page| self.rewrites(view, &page).await).await
    }

    /// The whole global log from `page.after` on, page by page.
    ///
    /// # Errors
    /// As every call; and [`Error::Protocol`] when idxs do not ascend.
    pub async fn events_all(&self, page: &Page) -> Result<Vec<RewriteEvent>, Error> {
        follow_idx(page, async |page| self.events(&page).await).await
    }
}

/// Follows an idx-cursored list from `page` until a page is shorter than its `first`.
pub(crate) async fn follow_idx(
    page: &Page,
    mut fetch: impl AsyncFnMut(Page) -> Result<Vec<RewriteEvent>, Error>,
) -> Result<Vec<RewriteEvent>, Error> {
    let first = page.first.unwrap_or(DEFAULT_PAGE_FIRST);
    let mut all: Vec<RewriteEvent> = Vec::new();
    let mut next = page.clone();
    loop {
        let events = fetch(next.clone()).await?;
        let n_events = events.len();
        for event in events {
            if let Some(last) = all.last()
                && event.idx <= last.idx
            {
                return Err(Error::Protocol(format!(
                    "event idx {} follows idx {}: the list does not ascend",
                    event.idx, last.idx
                )));
            }
            all.push(event);
        }
        let short = i64::try_from(n_events).is_ok_and(|n| n < first);
        match all.last() {
            Some(last) if !short => next.after = Some(last.idx.to_string()),
            _ => return Ok(all),
        }
    }
}

/// Follows a graph listing: the first page from `view`, every other pinned to its snapshot.
pub(crate) async fn follow_graph(
    view: &ViewRef,
    nodes_page: &Page,
    edges_page: &Page,
    mut fetch: impl AsyncFnMut(&ViewRef, Page, Page) -> Result<GraphSnapshot, Error>,
) -> Result<GraphSnapshot, Error> {
    let mut listing = fetch(view, nodes_page.clone(), edges_page.clone()).await?;
    if is_complete(&listing) {
        return Ok(listing);
    }
    let snapshot_id = listing.snapshot_id.clone().ok_or_else(|| {
        Error::Protocol("more pages follow but the server gave no snapshotId to pin them to".into())
    })?;
    let pinned = ViewRef::snapshot(view.view, snapshot_id);
    while !is_complete(&listing) {
        let nodes_next = next_page(nodes_page, &listing.nodes.page_info, "nodes")?;
        let edges_next = next_page(edges_page, &listing.edges.page_info, "edges")?;
        let page = fetch(&pinned, nodes_next, edges_next).await?;
        merge_graph_page(&mut listing, page)?;
    }
    Ok(listing)
}

/// Follows both cursors of a diff in pages of `first`; `fetch` reads one page of node changes
/// and one of edge changes.
pub(crate) async fn follow_diff(
    first: i64,
    mut fetch: impl AsyncFnMut(Page, Page) -> Result<GraphDiff, Error>,
) -> Result<GraphDiff, Error> {
    let asked = Page::first(first);
    let mut listing = fetch(asked.clone(), asked.clone()).await?;
    check_ascending(
        "node changes",
        None,
        &node_change_ids(&listing.nodes.changes),
    )?;
    check_ascending(
        "edge changes",
        None,
        &edge_change_ids(&listing.edges.changes),
    )?;
    while listing.nodes.page_info.has_next_page || listing.edges.page_info.has_next_page {
        let nodes_next = next_page(&asked, &listing.nodes.page_info, "node changes")?;
        let edges_next = next_page(&asked, &listing.edges.page_info, "edge changes")?;
        let page = fetch(nodes_next, edges_next).await?;
        merge_diff_page(&mut listing, page)?;
    }
    Ok(listing)
}

fn node_change_ids(changes: &[NodeChange]) -> Vec<&str> {
    changes
        .iter()
        .map(|change| change.node.id.as_str())
        .collect()
}

fn edge_change_ids(changes: &[EdgeChange]) -> Vec<&str> {
    changes
        .iter()
        .map(|change| change.edge.id.as_str())
        .collect()
}

/// Appends `page` to `listing`, checking that it compares the same snapshots and advances.
fn merge_diff_page(listing: &mut GraphDiff, page: GraphDiff) -> Result<(), Error> {
    let same = (&page.from_snapshot_id, &page.to_snapshot_id)
        == (&listing.from_snapshot_id, &listing.to_snapshot_id);
    if !same {
        return Err(Error::Protocol(format!(
            "a view of the diff changed between pages: snapshots {} -> {} then {} -> {}; pin \
             the views for a diff that spans pages while writes go on",
            listing.from_snapshot_id,
            listing.to_snapshot_id,
            page.from_snapshot_id,
            page.to_snapshot_id
        )));
    }
    let (nodes, edges) = (page.nodes, page.edges);
    if listing.nodes.page_info.has_next_page {
        let last = listing.nodes.changes.last().map(|c| c.node.id.as_str());
        check_advance("node changes", last, &node_change_ids(&nodes.changes))?;
        listing.nodes.changes.extend(nodes.changes);
        listing.nodes.page_info = nodes.page_info;
    }
    if listing.edges.page_info.has_next_page {
        let last = listing.edges.changes.last().map(|c| c.edge.id.as_str());
        check_advance("edge changes", last, &edge_change_ids(&edges.changes))?;
        listing.edges.changes.extend(edges.changes);
        listing.edges.page_info = edges.page_info;
    }
    Ok(())
}

/// Whether neither list of `listing` has more pages.
fn is_complete(listing: &GraphSnapshot) -> bool {
    !listing.nodes.page_info.has_next_page && !listing.edges.page_info.has_next_page
}

/// The request that continues a list whose last page ended with `info`; a finished list asks
/// for one item after its end, which the merge ignores.
fn next_page(asked: &Page, info: &PageInfo, what: &str) -> Result<Page, Error> {
    if !info.has_next_page {
        return Ok(Page {
            first: Some(1),
            after: info.end_cursor.clone(),
        });
    }
    let cursor = info
        .end_cursor
        .clone()
        .ok_or_else(|| Error::Protocol(format!("{what}: hasNextPage without an endCursor")))?;
    Ok(Page {
        first: asked.first,
        after: Some(cursor),
    })
}

/// Appends `page` to `listing`, checking that it reads the same snapshot and advances.
pub(crate) fn merge_graph_page(
    listing: &mut GraphSnapshot,
    page: GraphSnapshot,
) -> Result<(), Error> {
    if page.digest != listing.digest {
        return Err(Error::Protocol(format!(
            "the pinned snapshot changed between pages: digest {} then {}",
            listing.digest, page.digest
        )));
    }
    if listing.nodes.page_info.has_next_page {
        let last = listing.nodes.nodes.last().map(|node| node.id.clone());
        let ids: Vec<&str> = page
            .nodes
            .nodes
            .iter()
            .map(|node| node.id.as_str())
            .collect();
        check_advance("nodes", last.as_deref(), &ids)?;
        listing.nodes.nodes.extend(page.nodes.nodes);
        listing.nodes.page_info = page.nodes.page_info;
    }
    if listing.edges.page_info.has_next_page {
        let last = listing.edges.edges.last().map(|edge| edge.id.clone());
        let ids: Vec<&str> = page
            .edges
            .edges
            .iter()
            .map(|edge| edge.id.as_str())
            .collect();
        check_advance("edges", last.as_deref(), &ids)?;
        listing.edges.edges.extend(page.edges.edges);
        listing.edges.page_info = page.edges.page_info;
    }
    Ok(())
}

/// Checks that a continuation page of ids is not empty and ascends strictly from `last`.
fn check_advance(what: &str, last: Option<&str>, ids: &[&str]) -> Result<(), Error> {
    if ids.is_empty() {
        return Err(Error::Protocol(format!(
            "{what}: an empty page although the previous one said more follow"
        )));
    }
    check_ascending(what, last, ids)
}

/// Checks that `ids` ascend strictly from `last`.
fn check_ascending(what: &str, last: Option<&str>, ids: &[&str]) -> Result<(), Error> {
    let mut previous = last;
    for id in ids {
        if previous.is_some_and(|previous| *id <= previous) {
            return Err(Error::Protocol(format!(
                "{what}: id {id} does not follow {}",
                previous.unwrap_or_default()
            )));
        }
        previous = Some(id);
    }
    Ok(())
}
