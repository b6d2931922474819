//! The synthetic benchmark schema, built in Rust: the same text, byte for byte, as
//! `scripts/gen_synthetic_schema.py OUT --groups N` writes (a test in `tests/it/synthetic.rs`
//! checks it). Shared by the benchmark and that test through `#[path]`.
//!
//! # Invariants
//! - The text depends only on the number of groups: no randomness, no environment.
//! - Every item has a description, so the schema generates without a diagnostic.

use std::fmt::Write as _;

/// Groups the script writes by default: 6 types each, 2,404 types in all.
pub(crate) const DEFAULT_GROUPS: usize = 400;

const PATTERNS: [&str; 5] = [
    "^[a-z]+$",
    "^[a-z0-9-]{1,32}$",
    "^[A-Z][a-z]*$",
    "^(0|[1-9][0-9]*)$",
    "^[a-f0-9]{64}$",
];

const HEADER: &str = r#"# Synthetic schema for the codegen benchmark; written by scripts/gen_synthetic_schema.py.

"A timestamp."
scalar Stamp

"Opaque payload."
scalar Payload

"#;

/// Group `i`'s enum and input object.
fn enum_and_input(out: &mut String, i: usize) {
    let pattern = PATTERNS[i % PATTERNS.len()];
    let previous = match i.checked_sub(1) {
        Some(previous_idx) => format!(
            "  \"The previous group's filter.\"\n  previous: Filter{previous_idx} = {{limit: 5}}\n"
        ),
        None => String::new(),
    };
    let _ = write!(
        out,
        r#""Levels of group {i}."
enum Level{i} {{
  "Low."
  LOW
  "Medium."
  MEDIUM
  "High."
  HIGH
  "Old."
  OLD @deprecated(reason: "Use LOW.")
}}

"Filter of group {i}."
input Filter{i} {{
  "Name."
  name: String @constraint(minLength: 1, maxLength: 64, pattern: "{pattern}")
  "Limit."
  limit: Int = 50 @constraint(min: 1, max: 500)
  "Level."
  level: Level{i} = MEDIUM
  "Tags."
  tags: [String!] = ["x"] @constraint(maxItems: 16, maxLength: 32)
  "Weight."
  weight: Float = 1.5 @constraint(min: 0, max: 100)
  "Exact."
  exact: Boolean = false
  "Nothing by default."
  note: String = null
  "Any of these."
  any: [Filter{i}!] @constraint(maxItems: 8)
{previous}}}

"#
    );
}

/// Group `i`'s interface, objects and union.
fn outputs(out: &mut String, i: usize, n_groups: usize) {
    let next = (i + 1) % n_groups;
    let _ = write!(
        out,
        r#""Entity of group {i}."
interface Entity{i} {{
  "Id."
  id: ID!
  "Label."
  label: String
}}

"Record of group {i}."
type Record{i} implements Entity{i} {{
  "Id."
  id: ID!
  "Label."
  label: String
  "Count."
  count: Int!
  "Ratio."
  ratio: Float
  "Active."
  active: Boolean!
  "Level."
  level: Level{i}!
  "Tags."
  tags: [String!]!
  "Matrix."
  matrix: [[Int!]]!
  "Stamp."
  stamp: Stamp
  "Payload."
  payload: Payload!
  "The next group's record."
  next: Record{next}
  "A peer."
  peer: Entity{i}
  "Related records."
  related("How many." first: Int = 10 @constraint(min: 1, max: 100)): [Record{i}!]!
  "Summary, computed on demand."
  summary: String @lazy
  "Old label."
  oldLabel: String @deprecated(reason: "Use label.")
}}

"Detail of group {i}."
type Detail{i} implements Entity{i} {{
  "Id."
  id: ID!
  "Label."
  label: String
  "Notes."
  notes: [String]
  "Owner."
  owner: Record{i}!
}}

"Result of group {i}."
union Result{i} = Record{i} | Detail{i}

"#
    );
}

/// The schema with `n_groups` groups of six types.
pub(crate) fn synthetic_schema(n_groups: usize) -> String {
    assert!(n_groups >= 1, "at least one group");
    let mut out = String::with_capacity(n_groups * 2_600);
    out.push_str(HEADER);
    for group_idx in 0..n_groups {
        enum_and_input(&mut out, group_idx);
        outputs(&mut out, group_idx, n_groups);
    }
    out.push_str("\"Reads.\"\ntype Query {\n");
    for i in 0..n_groups {
        let _ = write!(
            out,
            r#"  "Record {i}."
  record{i}("Id." id: ID!, "Filter." filter: Filter{i}): Record{i}
  "Results {i}."
  results{i}("How many." first: Int = 20 @constraint(min: 1, max: 200)): [Result{i}!]!
"#
        );
    }
    out.push_str("}\n\n\"Writes.\"\ntype Mutation {\n");
    for i in 0..n_groups {
        let _ = writeln!(
            out,
            "  \"Touch {i}.\"\n  touch{i}(\"Filter.\" filter: Filter{i}!): Boolean!"
        );
    }
    out.push_str("}\n");
    out
}
