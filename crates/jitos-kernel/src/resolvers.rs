//! The kernel behind the API: implementations of the generated resolver traits.
//!
//! Each resolver checks its input in the contract's order (view, page, ops shape, op name, op
//! fields), then either reads the latest snapshot or submits one command to the loop.
//!
//! # Invariants
//! - Reads never enter the command queue; writes always do, one command per mutation.
//! - A refused request changes nothing: every check that can fail runs before the command is
//!   submitted, or inside `State::apply`, which is atomic.

use futures_util::StreamExt as _;
use jitos_core::Hash;
use jitos_core::limits::{PAGE_FIRST_DEFAULT, REWRITE_OPS_MAX_M1};
use jitos_schema::inputs::{
    MutationApplyRewriteArgs, MutationCollapseSwsArgs, MutationCreateSwsArgs,
    MutationDiscardSwsArgs, MutationSubmitIntentArgs, PageInput, QueryEdgeArgs, QueryEventsArgs,
    QueryGraphArgs, QueryListSwsArgs, QueryNodeArgs, QueryRewritesArgs, QuerySwsArgs,
    SubscriptionRewritesArgs, SubscriptionTaskEventsArgs,
};
use jitos_schema::ops::Op;
use jitos_schema::outputs::{
    ApplyRewritePayload, CollapseSwsPayload, CreateSwsPayload, DiscardSwsPayload, GraphEdge,
    GraphNode, GraphSnapshot, KernelInfo, ReceiptV0, RewriteEvent, SubmitIntentPayload, Sws,
    TaskEvent, TickEvent,
};
use jitos_schema::runtime::EventStream;
use jitos_schema::{FieldError, InputPath, Parse as _, Valid};
use tokio::sync::broadcast::error::RecvError;

use crate::error::KernelError;
use crate::output;
use crate::service::{Kernel, SUBSCRIBER_LAG_MAX};
use crate::state::{Command, State};
use crate::view::{ViewKey, parse_sws_id};

type Answer<T> = Result<T, FieldError>;

/// How many items a page asks for; `after` arrives with milestone M2.
fn page_size(page: Option<&PageInput>, path: &str) -> Result<usize, KernelError> {
    let Some(page) = page else {
        return Ok(PAGE_FIRST_DEFAULT as usize);
    };
    if page.after.is_some() {
        return Err(KernelError::not_implemented(
            format!("{path}.after"),
            "cursors arrive with milestone M2",
        ));
    }
    // The generated validator has checked 1 <= first <= PAGE_FIRST_MAX.
    Ok(usize::try_from(page.first).unwrap_or(PAGE_FIRST_DEFAULT as usize))
}

fn parse_hash(text: &str, path: &str) -> Result<Hash, KernelError> {
    Hash::from_hex(text).map_err(|error| KernelError::invalid(path.to_owned(), error))
}

/// The view at `path`, resolved against `state`: NOT_FOUND for an SWS never created.
fn resolve_view(
    state: &State,
    input: &jitos_schema::inputs::ViewRefInput,
    path: &str,
) -> Result<ViewKey, KernelError> {
    let view = ViewKey::parse(input, path)?;
    state.graph(view, path)?;
    Ok(view)
}

fn events_of(state: &State, view: Option<ViewKey>, first: usize) -> Vec<RewriteEvent> {
    state
        .events()
        .iter()
        .filter(|event| view.is_none_or(|view| event.view == view))
        .take(first)
        .map(|event| output::event(event))
        .collect()
}

impl jitos_schema::resolvers::Query for Kernel {
    async fn kernel_info(&self) -> Answer<KernelInfo> {
        Ok(output::kernel_info())
    }

    async fn sws(&self, args: Valid<QuerySwsArgs>) -> Answer<Option<Sws>> {
        let id = parse_sws_id(&args.id, "id")?;
        Ok(self.snapshot().sws(id).map(|record| output::sws(record)))
    }

    async fn list_sws(&self, args: Valid<QueryListSwsArgs>) -> Answer<Vec<Sws>> {
        let first = page_size(args.page.as_ref(), "page")?;
        Ok(self
            .snapshot()
            .all_sws()
            .take(first)
            .map(|record| output::sws(record))
            .collect())
    }

    async fn graph(&self, args: Valid<QueryGraphArgs>) -> Answer<GraphSnapshot> {
        let state = self.snapshot();
        let view = resolve_view(&state, &args.view, "view")?;
        let nodes_first = page_size(args.nodes_page.as_ref(), "nodesPage")?;
        let edges_first = page_size(args.edges_page.as_ref(), "edgesPage")?;
        if args.node_filter.is_some() {
            return Err(KernelError::not_implemented(
                "nodeFilter".to_owned(),
                "filters arrive with milestone M2",
            )
            .into());
        }
        if args.edge_filter.is_some() {
            return Err(KernelError::not_implemented(
                "edgeFilter".to_owned(),
                "filters arrive with milestone M2",
            )
            .into());
        }
        let graph = state.graph(view, "view")?;
        Ok(GraphSnapshot {
            view: view.to_output(),
            digest: *graph.digest().as_bytes(),
            commit_digest: output::lazy_commit_digest(graph),
            snapshot_id: Some(graph.digest().to_string()),
            nodes: output::node_page(graph, nodes_first),
            edges: output::edge_page(graph, edges_first),
        })
    }

    async fn node(&self, args: Valid<QueryNodeArgs>) -> Answer<Option<GraphNode>> {
        let state = self.snapshot();
        let view = resolve_view(&state, &args.view, "view")?;
        let id = parse_hash(&args.id, "id")?;
        Ok(state
            .graph(view, "view")?
            .node(&id)
            .map(|node| output::node(&id, node)))
    }

    async fn edge(&self, args: Valid<QueryEdgeArgs>) -> Answer<Option<GraphEdge>> {
        let state = self.snapshot();
        let view = resolve_view(&state, &args.view, "view")?;
        let id = parse_hash(&args.id, "id")?;
        Ok(state
            .graph(view, "view")?
            .edge(&id)
            .map(|edge| output::edge(&id, edge)))
    }

    async fn rewrites(&self, args: Valid<QueryRewritesArgs>) -> Answer<Vec<RewriteEvent>> {
        let state = self.snapshot();
        let view = resolve_view(&state, &args.view, "view")?;
        let first = page_size(args.page.as_ref(), "page")?;
        Ok(events_of(&state, Some(view), first))
    }

    async fn events(&self, args: Valid<QueryEventsArgs>) -> Answer<Vec<RewriteEvent>> {
        let first = page_size(args.page.as_ref(), "page")?;
        Ok(events_of(&self.snapshot(), None, first))
    }
}

impl jitos_schema::resolvers::Mutation for Kernel {
    async fn create_sws(&self, args: Valid<MutationCreateSwsArgs>) -> Answer<CreateSwsPayload> {
        let meta = args.into_inner().input.and_then(|input| input.meta);
        let event = self.submit(Command::CreateSws { meta }).await?;
        let ViewKey::Sws(id) = event.view else {
            return Err(KernelError::internal("an SWS_CREATE event names no SWS").into());
        };
        let snapshot = self.snapshot();
        let record = snapshot
            .sws(id)
            .ok_or_else(|| KernelError::internal("a created SWS is missing from the snapshot"))?;
        Ok(CreateSwsPayload {
            sws: output::sws(record),
        })
    }

    async fn collapse_sws(
        &self,
        _args: Valid<MutationCollapseSwsArgs>,
    ) -> Answer<CollapseSwsPayload> {
        Err(KernelError::not_implemented(
            "Mutation.collapseSws".to_owned(),
            "collapse arrives with milestone M3",
        )
        .into())
    }

    async fn discard_sws(&self, args: Valid<MutationDiscardSwsArgs>) -> Answer<DiscardSwsPayload> {
        let input = args.into_inner().input;
        let id = parse_sws_id(&input.sws_id, "input.swsId")?;
        self.submit(Command::DiscardSws {
            id,
            reason: input.reason,
            meta: input.meta,
        })
        .await?;
        Ok(DiscardSwsPayload { discarded: true })
    }

    async fn apply_rewrite(
        &self,
        args: Valid<MutationApplyRewriteArgs>,
    ) -> Answer<ApplyRewritePayload> {
        let args = args.into_inner();
        let view = resolve_view(&self.snapshot(), &args.view, "view")?;
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
            })
            .await?;
        Ok(ApplyRewritePayload {
            accepted: true,
            receipt: ReceiptV0 {
                rewrite_idx: event.idx,
                view: event.view.to_output(),
                view_digest: *event.view_digest.as_bytes(),
            },
            tick_receipt: None,
        })
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

/// Checks the ops of a rewrite: how many (M1 takes exactly one), then each op's shape, name and
/// fields with its generated validator.
fn parse_ops(raw: &[jitos_schema::Json]) -> Result<Vec<Op>, KernelError> {
    if raw.len() > REWRITE_OPS_MAX_M1 {
        let message =
            format!("rewrites of more than {REWRITE_OPS_MAX_M1} op arrive with milestone M2");
        return Err(KernelError::not_implemented(
            "rewrite.ops".to_owned(),
            message,
        ));
    }
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
        // Subscribe before checking the view, so no event between the check and the
        // subscription can be missed.
        let receiver = self.subscribe();
        let view = resolve_view(&self.snapshot(), &args.view, "view")?;
        let stream = futures_util::stream::unfold(Some(receiver), move |receiver| async move {
            let mut receiver = receiver?;
            loop {
                match receiver.recv().await {
                    Ok(event) if event.view == view => {
                        return Some((Ok(output::event(&event)), Some(receiver)));
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(n_missed)) => {
                        let message = format!(
                            "subscriber fell behind by {n_missed} events (more than {SUBSCRIBER_LAG_MAX}) and was cut off"
                        );
                        let error = KernelError::limit("Subscription.rewrites".to_owned(), message);
                        return Some((Err(error.into()), None));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        });
        Ok(stream.boxed())
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
