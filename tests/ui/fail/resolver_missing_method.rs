//! A `Query` resolver that omits `graph` does not compile: the generated traits have no default
//! bodies, so a kernel cannot forget a root field.

use jitos_schema::inputs::{
    QueryDiffArgs, QueryEdgeArgs, QueryEventsArgs, QueryListSwsArgs, QueryNodeArgs,
    QueryRewritesArgs, QuerySwsArgs,
};
use jitos_schema::outputs::{GraphDiff, GraphEdge, GraphNode, KernelInfo, RewriteEvent, Sws};
use jitos_schema::{FieldError, Valid};

struct MyKernel;

impl jitos_schema::resolvers::Query for MyKernel {
    async fn kernel_info(&self) -> Result<KernelInfo, FieldError> {
        Err(FieldError::not_implemented("Query.kernelInfo"))
    }

    async fn sws(&self, _args: Valid<QuerySwsArgs>) -> Result<Option<Sws>, FieldError> {
        Ok(None)
    }

    async fn list_sws(&self, _args: Valid<QueryListSwsArgs>) -> Result<Vec<Sws>, FieldError> {
        Ok(Vec::new())
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

fn main() {}
