//! `Parse` is sealed: a type outside jitos-schema cannot implement it, so every `Valid<T>` comes
//! from a generated validator. (`sealed_trait_is_private.rs` shows that the supertrait it
//! lacks cannot be implemented either.)

use jitos_schema::{InputPath, Json, Parse, ValidationErrors};

struct Outsider;

impl Parse for Outsider {
    fn parse(_raw: &Json, _path: &InputPath, _errors: &mut ValidationErrors) -> Option<Self> {
        Some(Outsider)
    }
}

fn main() {}
