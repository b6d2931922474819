//! Unit tests of the kind registries: the append-only rules, the lock and the digest.
//!
//! # Invariants
//! - Every rule test asserts the whole diagnostic text, so a message that stops naming an entry
//!   or a location fails here.
//! - The golden digest vector (`tests/vectors/kind_registry_digest.json`) is rewritten only when
//!   `UPDATE_EXPECT=1` is set; otherwise it is compared, and so is the constant the committed
//!   `generated/jitos-schema/src/kinds.rs` carries.

use super::*;

const FILE: &str = "kinds.toml";
const LOCK: &str = "kinds.lock";

const BASE: &str = r#"
[[reserved]]
id = 0
name = "UNSPECIFIED"
reason = "never a kind"

[[kind]]
id = 1
name = "SWS"
description = "A shadow working set."
since = "v0"

[[kind]]
id = 2
name = "TASK"
description = "A unit of work."
since = "v0"
"#;

/// The lines of `diags`, as `Diagnostics` prints them.
fn lines(diags: &Diagnostics) -> Vec<String> {
    diags.sorted().iter().map(ToString::to_string).collect()
}

fn parse_ok(family: Family, source: &str) -> Registry {
    let mut diags = Diagnostics::default();
    let registry = parse(family, FILE, source, &mut diags);
    assert!(!diags.has_errors(), "unexpected errors:\n{diags}");
    registry.unwrap()
}

fn parse_errors(source: &str) -> Vec<String> {
    let mut diags = Diagnostics::default();
    let _ = parse(Family::Node, FILE, source, &mut diags);
    lines(&diags)
}

fn lock_errors(registry_source: &str, lock: &str) -> Vec<String> {
    let registry = parse_ok(Family::Node, registry_source);
    let mut diags = Diagnostics::default();
    check_lock(LOCK, lock, &[&registry], &mut diags);
    lines(&diags)
}

fn kind_block(id: u16, name: &str) -> String {
    format!(
        "\n[[kind]]\nid = {id}\nname = \"{name}\"\ndescription = \"Something.\"\nsince = \"v0\"\n"
    )
}

#[test]
fn base_registry_parses_with_locations() {
    let registry = parse_ok(Family::Node, BASE);
    assert_eq!(registry.kinds.keys().copied().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(registry.kinds[&2].name, "TASK");
    assert_eq!(registry.kinds[&2].loc, Loc::new(FILE, 13, 1));
    assert_eq!(registry.reserved[&0].loc, Loc::new(FILE, 2, 1));
}

#[test]
fn reusing_an_id_names_both_entries_and_both_places() {
    let source = format!("{BASE}{}", kind_block(2, "SLAP"));
    assert_eq!(
        parse_errors(&source),
        [
            "kinds.toml:19:1: error: node kind id 2 is used twice: `SLAP` here and `TASK` at kinds.toml:13:1"
        ]
    );
}

#[test]
fn defining_a_name_twice_fails() {
    let source = format!("{BASE}{}", kind_block(3, "TASK"));
    assert_eq!(
        parse_errors(&source),
        [
            "kinds.toml:19:1: error: node kind `TASK` is defined twice: id 3 here and id 2 at kinds.toml:13:1"
        ]
    );
}

#[test]
fn taking_a_reserved_id_names_the_reserved_entry() {
    let source = format!("{BASE}{}", kind_block(0, "ZERO"));
    assert_eq!(
        parse_errors(&source),
        [
            "kinds.toml:19:1: error: node kind `ZERO` takes id 0, reserved for `UNSPECIFIED` at kinds.toml:2:1: reserved ids are never reused"
        ]
    );
}

#[test]
fn reserving_an_id_twice_fails() {
    let source = format!("{BASE}\n[[reserved]]\nid = 0\nname = \"NOTHING\"\nreason = \"again\"\n");
    assert_eq!(
        parse_errors(&source),
        [
            "kinds.toml:19:1: error: reserved id 0 is listed twice: `NOTHING` here and `UNSPECIFIED` at kinds.toml:2:1"
        ]
    );
}

#[test]
fn names_must_be_screaming_snake_case() {
    for bad in ["Task", "task", "TASK-X", "1TASK", "_TASK", "TASK X"] {
        let source = format!("{BASE}{}", kind_block(3, bad));
        assert_eq!(
            parse_errors(&source),
            [format!(
                "kinds.toml:19:1: error: node kind name `{bad}` must be SCREAMING_SNAKE_CASE"
            )],
            "{bad}"
        );
    }
    for good in ["A", "TASK_2", "SLAP_USES_PRIMITIVE"] {
        let source = format!("{BASE}{}", kind_block(3, good));
        assert_eq!(parse_errors(&source), Vec::<String>::new(), "{good}");
    }
}

#[test]
fn missing_fields_and_node_endpoints_fail() {
    let no_description = format!(
        "{BASE}\n[[kind]]\nid = 3\nname = \"SLAP\"\ndescription = \"  \"\nsince = \"\"\nfrom = [\"TASK\"]\n"
    );
    assert_eq!(
        parse_errors(&no_description),
        [
            "kinds.toml:19:1: error: node kind `SLAP` has an empty `since`",
            "kinds.toml:19:1: error: node kind `SLAP` has no description",
            "kinds.toml:19:1: error: node kind `SLAP`: only edge kinds have `from`/`to`",
        ]
    );
    let unknown_key = format!(
        "{BASE}\n[[kind]]\nid = 3\nname = \"SLAP\"\ndescription = \"x\"\nsince = \"v0\"\ncolour = \"red\"\n"
    );
    let errors = parse_errors(&unknown_key);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("kinds.toml:24:1: error: unknown field `colour`"),
        "{errors:?}"
    );
}

#[test]
fn edge_endpoints_must_name_node_kinds() {
    let nodes = parse_ok(Family::Node, BASE);
    let edges_source = "[[kind]]\nid = 1\nname = \"USES\"\ndescription = \"x\"\nsince = \"v0\"\nfrom = [\"TASK\"]\nto = [\"SWS\", \"GHOST\"]\n";
    let edges = parse_ok(Family::Edge, edges_source);
    let mut diags = Diagnostics::default();
    check_endpoints(&nodes, &edges, &mut diags);
    assert_eq!(
        lines(&diags),
        ["kinds.toml:1:1: error: edge kind `USES` names unknown node kind `GHOST`"]
    );
}

#[test]
fn renumbering_a_locked_kind_names_both_ids_and_places() {
    let source = BASE.replace("id = 2\n", "id = 20\n");
    let lock = "# lock\nnode 0 UNSPECIFIED reserved\nnode 1 SWS\nnode 2 TASK\n";
    assert_eq!(
        lock_errors(&source, lock),
        // One mistake, one error: the renumbering, not also a removal of id 2.
        [
            "kinds.toml:13:1: error: node kind `TASK` was id 2 (kinds.lock:4:1) and is now id 20 (kinds.toml:13:1): ids are never renumbered"
        ]
    );
}

#[test]
fn giving_a_locked_id_to_another_name_fails() {
    let source = BASE.replace("name = \"TASK\"", "name = \"CHORE\"");
    let lock = "node 2 TASK\n";
    assert_eq!(
        lock_errors(&source, lock),
        [
            "kinds.toml:13:1: error: node id 2 was `TASK` (kinds.lock:1:1) and is now `CHORE` (kinds.toml:13:1): ids are never reused"
        ]
    );
}

#[test]
fn removing_a_locked_kind_needs_a_reserved_entry() {
    let lock = "node 0 UNSPECIFIED reserved\nnode 1 SWS\nnode 2 TASK\nnode 3 SLAP\n";
    assert_eq!(
        lock_errors(BASE, lock),
        [
            "kinds.lock:4:1: error: node kind `SLAP` (id 3, kinds.lock:4:1) was removed: retire it with a [[reserved]] entry instead"
        ]
    );
    let retired =
        format!("{BASE}\n[[reserved]]\nid = 3\nname = \"SLAP\"\nreason = \"merged into TASK\"\n");
    assert_eq!(lock_errors(&retired, lock), Vec::<String>::new());
    let renamed_reservation = retired.replace("name = \"SLAP\"", "name = \"STEP\"");
    assert_eq!(
        lock_errors(&renamed_reservation, lock),
        [
            "kinds.toml:19:1: error: node id 3 was `SLAP` (kinds.lock:4:1) and is now `STEP` (kinds.toml:19:1): ids are never reused"
        ]
    );
}

#[test]
fn malformed_lock_lines_are_reported() {
    let lock = "node 1 SWS\nnode x TASK\nplanet 1 EARTH\nnode\n";
    assert_eq!(
        lock_errors(BASE, lock),
        [
            "kinds.lock:2:1: error: malformed lock line `node x TASK`",
            "kinds.lock:3:1: error: unknown family `planet`",
            "kinds.lock:4:1: error: malformed lock line `node`",
        ]
    );
}

#[test]
fn lock_text_lists_every_id_and_passes_its_own_check() {
    let nodes = parse_ok(Family::Node, BASE);
    let edges = parse_ok(
        Family::Edge,
        "[[kind]]\nid = 1\nname = \"USES\"\ndescription = \"x\"\nsince = \"v0\"\n",
    );
    let text = lock_text(&[&nodes, &edges]);
    let body: Vec<&str> = text.lines().filter(|line| !line.starts_with('#')).collect();
    assert_eq!(
        body,
        [
            "node 0 UNSPECIFIED reserved",
            "node 1 SWS",
            "node 2 TASK",
            "edge 1 USES"
        ]
    );
    let mut diags = Diagnostics::default();
    check_lock(LOCK, &text, &[&nodes, &edges], &mut diags);
    assert_eq!(lines(&diags), Vec::<String>::new());
}

#[test]
fn digest_ignores_entry_order_and_descriptions() {
    let base = digest(&parse_ok(Family::Node, BASE));
    let blocks: Vec<&str> = BASE.split("\n\n").collect();
    let reordered = format!("{}\n\n{}\n\n{}", blocks[2], blocks[0], blocks[1]);
    assert_ne!(reordered, BASE);
    assert_eq!(digest(&parse_ok(Family::Node, &reordered)), base);
    let redescribed = BASE.replace("A unit of work.", "Something else entirely.");
    assert_eq!(digest(&parse_ok(Family::Node, &redescribed)), base);
    let renamed_file = {
        let mut diags = Diagnostics::default();
        parse(Family::Node, "elsewhere.toml", BASE, &mut diags).unwrap()
    };
    assert_eq!(digest(&renamed_file), base);
}

#[test]
fn digest_changes_with_every_identity_field() {
    let base = digest(&parse_ok(Family::Node, BASE));
    let changed = [
        ("rename", BASE.replace("\"TASK\"", "\"CHORE\"")),
        ("new kind", format!("{BASE}{}", kind_block(3, "SLAP"))),
        (
            "since",
            BASE.replace(
                "id = 2\nname = \"TASK\"\ndescription = \"A unit of work.\"\nsince = \"v0\"",
                "id = 2\nname = \"TASK\"\ndescription = \"A unit of work.\"\nsince = \"v1\"",
            ),
        ),
        (
            "deprecated",
            BASE.replace(
                "since = \"v0\"\n",
                "since = \"v0\"\ndeprecated = \"use TASK\"\n",
            ),
        ),
        (
            "reserved id",
            format!("{BASE}\n[[reserved]]\nid = 9\nname = \"OLD\"\nreason = \"gone\"\n"),
        ),
    ];
    for (what, source) in changed {
        assert_ne!(source, BASE, "{what}: the edit must change the text");
        assert_ne!(
            digest(&parse_ok(Family::Node, &source)),
            base,
            "{what} must change the digest"
        );
    }
    let edge = "[[kind]]\nid = 1\nname = \"USES\"\ndescription = \"x\"\nsince = \"v0\"\nfrom = [\"TASK\"]\nto = [\"SWS\"]\n";
    let edge_digest = digest(&parse_ok(Family::Edge, edge));
    assert_ne!(
        digest(&parse_ok(
            Family::Edge,
            &edge.replace("to = [\"SWS\"]", "to = [\"TASK\"]")
        )),
        edge_digest
    );
    assert_ne!(
        digest(&parse_ok(
            Family::Node,
            edge.replace("from = [\"TASK\"]\nto = [\"SWS\"]\n", "")
                .as_str()
        )),
        edge_digest
    );
}

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn workspace_file(relative: &str) -> String {
    let path = format!("{}/../{relative}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("reading {path}: {error}"))
}

fn real_registries() -> (Registry, Registry) {
    let mut diags = Diagnostics::default();
    let nodes = parse(
        Family::Node,
        "schema/kinds/node_kinds.toml",
        &workspace_file("schema/kinds/node_kinds.toml"),
        &mut diags,
    );
    let edges = parse(
        Family::Edge,
        "schema/kinds/edge_kinds.toml",
        &workspace_file("schema/kinds/edge_kinds.toml"),
        &mut diags,
    );
    assert!(!diags.has_errors(), "{diags}");
    (nodes.unwrap(), edges.unwrap())
}

/// The `[u8; 32]` constant `name` of the committed generated `kinds.rs`, as hex.
fn generated_constant(kinds_rs: &str, name: &str) -> String {
    let start = kinds_rs
        .find(&format!("pub const {name}: [u8; 32] = ["))
        .unwrap_or_else(|| panic!("{name} not in kinds.rs"));
    let body = &kinds_rs[start..];
    let open = body.find("= [").unwrap() + 3;
    let close = body.find("];").unwrap();
    let bytes: Vec<u8> = body[open..close]
        .split(',')
        .map(|item| item.trim().trim_end_matches("u8"))
        .filter(|item| !item.is_empty())
        .map(|item| item.parse().unwrap())
        .collect();
    hex(&<[u8; 32]>::try_from(bytes).unwrap())
}

#[test]
fn real_registry_digests_match_the_golden_vector_and_the_generated_constants() {
    let (nodes, edges) = real_registries();
    let actual = serde_json::json!({
        "about": "blake3 digests of schema/kinds/*.toml (kinds::digest); rewrite with UPDATE_EXPECT=1",
        "edge": hex(&digest(&edges)),
        "node": hex(&digest(&nodes)),
    });
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/kind_registry_digest.json"
    );
    let text = format!("{}\n", serde_json::to_string_pretty(&actual).unwrap());
    if std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1") {
        std::fs::write(path, &text).unwrap();
    }
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        actual, expected,
        "registry digests changed; if on purpose, rerun with UPDATE_EXPECT=1"
    );
    let kinds_rs = workspace_file("generated/jitos-schema/src/kinds.rs");
    assert_eq!(
        generated_constant(&kinds_rs, "NODE_KIND_REGISTRY_DIGEST"),
        expected["node"].as_str().unwrap()
    );
    assert_eq!(
        generated_constant(&kinds_rs, "EDGE_KIND_REGISTRY_DIGEST"),
        expected["edge"].as_str().unwrap()
    );
}

#[test]
fn real_registries_pass_the_committed_lock_and_reproduce_it() {
    let (nodes, edges) = real_registries();
    let lock = workspace_file("schema/kinds/kinds.lock");
    let mut diags = Diagnostics::default();
    check_endpoints(&nodes, &edges, &mut diags);
    check_lock(
        "schema/kinds/kinds.lock",
        &lock,
        &[&nodes, &edges],
        &mut diags,
    );
    assert_eq!(lines(&diags), Vec::<String>::new());
    assert_eq!(lock_text(&[&nodes, &edges]), lock.replace("\r\n", "\n"));
}
