//! A client operation that selects a field the schema lacks does not compile. jitos-client
//! derives every operation this way (graphql_client against `schema/jitos.graphql`), so a typo
//! or a field removed from the schema breaks the client's build, not a request at run time.
//!
//! `compile_fail.rs` stages the schema and `client_operation_unknown_field.graphql` in
//! `graphql/` of trybuild's project, where the derive looks for them.

use graphql_client::GraphQLQuery;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/jitos.graphql",
    query_path = "graphql/client_operation_unknown_field.graphql",
    response_derives = "Debug",
    variables_derives = "Debug",
    skip_serializing_none
)]
struct KernelUptime;

fn main() {}
