//! A local SMTP sink (RFC 5321, the commands a client needs: EHLO/HELO, MAIL, RCPT, DATA
//! with dot-unstuffing, RSET, NOOP, QUIT) that keeps every message in memory, for tests and
//! the example walk. It offers no STARTTLS, so clients must be told the server is local.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One received message.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender.
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The message as sent (headers and body).
    pub data: String,
}

impl Received {
    /// A header's value, unfolded (RFC 5322 §2.2.3) and with RFC 2047 UTF-8 words decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut unfolded: Vec<String> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = unfolded.last_mut() {
                    last.push_str(line);
                }
            } else {
                unfolded.push(line.to_owned());
            }
        }
        let prefix = format!("{}:", name.to_ascii_lowercase());
        unfolded
            .iter()
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| decode_words(l[prefix.len()..].trim()))
    }

    /// The `Subject:` header.
    pub fn subject(&self) -> String {
        self.header("subject").unwrap_or_default()
    }
}

fn decode_words(s: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut last_encoded = false;
    for word in s.split_whitespace() {
        let inner = word
            .strip_prefix("=?utf-8?b?")
            .or_else(|| word.strip_prefix("=?UTF-8?B?"))
            .and_then(|w| w.strip_suffix("?="));
        match inner.and_then(base64_decode) {
            Some(bytes) => {
                if !last_encoded && !out.is_empty() {
                    out.push(' ');
                }
                pending.extend(bytes);
                last_encoded = true;
            }
            None => {
                out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
                last_encoded = false;
            }
        }
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = u32::try_from(A.iter().position(|x| *x == c)?).ok()?;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buf >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// The messages received.
#[derive(Debug, Clone, Default)]
pub struct Mailbox(Arc<Mutex<Vec<Received>>>);

impl Mailbox {
    /// Every message so far.
    pub fn messages(&self) -> Vec<Received> {
        self.0.lock().expect("not poisoned").clone()
    }

    /// Messages to `to`.
    pub fn to(&self, to: &str) -> Vec<Received> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == to))
            .collect()
    }
}

/// Listens on `addr`; returns the bound address.
pub async fn serve(addr: SocketAddr, mailbox: Mailbox) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let mb = mailbox.clone();
            tokio::spawn(async move {
                let _ = session(socket, mb).await;
            });
        }
    });
    Ok(bound)
}

fn address(arg: &str) -> String {
    arg.split_once(':')
        .map(|(_, a)| a)
        .unwrap_or_default()
        .trim()
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn session(socket: tokio::net::TcpStream, mailbox: Mailbox) -> std::io::Result<()> {
    let (r, mut w) = socket.into_split();
    let mut lines = BufReader::new(r);
    w.write_all(b"220 fake-moodle SMTP sink ready\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            w.write_all(b"250-fake-moodle\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                .await?;
        } else if upper.starts_with("HELO") {
            w.write_all(b"250 fake-moodle\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&cmd);
            to.clear();
            w.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&cmd));
            w.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                let l = line.trim_end_matches(['\r', '\n']);
                if l == "." {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(l));
                data.push_str("\r\n");
            }
            mailbox.0.lock().expect("not poisoned").push(Received {
                from: from.clone(),
                to: to.clone(),
                data,
            });
            w.write_all(b"250 OK: queued\r\n").await?;
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            w.write_all(b"250 OK\r\n").await?;
        } else if upper == "NOOP" {
            w.write_all(b"250 OK\r\n").await?;
        } else if upper == "QUIT" {
            w.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            w.write_all(b"502 Command not implemented\r\n").await?;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn encoded_subjects_are_decoded() {
        assert_eq!(
            super::decode_words("=?utf-8?b?TWljcm8tY3JlZGVuyJtpYWw=?="),
            "Micro-credenţial".replace('ţ', "ț")
        );
        assert_eq!(super::decode_words("Plain subject"), "Plain subject");
    }
}
