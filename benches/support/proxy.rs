//! A delaying TCP proxy on loopback: real-world latency for the benches.
//!
//! The kernel here has no `netem`, so latency is added in user space:
//! every chunk read from one side is held [`Proxy::one_way`] before it is
//! written to the other, in both directions (one round trip costs twice
//! that).
//!
//! A client's `connect` to the proxy completes at once on loopback, so
//! plain delaying makes the TCP handshake free. With `tcp_handshake` on,
//! the proxy emulates it: the server side is connected only after three
//! one-way delays (SYN, SYN-ACK, ACK: when a real server's `accept` would
//! return), and nothing the client sent is written to the server before
//! that. A server-first greeting then reaches the client two round trips
//! after it started connecting, as on a real network, and a client-first
//! protocol's first bytes reach the server 1.5 round trips after.
//!
//! It also counts what happens: per connection, the direction of every
//! chunk, so that each change of direction (a "flight" the other side
//! waits for, i.e. half a round trip) can be counted.

// Shared by the benches; each uses part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dir {
    ToServer,
    ToClient,
    /// The client closed its side: what the server sends after that
    /// (the answer to a `LOGOUT` or `QUIT` it did not wait for) is not
    /// waited for.
    ClientClosed,
}

/// Per connection, the direction of every chunk in arrival order.
type Log = Arc<Mutex<Vec<Vec<Dir>>>>;

pub struct Proxy {
    pub port: u16,
    pub tcp_handshake: bool,
    log: Log,
}

impl Proxy {
    /// Listen on 127.0.0.1 (a free port) and forward to `upstream`. Runs
    /// on the current tokio runtime until it is dropped.
    pub async fn start(upstream: SocketAddr, one_way: Duration, tcp_handshake: bool) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let log: Log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let accepted = Instant::now();
                let _ = client.set_nodelay(true);
                let id = {
                    let mut g = l.lock().expect("log");
                    g.push(Vec::new());
                    g.len() - 1
                };
                let (cr, cw) = client.into_split();
                // The server side arrives later: the client's bytes are
                // read (and timed) from now on, and written once it is there.
                let (to_server_tx, to_server_rx) = oneshot::channel();
                tokio::spawn(pipe(
                    cr,
                    to_server_rx,
                    one_way,
                    Dir::ToServer,
                    l.clone(),
                    id,
                ));
                let log = l.clone();
                tokio::spawn(async move {
                    if tcp_handshake {
                        tokio::time::sleep_until(accepted + one_way * 3).await;
                    }
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = server.set_nodelay(true);
                    let (sr, sw) = server.into_split();
                    let _ = to_server_tx.send(sw);
                    let (to_client_tx, to_client_rx) = oneshot::channel();
                    let _ = to_client_tx.send(cw);
                    pipe(sr, to_client_rx, one_way, Dir::ToClient, log, id).await;
                });
            }
        });
        Proxy {
            port,
            tcp_handshake,
            log,
        }
    }

    /// Per connection since the last call (then forgotten): the flights
    /// (direction changes of the data the other side waited for), and
    /// whether the server spoke first.
    ///
    /// A last client -> server flight (a `LOGOUT` or `QUIT` whose answer is
    /// not awaited, a TLS close_notify) costs the client no time and is not
    /// counted, nor is anything the server sent after the client closed its
    /// side; a last server -> client flight before that (the answer to a
    /// `LOGOUT` that was awaited) is.
    pub fn take_flights(&self) -> Vec<(usize, bool)> {
        let mut g = self.log.lock().expect("log");
        let flights = g
            .iter()
            .map(|dirs| {
                let mut n = 0;
                let mut last = None;
                for d in dirs.iter().take_while(|d| **d != Dir::ClientClosed) {
                    if last != Some(*d) {
                        n += 1;
                        last = Some(*d);
                    }
                }
                if last == Some(Dir::ToServer) {
                    n -= 1;
                }
                (n, dirs.first() == Some(&Dir::ToClient))
            })
            .filter(|&(n, _)| n > 0)
            .collect();
        g.clear();
        flights
    }

    /// Round trips a client waited for over the connections since the
    /// last call, summed over connections: a flight is half a round trip.
    ///
    /// With the TCP handshake emulated, each connection also waited one
    /// round trip to connect, and a server that speaks first (SMTP) does so
    /// only once the handshake's last ACK reached it, half a round trip
    /// later: its greeting arrives two round trips after the client began,
    /// where the plain proxy delivers it after half of one.
    pub fn take_round_trips(&self) -> f64 {
        self.take_flights()
            .iter()
            .map(|&(n, server_first)| {
                let handshake = match (self.tcp_handshake, server_first) {
                    (false, _) => 0.0,
                    (true, false) => 1.0,
                    (true, true) => 1.5,
                };
                n as f64 / 2.0 + handshake
            })
            .sum()
    }
}

/// Copy one direction, holding each chunk `one_way` after it was read; the
/// writing side is handed over when it exists.
async fn pipe(
    mut from: OwnedReadHalf,
    to: oneshot::Receiver<OwnedWriteHalf>,
    one_way: Duration,
    dir: Dir,
    log: Log,
    id: usize,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        let Ok(mut to) = to.await else {
            return;
        };
        while let Some((due, bytes)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if bytes.is_empty() {
                break;
            }
            if to.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    });
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = from.read(&mut buf).await.unwrap_or(0);
        let due = Instant::now() + one_way;
        if n == 0 {
            if dir == Dir::ToServer
                && let Ok(mut g) = log.lock()
                && let Some(c) = g.get_mut(id)
            {
                c.push(Dir::ClientClosed);
            }
            let _ = tx.send((due, Vec::new()));
            break;
        }
        if let Ok(mut g) = log.lock()
            && let Some(c) = g.get_mut(id)
        {
            c.push(dir);
        }
        if tx.send((due, buf[..n].to_vec())).is_err() {
            break;
        }
    }
    let _ = writer.await;
}
