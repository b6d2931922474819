//! The kernel behind the API: implementations of the generated resolver traits.
//!
//! Each resolver checks its input in the contract's order (view, page, ops shape, op name, op
//! fields), then either reads the latest snapshot or submits one command to the loop.
//!
//! # Invariants
//! - Reads never enter the command queue; writes always do, one command per mutation.
//! - A refused request changes nothing: every check that can fail runs before the command is
//!   submitted, or inside `State::apply`, which is atomic.

use jitos_core::Hash;
use jitos_schema::inputs::{
    MutationApplyRewriteArgs, MutationCollapseSwsArgs, MutationCreateSwsArgs,
    MutationDiscardSwsArgs, MutationRebaseSwsArgs, MutationSubmitIntentArgs, QueryDiffArgs,
    QueryEdgeArgs, QueryEventsArgs, QueryGraphArgs, QueryListSwsArgs, QueryNodeArgs,
    QueryRewritesArgs, QuerySwsArgs, SubscriptionEventsArgs, SubscriptionRewritesArgs,
    SubscriptionTaskEventsArgs, ViewRefInput,
};
use jitos_schema::ops::Op;
use jitos_schema::outputs::{
    ApplyRewritePayload, CollapseSwsPayload, CreateSwsPayload, DiscardSwsPayload, GraphDiff,
    GraphEdge, GraphNode, GraphSnapshot, KernelInfo, RebaseSwsPayload, RewriteEvent,
    SubmitIntentPayload, Sws, TaskEvent, TickEvent,
};
use jitos_schema::runtime::EventStream;
use jitos_schema::{FieldError, InputPath, Parse as _, Valid};

use crate::error::KernelError;
use crate::output;
use crate::page::{self, EdgeFilter, NodeFilter};
use crate::service::Kernel;
use crate::state::{Command, ResolvedView, State};
use crate::subscribe::{self, Start};
use crate::view::{ViewKey, ViewSpec, parse_sws_id};

type Answer<T> = Result<T, FieldError>;

fn parse_hash(text: &str, path: &str) -> Result<Hash, KernelError> {
    Hash::from_hex(text).map_err(|error| KernelError::invalid(path.to_owned(), error))
}

/// The view at `path`, resolved against `state`.
fn resolve_view(
    state: &State,
    input: &ViewRefInput,
    path: &str,
) -> Result<ResolvedView, KernelError> {
    state.resolve(ViewSpec::parse(input, path)?, path)
}

/// The live view a write targets: NOT_FOUND for an SWS never created.
fn live_view(state: &State, input: &ViewRefInput, path: &str) -> Result<ViewKey, KernelError> {
    let view = ViewKey::parse_live(input, path)?;
    state.graph(view, path)?;
    Ok(view)
}

/// A page of the events visible in `view` (all views for `None`), in idx order.
fn event_page(
    state: &State,
    view: Option<&ResolvedView>,
    page: page::Page<u64>,
) -> Result<Vec<RewriteEvent>, KernelError> {
    let start = page.after.map_or(0, |after| after.saturating_add(1));
    let end = view.and_then(|view| view.events_before);
    let visible = |idx: &u64| end.is_none_or(|end| *idx < end);
    let idxs: Vec<u64> = match view {
        None => (start..state.events().len() as u64)
            .take_while(visible)
            .take(page.first)
            .collect(),
        Some(view) => {
            let history = state
                .history(view.key)
                .ok_or_else(|| KernelError::internal("a resolved view has no history"))?;
            let idxs = history.event_idxs();
            let from = idxs.binary_search(&start).unwrap_or_else(|at| at);
            idxs.skip(from)
                .into_iter()
                .take_while(visible)
                .take(page.first)
                .collect()
        }
    };
    Ok(idxs
        .into_iter()
        .filter_map(|idx| state.events().get(usize::try_from(idx).ok()?))
        .map(|event| output::event(event))
        .collect())
}

impl jitos_schema::resolvers::Query for Kernel {
    async fn kernel_info(&self) -> Answer<KernelInfo> {
        let state = self.snapshot();
        Ok(output::kernel_info(
            state.events().len() as u64,
            state.last_collapse_committed(),
            self.storage_status().to_output(),
        ))
    }

    async fn sws(&self, args: Valid<QuerySwsArgs>) -> Answer<Option<Sws>> {
        let id = parse_sws_id(&args.id, "id")?;
        Ok(self.snapshot().sws(id).map(|record| output::sws(record)))
    }

    async fn list_sws(&self, args: Valid<QueryListSwsArgs>) -> Answer<Vec<Sws>> {
        let page = page::by_idx(args.page.as_ref(), "page")?;
        Ok(self
            .snapshot()
            .sws_after(page.after)
            .take(page.first)
            .map(|record| output::sws(record))
            .collect())
    }

    async fn graph(&self, args: Valid<QueryGraphArgs>) -> Answer<GraphSnapshot> {
        let state = self.snapshot();
        let view = resolve_view(&state, &args.view, "view")?;
        let nodes_page = page::by_id(args.nodes_page.as_ref(), "nodesPage")?;
        let edges_page = page::by_id(args.edges_page.as_ref(), "edgesPage")?;
        let node_filter = NodeFilter::new(args.node_filter.as_ref());
        let edge_filter = EdgeFilter::new(args.edge_filter.as_ref())?;
        let graph = self.graph_of(&state, &view)?;
        Ok(GraphSnapshot {
            view: output::view_ref(&view),
            digest: *graph.digest().as_bytes(),
            commit_digest: output::lazy_commit_digest(&graph),
            snapshot_id: Some(graph.digest().to_string()),
            nodes: page::nodes(&graph, nodes_page, &node_filter),
            edges: page::edges(&graph, edges_page, &edge_filter),
        })
    }

    async fn node(&self, args: Valid<QueryNodeArgs>) -> Answer<Option<GraphNode>> {
        let state = self.snapshot();
        let view = resolve_view(&state, &args.view, "view")?;
        let id = parse_hash(&args.id, "id")?;
        let graph = self.graph_of(&state, &view)?;
        Ok(graph.node(&id).map(|node| output::node(&id, node)))
    }

    async fn edge(&self, args: Valid<QueryEdgeArgs>) -> Answer<Option<GraphEdge>> {
        let state = self.snapshot();
        let view = resolve_view(&state, &args.view, "view")?;
        let id = parse_hash(&args.id, "id")?;
        let graph = self.graph_of(&state, &view)?;
        Ok(graph.edge(&id).map(|edge| output::edge(&id, edge)))
    }

    async fn rewrites(&self, args: Valid<QueryRewritesArgs>) -> Answer<Vec<RewriteEvent>> {
        let state = self.snapshot();
        let view = resolve_view(&state, &args.view, "view")?;
        let page = page::by_idx(args.page.as_ref(), "page")?;
        Ok(event_page(&state, Some(&view), page)?)
    }

    async fn diff(&self, args: Valid<QueryDiffArgs>) -> Answer<GraphDiff> {
        let state = self.snapshot();
        let from = resolve_view(&state, &args.from, "from")?;
        let to = resolve_view(&state, &args.to, "to")?;
        let nodes_page = page::by_id(args.nodes_page.as_ref(), "nodesPage")?;
        let edges_page = page::by_id(args.edges_page.as_ref(), "edgesPage")?;
        let (from_graph, to_graph) = (self.graph_of(&state, &from)?, self.graph_of(&state, &to)?);
        let diff = from_graph.diff(&to_graph);
        Ok(GraphDiff {
            from: output::view_ref(&from),
            to: output::view_ref(&to),
            from_snapshot_id: from.digest.to_string(),
            to_snapshot_id: to.digest.to_string(),
            nodes: page::node_changes(&from_graph, &to_graph, &diff, nodes_page),
            edges: page::edge_changes(&from_graph, &to_graph, &diff, edges_page),
        })
    }

    async fn events(&self, args: Valid<QueryEventsArgs>) -> Answer<Vec<RewriteEvent>> {
        let page = page::by_idx(args.page.as_ref(), "page")?;
        Ok(event_page(&self.snapshot(), None, page)?)
    }
}

impl jitos_schema::resolvers::Mutation for Kernel {
    async fn create_sws(&self, args: Valid<MutationCreateSwsArgs>) -> Answer<CreateSwsPayload> {
        let (meta, idempotency_key) = args
            .into_inner()
            .input
            .map_or((None, None), |input| (input.meta, input.idempotency_key));
        let event = self
            .submit(Command::CreateSws {
                meta,
                idempotency_key,
            })
            .await?;
        Ok(CreateSwsPayload {
            sws: output::created_sws(&event),
        })
    }

    async fn collapse_sws(
        &self,
        args: Valid<MutationCollapseSwsArgs>,
    ) -> Answer<CollapseSwsPayload> {
        let input = args.into_inner().input;
        let id = parse_sws_id(&input.sws_id, "input.swsId")?;
        if let Some(policy) = input
            .policy_id
            .filter(|policy| *policy != output::POLICY_ID)
        {
            let message = format!("policy {policy} is unknown: v0 knows only 0 (fail-fast)");
            return Err(KernelError::invalid("input.policyId".to_owned(), message).into());
        }
        let event = self
            .submit(Command::CollapseSws {
                id,
                meta: input.meta,
                idempotency_key: input.idempotency_key,
            })
            .await?;
        Ok(output::collapse_payload(&event)?)
    }

    async fn rebase_sws(&self, args: Valid<MutationRebaseSwsArgs>) -> Answer<RebaseSwsPayload> {
        let input = args.into_inner().input;
        let id = parse_sws_id(&input.sws_id, "input.swsId")?;
        let event = self
            .submit(Command::RebaseSws {
                id,
                meta: input.meta,
                idempotency_key: input.idempotency_key,
            })
            .await?;
        let state = self.snapshot();
        let meta = state.sws(id).and_then(|record| record.meta.as_ref());
        Ok(output::rebase_payload(&event, meta)?)
    }

    async fn discard_sws(&self, args: Valid<MutationDiscardSwsArgs>) -> Answer<DiscardSwsPayload> {
        let input = args.into_inner().input;
        let id = parse_sws_id(&input.sws_id, "input.swsId")?;
        self.submit(Command::DiscardSws {
            id,
            reason: input.reason,
            meta: input.meta,
            idempotency_key: input.idempotency_key,
        })
        .await?;
        Ok(DiscardSwsPayload { discarded: true })
    }

    async fn apply_rewrite(
        &self,
        args: Valid<MutationApplyRewriteArgs>,
    ) -> Answer<ApplyRewritePayload> {
        let args = args.into_inner();
        // The command checks the view again; this check names it before the ops. A fresh
        // snapshot per write would publish the state per write (`service.rs`), so the last
        // published one is asked first: it can only lack an SWS created since.
        let view = live_view(&self.last_published(), &args.view, "view")
            .or_else(|_| live_view(&self.snapshot(), &args.view, "view"))?;
        if view == ViewKey::System {
            return Err(KernelError::invalid(
                "view.kind".to_owned(),
                "System is never written directly: write into an SWS and collapse it",
            )
            .into());
        }
        let ops = parse_ops(&args.rewrite.ops)?;
        let event = self
            .submit(Command::ApplyRewrite {
                view,
                ops,
                meta: args.rewrite.meta,
                idempotency_key: args.rewrite.idempotency_key,
            })
            .await?;
        Ok(output::rewrite_payload(&event))
    }

    async fn submit_intent(
        &self,
        _args: Valid<MutationSubmitIntentArgs>,
    ) -> Answer<SubmitIntentPayload> {
        Err(KernelError::not_implemented(
            "Mutation.submitIntent".to_owned(),
            "intents arrive with milestone M6",
        )
        .into())
    }
}

/// Checks each op of a rewrite with its generated validator: shape, name, fields. The count
/// (1 to 1024) is the schema's `@constraint`, already checked.
fn parse_ops(raw: &[jitos_schema::Json]) -> Result<Vec<Op>, KernelError> {
    let ops_path = InputPath::root().field("rewrite").field("ops");
    raw.iter()
        .enumerate()
        .map(|(op_idx, op)| Ok(Op::validate_at(op, &ops_path.index(op_idx))?.into_inner()))
        .collect()
}

impl jitos_schema::resolvers::Subscription for Kernel {
    async fn rewrites(
        &self,
        args: Valid<SubscriptionRewritesArgs>,
    ) -> Answer<EventStream<RewriteEvent>> {
        let start = Start::parse(args.after_idx, args.from_start)?;
        let view = ViewKey::parse_live(&args.view, "view")?;
        Ok(subscribe::stream(self, Some(view), start)?)
    }

    async fn events(
        &self,
        args: Valid<SubscriptionEventsArgs>,
    ) -> Answer<EventStream<RewriteEvent>> {
        let start = Start::parse(args.after_idx, args.from_start)?;
        Ok(subscribe::stream(self, None, start)?)
    }

    async fn ticks(&self) -> Answer<EventStream<TickEvent>> {
        Err(KernelError::not_implemented(
            "Subscription.ticks".to_owned(),
            "ticks arrive with milestone M5",
        )
        .into())
    }

    async fn task_events(
        &self,
        _args: Valid<SubscriptionTaskEventsArgs>,
    ) -> Answer<EventStream<TaskEvent>> {
        Err(KernelError::not_implemented(
            "Subscription.taskEvents".to_owned(),
            "tasks arrive with milestone M6",
        )
        .into())
    }
}

impl jitos_schema::resolvers::ArgumentErrors for Kernel {
    /// Contract §5 ranks the view first: a well-formed view that names no SWS is `NOT_FOUND`
    /// even when a later argument (a page, the ops) also has a format fault.
    fn argument_errors(
        &self,
        _field: &'static str,
        raw: &jitos_schema::Json,
        errors: jitos_schema::ValidationErrors,
    ) -> FieldError {
        let unknown_view = raw
            .get("view")
            .and_then(|view| {
                jitos_schema::inputs::ViewRefInput::validate_at(
                    view,
                    &InputPath::root().field("view"),
                )
                .ok()
            })
            .and_then(|view| resolve_view(&self.snapshot(), &view, "view").err())
            .filter(|error| error.code == jitos_schema::ErrorCode::NotFound);
        match unknown_view {
            Some(error) => error.into(),
            None => errors.into(),
        }
    }
}
