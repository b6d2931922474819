//! `watch`: follows a subscription, replaying history first when asked, printing one line per
//! event, and exiting with the server's error code when the subscription fails.

use std::time::Duration;

use super::{Daemon, Watch, assert_fails, jitosctl, stdout};

/// Applies one node of kind `kind` to `view`.
fn add(daemon: &Daemon, view: &str, kind: &str) {
    stdout(&jitosctl(
        daemon,
        &["apply", "--view", view, "--add-node", kind],
    ));
}

#[test]
fn watch_rewrites_replays_then_follows_only_its_view() {
    let daemon = Daemon::start();
    stdout(&jitosctl(&daemon, &["sws", "create"])); // idx 0
    add(&daemon, "sws:0", "a"); // idx 1
    let watch = Watch::start(
        &daemon,
        &[
            "--json",
            "watch",
            "rewrites",
            "--view",
            "sws:0",
            "--from-start",
        ],
    );
    let replayed = [watch.json_line(), watch.json_line()];
    assert_eq!(replayed[0]["idx"], "0", "{replayed:?}");
    assert_eq!(replayed[0]["kind"], "SWS_CREATE", "{replayed:?}");
    assert_eq!(replayed[1]["idx"], "1", "{replayed:?}");

    add(&daemon, "sws:0", "b"); // idx 2
    stdout(&jitosctl(&daemon, &["sws", "create"])); // idx 3, targets sws:1
    add(&daemon, "sws:1", "c"); // idx 4
    add(&daemon, "sws:0", "d"); // idx 5
    let live = watch.json_line();
    assert_eq!(live["idx"], "2", "{live}");
    assert_eq!(live["ops"][0]["data"]["kind"], "b", "{live}");
    assert_eq!(live["view"]["swsId"], "0", "{live}");
    assert_eq!(
        watch.json_line()["idx"],
        "5",
        "sws:1's events are not sws:0's"
    );
    drop(watch);

    // Plain lines, from a position, for a bounded number of events.
    let output = jitosctl(
        &daemon,
        &["watch", "events", "--after-idx", "2", "--count", "2"],
    );
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("3  SWS_CREATE  sws:1"), "{text}");
    assert!(lines[1].starts_with("4  REWRITE_APPLIED  sws:1"), "{text}");
    daemon.stop();
}

#[test]
fn watch_events_live_sees_writes_made_after_it_started() {
    let daemon = Daemon::start();
    stdout(&jitosctl(&daemon, &["sws", "create"])); // idx 0
    let watch = Watch::start(&daemon, &["--json", "watch", "events"]);
    // The subscription starts at some point after the spawn: write until it reports one.
    let mut first = None;
    for attempt in 0..50 {
        add(&daemon, "sws:0", &format!("k{attempt}"));
        if let Ok(line) = watch.lines.recv_timeout(Duration::from_millis(200)) {
            first = Some(serde_json::from_str::<serde_json::Value>(&line).expect("JSON"));
            break;
        }
    }
    let first = first.expect("watch events printed nothing while 50 writes landed");
    let first_idx: u64 = first["idx"]
        .as_str()
        .expect("an idx")
        .parse()
        .expect("decimal");
    assert!(
        first_idx >= 1,
        "a live watch does not replay idx 0: {first}"
    );
    // Everything after the first reported event follows in order, with no gap.
    let n_written = u64::try_from(json_event_count(&daemon)).expect("fits");
    for expected in first_idx + 1..n_written {
        assert_eq!(watch.json_line()["idx"], expected.to_string().as_str());
    }
    add(&daemon, "sws:0", "last");
    assert_eq!(watch.json_line()["idx"], n_written.to_string().as_str());
    daemon.stop();
}

/// `kernelInfo.eventCount`.
fn json_event_count(daemon: &Daemon) -> usize {
    let info = super::json(daemon, &["info"]);
    info["kernelInfo"]["eventCount"]
        .as_str()
        .expect("a U64 string")
        .parse()
        .expect("decimal")
}

#[test]
fn watch_exits_with_the_servers_error_code() {
    let daemon = Daemon::start();
    let missing = jitosctl(&daemon, &["watch", "rewrites", "--view", "sws:9"]);
    assert_fails(&missing, 3, "NOT_FOUND");
    assert!(
        super::stderr(&missing).contains("(field: view.swsId)"),
        "{missing:?}"
    );
    let unreachable = std::process::Command::new(crate::daemon::jitosctl_path())
        .args(["--url", "http://127.0.0.1:9/graphql", "watch", "events"])
        .output()
        .expect("running jitosctl");
    assert_fails(&unreachable, 1, "websocket");
    daemon.stop();
}
