//! Unit tests of the command line: parsing, the order and pairing of `apply`'s op flags, the
//! exit status of each error, and the lines `diff`, `collapse`, `rebase` and the event listings
//! print. The offline commands (`verify`, `log`) run as the real binary on data directories
//! written by the kernel: clean, with a torn tail, corrupt, diverging, missing.

use std::path::PathBuf;

use clap::{CommandFactory as _, FromArgMatches as _};
use serde_json::json;

use crate::apply::{self, Flag, Payload, Planned};
use crate::cli::{Cli, Command};

fn matches(args: &[&str]) -> clap::ArgMatches {
    Cli::command()
        .try_get_matches_from(std::iter::once("jitosctl").chain(args.iter().copied()))
        .unwrap()
}

fn apply_flags(args: &[&str]) -> Vec<(usize, Flag)> {
    let mut all = vec!["apply", "--view", "sws:0"];
    all.extend_from_slice(args);
    let matches = matches(&all);
    apply::flags(matches.subcommand_matches("apply").unwrap())
}

#[test]
fn the_command_line_is_well_formed() {
    Cli::command().debug_assert();
}

#[test]
fn apply_keeps_command_line_order_and_joins_payloads() {
    let a = "a".repeat(64);
    let b = "b".repeat(64);
    let flags = apply_flags(&[
        "--remove-edge",
        &b,
        "--add-node",
        "n1",
        "--payload",
        "hi",
        "--add-edge",
        &a,
        &b,
        "link",
        "--edge-payload-file",
        "e.bin",
        "--ops-file",
        "ops.json",
        "--add-node",
        "n2",
        "--remove-node",
        &a,
        "--add-node",
        "n3",
        "--payload-file",
        "p.bin",
    ]);
    let planned = apply::plan(flags).unwrap();
    assert_eq!(
        planned,
        [
            Planned::RemoveEdge(b.clone()),
            Planned::AddNode {
                kind: "n1".into(),
                payload: Some(Payload::Text("hi".into()))
            },
            Planned::AddEdge {
                from: a.clone(),
                to: b.clone(),
                kind: "link".into(),
                payload: Some(PathBuf::from("e.bin")),
            },
            Planned::OpsFile(PathBuf::from("ops.json")),
            Planned::AddNode {
                kind: "n2".into(),
                payload: None
            },
            Planned::RemoveNode(a.clone()),
            Planned::AddNode {
                kind: "n3".into(),
                payload: Some(Payload::File("p.bin".into()))
            },
        ]
    );
}

#[test]
fn a_payload_flag_must_follow_its_op() {
    for args in [
        &["--payload", "x", "--add-node", "n"][..],
        &["--remove-node", "ab", "--payload", "x"][..],
        &["--add-node", "n", "--payload", "x", "--payload", "y"][..],
        &["--add-node", "n", "--edge-payload-file", "f"][..],
        &["--add-edge", "a", "b", "k", "--payload-file", "f"][..],
        &[
            "--add-edge",
            "a",
            "b",
            "k",
            "--edge-payload-file",
            "f",
            "--edge-payload-file",
            "g",
        ][..],
    ] {
        assert!(apply::plan(apply_flags(args)).is_err(), "{args:?}");
    }
}

#[test]
fn apply_needs_an_op_and_add_edge_takes_three_values() {
    let parse = |args: &[&str]| {
        Cli::command().try_get_matches_from(
            ["jitosctl", "apply", "--view", "sws:0"]
                .into_iter()
                .chain(args.iter().copied()),
        )
    };
    assert!(parse(&[]).is_err());
    assert!(parse(&["--meta", "{}"]).is_err());
    assert!(parse(&["--add-edge", "a", "b"]).is_err());
    assert!(parse(&["--add-edge", "a", "b", "k"]).is_ok());
}

#[test]
fn ops_load_in_order_with_their_payloads() {
    let dir = std::env::temp_dir().join(format!("jitosctl-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ops_file = dir.join("ops.json");
    std::fs::write(&ops_file, r#"[{"op": "RemoveNode", "data": {"id": "x"}}]"#).unwrap();
    let payload = dir.join("payload.bin");
    std::fs::write(&payload, b"hello").unwrap();
    let ops = apply::load(vec![
        Planned::AddNode {
            kind: "k".into(),
            payload: Some(Payload::File(payload.clone())),
        },
        Planned::OpsFile(ops_file.clone()),
        Planned::AddEdge {
            from: "f".into(),
            to: "t".into(),
            kind: "e".into(),
            payload: None,
        },
    ])
    .unwrap();
    assert_eq!(
        ops,
        [
            json!({"op": "AddNode", "data": {"kind": "k", "payload_b64": "aGVsbG8="}}),
            json!({"op": "RemoveNode", "data": {"id": "x"}}),
            json!({"op": "AddEdge", "data": {"from": "f", "to": "t", "kind": "e"}}),
        ]
    );
    std::fs::write(&ops_file, r#"{"op": "AddNode"}"#).unwrap();
    let error = apply::load(vec![Planned::OpsFile(ops_file.clone())]).unwrap_err();
    assert!(error.to_string().contains("JSON array"), "{error:#}");
    std::fs::write(&ops_file, r#"[{"op": "AddNode"}, 3]"#).unwrap();
    let error = apply::load(vec![Planned::OpsFile(ops_file)]).unwrap_err();
    assert!(error.to_string().contains("op 1"), "{error:#}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn exit_statuses_name_the_error_code() {
    let server = |code: &str| {
        let body = json!({"errors": [{"message": "m", "extensions": {"code": code}}]});
        let error =
            jitos_client::decode_http::<serde_json::Value>(200, &body.to_string()).unwrap_err();
        crate::exit_status(&anyhow::Error::from(error).context("while testing"))
    };
    let statuses: Vec<u8> = [
        "INVALID_INPUT",
        "NOT_FOUND",
        "NOT_IMPLEMENTED",
        "CONFLICT",
        "LIMIT_EXCEEDED",
        "FORBIDDEN",
        "INTERNAL",
        "UNKNOWN",
    ]
    .into_iter()
    .map(server)
    .collect();
    assert_eq!(statuses, [2, 3, 4, 5, 6, 7, 8, 8]);
    let status = jitos_client::decode_http::<serde_json::Value>(502, "bad gateway").unwrap_err();
    assert_eq!(crate::exit_status(&status.into()), 1);
    assert_eq!(crate::exit_status(&crate::Absent("x".into()).into()), 3);
    let aborted = crate::NotCommitted("collapse of sws:1 aborted: 1 conflict".into());
    assert_eq!(crate::exit_status(&anyhow::Error::from(aborted)), 9);
    assert_eq!(crate::exit_status(&anyhow::anyhow!("unreadable file")), 1);
}

#[test]
fn views_pins_and_pages_parse() {
    let cli = Cli::from_arg_matches(&matches(&[
        "graph", "--view", "sws:2", "--as-of", "9", "--first", "5", "--kind", "a", "--kind", "b",
    ]))
    .unwrap();
    let Command::Graph(args) = cli.command else {
        panic!("not graph: {cli:?}");
    };
    let view = crate::view_ref(&args.view);
    assert_eq!(
        view,
        jitos_client::ViewRef::as_of(jitos_client::View::Sws(2), 9)
    );
    assert_eq!(args.first, 5);
    assert_eq!(args.kinds, ["a", "b"]);
    let filter = crate::graph_filter(&args);
    assert!(filter.edges.is_none());
    assert_eq!(filter.nodes.unwrap().kinds.unwrap(), ["a", "b"]);
    for bad in [
        &["graph", "--view", "sws:01"][..],
        &["graph", "--snapshot", "s", "--as-of", "1"][..],
        &["watch", "events", "--after-idx", "1", "--from-start"][..],
        &["sws", "get", "-1"][..],
    ] {
        let result = Cli::command()
            .try_get_matches_from(std::iter::once("jitosctl").chain(bad.iter().copied()));
        assert!(result.is_err(), "{bad:?}");
    }
}

#[test]
fn diff_takes_two_views_each_with_its_own_pin() {
    use jitos_client::{View, ViewRef};

    let parse = |args: &[&str]| {
        let mut all = vec!["diff"];
        all.extend_from_slice(args);
        let cli = Cli::from_arg_matches(&matches(&all)).unwrap();
        let Command::Diff(args) = cli.command else {
            panic!("not diff: {cli:?}");
        };
        (args.view_from(), args.view_to())
    };
    assert_eq!(
        parse(&["--from", "system", "--to", "sws:3"]),
        (ViewRef::live(View::System), ViewRef::live(View::Sws(3)))
    );
    assert_eq!(
        parse(&[
            "--from",
            "sws:1",
            "--from-snapshot",
            "s",
            "--to",
            "sws:1",
            "--to-as-of",
            "7"
        ]),
        (
            ViewRef::snapshot(View::Sws(1), "s"),
            ViewRef::as_of(View::Sws(1), 7)
        )
    );
    assert_eq!(
        parse(&["--to", "system", "--from", "system", "--from-as-of", "2"]).0,
        ViewRef::as_of(View::System, 2)
    );
    for bad in [
        &["diff", "--from", "system"][..],
        &["diff", "--to", "system"][..],
        &["diff", "--from", "sws:x", "--to", "system"][..],
        &[
            "diff", "--from", "system", "--to", "system", "--view", "system",
        ][..],
        &[
            "diff",
            "--from",
            "system",
            "--to",
            "system",
            "--to-snapshot",
            "s",
            "--to-as-of",
            "1",
        ][..],
    ] {
        let result = Cli::command()
            .try_get_matches_from(std::iter::once("jitosctl").chain(bad.iter().copied()));
        assert!(result.is_err(), "{bad:?}");
    }
}

#[test]
fn a_diff_prints_one_signed_line_per_item_then_a_summary() {
    use jitos_client::types::{
        ChangeKind, Edge, EdgeChange, EdgeChangePage, GraphDiff, Node, NodeChange, NodeChangePage,
        PageInfo, ViewKind, ViewRefOut,
    };

    let node = |id: &str, change: ChangeKind| NodeChange {
        change,
        node: Node {
            id: id.into(),
            kind: "k".into(),
            data: json!({}),
            payload_b64: String::new(),
        },
    };
    let done = PageInfo {
        end_cursor: None,
        has_next_page: false,
    };
    let view = ViewRefOut {
        kind: ViewKind::Sws,
        sws_id: Some("0".into()),
        snapshot_id: None,
    };
    let diff = GraphDiff {
        from: view.clone(),
        to: view,
        from_snapshot_id: "s0".into(),
        to_snapshot_id: "s1".into(),
        nodes: NodeChangePage {
            changes: vec![
                node("a1", ChangeKind::Added),
                node("b2", ChangeKind::Removed),
                node("c3", ChangeKind::Other("MOVED".into())),
            ],
            page_info: done.clone(),
        },
        edges: EdgeChangePage {
            changes: vec![EdgeChange {
                change: ChangeKind::Added,
                edge: Edge {
                    id: "e1".into(),
                    kind: "link".into(),
                    from: "a1".into(),
                    to: "c3".into(),
                    data: None,
                },
            }],
            page_info: done,
        },
    };
    assert_eq!(
        crate::print::diff_lines(&diff),
        [
            "+ node a1 k",
            "- node b2 k",
            "? node c3 k",
            "+ edge e1 a1 -> c3 link",
            "nodes: 1 added, 1 removed; edges: 1 added, 0 removed",
        ]
    );
}

#[test]
fn collapse_rebase_and_discard_parse_at_the_top_and_under_sws_alike() {
    use crate::cli::SwsCommand;

    let parse = |args: &[&str]| Cli::from_arg_matches(&matches(args)).unwrap().command;
    let top = parse(&[
        "collapse",
        "sws:4",
        "--policy",
        "0",
        "--meta",
        "{}",
        "--idempotency-key",
        "k",
    ]);
    let Command::Collapse(args) = top else {
        panic!("not collapse: {top:?}");
    };
    assert_eq!((args.id, args.policy), (4, Some(0)));
    assert_eq!(args.meta.as_deref(), Some("{}"));
    assert_eq!(args.key.idempotency_key.as_deref(), Some("k"));
    let nested = parse(&["sws", "collapse", "4"]);
    assert!(
        matches!(&nested, Command::Sws(SwsCommand::Collapse(args)) if args.id == 4),
        "{nested:?}"
    );
    let rebase = parse(&["rebase", "2"]);
    assert!(
        matches!(&rebase, Command::Rebase(args) if args.id == 2 && args.meta.is_none()),
        "{rebase:?}"
    );
    let discard = parse(&["discard", "3", "--reason", "superseded"]);
    assert!(
        matches!(&discard, Command::Discard(args)
            if args.id == 3 && args.reason.as_deref() == Some("superseded")),
        "{discard:?}"
    );
    let nested = parse(&["sws", "discard", "sws:3", "--reason", "x"]);
    assert!(
        matches!(&nested, Command::Sws(SwsCommand::Discard(args)) if args.id == 3),
        "{nested:?}"
    );
    for bad in [
        &["collapse"][..],
        &["collapse", "01"][..],
        &["rebase", "sws:"][..],
        &["discard", "system"][..],
    ] {
        let result = Cli::command()
            .try_get_matches_from(std::iter::once("jitosctl").chain(bad.iter().copied()));
        assert!(result.is_err(), "{bad:?}");
    }
}

fn receipt(
    kind: jitos_client::EventKind,
    conflicts: Vec<jitos_client::Conflict>,
) -> jitos_client::MergeReceipt {
    jitos_client::MergeReceipt {
        kind,
        event_idx: jitos_client::U64(7),
        event_id: "e7".into(),
        sws_id: "1".into(),
        committed: conflicts.is_empty(),
        base_snapshot_id: "base".into(),
        system_snapshot_id: "sys".into(),
        view_digest: "view".into(),
        rule_pack_id: "rules".into(),
        policy_id: 0,
        conflicts,
        nodes_added: 2,
        nodes_removed: 0,
        edges_added: 1,
        edges_removed: 3,
        digest: "dd".into(),
    }
}

#[test]
fn a_merge_prints_its_receipt_then_one_bang_line_per_conflict() {
    use jitos_client::{ChangeKind, Conflict, ConflictKind, EventKind, ItemKind};

    let conflict = Conflict {
        kind: ConflictKind::EdgeEndRemoved,
        id: "e1".into(),
        subject: ItemKind::Edge,
        overlay_change: ChangeKind::Added,
        system_id: "n1".into(),
        system_subject: ItemKind::Node,
        system_change: ChangeKind::Removed,
    };
    let aborted = receipt(EventKind::Collapse, vec![conflict]);
    assert_eq!(
        crate::print::merge_lines(&aborted, Some("sysdigest")),
        [
            "collapse of sws:1 aborted: 1 conflict",
            "  event     7",
            "  snapshot  base -> sys",
            "  nodes     2 added, 0 removed",
            "  edges     1 added, 3 removed",
            "  sws       view",
            "  system    sysdigest",
            "  receipt   dd",
            "! EDGE_END_REMOVED edge e1 (overlay ADDED) vs node n1 (system REMOVED)",
        ]
    );
    let committed = receipt(EventKind::Rebase, vec![]);
    let lines = crate::print::merge_lines(&committed, None);
    assert_eq!(lines[0], "rebase of sws:1 committed");
    assert!(lines.iter().all(|line| !line.starts_with('!')), "{lines:?}");
    assert!(
        lines.iter().all(|line| !line.contains("system ")),
        "{lines:?}"
    );
    let mut refused = receipt(EventKind::Rebase, vec![aborted.conflicts[0].clone()]);
    refused.conflicts.push(refused.conflicts[0].clone());
    assert_eq!(
        crate::print::merge_headline(&refused),
        "rebase of sws:1 refused: 2 conflicts"
    );
}

#[test]
fn listings_show_a_discard_reason_and_a_merge_outcome() {
    use jitos_client::types::{ViewKind, ViewRefOut};
    use jitos_client::{EventKind, RewriteEvent, U64};

    let event = |kind, reason: Option<&str>, receipt| RewriteEvent {
        id: "e".into(),
        idx: U64(1),
        kind,
        view: ViewRefOut {
            kind: ViewKind::Sws,
            sws_id: Some("1".into()),
            snapshot_id: None,
        },
        ops: vec![],
        meta: None,
        reason: reason.map(str::to_owned),
        view_digest: "v".into(),
        receipt,
    };
    let detail = |e: &RewriteEvent| crate::print::event_detail(e);
    assert_eq!(
        detail(&event(EventKind::Discard, Some("done"), None)),
        "reason: done"
    );
    assert_eq!(detail(&event(EventKind::Discard, None, None)), "-");
    assert_eq!(detail(&event(EventKind::RewriteApplied, None, None)), "-");
    let committed = Some(receipt(EventKind::Collapse, vec![]));
    assert_eq!(
        detail(&event(EventKind::Collapse, None, committed)),
        "committed"
    );
}

// Offline commands: `verify` and `log` on data directories the kernel wrote.

/// The `jitosctl` binary of this build (target dir and profile of this test binary), built on
/// first use: unit tests of a binary crate get no `CARGO_BIN_EXE_jitosctl`.
fn jitosctl_binary() -> &'static std::path::Path {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let test_exe = std::env::current_exe().unwrap();
        let profile_dir = test_exe.parent().unwrap().parent().unwrap();
        let target_dir = profile_dir.parent().unwrap();
        let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
            Some("debug") => "dev",
            Some(name) => name,
            None => panic!("unreadable profile directory {}", profile_dir.display()),
        };
        let status = std::process::Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "--package",
                "jitosctl",
                "--bin",
                "jitosctl",
            ])
            .args(["--profile", profile, "--target-dir"])
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "building jitosctl: {status}");
        profile_dir.join(format!("jitosctl{}", std::env::consts::EXE_SUFFIX))
    })
}

/// Runs the real `jitosctl ARGS`.
fn run_jitosctl(args: &[&str]) -> std::process::Output {
    std::process::Command::new(jitosctl_binary())
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn add_node(payload: &str) -> jitos_kernel::Command {
    let op = jitos_schema::ops::Op::AddNode(jitos_schema::ops::AddNode {
        kind: "doc".to_owned(),
        payload: payload.as_bytes().to_vec(),
    });
    jitos_kernel::Command::ApplyRewrite {
        view: jitos_kernel::ViewKey::Sws(0),
        ops: vec![op],
        meta: None,
        idempotency_key: None,
    }
}

/// 7 events: a creation, three writes, a committed collapse, a creation and a discard.
fn offline_script() -> Vec<jitos_kernel::Command> {
    use jitos_kernel::Command as K;
    vec![
        K::CreateSws {
            meta: None,
            idempotency_key: None,
        },
        add_node("a"),
        add_node("b"),
        add_node("c"),
        K::CollapseSws {
            id: 0,
            meta: None,
            idempotency_key: None,
        },
        K::CreateSws {
            meta: None,
            idempotency_key: None,
        },
        K::DiscardSws {
            id: 1,
            reason: Some("superseded".to_owned()),
            meta: None,
            idempotency_key: None,
        },
    ]
}

/// A data directory holding the log of `offline_script`, and the state that wrote it.
fn written_data_dir() -> (tempfile::TempDir, jitos_kernel::State) {
    let dir = tempfile::tempdir().unwrap();
    let storage = jitos_wal::FsStorage::open(dir.path().join(jitos_kernel::WAL_DIR)).unwrap();
    let (mut wal, _) = jitos_wal::Wal::open(storage, jitos_wal::WalOptions::default()).unwrap();
    let mut state = jitos_kernel::State::new();
    let events: Vec<_> = offline_script()
        .into_iter()
        .map(|command| state.apply(command).unwrap())
        .collect();
    jitos_kernel::append(&mut wal, &events).unwrap();
    (dir, state)
}

/// The one segment of a data directory written by `written_data_dir`.
fn segment_path(dir: &tempfile::TempDir) -> PathBuf {
    let name = jitos_wal::segment_name(0);
    dir.path().join(jitos_kernel::WAL_DIR).join(name)
}

/// Where each record of `bytes` (one segment) starts.
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut offset = jitos_wal::FILE_HEADER_LEN;
    while let Ok(decoded) = jitos_wal::decode(&bytes[offset..]) {
        offsets.push(offset);
        offset += decoded.len;
    }
    offsets
}

fn verify_json(dir: &std::path::Path) -> (serde_json::Value, std::process::Output) {
    let path = dir.to_str().unwrap();
    let output = run_jitosctl(&["verify", "--data-dir", path, "--json"]);
    let stdout = text(&output.stdout);
    assert_eq!(
        stdout.lines().count(),
        1,
        "--json prints one line: {stdout}"
    );
    (serde_json::from_str(&stdout).unwrap(), output)
}

#[test]
fn verify_and_log_read_a_clean_data_directory() {
    let (dir, state) = written_data_dir();
    let path = dir.path().to_str().unwrap();
    let output = run_jitosctl(&["verify", "--data-dir", path]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = text(&output.stdout);
    let system = state.system().digest().to_string();
    assert!(stdout.contains("records      7\n"), "{stdout}");
    assert!(
        stdout.contains(&format!("system       {system}\n")),
        "{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some("OK"));

    let (report, _) = verify_json(dir.path());
    assert_eq!(report["verify"]["ok"], json!(true));
    assert_eq!(report["verify"]["records"], json!(7));
    assert_eq!(report["verify"]["views"], json!(3));
    assert_eq!(report["verify"]["systemDigest"], json!(system));
    let by_kind = json!({"SWS_CREATE": 2, "REWRITE_APPLIED": 3, "COLLAPSE": 1, "DISCARD": 1});
    assert_eq!(report["verify"]["eventsByKind"], by_kind);
    assert_eq!(report["verify"]["tornTail"], json!(null));

    let output = run_jitosctl(&["log", "--data-dir", path]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let lines: Vec<String> = text(&output.stdout).lines().map(str::to_owned).collect();
    assert_eq!(
        lines.len(),
        1 + 7,
        "a header and one line per record: {lines:?}"
    );
    assert!(lines[0].starts_with("     IDX  KIND"), "{lines:?}");
    let collapse = &lines[1 + 4];
    assert!(
        collapse.contains("COLLAPSE") && collapse.ends_with("3  committed"),
        "{collapse}"
    );
    assert!(lines[1 + 6].ends_with("reason: superseded"), "{lines:?}");
    assert!(lines[1 + 1].contains(&state.events()[1].view_digest.to_string()[..12]));

    let output = run_jitosctl(&[
        "log",
        "--data-dir",
        path,
        "--json",
        "--from",
        "2",
        "--limit",
        "3",
    ]);
    let records: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let idxs: Vec<&serde_json::Value> = records.iter().map(|record| &record["idx"]).collect();
    assert_eq!(idxs, [&json!(2), &json!(3), &json!(4)]);
    let event = &state.events()[4];
    assert_eq!(records[2]["event"]["id"], json!(event.id.to_string()));
    assert_eq!(records[2]["event"]["outcome"]["committed"], json!(true));
    assert_eq!(records[2]["recordHash"].as_str().map(str::len), Some(64));
}

#[test]
fn a_torn_tail_is_a_warning_and_stays_on_disk() {
    let (dir, _) = written_data_dir();
    let segment = segment_path(&dir);
    let mut bytes = std::fs::read(&segment).unwrap();
    // After the last record, the first 50 bytes of a record: what an interrupted write leaves.
    // (Zeros would not do: after the records they read as the writer's padding, a clean end.)
    let last = *record_offsets(&bytes).last().unwrap();
    let valid_len = last + jitos_wal::decode(&bytes[last..]).unwrap().len;
    let partial = bytes[last..last + 50].to_vec();
    bytes.truncate(valid_len);
    bytes.extend_from_slice(&partial);
    std::fs::write(&segment, &bytes).unwrap();

    let (report, output) = verify_json(dir.path());
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(report["verify"]["records"], json!(7));
    assert_eq!(report["verify"]["tornTail"]["offset"], json!(valid_len));
    let warning = format!(
        "warning: torn tail in {} at byte {valid_len}",
        jitos_wal::segment_name(0)
    );
    assert!(text(&output.stderr).contains(&warning), "{output:?}");
    let path = dir.path().to_str().unwrap();
    let output = run_jitosctl(&["log", "--data-dir", path]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(text(&output.stderr).contains(&warning), "{output:?}");
    assert_eq!(std::fs::read(&segment).unwrap(), bytes, "nothing was cut");
}

#[test]
fn corruption_exits_10_naming_segment_and_offset() {
    let (dir, _) = written_data_dir();
    let segment = segment_path(&dir);
    let mut bytes = std::fs::read(&segment).unwrap();
    let offset = record_offsets(&bytes)[3];
    bytes[offset + 140] ^= 0x01;
    std::fs::write(&segment, &bytes).unwrap();

    let (report, output) = verify_json(dir.path());
    assert_eq!(output.status.code(), Some(10), "{output:?}");
    let failure = &report["verify"]["failure"];
    assert_eq!(failure["kind"], json!("corrupt"));
    assert_eq!(failure["segment"], json!(jitos_wal::segment_name(0)));
    assert_eq!(failure["offset"], json!(offset));
    assert_eq!(failure["recordsVerified"], json!(3));
    let path = dir.path().to_str().unwrap();
    let output = run_jitosctl(&["verify", "--data-dir", path]);
    assert_eq!(output.status.code(), Some(10), "{output:?}");
    assert!(
        text(&output.stdout).contains(&format!("offset    {offset}\n")),
        "{output:?}"
    );
    let at = format!("at byte {offset}");
    assert!(text(&output.stderr).contains(&at), "{output:?}");
    let output = run_jitosctl(&["log", "--data-dir", path]);
    assert_eq!(output.status.code(), Some(10), "{output:?}");
    assert_eq!(
        text(&output.stdout).lines().count(),
        1 + 3,
        "the valid prefix"
    );
    assert_eq!(
        std::fs::read(&segment).unwrap(),
        bytes,
        "nothing was repaired"
    );
}

#[test]
fn a_record_that_disagrees_with_its_event_is_a_divergence() {
    let (dir, _) = written_data_dir();
    let segment = segment_path(&dir);
    let bytes = std::fs::read(&segment).unwrap();
    // Re-seal the log with record 2's header digest forged: a valid chain that lies.
    let forged = "ab".repeat(32);
    std::fs::remove_file(&segment).unwrap();
    let storage = jitos_wal::FsStorage::open(segment.parent().unwrap()).unwrap();
    let (mut wal, _) = jitos_wal::Wal::open(storage, jitos_wal::WalOptions::default()).unwrap();
    for offset in record_offsets(&bytes) {
        let record = jitos_wal::decode(&bytes[offset..]).unwrap().record;
        let view_digest = if record.idx == 2 {
            forged.parse().unwrap()
        } else {
            record.view_digest
        };
        let entry = jitos_wal::Entry {
            rule_pack_id: record.rule_pack_id,
            policy_id: record.policy_id,
            view_digest,
            body: record.body,
        };
        wal.append(entry).unwrap();
    }
    wal.sync().unwrap();
    let truth = jitos_wal::decode(&bytes[record_offsets(&bytes)[2]..]).unwrap();

    let (report, output) = verify_json(dir.path());
    assert_eq!(output.status.code(), Some(10), "{output:?}");
    let failure = &report["verify"]["failure"];
    assert_eq!(failure["check"], json!("header_digest"));
    assert_eq!(failure["idx"], json!(2));
    assert_eq!(failure["offset"], json!(record_offsets(&bytes)[2]));
    assert_eq!(
        failure["expected"],
        json!(truth.record.view_digest.to_string())
    );
    assert_eq!(failure["found"], json!(forged));
}

#[test]
fn a_missing_data_directory_is_an_error_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    for command in ["verify", "log"] {
        let output = run_jitosctl(&[command, "--data-dir", missing.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert!(
            text(&output.stderr).contains("no data directory"),
            "{output:?}"
        );
        assert!(!missing.exists(), "{command} created the directory");
        let output = run_jitosctl(&[command, "--data-dir", dir.path().to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert!(text(&output.stderr).contains("has no wal/"), "{output:?}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{command} wrote"
        );
    }
}

#[test]
fn damage_is_exit_status_10() {
    let damaged = crate::offline::Damaged("verify failed".to_owned());
    assert_eq!(crate::exit_status(&anyhow::Error::from(damaged)), 10);
}

#[test]
fn a_stray_wal_file_is_damage_for_verify_and_log() {
    let (dir, _) = written_data_dir();
    let stray = dir.path().join(jitos_kernel::WAL_DIR).join("copy.wal");
    std::fs::write(&stray, b"not a segment").unwrap();
    let path = dir.path().to_str().unwrap();
    for command in ["verify", "log"] {
        let output = run_jitosctl(&[command, "--data-dir", path]);
        assert_eq!(output.status.code(), Some(10), "{output:?}");
        assert!(text(&output.stderr).contains("copy.wal"), "{output:?}");
    }
    assert_eq!(std::fs::read(&stray).unwrap(), b"not a segment");
}
