//! Reading a mail server's replies with bounded memory, below the protocol
//! layer.
//!
//! Before a login is answered, an IMAP or SMTP check needs a few KiB from
//! the server. [`Wire`] reads through one fixed buffer: a line longer than
//! [`MAX_LINE`], or more than [`MAX_BYTES`] in all on one connection, ends
//! the check at once as [`ErrorKind::Oversized`] instead of growing memory
//! until the deadline. It also tells whether bytes are waiting unread after
//! a reply, which is how the SMTP check refuses STARTTLS response injection.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::tls::classify_io;
use super::{ErrorKind, Failure};
use crate::sys::log::Component;

/// The longest reply line accepted (RFC 5321 allows 512 bytes; IMAP
/// greetings with capabilities run to a few hundred).
pub const MAX_LINE: usize = 8 * 1024;

/// The most read from one server over one connection before the login is
/// answered.
pub const MAX_BYTES: usize = 64 * 1024;

/// Why reading stopped.
#[derive(Debug)]
pub enum WireError {
    /// The server closed the connection.
    Closed,
    /// A line longer than [`MAX_LINE`].
    LineTooLong,
    /// More than [`MAX_BYTES`] on this connection.
    TooMuch,
    Io(io::Error),
}

impl WireError {
    /// The failure of a check that stopped at `step` for this reason.
    pub fn failure(&self, step: &str) -> Failure {
        match self {
            WireError::Closed => Failure::new(
                ErrorKind::ConnectionClosed,
                format!("{step}: connection closed by the server"),
            ),
            WireError::LineTooLong => Failure::new(
                ErrorKind::Oversized,
                format!("{step}: a reply line longer than {} KiB", MAX_LINE / 1024),
            ),
            WireError::TooMuch => Failure::new(
                ErrorKind::Oversized,
                format!(
                    "{step}: more than {} KiB before the login was answered",
                    MAX_BYTES / 1024
                ),
            ),
            WireError::Io(e) => classify_io(e, step),
        }
    }
}

/// A stream read line by line through a fixed buffer, with a byte budget.
pub struct Wire<S> {
    stream: S,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Bytes read from the stream so far, on this connection.
    total: usize,
    /// The debug log's component for this connection's lines, if logged.
    log: Option<Component>,
    /// Credentials were sent and their answer has not ended yet: the log
    /// shows only the reply's tag, status and code.
    guarded: bool,
}

impl<S> Wire<S> {
    pub fn new(stream: S) -> Self {
        Self::resume(stream, 0)
    }

    /// A new stream (TLS after STARTTLS) on a connection that has already
    /// read `total` bytes: the budget is per connection.
    pub fn resume(stream: S, total: usize) -> Self {
        Wire {
            stream,
            buf: vec![0u8; MAX_LINE].into_boxed_slice(),
            start: 0,
            end: 0,
            total,
            log: None,
            guarded: false,
        }
    }

    /// Log every line sent and read on this connection (when the debug
    /// log is on) as `component`.
    pub fn logged(mut self, component: Component) -> Self {
        self.log = Some(component);
        self
    }

    fn trace(&self, dir: &str, bytes: &[u8]) {
        if let Some(c) = self.log {
            let text = String::from_utf8_lossy(bytes);
            crate::log!(c, "{dir} {}", text.trim_end_matches(['\r', '\n']));
        }
    }

    /// Log a server line: whole, or while credentials await their answer,
    /// only its tag, status and code (the rest could echo them).
    fn trace_reply(&mut self, line: &[u8]) {
        let Some(c) = self.log else { return };
        if !self.guarded {
            return self.trace("S:", line);
        }
        if crate::sys::log::enabled() {
            let text = String::from_utf8_lossy(line);
            crate::log!(c, "S: {}", crate::sys::log::filter::reply_summary(c, &text));
            if crate::sys::log::filter::ends_reply(c, &text) {
                self.guarded = false;
            }
        }
    }

    /// Bytes received but not yet consumed as a line.
    pub fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// Bytes read from the stream so far on this connection.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The stream, and the count of bytes read on it. Anything still
    /// buffered is dropped: check [`Wire::buffered`] first where it matters.
    pub fn into_inner(self) -> (S, usize) {
        (self.stream, self.total)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Wire<S> {
    /// Write all of `bytes` and flush.
    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.trace("C:", bytes);
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Write a line that carries a secret: the debug log shows `shown`
    /// instead of the bytes.
    /// Until the server's reply to it has ended, its lines are logged
    /// without their free text.
    pub async fn send_secret(&mut self, bytes: &[u8], shown: &str) -> io::Result<()> {
        self.trace("C:", shown.as_bytes());
        self.guarded = true;
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Close our side (TLS close_notify, then FIN) without waiting for the
    /// server.
    pub async fn close(&mut self) {
        let _ = self.stream.shutdown().await;
    }

    /// The next line, without its CR LF (or bare LF), as text (invalid
    /// UTF-8 replaced: replies are only matched against ASCII).
    pub async fn read_line(&mut self) -> Result<String, WireError> {
        loop {
            if let Some(pos) = self.buf[self.start..self.end]
                .iter()
                .position(|&b| b == b'\n')
            {
                let mut line = &self.buf[self.start..self.start + pos];
                if let Some(stripped) = line.strip_suffix(b"\r") {
                    line = stripped;
                }
                let text = String::from_utf8_lossy(line).into_owned();
                self.start += pos + 1;
                self.trace_reply(text.as_bytes());
                return Ok(text);
            }
            if self.buffered() >= self.buf.len() {
                return Err(WireError::LineTooLong);
            }
            self.fill().await?;
        }
    }

    /// Consume `n` bytes (an IMAP literal) without keeping them. More than
    /// the budget allows fails at once, before anything is read.
    pub async fn skip(&mut self, mut n: usize) -> Result<(), WireError> {
        if n > (MAX_BYTES - self.total.min(MAX_BYTES)) + self.buffered() {
            return Err(WireError::TooMuch);
        }
        if let Some(c) = self.log {
            crate::log!(c, "S: <a literal of {n} bytes, skipped>");
        }
        loop {
            let take = n.min(self.buffered());
            self.start += take;
            n -= take;
            if n == 0 {
                return Ok(());
            }
            self.fill().await?;
        }
    }

    /// Read more into the buffer (moving unread bytes to its front first).
    async fn fill(&mut self) -> Result<(), WireError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let room = (self.buf.len() - self.end).min(MAX_BYTES.saturating_sub(self.total) + 1);
        let n = self
            .stream
            .read(&mut self.buf[self.end..self.end + room])
            .await
            .map_err(WireError::Io)?;
        if n == 0 {
            return Err(WireError::Closed);
        }
        self.total += n;
        if self.total > MAX_BYTES {
            return Err(WireError::TooMuch);
        }
        self.end += n;
        Ok(())
    }
}

/// Standard base64 of `input` (RFC 4648, with padding), into a buffer
/// that is zeroed when dropped and never reallocated: SASL responses carry
/// the password. The one encoder: [`crate::sys::base64`].
pub use crate::sys::base64::encode_into as base64_into;

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::duplex;

    #[tokio::test]
    async fn lines_and_leftovers() {
        let (mut server, client) = duplex(1024);
        server.write_all(b"220 a\r\n250 b\ntail").await.unwrap();
        let mut w = Wire::new(client);
        assert_eq!(w.read_line().await.unwrap(), "220 a");
        assert_eq!(w.buffered(), 10);
        assert_eq!(w.read_line().await.unwrap(), "250 b");
        assert_eq!(w.buffered(), 4);
        drop(server);
        assert!(matches!(w.read_line().await, Err(WireError::Closed)));
    }

    #[tokio::test]
    async fn a_line_that_never_ends_stops_at_the_buffer() {
        let (mut server, client) = duplex(64 * 1024);
        tokio::spawn(async move {
            let chunk = [b'x'; 4096];
            while server.write_all(&chunk).await.is_ok() {}
        });
        let mut w = Wire::new(client);
        assert!(matches!(w.read_line().await, Err(WireError::LineTooLong)));
        assert!(w.total() <= MAX_LINE);
    }

    #[tokio::test]
    async fn many_short_lines_stop_at_the_budget() {
        let (mut server, client) = duplex(64 * 1024);
        tokio::spawn(async move { while server.write_all(b"* OK x\r\n").await.is_ok() {} });
        let mut w = Wire::new(client);
        let mut lines = 0;
        let err = loop {
            match w.read_line().await {
                Ok(_) => lines += 1,
                Err(e) => break e,
            }
        };
        assert!(matches!(err, WireError::TooMuch), "{err:?}");
        assert!(lines > 1000 && w.total() <= MAX_BYTES + 1, "{lines}");
    }

    #[tokio::test]
    async fn a_huge_literal_is_refused_before_reading() {
        let (_server, client) = duplex(64);
        let mut w = Wire::new(client);
        assert!(matches!(
            w.skip(512 * 1024 * 1024).await,
            Err(WireError::TooMuch)
        ));
    }

    #[tokio::test]
    async fn a_small_literal_is_skipped() {
        let (mut server, client) = duplex(1024);
        server.write_all(b"abc\r\nnext\r\n").await.unwrap();
        let mut w = Wire::new(client);
        w.skip(5).await.unwrap();
        assert_eq!(w.read_line().await.unwrap(), "next");
    }
}
