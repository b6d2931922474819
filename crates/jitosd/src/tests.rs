//! Unit tests: the command line and an in-process start and stop.
//!
//! # Invariants
//! - Nothing here sends a signal or binds anything but an ephemeral loopback port.

use std::net::{IpAddr, Ipv4Addr};

use clap::{CommandFactory as _, Parser as _};

use crate::{Args, LogFormat, run_until};

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
