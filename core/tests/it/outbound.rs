//! Outbound requests to URLs from outside reach only the public internet (SSRF defence):
//! private and loopback addresses are refused before any connection, whether named by an IP
//! literal or by a name that resolves to one, and redirects stay on their origin.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use microcred_core::outbound::{is_public, Outbound, OutboundError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A TCP server on loopback that counts connections and answers every request with `reply`.
async fn listener(reply: String) -> (SocketAddr, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(reply.as_bytes()).await;
            });
        }
    });
    (addr, count)
}

const OK: &str = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";

#[test]
fn only_public_addresses_are_public() {
    for private in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::127.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::",
        "2001:db8::1",
    ] {
        assert!(!is_public(private.parse::<IpAddr>().unwrap()), "{private}");
    }
    for public in [
        "1.1.1.1",
        "93.184.215.14",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ] {
        assert!(is_public(public.parse::<IpAddr>().unwrap()), "{public}");
    }
}

#[tokio::test]
async fn loopback_and_plain_http_are_refused_before_any_connection() {
    let (addr, count) = listener(OK.to_owned()).await;
    let out = Outbound::public(Duration::from_secs(2), "test");
    let port = addr.port();
    for (url, why) in [
        (format!("http://127.0.0.1:{port}/"), "https"),
        (format!("https://127.0.0.1:{port}/"), "public"),
        (format!("https://[::1]:{port}/"), "public"),
        (format!("https://[::ffff:127.0.0.1]:{port}/"), "public"),
        (format!("https://2130706433:{port}/"), "public"),
    ] {
        let e = out.get(&url.parse().unwrap()).unwrap_err();
        match why {
            "https" => assert!(matches!(e, OutboundError::NotHttps(_)), "{url}: {e}"),
            _ => assert!(matches!(e, OutboundError::NotPublic(_)), "{url}: {e}"),
        }
    }
    // A name that resolves to loopback is refused at resolution: no connection is made.
    let r = out
        .get(&format!("https://localhost:{port}/").parse().unwrap())
        .unwrap()
        .send()
        .await;
    let e = r.unwrap_err();
    let mut chain = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        chain.push_str(&format!(": {s}"));
        source = s.source();
    }
    assert!(chain.contains("not on the public internet"), "{chain}");
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "nothing reached the listener"
    );
}

#[tokio::test]
async fn redirects_stay_on_their_origin() {
    let (target, target_count) = listener(OK.to_owned()).await;
    let (redirector, _) = listener(format!(
        "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{}/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        target.port()
    ))
    .await;
    // Even in development mode (plain http and loopback allowed), a redirect to another port
    // is not followed.
    let out = Outbound::development(Duration::from_secs(2), "test");
    let r = out
        .get(
            &format!("http://127.0.0.1:{}/", redirector.port())
                .parse()
                .unwrap(),
        )
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(target_count.load(Ordering::SeqCst), 0);
    // And development mode does reach loopback.
    let r = out
        .get(
            &format!("http://127.0.0.1:{}/", target.port())
                .parse()
                .unwrap(),
        )
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}
