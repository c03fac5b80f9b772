//! Issue 14.3 on a real socket: 8 connections each announcing a 30 Mo
//! anonymous multipart body are answered 413 before any of the body is sent,
//! and the process (server and clients) stays far under 300 Mo resident —
//! before, each body was buffered up to 64 Mo before CSRF or login were
//! checked. Alone in its test binary, so that the peak resident size
//! (`VmHWM`) is this test's. The campaign and dossier posted to exist (the
//! store's `Fixture`), so the 413 is not a route's 404 in disguise.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::time::Duration;

use caqes_store::testing::{Fixture, TestDb};
use caqes_web::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BODY: usize = 30 * 1024 * 1024;
const CONNECTIONS: usize = 8;

/// A line of /proc/self/status, in Mo.
fn status_mb(key: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// Sends the head of a POST, reads the answer's status line, then pushes
/// the body anyway until the server hangs up; returns the status code and
/// the bytes of body the server took before answering.
async fn hostile_post(addr: std::net::SocketAddr, path: String, announce: bool) -> (u16, usize) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let length = if announce {
        format!("Content-Length: {BODY}\r\n")
    } else {
        "Transfer-Encoding: chunked\r\n".to_owned()
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: caqes\r\nContent-Type: multipart/form-data; boundary=----x\r\n{length}\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent = 0;
    let mut answer = Vec::new();
    let mut buf = [0_u8; 4096];
    // With a Content-Length the answer comes before any byte of the body.
    if !announce {
        // Chunked: the server reads up to its limit (64 Kio), then answers.
        while sent < BODY {
            let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
            if s.write_all(&frame).await.is_err() {
                break;
            }
            sent += chunk.len();
            if let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_millis(20), s.read(&mut buf)).await
                && n > 0
            {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
        }
    }
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(30), s.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection closed without an answer");
        answer.extend_from_slice(&buf[..n]);
    }
    let taken_before_answer = sent;
    // The client goes on sending; the server does not read it.
    while sent < BODY {
        if s.write_all(&chunk).await.is_err() {
            break;
        }
        sent += chunk.len();
    }
    let text = String::from_utf8_lossy(&answer);
    let code = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    (code, taken_before_answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_anonymous_30_mo_bodies_are_refused_unread() {
    let db = TestDb::sqlite().await.unwrap();
    let fixture = Fixture::builder()
        .entity("Centre hospitalier")
        .campaign(2019)
        .build(&db.store)
        .await
        .unwrap();
    let campaign = &fixture.campaign.as_ref().unwrap().id;
    let finess = fixture.entities[0].entity.finess;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let store = db.store.clone();
    let server = tokio::spawn(caqes_web::serve_on(listener, store, Config::default()));
    let before = status_mb("VmRSS:").unwrap_or(0);

    for (path, announce) in [
        (format!("/campagnes/{campaign}/phev/apercu"), true),
        ("/connexion".to_owned(), true),
        (
            format!("/campagnes/{campaign}/dossiers/{finess}/engagements/documents"),
            false,
        ),
    ] {
        let tasks: Vec<_> = (0..CONNECTIONS)
            .map(|_| tokio::spawn(hostile_post(addr, path.clone(), announce)))
            .collect();
        for t in tasks {
            let (code, taken) = t.await.unwrap();
            assert_eq!(code, 413, "{path}");
            if announce {
                assert_eq!(taken, 0, "{path}: answered before the body");
            } else {
                assert!(
                    taken <= 1024 * 1024,
                    "{path}: {taken} bytes before the answer"
                );
            }
        }
    }
    let peak = status_mb("VmHWM:").unwrap();
    eprintln!("résident : {before} Mo avant, pic {peak} Mo pour 3 × {CONNECTIONS} envois de 30 Mo");
    assert!(peak < 300, "peak resident size {peak} Mo");
    server.abort();
    db.cleanup().await.unwrap();
}
