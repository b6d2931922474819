//! Unit tests: the command line and an in-process start and stop.
//!
//! # Invariants
//! - Nothing here sends a signal or binds anything but an ephemeral loopback port.

use std::net::{IpAddr, Ipv4Addr};

use clap::{CommandFactory as _, Parser as _};

use crate::{Args, LogFormat, Store, StoreConfig, run_until};

#[test]
fn command_line_is_consistent() {
    Args::command().debug_assert();
}

#[test]
fn defaults_are_loopback_8080_text() {
    let args = Args::try_parse_from(["jitosd"]).unwrap();
    assert_eq!(args.host, IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_eq!(args.port, 8080);
    assert_eq!(args.log_format, LogFormat::Text);
}

#[test]
fn flags_parse() {
    let args = Args::try_parse_from([
        "jitosd",
        "--host",
        "::1",
        "--port",
        "0",
        "--log-format",
        "json",
    ])
    .unwrap();
    assert_eq!(args.host, "::1".parse::<IpAddr>().unwrap());
    assert_eq!(args.port, 0);
    assert_eq!(args.log_format, LogFormat::Json);
}

#[test]
fn bad_flags_are_refused() {
    assert!(Args::try_parse_from(["jitosd", "--host", "localhost:80"]).is_err());
    assert!(Args::try_parse_from(["jitosd", "--port", "65536"]).is_err());
    assert!(Args::try_parse_from(["jitosd", "--log-format", "xml"]).is_err());
}

#[test]
fn help_names_the_endpoints_and_the_defaults() {
    let help = Args::command().render_help().to_string();
    for needle in [
        "/graphql",
        "/graphql/ws",
        "/healthz",
        "127.0.0.1",
        "8080",
        "RUST_LOG",
    ] {
        assert!(help.contains(needle), "help lacks {needle}:\n{help}");
    }
}

#[tokio::test]
async fn run_until_stops_cleanly() {
    let args = Args::try_parse_from(["jitosd", "--port", "0", "--in-memory"]).unwrap();
    run_until(&args, async { "test" }).await.unwrap();
}

#[tokio::test]
async fn run_until_reports_a_port_in_use() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let args = Args::try_parse_from(["jitosd", "--port", port.as_str(), "--in-memory"]).unwrap();
    let error = run_until(&args, std::future::pending()).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("binding 127.0.0.1:"),
        "{error:#}"
    );
}

#[test]
fn storage_flags_parse_into_a_store_config() {
    let durable = Args::try_parse_from(["jitosd"]).unwrap().store_config();
    let StoreConfig::Durable {
        data_dir,
        fsync,
        recover,
        checkpoints,
    } = durable
    else {
        panic!("the default is durable: {durable:?}");
    };
    assert_eq!(data_dir, std::path::PathBuf::from("jitos-data"));
    assert_eq!(fsync, jitos_schema::enums::FsyncPolicy::Always);
    assert_eq!(recover, jitos_wal::Recover::CutTornTail);
    assert_eq!(checkpoints.every_events, 100_000);

    let args = [
        "jitosd",
        "--data-dir",
        "/tmp/x",
        "--fsync",
        "batch",
        "--recover",
        "truncate",
        "--checkpoint-every",
        "7",
    ];
    let StoreConfig::Durable {
        data_dir,
        fsync,
        recover,
        checkpoints,
    } = Args::try_parse_from(args).unwrap().store_config()
    else {
        panic!("durable");
    };
    assert_eq!(data_dir, std::path::PathBuf::from("/tmp/x"));
    assert_eq!(fsync, jitos_schema::enums::FsyncPolicy::Batch);
    assert_eq!(recover, jitos_wal::Recover::Truncate);
    assert_eq!(checkpoints.every_events, 7);

    let in_memory = Args::try_parse_from(["jitosd", "--in-memory"]).unwrap();
    assert!(matches!(in_memory.store_config(), StoreConfig::InMemory));
    assert!(Args::try_parse_from(["jitosd", "--in-memory", "--data-dir", "d"]).is_err());
    assert!(Args::try_parse_from(["jitosd", "--checkpoint-every", "0"]).is_err());
    assert!(Args::try_parse_from(["jitosd", "--fsync", "never"]).is_err());
}

#[test]
fn a_second_daemon_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig::Durable {
        data_dir: dir.path().to_owned(),
        fsync: jitos_schema::enums::FsyncPolicy::Always,
        recover: jitos_wal::Recover::CutTornTail,
        checkpoints: jitos_kernel::CheckpointPlan::default(),
    };
    let first = Store::open(&config).unwrap();
    let second = Store::open(&config).unwrap_err();
    assert!(
        format!("{second:#}").contains("another jitosd is using the data directory"),
        "{second:#}"
    );
    drop(first);
    Store::open(&config).expect("the lock goes with the first daemon");
}
