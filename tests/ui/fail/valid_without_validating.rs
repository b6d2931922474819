//! `Valid<T>` cannot be built outside jitos-schema: neither its tuple constructor nor
//! `Valid::new` is public, so the only way to a `Valid<ViewRefInput>` is its validator.

use jitos_schema::Valid;
use jitos_schema::enums::ViewKind;
use jitos_schema::inputs::ViewRefInput;

fn main() {
    let input = ViewRefInput {
        kind: ViewKind::Sws,
        sws_id: None,
        snapshot_id: None,
        as_of: None,
    };
    let _by_constructor: Valid<ViewRefInput> = Valid(input.clone());
    let _by_new: Valid<ViewRefInput> = Valid::new(input);
}
