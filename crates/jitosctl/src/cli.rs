//! The command line: every command, flag and help text, as clap derive types.
//!
//! # Invariants
//! - Every flag and argument has a help line; `jitosctl --help` ends with examples a newcomer
//!   can run in order against a fresh daemon.
//! - Op flags of `apply` are repeatable and kept in command-line order (see `apply.rs`).

use std::num::NonZeroU64;
use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand};
use jitos_client::{View, ViewRef};
use jitos_kernel::verify::VERIFY_FULL_EVERY;

/// The daemon's GraphQL endpoint when neither `--url` nor `JITOS_URL` says otherwise.
pub(crate) const DEFAULT_URL: &str = "http://127.0.0.1:8080/graphql";

const AFTER_HELP: &str = "\
Views: `system`, or `sws:N` for shadow working set N. Writes go into an SWS; System changes
only by collapsing one.

Examples (against a fresh `cargo run -p jitosd`):
  jitosctl sws create                                          # creates sws:0
  jitosctl apply --view sws:0 --add-node demo --payload hello  # one op; repeat flags for more
  jitosctl graph --view sws:0                                  # digests, snapshotId, nodes, edges
  jitosctl graph --view sws:0 --all --first 100                # every page of one snapshot
  jitosctl diff --from system --to sws:0                       # + and - lines: what sws:0 adds
  jitosctl diff --from sws:0 --from-as-of 1 --to sws:0         # what happened after event 1
  jitosctl rewrites --view sws:0 --json                        # JSON for scripts
  jitosctl watch events --from-start                           # follow the log; Ctrl-C stops
  jitosctl collapse 0                                          # merge sws:0 into System
  jitosctl rebase 1                                            # move sws:1 onto current System
  jitosctl discard 1 --reason 'superseded'                     # recorded with the event
  jitosctl completions bash > ~/.local/share/bash-completion/completions/jitosctl

Offline, on a data directory (no daemon, no URL; nothing in it is changed):
  jitosctl verify --data-dir ./jitos-data                      # check every record, replay, digests
  jitosctl log --data-dir ./jitos-data --from 100 --limit 20   # one line per WAL record
  jitosctl log --data-dir ./jitos-data --json                  # one JSON object per record

Exit status: 0 ok; 1 no answer (daemon down, bad URL) or a local failure (unreadable file, no
data directory); 2 INVALID_INPUT or a usage error; 3 NOT_FOUND; 4 NOT_IMPLEMENTED; 5 CONFLICT;
6 LIMIT_EXCEEDED; 7 FORBIDDEN; 8 INTERNAL; 9 answered but not committed: a collapse aborted or
a rebase refused on conflicts (recorded as an event; its receipt and one `!` line per conflict
are on stdout); 10 `verify` found damage before the log's tail or a divergence from the
replay (`log`: damage before the tail). A torn tail alone (an interrupted last write) is a
warning on stderr with status 0: jitosd cuts it on start. Errors go to stderr with the server's
message and the input field they name.";

/// Talk to a running jitosd: read views and the event log, manage SWS overlays, apply
/// rewrites, follow events. Offline, verify or list a data directory's log.
#[derive(Debug, Parser)]
#[command(name = "jitosctl", version, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    /// The daemon's GraphQL endpoint; subscriptions use the same URL with ws:// and /ws.
    #[arg(long, global = true, default_value = DEFAULT_URL, env = "JITOS_URL")]
    pub(crate) url: String,
    /// Print JSON for scripts instead of tables: one object per result, one per event for
    /// `watch`.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show facts about the running kernel: version, policy, number of events.
    Info,
    /// Show a view: its digests and snapshotId, and a page of its nodes and edges.
    Graph(GraphArgs),
    /// Show what differs between two views: one `+` or `-` line per node and edge added or
    /// removed from FROM to TO, then a summary (every page is read).
    Diff(DiffArgs),
    /// Show one node of a view (exit status 3 if the view has none with that id).
    Node {
        #[command(flatten)]
        view: ViewArgs,
        /// The node id: 64 lowercase hex characters.
        id: String,
    },
    /// Show one edge of a view (exit status 3 if the view has none with that id).
    Edge {
        #[command(flatten)]
        view: ViewArgs,
        /// The edge id: 64 lowercase hex characters.
        id: String,
    },
    /// List the events that target a view, by ascending idx.
    Rewrites {
        #[command(flatten)]
        view: ViewArgs,
        #[command(flatten)]
        page: PageArgs,
    },
    /// List the global event log, by ascending idx.
    Events {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Create, list, show, discard, collapse or rebase shadow working sets.
    #[command(subcommand)]
    Sws(SwsCommand),
    /// Collapse an SWS into System (policy v0, fail-fast): print the receipt, and one `!` line
    /// per conflict when it aborted (exit status 9).
    Collapse(CollapseArgs),
    /// Move an SWS onto current System, replaying its overlay under the collapse rules: print
    /// the receipt, and one `!` line per conflict when it was refused (exit status 9).
    Rebase(RebaseArgs),
    /// Discard an SWS, recording why; its overlay stays in the log but can no longer change.
    Discard(DiscardArgs),
    /// Apply one rewrite to an SWS: its ops, in the order given, all or none.
    Apply(ApplyArgs),
    /// Follow a subscription: one line per event until interrupted or the server ends it.
    #[command(subcommand)]
    Watch(WatchCommand),
    /// Check a data directory offline (no daemon): every WAL record's chain, checksums, pins and
    /// header digest, a replay of every event, and the digests recomputed from scratch; print a
    /// summary, or the first divergence and exit with status 10.
    Verify(VerifyArgs),
    /// Print a data directory's WAL offline (no daemon): one line per record, or one JSON
    /// object per record with `--json`.
    Log(LogArgs),
    /// Print a shell completion script for SHELL to stdout.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
}

/// Which view a read sees, and which state of it.
#[derive(Debug, Args)]
pub(crate) struct ViewArgs {
    /// The view: `system` or `sws:N`.
    #[arg(long, default_value = "system", value_name = "VIEW")]
    pub(crate) view: View,
    /// Read this immutable snapshot (a `snapshotId` that `graph` printed) instead of the live
    /// view.
    #[arg(long, value_name = "ID", conflicts_with = "as_of")]
    pub(crate) snapshot: Option<String>,
    /// Read the view as it stood right after the event with this idx (time travel).
    #[arg(long, value_name = "IDX")]
    pub(crate) as_of: Option<u64>,
}

/// `view` pinned as `--snapshot`/`--as-of` (or their `--from-`/`--to-` forms) ask; live when
/// neither is given (clap refuses both).
pub(crate) fn view_ref(view: View, snapshot: Option<&str>, as_of: Option<u64>) -> ViewRef {
    match (snapshot, as_of) {
        (Some(snapshot_id), _) => ViewRef::snapshot(view, snapshot_id),
        (None, Some(idx)) => ViewRef::as_of(view, idx),
        (None, None) => ViewRef::live(view),
    }
}

/// `diff`: two views, each pinned like `graph`'s `--view` with its own `--snapshot` and
/// `--as-of` flags.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The view to compare from: `system` or `sws:N`; what only it has is `-`.
    #[arg(long, value_name = "VIEW")]
    pub(crate) from: View,
    /// Read FROM at this immutable snapshot (a `snapshotId`, or a `fromSnapshotId` that `diff
    /// --json` printed).
    #[arg(long, value_name = "ID", conflicts_with = "from_as_of")]
    pub(crate) from_snapshot: Option<String>,
    /// Read FROM as it stood right after the event with this idx.
    #[arg(long, value_name = "IDX")]
    pub(crate) from_as_of: Option<u64>,
    /// The view to compare to: `system` or `sws:N`; what only it has is `+`.
    #[arg(long, value_name = "VIEW")]
    pub(crate) to: View,
    /// Read TO at this immutable snapshot.
    #[arg(long, value_name = "ID", conflicts_with = "to_as_of")]
    pub(crate) to_snapshot: Option<String>,
    /// Read TO as it stood right after the event with this idx.
    #[arg(long, value_name = "IDX")]
    pub(crate) to_as_of: Option<u64>,
}

impl DiffArgs {
    /// The `from` view and its pin.
    pub(crate) fn view_from(&self) -> ViewRef {
        view_ref(self.from, self.from_snapshot.as_deref(), self.from_as_of)
    }

    /// The `to` view and its pin.
    pub(crate) fn view_to(&self) -> ViewRef {
        view_ref(self.to, self.to_snapshot.as_deref(), self.to_as_of)
    }
}

/// Paging of an idx-ordered list.
#[derive(Debug, Args)]
pub(crate) struct PageArgs {
    /// How many events per page (1 to 1000).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true)]
    pub(crate) first: i64,
    /// Start after this idx: the last idx of the previous page.
    #[arg(long, value_name = "IDX")]
    pub(crate) after: Option<String>,
    /// Follow the cursor, page after page, to the end of the list.
    #[arg(long)]
    pub(crate) all: bool,
}

/// `graph`.
#[derive(Debug, Args)]
pub(crate) struct GraphArgs {
    #[command(flatten)]
    pub(crate) view: ViewArgs,
    /// Print only the digest (GraphRootV1) of the view.
    #[arg(long)]
    pub(crate) digest: bool,
    /// How many nodes, and how many edges, per page (1 to 1000).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true)]
    pub(crate) first: i64,
    /// Start both lists after this id (pass the cursor a previous page printed).
    #[arg(long, value_name = "CURSOR")]
    pub(crate) after: Option<String>,
    /// Start the edge list after this id instead of `--after`.
    #[arg(long, value_name = "CURSOR")]
    pub(crate) edges_after: Option<String>,
    /// Read every page: the first page's snapshotId pins the rest, so the listing is one
    /// consistent view while writes go on.
    #[arg(long)]
    pub(crate) all: bool,
    /// Only nodes of this kind (repeat for several).
    #[arg(long = "kind", value_name = "KIND")]
    pub(crate) kinds: Vec<String>,
    /// Only edges of this kind (repeat for several).
    #[arg(long = "edge-kind", value_name = "KIND")]
    pub(crate) edge_kinds: Vec<String>,
    /// Only edges leaving this node id.
    #[arg(long, value_name = "ID")]
    pub(crate) from: Option<String>,
    /// Only edges entering this node id.
    #[arg(long, value_name = "ID")]
    pub(crate) to: Option<String>,
}

/// `sws ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum SwsCommand {
    /// Create an SWS over the current System.
    Create {
        /// Metadata to record with the event, as JSON.
        #[arg(long, value_name = "JSON")]
        meta: Option<String>,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// List the SWSs, in id order.
    List {
        /// How many to list (1 to 1000).
        #[arg(long, default_value_t = 200, allow_negative_numbers = true)]
        first: i64,
    },
    /// Show one SWS (exit status 3 if there is none with that id).
    Get {
        /// The SWS id, e.g. 0.
        #[arg(value_parser = parse_sws_id)]
        id: u64,
    },
    /// Discard an SWS (the same as `jitosctl discard`).
    Discard(DiscardArgs),
    /// Collapse an SWS into System (the same as `jitosctl collapse`).
    Collapse(CollapseArgs),
    /// Move an SWS onto current System (the same as `jitosctl rebase`).
    Rebase(RebaseArgs),
}

/// `collapse` and `sws collapse`.
#[derive(Debug, Args)]
pub(crate) struct CollapseArgs {
    /// The SWS: its id, e.g. 0, or `sws:0`.
    #[arg(value_parser = parse_sws_id, value_name = "SWS")]
    pub(crate) id: u64,
    /// The collapse policy; the server's default (0, fail-fast) when absent.
    #[arg(long, value_name = "ID")]
    pub(crate) policy: Option<u32>,
    /// Metadata to record with the event, as JSON.
    #[arg(long, value_name = "JSON")]
    pub(crate) meta: Option<String>,
    #[command(flatten)]
    pub(crate) key: KeyArgs,
}

/// `rebase` and `sws rebase`.
#[derive(Debug, Args)]
pub(crate) struct RebaseArgs {
    /// The SWS: its id, e.g. 0, or `sws:0`.
    #[arg(value_parser = parse_sws_id, value_name = "SWS")]
    pub(crate) id: u64,
    /// Metadata to record with the event, as JSON.
    #[arg(long, value_name = "JSON")]
    pub(crate) meta: Option<String>,
    #[command(flatten)]
    pub(crate) key: KeyArgs,
}

/// `discard` and `sws discard`.
#[derive(Debug, Args)]
pub(crate) struct DiscardArgs {
    /// The SWS: its id, e.g. 0, or `sws:0`.
    #[arg(value_parser = parse_sws_id, value_name = "SWS")]
    pub(crate) id: u64,
    /// Why, recorded with the event and shown by `rewrites` and `events`.
    #[arg(long, value_name = "TEXT")]
    pub(crate) reason: Option<String>,
    /// Metadata to record with the event, as JSON.
    #[arg(long, value_name = "JSON")]
    pub(crate) meta: Option<String>,
    #[command(flatten)]
    pub(crate) key: KeyArgs,
}

/// The idempotency key every write takes.
#[derive(Debug, Args)]
pub(crate) struct KeyArgs {
    /// Makes a retry safe: the same key with the same request returns the first answer and
    /// writes nothing more; the same key with another request is CONFLICT.
    #[arg(long, value_name = "KEY")]
    pub(crate) idempotency_key: Option<String>,
}

/// `apply`.
#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("ops")
        .required(true)
        .multiple(true)
        .args(["ops_file", "add_node", "add_edge", "remove_node", "remove_edge"])
))]
pub(crate) struct ApplyArgs {
    /// The SWS to write, `sws:N` (System changes only by collapse).
    #[arg(long, value_name = "VIEW")]
    pub(crate) view: View,
    /// Ops from a JSON file (`-` for stdin): an array of `{"op": NAME, "data": {...}}`.
    #[arg(long, value_name = "FILE")]
    pub(crate) ops_file: Vec<PathBuf>,
    /// Add a node of KIND; its payload is the `--payload-file` or `--payload` that follows, or
    /// empty.
    #[arg(long, value_name = "KIND")]
    pub(crate) add_node: Vec<String>,
    /// The payload of the `--add-node` just before, read from FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) payload_file: Vec<PathBuf>,
    /// The payload of the `--add-node` just before, as the UTF-8 bytes of TEXT.
    #[arg(long, value_name = "TEXT")]
    pub(crate) payload: Vec<String>,
    /// Add an edge of KIND from node FROM to node TO (ids as 64 hex characters); it has no
    /// payload unless `--edge-payload-file` follows.
    #[arg(long, num_args = 3, value_names = ["FROM", "TO", "KIND"])]
    pub(crate) add_edge: Vec<String>,
    /// The payload of the `--add-edge` just before, read from FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) edge_payload_file: Vec<PathBuf>,
    /// Remove the node with this id.
    #[arg(long, value_name = "ID")]
    pub(crate) remove_node: Vec<String>,
    /// Remove the edge with this id.
    #[arg(long, value_name = "ID")]
    pub(crate) remove_edge: Vec<String>,
    /// Metadata to record with the event, as JSON.
    #[arg(long, value_name = "JSON")]
    pub(crate) meta: Option<String>,
    #[command(flatten)]
    pub(crate) key: KeyArgs,
}

/// `watch ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum WatchCommand {
    /// Follow the events that target a live view.
    Rewrites {
        /// The view: `system` or `sws:N`.
        #[arg(long, default_value = "system", value_name = "VIEW")]
        view: View,
        #[command(flatten)]
        start: StartArgs,
    },
    /// Follow the whole global event log.
    Events {
        #[command(flatten)]
        start: StartArgs,
    },
}

/// Where a watch starts and when it stops.
#[derive(Debug, Args)]
pub(crate) struct StartArgs {
    /// Replay the events after this idx first, then follow live.
    #[arg(long, value_name = "IDX", conflicts_with = "from_start")]
    pub(crate) after_idx: Option<u64>,
    /// Replay the whole history first, then follow live.
    #[arg(long)]
    pub(crate) from_start: bool,
    /// Exit (status 0) after this many events instead of following forever.
    #[arg(long, value_name = "N")]
    pub(crate) count: Option<u64>,
}

/// `verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The data directory jitosd keeps its history in (it holds `wal/`); read, never changed.
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: PathBuf,
    /// Recompute the changed view's digest from scratch after at least N records (and a
    /// sixteenth of the view's size) since the last time, and at the last record; lower is
    /// slower and catches an incremental-digest fault closer to where it happened.
    #[arg(long, value_name = "N", default_value_t = VERIFY_FULL_EVERY)]
    pub(crate) full_every: NonZeroU64,
}

/// `log`.
#[derive(Debug, Args)]
pub(crate) struct LogArgs {
    /// The data directory jitosd keeps its history in (it holds `wal/`); read, never changed.
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: PathBuf,
    /// Start at the record with this idx.
    #[arg(long, value_name = "IDX", default_value_t = 0)]
    pub(crate) from: u64,
    /// Print at most this many records.
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<u64>,
}

/// An SWS id on the command line: the API's decimal form, or the view form `sws:N`.
fn parse_sws_id(text: &str) -> Result<u64, String> {
    let id = text.strip_prefix("sws:").unwrap_or(text);
    jitos_client::parse_sws_id(id)
        .map_err(|_| format!("`{text}` is not an SWS id such as 0, 17 or sws:17"))
}
