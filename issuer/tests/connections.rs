//! What one client can hold of the server: sockets that say nothing, dribble a header or idle
//! between requests are closed after the header-read deadline, and past the connection cap a
//! new client reads a 503 at once instead of waiting without end.

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use xiaoge_issuer::Issuer;
use xiaoge_issuer::http::connections::ConnectionLimits;
use xiaoge_issuer::http::{self, Background};
use xiaoge_issuer::service::InitOptions;

const HEADER_READ: Duration = Duration::from_millis(700);
/// Far beyond the deadline, so a busy machine does not fail the test; far below "for ever".
const GIVE_UP: Duration = Duration::from_secs(20);

fn server(max_connections: usize) -> (tempfile::TempDir, Background) {
    let dir = tempfile::tempdir().unwrap();
    let issuer = Arc::new(
        Issuer::init(
            &dir.path().join("issuer"),
            &InitOptions::default(),
            http::now(),
        )
        .unwrap(),
    );
    let limits = ConnectionLimits {
        max_connections,
        header_read: HEADER_READ,
        ..ConnectionLimits::default()
    };
    let server =
        Background::start_with(&issuer, "127.0.0.1:0".parse().unwrap(), 2, limits).unwrap();
    (dir, server)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(GIVE_UP)).unwrap();
    tcp
}

/// Reads until the server closes; returns what it sent and how long it took.
fn read_to_close(tcp: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the server held the connection past {GIVE_UP:?}: {e}"),
        }
    }
    (
        String::from_utf8_lossy(&got).into_owned(),
        started.elapsed(),
    )
}

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n";

#[test]
fn a_silent_a_dribbling_and_an_idle_keep_alive_socket_are_all_closed() {
    let (_dir, server) = server(16);

    let mut silent = connect(server.addr());
    let (got, took) = read_to_close(&mut silent);
    assert!(took >= HEADER_READ / 2, "closed too early: {took:?}");
    assert!(!got.contains("200 OK"), "{got}");

    let mut dribbling = connect(server.addr());
    dribbling
        .write_all(b"GET /healthz HTTP/1.1\r\nhost:")
        .unwrap();
    let (got, _) = read_to_close(&mut dribbling);
    assert!(!got.contains("200 OK"), "{got}");

    let mut idle = connect(server.addr());
    idle.write_all(HEALTH).unwrap();
    let (got, _) = read_to_close(&mut idle);
    assert!(
        got.starts_with("HTTP/1.1 200"),
        "the request is answered first: {got}"
    );
}

#[test]
fn past_the_cap_a_client_is_told_503_and_served_again_once_sockets_are_reaped() {
    let (_dir, server) = server(3);
    let hogs: Vec<TcpStream> = (0..3).map(|_| connect(server.addr())).collect();
    // The hogs are accepted before the next client: let the accept loop see them.
    std::thread::sleep(Duration::from_millis(150));

    let mut refused = connect(server.addr());
    refused.write_all(HEALTH).unwrap();
    let (got, took) = read_to_close(&mut refused);
    assert!(got.starts_with("HTTP/1.1 503"), "{got}");
    assert!(got.contains("too_many_connections"), "{got}");
    assert!(got.to_ascii_lowercase().contains("retry-after: 5"), "{got}");
    assert!(took < HEADER_READ, "refused at once, not queued: {took:?}");

    for mut hog in hogs {
        read_to_close(&mut hog);
    }
    let mut served = connect(server.addr());
    served.write_all(HEALTH).unwrap();
    let (got, _) = read_to_close(&mut served);
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
}
