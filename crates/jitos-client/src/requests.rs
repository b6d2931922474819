//! One [`Client`] method per query and mutation of `graphql/operations.graphql`.
//!
//! # Invariants
//! - Each method sends exactly one request and returns the converted data or the first error.
//! - Writes take a live [`View`]: the type has no room for a pin, as the API accepts none.

use crate::input::{GraphFilter, Page, WriteOptions};
use crate::operations as ops;
use crate::types::{
    AppliedRewrite, Collapsed, Edge, GraphDiff, GraphDigest, GraphSnapshot, KernelInfo, Node,
    Rebased, RewriteEvent, Sws,
};
use crate::view::{View, ViewRef};
use crate::{Client, Error, convert};

impl Client {
    /// `kernelInfo`: facts about the running kernel.
    ///
    /// # Errors
    /// As every call: see [`Error`].
    pub async fn kernel_info(&self) -> Result<KernelInfo, Error> {
        let data = self
            .run::<ops::KernelInfo>(ops::kernel_info::Variables)
            .await?;
        Ok(convert::kernel_info(data))
    }

    /// `graph(view) { digest snapshotId }`: the digest of a view, without its content.
    ///
    /// # Errors
    /// As every call: see [`Error`].
    pub async fn graph_digest(&self, view: &ViewRef) -> Result<GraphDigest, Error> {
        let variables = convert::graph_digest_variables(view);
        let data = self.run::<ops::GraphDigest>(variables).await?;
        Ok(convert::graph_digest(data))
    }

    /// `graph`: one page of a view's nodes and one of its edges, with its digests and the
    /// `snapshotId` that pins further pages to the same content.
    ///
    /// # Errors
    /// As every call: see [`Error`].
    pub async fn graph(
        &self,
        view: &ViewRef,
        nodes_page: &Page,
        edges_page: &Page,
        filter: &GraphFilter,
    ) -> Result<GraphSnapshot, Error> {
        let variables = convert::graph_variables(
            view,
            nodes_page,
            edges_page,
            filter.nodes.as_ref(),
            filter.edges.as_ref(),
        );
        let data = self.run::<ops::Graph>(variables).await?;
        Ok(convert::graph(data))
    }

    /// `node`: one node of a view, or `None`.
    ///
    /// # Errors
    /// As every call: see [`Error`].
    pub async fn node(&self, view: &ViewRef, id: &str) -> Result<Option<Node>, Error> {
        let data = self
            .run::<ops::Node>(convert::node_variables(view, id))
            .await?;
        Ok(convert::node(data))
    }

    /// `edge`: one edge of a view, or `None`.
    ///
    /// # Errors
    /// As every call: see [`Error`].
    pub async fn edge(&self, view: &ViewRef, id: &str) -> Result<Option<Edge>, Error> {
        let data = self
            .run::<ops::Edge>(convert::edge_variables(view, id))
            .await?;
        Ok(convert::edge(data))
    }

    /// `rewrites`: one page of the events that target a view, by ascending idx.
    ///
    /// # Errors
    /// As every call: see [`Error`].
    pub async fn rewrites(&self, view: &ViewRef, page: &Page) -> Result<Vec<RewriteEvent>, Error> {
        let data = self
            .run::<ops::Rewrites>(convert::rewrites_variables(view, page))
            .await?;
        Ok(convert::rewrites(data))
    }

    /// `diff`: one page of the node changes and one of the edge changes from view `from` to
    /// view `to` (each live, pinned to a snapshot, or as of an event), in id order, with both
    /// views' snapshot ids. An added item is as `to` has it, a removed one as `from` has it.
    ///
    /// # Errors
    /// As every call: see [`Error`]. A view that does not exist is `NOT_FOUND` at `from.*` or
    /// `to.*`.
    pub async fn diff(
        &self,
        from: &ViewRef,
        to: &ViewRef,
        nodes_page: &Page,
        edges_page: &Page,
    ) -> Result<GraphDiff, Error> {
        let variables = convert::diff_variables(from, to, nodes_page, edges_page);
        let data = self.run::<ops::Diff>(variables).await?;
        Ok(convert::diff(data))
    }

    /// `events`: one page of the global log, by ascending idx.
    ///
    /// # Errors
    /// As every call: see [`Error`].
    pub async fn events(&self, page: &Page) -> Result<Vec<RewriteEvent>, Error> {
        let data = self
            .run::<ops::Events>(convert::events_variables(page))
            .await?;
        Ok(convert::events(data))
    }

    /// `listSws`: one page of the SWSs, in id order.
    ///
    /// # Errors
    /// As every call: see [`Error`].
    pub async fn list_sws(&self, page: &Page) -> Result<Vec<Sws>, Error> {
        let data = self
            .run::<ops::ListSws>(convert::list_sws_variables(page))
            .await?;
        Ok(convert::list_sws(data))
    }

    /// `sws`: one SWS, or `None`.
    ///
    /// # Errors
    /// As every call: see [`Error`].
    pub async fn sws(&self, id: u64) -> Result<Option<Sws>, Error> {
        let variables = ops::sws::Variables { id: id.to_string() };
        let data = self.run::<ops::Sws>(variables).await?;
        Ok(convert::sws(data))
    }

    /// `createSws`: a new SWS over the current System.
    ///
    /// # Errors
    /// As every call: see [`Error`].
    pub async fn create_sws(&self, options: &WriteOptions) -> Result<Sws, Error> {
        let input = ops::create_sws::CreateSwsInput {
            meta: options.meta.clone(),
            idempotency_key: options.idempotency_key.clone(),
        };
        let variables = ops::create_sws::Variables { input: Some(input) };
        let data = self.run::<ops::CreateSws>(variables).await?;
        Ok(convert::created_sws(data))
    }

    /// `discardSws`: discards SWS `id`, recording `reason`; returns whether it is discarded.
    ///
    /// # Errors
    /// As every call: see [`Error`]. Discarding an SWS that is not ACTIVE is `CONFLICT`.
    pub async fn discard_sws(
        &self,
        id: u64,
        reason: Option<&str>,
        options: &WriteOptions,
    ) -> Result<bool, Error> {
        let variables = convert::discard_variables(id, reason, options);
        let data = self.run::<ops::DiscardSws>(variables).await?;
        Ok(data.discard_sws.discarded)
    }

    /// `collapseSws` (M3): collapses SWS `id` into System under policy `policy_id` (the
    /// server's default, 0, when `None`). An aborted collapse is an answer, not an error: its
    /// `committed` is false and its receipt lists every conflict.
    ///
    /// # Errors
    /// As every call: see [`Error`]. An SWS that is not ACTIVE is `CONFLICT` at `input.swsId`;
    /// an unknown one `NOT_FOUND`; a policy other than 0 `INVALID_INPUT` at `input.policyId`.
    pub async fn collapse_sws(
        &self,
        id: u64,
        policy_id: Option<u32>,
        options: &WriteOptions,
    ) -> Result<Collapsed, Error> {
        let variables = convert::collapse_variables(id, policy_id, options);
        let data = self.run::<ops::CollapseSws>(variables).await?;
        Ok(convert::collapsed(data))
    }

    /// `rebaseSws` (M3): moves SWS `id` onto current System, replaying its overlay under the
    /// collapse conflict rules. A refused rebase is an answer, not an error: `rebased` is false,
    /// nothing changed, and the receipt lists every conflict.
    ///
    /// # Errors
    /// As every call: see [`Error`]. An SWS that is not ACTIVE is `CONFLICT` at `input.swsId`;
    /// an unknown one `NOT_FOUND`.
    pub async fn rebase_sws(&self, id: u64, options: &WriteOptions) -> Result<Rebased, Error> {
        let variables = convert::rebase_variables(id, options);
        let data = self.run::<ops::RebaseSws>(variables).await?;
        Ok(convert::rebased(data))
    }

    /// `applyRewrite`: applies `ops` (each `{op, data}`, see [`crate::Op`]) to `view`
    /// atomically.
    ///
    /// # Errors
    /// As every call: see [`Error`]. Writing System is `INVALID_INPUT`; writing an SWS that is
    /// not ACTIVE is `CONFLICT`.
    pub async fn apply_rewrite(
        &self,
        view: View,
        ops: Vec<serde_json::Value>,
        options: &WriteOptions,
    ) -> Result<AppliedRewrite, Error> {
        let rewrite = ops::apply_rewrite::RewriteInput {
            ops,
            meta: options.meta.clone(),
            idempotency_key: options.idempotency_key.clone(),
        };
        let variables = convert::apply_rewrite_variables(view, rewrite);
        let data = self.run::<ops::ApplyRewrite>(variables).await?;
        Ok(convert::applied_rewrite(data))
    }
}
