//! A kernel that implements every method of `Query`, `Mutation`, `Subscription` and
//! `ArgumentErrors` compiles, and the generated glue serves it.
//!
//! The compile-pass case: `tests/it/ui.rs` includes this file as a module of the `it` test
//! binary instead of running it through trybuild's pass mode (see there why).
//!
//! # Invariants
//! - Nothing here but the public API of jitos-schema and jitos-schema-graphql.

use std::sync::Arc;

use jitos_schema::enums::{CommitStatus, StorageMode};
use jitos_schema::inputs::{
    MutationApplyRewriteArgs, MutationCollapseSwsArgs, MutationCreateSwsArgs,
    MutationDiscardSwsArgs, MutationRebaseSwsArgs, MutationSubmitIntentArgs, QueryDiffArgs,
    QueryEdgeArgs, QueryEventsArgs, QueryGraphArgs, QueryListSwsArgs, QueryNodeArgs,
    QueryRewritesArgs, QuerySwsArgs, SubscriptionEventsArgs, SubscriptionRewritesArgs,
    SubscriptionTaskEventsArgs,
};
use jitos_schema::outputs::{
    ApplyRewritePayload, CollapseSwsPayload, CreateSwsPayload, DiscardSwsPayload, GraphDiff,
    GraphEdge, GraphNode, GraphSnapshot, KernelInfo, RebaseSwsPayload, RewriteEvent, StorageInfo,
    SubmitIntentPayload, Sws, TaskEvent, TickEvent,
};
use jitos_schema::resolvers::{ArgumentErrors, Mutation, Query, Subscription};
use jitos_schema::runtime::EventStream;
use jitos_schema::{FieldError, Json, Valid, ValidationErrors};

/// A kernel with every resolver method.
pub(super) struct MyKernel;

impl Query for MyKernel {
    async fn kernel_info(&self) -> Result<KernelInfo, FieldError> {
        Ok(KernelInfo {
            version: "0.0.0".to_owned(),
            rule_pack_id: None,
            policy_id: None,
            commit_status: CommitStatus::Committed,
            event_count: 0,
            storage: StorageInfo {
                mode: StorageMode::InMemory,
                fsync: None,
                boot_event_count: 0,
                boot_replayed_count: 0,
                boot_checkpoint_idx: None,
                boot_cut: None,
                checkpoint_idx: None,
            },
        })
    }

    async fn sws(&self, _args: Valid<QuerySwsArgs>) -> Result<Option<Sws>, FieldError> {
        Ok(None)
    }

    async fn list_sws(&self, _args: Valid<QueryListSwsArgs>) -> Result<Vec<Sws>, FieldError> {
        Ok(Vec::new())
    }

    async fn graph(&self, _args: Valid<QueryGraphArgs>) -> Result<GraphSnapshot, FieldError> {
        Err(FieldError::not_implemented("Query.graph"))
    }

    async fn node(&self, _args: Valid<QueryNodeArgs>) -> Result<Option<GraphNode>, FieldError> {
        Ok(None)
    }

    async fn edge(&self, _args: Valid<QueryEdgeArgs>) -> Result<Option<GraphEdge>, FieldError> {
        Ok(None)
    }

    async fn rewrites(
        &self,
        _args: Valid<QueryRewritesArgs>,
    ) -> Result<Vec<RewriteEvent>, FieldError> {
        Ok(Vec::new())
    }

    async fn diff(&self, _args: Valid<QueryDiffArgs>) -> Result<GraphDiff, FieldError> {
        Err(FieldError::not_implemented("Query.diff"))
    }

    async fn events(&self, _args: Valid<QueryEventsArgs>) -> Result<Vec<RewriteEvent>, FieldError> {
        Ok(Vec::new())
    }
}

impl Mutation for MyKernel {
    async fn create_sws(
        &self,
        _args: Valid<MutationCreateSwsArgs>,
    ) -> Result<CreateSwsPayload, FieldError> {
        Err(FieldError::not_implemented("Mutation.createSws"))
    }

    async fn collapse_sws(
        &self,
        _args: Valid<MutationCollapseSwsArgs>,
    ) -> Result<CollapseSwsPayload, FieldError> {
        Err(FieldError::not_implemented("Mutation.collapseSws"))
    }

    async fn rebase_sws(
        &self,
        _args: Valid<MutationRebaseSwsArgs>,
    ) -> Result<RebaseSwsPayload, FieldError> {
        Err(FieldError::not_implemented("Mutation.rebaseSws"))
    }

    async fn discard_sws(
        &self,
        _args: Valid<MutationDiscardSwsArgs>,
    ) -> Result<DiscardSwsPayload, FieldError> {
        Ok(DiscardSwsPayload { discarded: true })
    }

    async fn apply_rewrite(
        &self,
        _args: Valid<MutationApplyRewriteArgs>,
    ) -> Result<ApplyRewritePayload, FieldError> {
        Err(FieldError::not_implemented("Mutation.applyRewrite"))
    }

    async fn submit_intent(
        &self,
        _args: Valid<MutationSubmitIntentArgs>,
    ) -> Result<SubmitIntentPayload, FieldError> {
        Err(FieldError::not_implemented("Mutation.submitIntent"))
    }
}

impl Subscription for MyKernel {
    async fn rewrites(
        &self,
        _args: Valid<SubscriptionRewritesArgs>,
    ) -> Result<EventStream<RewriteEvent>, FieldError> {
        Err(FieldError::not_implemented("Subscription.rewrites"))
    }

    async fn events(
        &self,
        _args: Valid<SubscriptionEventsArgs>,
    ) -> Result<EventStream<RewriteEvent>, FieldError> {
        Err(FieldError::not_implemented("Subscription.events"))
    }

    async fn ticks(&self) -> Result<EventStream<TickEvent>, FieldError> {
        Err(FieldError::not_implemented("Subscription.ticks"))
    }

    async fn task_events(
        &self,
        _args: Valid<SubscriptionTaskEventsArgs>,
    ) -> Result<EventStream<TaskEvent>, FieldError> {
        Err(FieldError::not_implemented("Subscription.taskEvents"))
    }
}

impl ArgumentErrors for MyKernel {
    fn argument_errors(
        &self,
        _field: &'static str,
        _raw: &Json,
        errors: ValidationErrors,
    ) -> FieldError {
        errors.into()
    }
}

/// The served schema, resolved by `MyKernel`.
pub(super) fn schema() -> async_graphql::dynamic::Schema {
    jitos_schema_graphql::schema_builder(&Arc::new(MyKernel))
        .finish()
        .expect("the glue accepts a full resolver")
}
