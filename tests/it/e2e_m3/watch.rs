//! A live `rewrites(view: {kind: SYSTEM})` subscription over WebSocket receives the COLLAPSE
//! events, committed and aborted, each with the receipt its `collapseSws` payload returned.
//!
//! # Invariants
//! - The subscription resumes after a known idx (`afterIdx`), so no event can slip between
//!   subscribing and writing; every wait for a message is bounded (`ws_recv`'s timeout).

use super::{EVENT_FIELDS, collapse, edge_end_removed};
use crate::daemon::Daemon;
use crate::e2e_m2::event_count;
use crate::e2e_m2::subscriptions::{next_event, subscribe};
use crate::e2e_serving::ws_connect;

#[tokio::test]
async fn a_system_subscription_receives_the_collapse_events_with_their_receipts() {
    let daemon = Daemon::start();
    let (sws, _) = edge_end_removed(&daemon).await;
    let last = event_count(&daemon).await - 1;
    let mut ws = ws_connect(&daemon).await;
    let query = format!(
        r#"subscription {{ rewrites(view: {{kind: SYSTEM}}, afterIdx: "{last}") {{
            {EVENT_FIELDS} }} }}"#
    );
    subscribe(&mut ws, "s", &query).await;
    let aborted = collapse(&daemon, sws).await;
    let (id, event) = next_event(&mut ws).await;
    assert_eq!(id, "s");
    assert_eq!(event["kind"], "COLLAPSE", "{event}");
    assert_eq!(event["receipt"], aborted["collapseReceipt"], "{event}");
    assert_eq!(event["receipt"]["committed"], false, "{event}");

    // Resolve by discarding the offending edge, then the committed collapse arrives too.
    let resolve = [crate::e2e_m2::remove_edge(&super::link(0, 1))];
    crate::e2e_m2::apply(&daemon, sws, &resolve).await;
    let committed = collapse(&daemon, sws).await;
    assert_eq!(committed["committed"], true, "{committed}");
    let (_, event) = next_event(&mut ws).await;
    assert_eq!(event["kind"], "COLLAPSE", "{event}");
    assert_eq!(event["receipt"], committed["collapseReceipt"], "{event}");
    assert_eq!(
        event["viewDigest"],
        committed["collapseReceipt"]["viewDigest"]
    );
    drop(ws);
    daemon.stop();
}
