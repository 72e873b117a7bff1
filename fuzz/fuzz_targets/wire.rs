//! The bounded reader every check reads a server through, on any bytes in
//! any chunking, read the way the IMAP check reads a response (lines,
//! skipping announced literals) with every line classified as IMAP and as
//! SMTP.
//!
//! A line never holds a line break and is never longer than the buffer
//! allows; the reader never takes more than its budget from the server.

#![no_main]

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use icloud_mail_setup::domain::mail::wire::{MAX_BYTES, MAX_LINE, Wire};
use icloud_mail_setup::domain::mail::{imap, smtp};
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A server that sends `data` in chunks of the sizes in `sizes` (cycled).
struct Server<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    turn: usize,
}

impl AsyncRead for Server<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let size = match self.sizes {
            [] => usize::MAX,
            s => (s[self.turn % s.len()] as usize).max(1) * 64,
        };
        self.turn += 1;
        let n = size.min(self.data.len()).min(buf.remaining());
        let (now, later) = self.data.split_at(n);
        buf.put_slice(now);
        self.data = later;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Server<'_> {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(b.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fuzz_target!(|input: (&[u8], &[u8])| {
    let (sizes, data) = input;
    futures::executor::block_on(async {
        let mut wire = Wire::new(Server {
            data,
            sizes,
            turn: 0,
        });
        while let Ok(line) = wire.read_line().await {
            assert!(!line.contains('\n'));
            // Invalid UTF-8 is replaced (up to three bytes for one).
            assert!(line.len() <= 3 * MAX_LINE, "{}", line.len());
            assert!(wire.total() <= MAX_BYTES);
            let _ = imap::parse_reply(&line);
            let _ = smtp::split_line(&line);
            if let Some(n) = imap::literal_size(&line)
                && wire.skip(n).await.is_err()
            {
                break;
            }
        }
        assert!(wire.total() <= MAX_BYTES + 1, "{}", wire.total());
    });
});
