//! `NodeKind` is matched exhaustively: a `match` that omits a kind (here `Policy`) does not
//! compile, so code that dispatches on kinds is revisited when the registry grows.

use jitos_schema::kinds::NodeKind;

fn describe(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Sws => "shadow working set",
        NodeKind::Task => "task",
        NodeKind::Slap => "plan step",
        NodeKind::Process => "process",
        NodeKind::Primitive => "primitive",
        NodeKind::Artifact => "artifact",
        NodeKind::Capability => "capability",
        NodeKind::Worker => "worker",
        NodeKind::Invocation => "invocation",
        NodeKind::Receipt => "receipt",
        NodeKind::Tick => "tick",
        NodeKind::Timer => "timer",
    }
}

fn main() {
    let _ = describe(NodeKind::Task);
}
