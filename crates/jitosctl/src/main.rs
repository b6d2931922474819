//! `jitosctl`: the command-line client of `jitosd`.
//!
//! Every query, mutation and subscription goes through `jitos-client`, whose operations are
//! checked against `schema/jitos.graphql` when it builds. This binary parses the command line
//! (`cli.rs`), assembles ops (`apply.rs`), prints tables for people or JSON with `--json`
//! (`print.rs`), and exits with a status that names the server's error code. `verify` and `log`
//! read a data directory offline (`offline.rs`), with the kernel's own checks.
//!
//! # Invariants
//! - Online commands learn everything through the API; only the offline commands (`verify`,
//!   `log`) use the kernel and the WAL, and they only read the data directory.
//! - Exit status 0 means the server accepted the request (and, for a collapse or a rebase,
//!   committed it); see [`exit_status`] for the rest.
//! - Errors go to stderr, results to stdout.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{CommandFactory as _, FromArgMatches as _};
use futures_util::StreamExt as _;
use jitos_client::{
    Client, ErrorCode, GraphFilter, MergeReceipt, NodeFilter, Page, StreamStart, ViewRef,
    WriteOptions,
};

mod apply;
mod cli;
mod offline;
mod print;
#[cfg(test)]
mod tests;

use cli::{
    ApplyArgs, Cli, CollapseArgs, Command, DiscardArgs, GraphArgs, PageArgs, RebaseArgs, StartArgs,
    SwsCommand, ViewArgs,
};

/// A read that found nothing: exit status 3, like the server's NOT_FOUND.
#[derive(Debug)]
struct Absent(String);

impl std::fmt::Display for Absent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NOT_FOUND: {}", self.0)
    }
}

impl std::error::Error for Absent {}

/// A collapse or a rebase the server answered but did not commit (conflicts): exit status 9.
/// Not an error of the request, which was recorded as an event; scripts tell it by the status.
#[derive(Debug)]
struct NotCommitted(String);

impl std::fmt::Display for NotCommitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not committed: {}", self.0)
    }
}

impl std::error::Error for NotCommitted {}

/// The exit status of a failure: the server's error code, 9 for an answer that did not
/// commit, 10 for a data directory that is damaged or diverges from its replay, or 1 when
/// there was no answer.
fn exit_status(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<Absent>().is_some() {
        return 3;
    }
    if error.downcast_ref::<offline::Damaged>().is_some() {
        return offline::EXIT_DAMAGED;
    }
    if error.downcast_ref::<NotCommitted>().is_some() {
        return 9;
    }
    match error
        .downcast_ref::<jitos_client::Error>()
        .and_then(jitos_client::Error::code)
    {
        Some(ErrorCode::InvalidInput) => 2,
        Some(ErrorCode::NotFound) => 3,
        Some(ErrorCode::NotImplemented) => 4,
        Some(ErrorCode::Conflict) => 5,
        Some(ErrorCode::LimitExceeded) => 6,
        Some(ErrorCode::Forbidden) => 7,
        Some(_) => 8,
        None => 1,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    match run(&cli, &matches).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.downcast_ref::<NotCommitted>().is_some() => {
            eprintln!("{error:#}");
            ExitCode::from(exit_status(&error))
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit_status(&error))
        }
    }
}

async fn run(cli: &Cli, matches: &clap::ArgMatches) -> Result<()> {
    let json = cli.json;
    if let Command::Completions { shell } = &cli.command {
        clap_complete::generate(
            *shell,
            &mut Cli::command(),
            "jitosctl",
            &mut std::io::stdout(),
        );
        return Ok(());
    }
    match &cli.command {
        Command::Verify(args) => return offline::verify(json, args),
        Command::Log(args) => return offline::log(json, args),
        _ => {}
    }
    let client = Client::new(&cli.url)?;
    match &cli.command {
        Command::Info => print::kernel_info(json, &client.kernel_info().await?),
        Command::Graph(args) => graph(&client, json, args).await,
        Command::Diff(args) => {
            let diff = client.diff_all(&args.view_from(), &args.view_to()).await?;
            print::diff(json, &diff)
        }
        Command::Node { view, id } => {
            let node = client.node(&view_ref(view), id).await?;
            print::node(json, node.as_ref())?;
            found(node.is_some(), || format!("no node {id} in {}", view.view))
        }
        Command::Edge { view, id } => {
            let edge = client.edge(&view_ref(view), id).await?;
            print::edge(json, edge.as_ref())?;
            found(edge.is_some(), || format!("no edge {id} in {}", view.view))
        }
        Command::Rewrites { view, page } => {
            let view = view_ref(view);
            let events = if page.all {
                client.rewrites_all(&view, &page_of(page)).await?
            } else {
                client.rewrites(&view, &page_of(page)).await?
            };
            print::events(json, "rewrites", &events)
        }
        Command::Events { page } => {
            let events = if page.all {
                client.events_all(&page_of(page)).await?
            } else {
                client.events(&page_of(page)).await?
            };
            print::events(json, "events", &events)
        }
        Command::Sws(command) => sws(&client, json, command).await,
        Command::Collapse(args) => collapse(&client, json, args).await,
        Command::Rebase(args) => rebase(&client, json, args).await,
        Command::Discard(args) => discard(&client, json, args).await,
        Command::Apply(args) => {
            let apply_matches = matches
                .subcommand_matches("apply")
                .context("apply without its matches")?;
            apply(&client, json, args, apply_matches).await
        }
        Command::Watch(command) => watch(&client, json, command).await,
        Command::Completions { .. } | Command::Verify(_) | Command::Log(_) => Ok(()),
    }
}

/// Fails with [`Absent`] unless `found`.
fn found(found: bool, what: impl FnOnce() -> String) -> Result<()> {
    if found {
        Ok(())
    } else {
        Err(Absent(what()).into())
    }
}

fn view_ref(args: &ViewArgs) -> ViewRef {
    cli::view_ref(args.view, args.snapshot.as_deref(), args.as_of)
}

fn page_of(args: &PageArgs) -> Page {
    Page {
        first: Some(args.first),
        after: args.after.clone(),
    }
}

async fn graph(client: &Client, json: bool, args: &GraphArgs) -> Result<()> {
    let view = view_ref(&args.view);
    if args.digest {
        return print::digest(json, &client.graph_digest(&view).await?);
    }
    let nodes_page = Page {
        first: Some(args.first),
        after: args.after.clone(),
    };
    let edges_page = Page {
        first: Some(args.first),
        after: args.edges_after.clone().or_else(|| args.after.clone()),
    };
    let filter = graph_filter(args);
    let snapshot = if args.all {
        client
            .graph_all(&view, &nodes_page, &edges_page, &filter)
            .await?
    } else {
        client
            .graph(&view, &nodes_page, &edges_page, &filter)
            .await?
    };
    print::graph(json, &snapshot)
}

/// The filters `graph`'s flags ask for; a list flag never given does not restrict.
fn graph_filter(args: &GraphArgs) -> GraphFilter {
    let nodes = (!args.kinds.is_empty()).then(|| NodeFilter {
        kinds: Some(args.kinds.clone()),
        has_keys: None,
    });
    let edge_kinds = (!args.edge_kinds.is_empty()).then(|| args.edge_kinds.clone());
    let edges = (edge_kinds.is_some() || args.from.is_some() || args.to.is_some()).then(|| {
        jitos_client::EdgeFilter {
            kinds: edge_kinds,
            from: args.from.clone(),
            to: args.to.clone(),
        }
    });
    GraphFilter { nodes, edges }
}

fn write_options(meta: Option<&str>, key: &cli::KeyArgs) -> Result<WriteOptions> {
    let meta = meta
        .map(serde_json::from_str)
        .transpose()
        .context("--meta is not JSON")?;
    Ok(WriteOptions {
        meta,
        idempotency_key: key.idempotency_key.clone(),
    })
}

async fn sws(client: &Client, json: bool, command: &SwsCommand) -> Result<()> {
    match command {
        SwsCommand::Create { meta, key } => {
            let options = write_options(meta.as_deref(), key)?;
            print::created(json, &client.create_sws(&options).await?)
        }
        SwsCommand::List { first } => {
            print::sws_list(json, &client.list_sws(&Page::first(*first)).await?)
        }
        SwsCommand::Get { id } => {
            let sws = client.sws(*id).await?;
            print::sws(json, sws.as_ref())?;
            found(sws.is_some(), || format!("no sws:{id}"))
        }
        SwsCommand::Discard(args) => discard(client, json, args).await,
        SwsCommand::Collapse(args) => collapse(client, json, args).await,
        SwsCommand::Rebase(args) => rebase(client, json, args).await,
    }
}

/// `discard` and `sws discard`.
async fn discard(client: &Client, json: bool, args: &DiscardArgs) -> Result<()> {
    let options = write_options(args.meta.as_deref(), &args.key)?;
    let reason = args.reason.as_deref();
    print::discarded(json, client.discard_sws(args.id, reason, &options).await?)
}

/// `collapse` and `sws collapse`: prints the receipt; an abort is [`NotCommitted`].
async fn collapse(client: &Client, json: bool, args: &CollapseArgs) -> Result<()> {
    let options = write_options(args.meta.as_deref(), &args.key)?;
    let collapsed = client.collapse_sws(args.id, args.policy, &options).await?;
    print::collapsed(json, &collapsed)?;
    committed(&collapsed.collapse_receipt)
}

/// `rebase` and `sws rebase`: prints the receipt; a refusal is [`NotCommitted`].
async fn rebase(client: &Client, json: bool, args: &RebaseArgs) -> Result<()> {
    let options = write_options(args.meta.as_deref(), &args.key)?;
    let rebased = client.rebase_sws(args.id, &options).await?;
    print::rebased(json, &rebased)?;
    committed(&rebased.receipt)
}

/// Fails with [`NotCommitted`] unless the merge of `receipt` committed.
fn committed(receipt: &MergeReceipt) -> Result<()> {
    if receipt.committed {
        Ok(())
    } else {
        Err(NotCommitted(print::merge_headline(receipt)).into())
    }
}

async fn apply(
    client: &Client,
    json: bool,
    args: &ApplyArgs,
    matches: &clap::ArgMatches,
) -> Result<()> {
    let planned = apply::plan(apply::flags(matches)).unwrap_or_else(|message| {
        Cli::command()
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .exit()
    });
    let ops = apply::load(planned)?;
    let options = write_options(args.meta.as_deref(), &args.key)?;
    let applied = client.apply_rewrite(args.view, ops, &options).await?;
    print::applied(json, &applied)
}

fn stream_start(args: &StartArgs) -> StreamStart {
    match (args.after_idx, args.from_start) {
        (Some(idx), _) => StreamStart::AfterIdx(idx),
        (None, true) => StreamStart::FromStart,
        (None, false) => StreamStart::Live,
    }
}

/// Prints events as they come until the server ends the stream, `--count` is reached, or
/// Ctrl-C; a server error ends it with that error's exit status.
async fn watch(client: &Client, json: bool, command: &cli::WatchCommand) -> Result<()> {
    let (mut stream, start) = match command {
        cli::WatchCommand::Rewrites { view, start } => (
            client.watch_rewrites(*view, stream_start(start)).await?,
            start,
        ),
        cli::WatchCommand::Events { start } => {
            (client.watch_events(stream_start(start)).await?, start)
        }
    };
    let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
    let mut n_events: u64 = 0;
    while start.count.is_none_or(|count| n_events < count) {
        let event = tokio::select! {
            event = stream.next() => event,
            _ = &mut interrupted => return Ok(()),
        };
        match event {
            Some(event) => print::watched(json, &event?)?,
            None => return Ok(()),
        }
        n_events += 1;
    }
    Ok(())
}
