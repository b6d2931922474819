#!/usr/bin/env python3
"""Writes a large synthetic GraphQL schema for benchmarking the schema compiler.

Usage: python3 scripts/gen_synthetic_schema.py OUT.graphql [--groups N]

The schema has N groups (default 400) of six types each: an enum (one value deprecated), an
input object (constraints, defaults of every kind, a nested and a recursive input), an
interface, two objects implementing it (fields of every kind: scalars, enums, nested lists,
a forward reference that closes a cycle through every group, a field with arguments, a @lazy
field), and a union of the two; plus custom scalars and Query/Mutation roots with fields for
every group. 400 groups give 2,400 + 4 types.

Deterministic: the output depends only on N. Standard library only. The benchmark
(codegen/benches/codegen/synthetic.rs) builds the very same text in Rust when
target/synthetic.graphql does not exist; a test checks that both agree.
"""

import argparse
import sys

PATTERNS = ["^[a-z]+$", "^[a-z0-9-]{1,32}$", "^[A-Z][a-z]*$", "^(0|[1-9][0-9]*)$", "^[a-f0-9]{64}$"]


def group(i, n):
    nxt = (i + 1) % n
    pattern = PATTERNS[i % len(PATTERNS)]
    lines = [
        f'"Levels of group {i}."',
        f"enum Level{i} {{",
        '  "Low."',
        "  LOW",
        '  "Medium."',
        "  MEDIUM",
        '  "High."',
        "  HIGH",
        '  "Old."',
        '  OLD @deprecated(reason: "Use LOW.")',
        "}",
        "",
        f'"Filter of group {i}."',
        f"input Filter{i} {{",
        '  "Name."',
        f'  name: String @constraint(minLength: 1, maxLength: 64, pattern: "{pattern}")',
        '  "Limit."',
        "  limit: Int = 50 @constraint(min: 1, max: 500)",
        '  "Level."',
        "  level: Level%d = MEDIUM" % i,
        '  "Tags."',
        '  tags: [String!] = ["x"] @constraint(maxItems: 16, maxLength: 32)',
        '  "Weight."',
        "  weight: Float = 1.5 @constraint(min: 0, max: 100)",
        '  "Exact."',
        "  exact: Boolean = false",
        '  "Nothing by default."',
        "  note: String = null",
        '  "Any of these."',
        f"  any: [Filter{i}!] @constraint(maxItems: 8)",
    ]
    if i > 0:
        lines += ['  "The previous group\'s filter."', f"  previous: Filter{i - 1} = {{limit: 5}}"]
    lines += [
        "}",
        "",
        f'"Entity of group {i}."',
        f"interface Entity{i} {{",
        '  "Id."',
        "  id: ID!",
        '  "Label."',
        "  label: String",
        "}",
        "",
        f'"Record of group {i}."',
        f"type Record{i} implements Entity{i} {{",
        '  "Id."',
        "  id: ID!",
        '  "Label."',
        "  label: String",
        '  "Count."',
        "  count: Int!",
        '  "Ratio."',
        "  ratio: Float",
        '  "Active."',
        "  active: Boolean!",
        '  "Level."',
        f"  level: Level{i}!",
        '  "Tags."',
        "  tags: [String!]!",
        '  "Matrix."',
        "  matrix: [[Int!]]!",
        '  "Stamp."',
        "  stamp: Stamp",
        '  "Payload."',
        "  payload: Payload!",
        '  "The next group\'s record."',
        f"  next: Record{nxt}",
        '  "A peer."',
        f"  peer: Entity{i}",
        '  "Related records."',
        f'  related("How many." first: Int = 10 @constraint(min: 1, max: 100)): [Record{i}!]!',
        '  "Summary, computed on demand."',
        "  summary: String @lazy",
        '  "Old label."',
        '  oldLabel: String @deprecated(reason: "Use label.")',
        "}",
        "",
        f'"Detail of group {i}."',
        f"type Detail{i} implements Entity{i} {{",
        '  "Id."',
        "  id: ID!",
        '  "Label."',
        "  label: String",
        '  "Notes."',
        "  notes: [String]",
        '  "Owner."',
        f"  owner: Record{i}!",
        "}",
        "",
        f'"Result of group {i}."',
        f"union Result{i} = Record{i} | Detail{i}",
        "",
    ]
    return lines


def schema(n):
    lines = [
        "# Synthetic schema for the codegen benchmark; written by scripts/gen_synthetic_schema.py.",
        "",
        '"A timestamp."',
        "scalar Stamp",
        "",
        '"Opaque payload."',
        "scalar Payload",
        "",
    ]
    for i in range(n):
        lines += group(i, n)
    lines += ['"Reads."', "type Query {"]
    for i in range(n):
        lines += [
            f'  "Record {i}."',
            f'  record{i}("Id." id: ID!, "Filter." filter: Filter{i}): Record{i}',
            f'  "Results {i}."',
            f'  results{i}("How many." first: Int = 20 @constraint(min: 1, max: 200)): [Result{i}!]!',
        ]
    lines += ["}", "", '"Writes."', "type Mutation {"]
    for i in range(n):
        lines += [f'  "Touch {i}."', f'  touch{i}("Filter." filter: Filter{i}!): Boolean!']
    lines += ["}", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="where to write the schema")
    parser.add_argument("--groups", type=int, default=400, help="groups of six types (default 400)")
    args = parser.parse_args()
    if args.groups < 1:
        sys.exit("--groups must be at least 1")
    with open(args.out, "w", encoding="utf-8", newline="\n") as out:
        out.write(schema(args.groups))


if __name__ == "__main__":
    main()
