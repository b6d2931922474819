//! The proptest generators: one shape per op, valid values and broken values for each kind
//! of field, and the mutations that turn a valid op into a broken one.
//!
//! # Invariants
//! - `OP_SHAPES` is sorted by op name and lists, per op, the fields of its `data` with their
//!   type and whether they are required; `property::shapes_match_the_schemas` checks it
//!   against `schema/ops/`.
//! - `valid_op` draws only ops the schemas accept; every other strategy may draw either, and
//!   the property decides agreement, not the generator's intent.
//! - Every mutation starts from a valid op, so `/data` is an object when it is applied.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Union};
use serde_json::{Map, Value, json};

use super::hex;

/// The base64 alphabet, by sextet value.
const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// What a field of an op's `data` holds, as its schema says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Repr {
    /// 1 to 128 characters of `[A-Za-z0-9_.:-]`.
    Kind,
    /// Standard padded base64 of at most 1 MiB.
    Payload,
    /// 64 lowercase hex characters (`x-jitos-repr: hex32`).
    HexId,
}

/// One field of an op's `data`.
pub(super) struct FieldShape {
    pub(super) name: &'static str,
    pub(super) repr: Repr,
    pub(super) required: bool,
}

/// One op: its name and the fields of its `data`.
pub(super) struct OpShape {
    pub(super) name: &'static str,
    pub(super) fields: &'static [FieldShape],
}

const fn field(name: &'static str, repr: Repr, required: bool) -> FieldShape {
    FieldShape {
        name,
        repr,
        required,
    }
}

/// Every op this module has generators for, sorted by name like `Op::NAMES`.
pub(super) static OP_SHAPES: [OpShape; 4] = [
    OpShape {
        name: "AddEdge",
        fields: &[
            field("from", Repr::HexId, true),
            field("to", Repr::HexId, true),
            field("kind", Repr::Kind, true),
            field("payload_b64", Repr::Payload, false),
        ],
    },
    OpShape {
        name: "AddNode",
        fields: &[
            field("kind", Repr::Kind, true),
            field("payload_b64", Repr::Payload, true),
        ],
    },
    OpShape {
        name: "RemoveEdge",
        fields: &[field("id", Repr::HexId, true)],
    },
    OpShape {
        name: "RemoveNode",
        fields: &[field("id", Repr::HexId, true)],
    },
];

// ---------------------------------------------------------------------------------------------
// Field values.

fn valid_kind() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.:-]{1,128}"
}

fn payload_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![1 => Just(Vec::new()), 9 => vec(any::<u8>(), 0..48)]
}

fn valid_hex_id() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(hex(&[0x00; 32])),
        1 => Just(hex(&[0xff; 32])),
        8 => any::<[u8; 32]>().prop_map(|bytes| hex(&bytes)),
    ]
}

fn valid_value(repr: Repr) -> BoxedStrategy<Value> {
    match repr {
        Repr::Kind => valid_kind().prop_map(Value::from).boxed(),
        Repr::Payload => payload_bytes()
            .prop_map(|bytes| Value::from(STANDARD.encode(bytes)))
            .boxed(),
        Repr::HexId => valid_hex_id().prop_map(Value::from).boxed(),
    }
}

/// Values of the field's JSON type that break its rule, and for ids also non-strings that
/// look like ids.
fn bad_value(repr: Repr) -> BoxedStrategy<Value> {
    match repr {
        Repr::Kind => bad_kind().prop_map(Value::from).boxed(),
        Repr::Payload => bad_base64().prop_map(Value::from).boxed(),
        Repr::HexId => bad_hex_id().boxed(),
    }
}

pub(super) fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        "[A-Za-z0-9+/= _.:-]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// A standard encoding whose last data character carries non-zero trailing bits, e.g.
/// `aGVsbG9=` for `aGVsbG8=`; without padding, such a final quantum is appended.
fn dirty_trailing_bits(bytes: &[u8]) -> String {
    let text = STANDARD.encode(bytes);
    let padding = text.bytes().rev().take_while(|&byte| byte == b'=').count();
    if padding == 0 {
        return format!("{text}aGVsbG9=");
    }
    let mut chars = text.into_bytes();
    let last_idx = chars.len() - padding - 1;
    let sextet = BASE64_ALPHABET
        .iter()
        .position(|&c| c == chars[last_idx])
        .expect("base64 char");
    chars[last_idx] = BASE64_ALPHABET[sextet | 1];
    String::from_utf8(chars).expect("base64 is ASCII")
}

fn replace_char(text: &str, position: usize, replacement: char) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return replacement.to_string();
    }
    let position = position % chars.len();
    chars[position] = replacement;
    chars.into_iter().collect()
}

fn insert_char(text: &str, position: usize, inserted: char) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    chars.insert(position % (chars.len() + 1), inserted);
    chars.into_iter().collect()
}

fn bad_base64() -> impl Strategy<Value = String> {
    let bytes = vec(any::<u8>(), 1..32);
    prop_oneof![
        bytes.clone().prop_map(|bytes| URL_SAFE.encode(bytes)),
        (
            bytes.clone(),
            any::<usize>(),
            select(vec!['-', '_', '*', '.'])
        )
            .prop_map(|(bytes, at, bad)| replace_char(&STANDARD.encode(bytes), at, bad)),
        bytes
            .clone()
            .prop_map(|bytes| STANDARD_NO_PAD.encode(bytes)),
        (
            bytes.clone(),
            any::<usize>(),
            select(vec![' ', '\n', '\t', '\r'])
        )
            .prop_map(|(bytes, at, space)| insert_char(&STANDARD.encode(bytes), at, space)),
        bytes.prop_map(|bytes| dirty_trailing_bits(&bytes)),
        "[A-Za-z0-9+/=_ -]{0,16}",
    ]
}

fn bad_kind() -> impl Strategy<Value = String> {
    let bad_chars = vec![
        ' ',
        '/',
        '\n',
        '+',
        '#',
        '\u{0}',
        'é',
        'ß',
        '日',
        '\u{1F600}',
    ];
    prop_oneof![
        "[A-Za-z0-9_.:-]{129,200}",
        Just(String::new()),
        (valid_kind(), any::<usize>(), select(bad_chars))
            .prop_map(|(kind, at, bad)| insert_char(&kind, at, bad)),
    ]
}

/// Strings that are not ids: wrong case, wrong length, a non-hex character, a `0x` prefix,
/// whitespace around.
fn bad_hex_text() -> impl Strategy<Value = String> {
    let id = || any::<[u8; 32]>().prop_map(|bytes| hex(&bytes));
    let upper = select(vec!['A', 'B', 'C', 'D', 'E', 'F']);
    let non_hex = select(vec![
        'g', 'x', 'G', 'Z', '-', '+', '\u{0}', 'é', '日', '\u{FF10}', '\u{0663}',
    ]);
    let space = select(vec![" ", "\n", "\t", "\r\n"]);
    prop_oneof![
        (id(), any::<usize>(), upper).prop_map(|(id, at, c)| replace_char(&id, at, c)),
        id().prop_map(|id| id.to_uppercase()),
        "[0-9a-f]{63}",
        "[0-9a-f]{65}",
        "[0-9a-f]{0,62}",
        "[0-9a-f]{66,130}",
        (id(), any::<usize>(), non_hex).prop_map(|(id, at, c)| replace_char(&id, at, c)),
        id().prop_map(|id| format!("0x{id}")),
        (id(), select(vec!["0x", "0X"])).prop_map(|(id, prefix)| format!("{prefix}{}", &id[2..])),
        (id(), space, any::<bool>()).prop_map(|(id, space, before)| {
            if before {
                format!("{space}{id}")
            } else {
                format!("{id}{space}")
            }
        }),
    ]
}

/// Values that are not ids: strings that break the rule, and the bytes as a JSON array or
/// a number.
fn bad_hex_id() -> impl Strategy<Value = Value> {
    prop_oneof![
        10 => bad_hex_text().prop_map(Value::from),
        1 => any::<[u8; 32]>().prop_map(|bytes| Value::from(bytes.to_vec())),
        1 => any::<u64>().prop_map(Value::from),
    ]
}

// ---------------------------------------------------------------------------------------------
// Ops.

/// `op` with the value at `pointer` set to `value`, inserting it if absent; `""` replaces the
/// whole op.
pub(super) fn set(mut op: Value, pointer: &str, value: Value) -> Value {
    if pointer.is_empty() {
        return value;
    }
    let (parent, field) = pointer.rsplit_once('/').expect("a pointer below the root");
    op.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("the parent is an object")
        .insert(field.to_owned(), value);
    op
}

/// `op` without the field `field` of the object at `parent`.
pub(super) fn without(mut op: Value, parent: &str, field: &str) -> Value {
    op.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("the parent is an object")
        .remove(field);
    op
}

/// Valid ops of `shape`; an optional field is absent a third of the time.
pub(super) fn valid_op(shape: &'static OpShape) -> BoxedStrategy<Value> {
    let fields: Vec<BoxedStrategy<Option<Value>>> = shape
        .fields
        .iter()
        .map(|field| {
            let value = valid_value(field.repr).prop_map(Some);
            if field.required {
                value.boxed()
            } else {
                prop_oneof![1 => Just(None), 2 => value].boxed()
            }
        })
        .collect();
    fields
        .prop_map(move |values| {
            let data: Map<String, Value> = shape
                .fields
                .iter()
                .zip(values)
                .filter_map(|(field, value)| Some((field.name.to_owned(), value?)))
                .collect();
            json!({"op": shape.name, "data": data})
        })
        .boxed()
}

/// Op names that are not, many of them close to `name`.
fn unknown_name(name: &'static str) -> impl Strategy<Value = String> {
    let close = vec![
        name.to_lowercase(),
        name.to_uppercase(),
        format!("{}{}", name[..1].to_lowercase(), &name[1..]),
        format!("{name}s"),
        format!(" {name}"),
        format!("{name} "),
        format!("{name}.v0"),
    ];
    prop_oneof!["[A-Za-z]{0,12}", select(close)]
}

/// Ops of `shape` broken in one way each (a few of the ways can leave the op valid).
fn broken_op(shape: &'static OpShape) -> BoxedStrategy<Value> {
    let valid = valid_op(shape);
    let names: Vec<&'static str> = shape.fields.iter().map(|field| field.name).collect();
    let mut positions = vec![String::new(), "/op".to_owned(), "/data".to_owned()];
    positions.extend(names.iter().map(|name| format!("/data/{name}")));
    let bad_fields = Union::new(shape.fields.iter().map(|field| {
        let pointer = format!("/data/{}", field.name);
        (valid.clone(), bad_value(field.repr))
            .prop_map(move |(op, value)| set(op, &pointer, value))
            .boxed()
    }));
    let other_names: Vec<&'static str> = OP_SHAPES
        .iter()
        .map(|other| other.name)
        .filter(|&other| other != shape.name)
        .collect();
    prop_oneof![
        1 => (valid.clone(), "[a-z_]{1,10}", any_json())
            .prop_map(|(op, field, value)| set(op, &format!("/{field}"), value)),
        1 => (valid.clone(), "[a-z_]{1,12}", any_json())
            .prop_map(|(op, field, value)| set(op, &format!("/data/{field}"), value)),
        1 => (valid.clone(), select(vec!["op", "data"]))
            .prop_map(|(op, field)| without(op, "", field)),
        1 => (valid.clone(), select(names.clone()))
            .prop_map(|(op, field)| without(op, "/data", field)),
        2 => (valid.clone(), select(positions), any_json())
            .prop_map(|(op, pointer, value)| set(op, &pointer, value)),
        1 => (valid.clone(), select(names))
            .prop_map(|(op, field)| set(op, &format!("/data/{field}"), Value::Null)),
        3 => bad_fields,
        1 => (valid.clone(), unknown_name(shape.name))
            .prop_map(|(op, name)| set(op, "/op", name.into())),
        1 => (valid, select(other_names)).prop_map(|(op, name)| set(op, "/op", name.into())),
    ]
    .boxed()
}

/// Valid ops of every shape and every kind of broken one, each shape equally often, with the
/// name of the shape each was drawn from (the op may since name another op, or none).
pub(super) fn any_tagged_op() -> impl Strategy<Value = (&'static str, Value)> {
    Union::new(OP_SHAPES.iter().map(|shape| {
        prop_oneof![4 => valid_op(shape), 12 => broken_op(shape)]
            .prop_map(move |op| (shape.name, op))
    }))
}

/// Valid ops of every shape and every kind of broken one.
pub(super) fn any_op() -> impl Strategy<Value = Value> {
    any_tagged_op().prop_map(|(_, op)| op)
}
