//! A stalled subscriber: a client subscribes to `events`, then stops reading its socket while
//! another client keeps writing ~64 KiB nodes, enough to fill the socket buffers. The daemon,
//! started with `--ws-send-timeout 1`, must close that WebSocket once its writes have been
//! blocked that long, and must keep answering other clients meanwhile.
//!
//! The server's close cannot be seen while the client does not read (the close comes after the
//! unread bytes), so the test drains the stalled socket after the stall *while the writes go
//! on*: a connection the server still serves would keep delivering live events past the drain
//! bound; a closed one ends after the bytes the buffers held.
//!
//! # Invariants
//! - Every wait is bounded: the stall, the drain, each request.
//! - The measured latencies are printed to stderr (`--nocapture` shows them) and bounded.

use std::cell::Cell;
use std::time::Duration;

use futures_util::StreamExt as _;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::{add_node, apply, create_sws, now, u64_of};
use crate::daemon::Daemon;
use crate::e2e_kernel::{data, try_recv};
use crate::e2e_serving::{WsStream, post_graphql, ws_connect, ws_recv, ws_send};

/// The daemon's `--ws-send-timeout`, in seconds.
const WS_SEND_TIMEOUT_S: u64 = 1;
/// How long the subscriber does not read while writes go on.
const STALL: Duration = Duration::from_secs(3);
/// Longest drain of the stalled socket: its buffered bytes, then the end of the connection.
const DRAIN_MAX: Duration = Duration::from_secs(5);
/// Longest drain of a connection the server closed during the stall: reading the bytes the
/// socket buffers held takes milliseconds; a connection still served runs to `DRAIN_MAX`.
const DRAIN_CLOSED_MAX: Duration = Duration::from_secs(1);
/// Pause between two writes, so that writes go on through the stall and the drain.
const WRITE_PAUSE: Duration = Duration::from_millis(15);
/// Interval between two latency probes from another client.
const PROBE_INTERVAL: Duration = Duration::from_millis(50);
/// Bound on every probe's latency during the stall.
const PROBE_LATENCY_MAX: Duration = Duration::from_secs(2);
/// Payload of each node written during the stall.
const PAYLOAD_BYTES: usize = 64 * 1024;
/// Bound on the writes of one run (about 6 MiB of log per 100).
const WRITES_MAX: usize = 600;

/// How the drain of the stalled socket ended.
#[derive(Debug)]
struct Drain {
    /// `next` messages read from the stalled socket after the stall.
    n_received: usize,
    /// How the connection ended; `None` if it was still open at the drain bound.
    end: Option<String>,
    /// How long the drain took.
    elapsed: Duration,
}

/// Reads `ws` until the connection ends or `DRAIN_MAX` passes.
async fn drain(ws: &mut WsStream) -> Drain {
    let started = now();
    let mut n_received = 0;
    loop {
        let Some(left) = DRAIN_MAX.checked_sub(started.elapsed()) else {
            return Drain {
                n_received,
                end: None,
                elapsed: started.elapsed(),
            };
        };
        let end = match tokio::time::timeout(left, ws.next()).await {
            Err(_) => continue,
            Ok(None) => "end of stream".to_owned(),
            Ok(Some(Ok(Message::Text(text)))) => {
                let message: serde_json::Value = serde_json::from_str(text.as_str()).expect("JSON");
                n_received += usize::from(message["type"] == "next");
                continue;
            }
            Ok(Some(Ok(Message::Close(frame)))) => format!("close frame {frame:?}"),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(error))) => format!("error {error}"),
        };
        return Drain {
            n_received,
            end: Some(end),
            elapsed: started.elapsed(),
        };
    }
}

/// Subscribes `ws` to every event and writes small nodes until the subscription delivers one.
async fn live_subscription(daemon: &Daemon, ws: &mut WsStream, sws: u64) {
    let query = "subscription { events { idx ops } }";
    ws_send(
        ws,
        &json!({ "id": "s", "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
    for attempt in 0..50_u8 {
        apply(daemon, sws, &[add_node("warmup", &[attempt])]).await;
        if let Some(message) = try_recv(ws, Duration::from_millis(200)).await {
            assert_eq!(message["type"], "next", "{message}");
            return;
        }
    }
    panic!("the subscription delivered nothing within 50 attempts");
}

/// The `p`-th percentile of sorted `values`.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() - 1) * p / 100]
}

/// Writes a ~64 KiB node to SWS `sws` every `WRITE_PAUSE` until `writing` turns false.
async fn write_big_nodes(daemon: &Daemon, sws: u64, writing: &Cell<bool>, n_written: &Cell<usize>) {
    let payload = vec![0x5a_u8; PAYLOAD_BYTES];
    while writing.get() && n_written.get() < WRITES_MAX {
        apply(daemon, sws, &[add_node("big", &payload)]).await;
        n_written.set(n_written.get() + 1);
        tokio::time::sleep(WRITE_PAUSE).await;
    }
}

/// Every `PROBE_INTERVAL` until `writing` turns false, asks for `kernelInfo { version }` and
/// records how long the answer took.
async fn probe(daemon: &Daemon, writing: &Cell<bool>) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let body = json!({ "query": "{ kernelInfo { version } }" });
    while writing.get() {
        let sent = now();
        let (status, response) =
            tokio::time::timeout(PROBE_LATENCY_MAX * 5, post_graphql(daemon, &body))
                .await
                .expect("the daemon answers a probe");
        latencies.push(sent.elapsed());
        assert_eq!(status, reqwest::StatusCode::OK, "{response}");
        assert!(
            response["data"]["kernelInfo"]["version"].is_string(),
            "{response}"
        );
        tokio::time::sleep(PROBE_INTERVAL).await;
    }
    latencies.sort();
    latencies
}

/// Checks that a new subscriber still gets the last event: the daemon serves subscriptions.
async fn check_fresh_subscriber(daemon: &Daemon) {
    let count = data(daemon, "{ kernelInfo { eventCount } }").await;
    let last = u64_of(&count["kernelInfo"]["eventCount"]) - 1;
    let mut fresh = ws_connect(daemon).await;
    let query = format!(
        r#"subscription {{ events(afterIdx: "{}") {{ idx }} }}"#,
        last - 1
    );
    let subscribe = json!({ "id": "f", "type": "subscribe", "payload": { "query": query } });
    ws_send(&mut fresh, &subscribe).await;
    let message = ws_recv(&mut fresh).await;
    let idx = &message["payload"]["data"]["events"]["idx"];
    assert_eq!(*idx, json!(last.to_string()), "{message}");
}

#[tokio::test]
async fn a_stalled_subscriber_is_disconnected_and_the_daemon_stays_responsive() {
    let daemon = Daemon::start_with(&["--ws-send-timeout", &WS_SEND_TIMEOUT_S.to_string()]);
    let sws = create_sws(&daemon).await;
    let mut stalled = ws_connect(&daemon).await;
    live_subscription(&daemon, &mut stalled, sws).await;
    let (writing, n_written) = (Cell::new(true), Cell::new(0_usize));
    let started = now();
    let drainer = async {
        tokio::time::sleep(STALL).await;
        let n_written_in_stall = n_written.get();
        let drained = drain(&mut stalled).await;
        writing.set(false);
        (n_written_in_stall, drained)
    };
    let ((), latencies, (n_written_in_stall, drained)) = tokio::join!(
        write_big_nodes(&daemon, sws, &writing, &n_written),
        probe(&daemon, &writing),
        drainer
    );
    let max = latencies.last().copied().unwrap_or_default();
    eprintln!(
        "stalled subscriber: {n_written_in_stall} writes of {PAYLOAD_BYTES} B during the {STALL:?} \
         stall, {} in all; drain read {} events in {:?} and ended with {:?}; {} probes of \
         kernelInfo: p50 {:?}, p99 {:?}, max {max:?}; total {:?}",
        n_written.get(),
        drained.n_received,
        drained.elapsed,
        drained.end,
        latencies.len(),
        percentile(&latencies, 50),
        percentile(&latencies, 99),
        started.elapsed(),
    );
    assert!(max < PROBE_LATENCY_MAX, "a probe took {max:?}");
    assert!(latencies.len() >= 20, "only {} probes", latencies.len());
    assert!(
        drained.end.is_some(),
        "the server still served the stalled subscriber {DRAIN_MAX:?} after the stall: {drained:?}"
    );
    // Closed within STALL + DRAIN_CLOSED_MAX of the stall's start, writes going on throughout.
    assert!(drained.elapsed < DRAIN_CLOSED_MAX, "{drained:?}");
    assert!(
        n_written_in_stall < WRITES_MAX,
        "the writes stopped before the stall ended"
    );
    assert!(
        drained.n_received < n_written.get(),
        "it got every event: {drained:?}"
    );
    check_fresh_subscriber(&daemon).await;
    daemon.stop();
}
