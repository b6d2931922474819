//! A stopped daemon's successor on the same data directory answers as it did: same log, same
//! digests, and `kernelInfo.storage` says what the start restored.
//!
//! # Invariants
//! - Expectations come from the first daemon's answers, never from constants.

use serde_json::Value;

use crate::daemon::Daemon;
use crate::e2e_kernel::data;
use crate::e2e_m2::apply;
use crate::e2e_m3::add_demo;

const STATE: &str = "{ kernelInfo { eventCount } \
    graph(view: {kind: SWS, swsId: \"0\"}) { digest commitDigest } \
    events(page: {first: 100}) { idx id kind viewDigest } }";

const STORAGE: &str = "{ kernelInfo { storage { mode fsync bootEventCount bootReplayedCount \
    bootCut { segment } } } }";

async fn storage(daemon: &Daemon) -> Value {
    data(daemon, STORAGE).await["kernelInfo"]["storage"].clone()
}

#[tokio::test]
async fn a_restarted_daemon_answers_as_before() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let first = Daemon::start_durable(dir.path(), &[]);
    let fresh = storage(&first).await;
    assert_eq!(fresh["mode"], "DURABLE", "{fresh}");
    assert_eq!(fresh["fsync"], "ALWAYS", "{fresh}");
    assert_eq!(fresh["bootEventCount"], "0", "{fresh}");
    data(&first, "mutation { createSws { sws { id } } }").await;
    apply(&first, 0, &[add_demo(0)]).await;
    let before = data(&first, STATE).await;
    first.stop();

    let second = Daemon::start_durable(dir.path(), &[]);
    assert_eq!(data(&second, STATE).await, before);
    let restored = storage(&second).await;
    assert_eq!(restored["bootEventCount"], "2", "{restored}");
    assert_eq!(restored["bootCut"], Value::Null, "{restored}");
    second.stop();
}
