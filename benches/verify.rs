//! How long the live checks take at real-world latency.
//!
//! Starts a real Dovecot (the test harness), puts a delaying TCP proxy in
//! front of each port (every chunk is held 25 ms in each direction, so one
//! round trip costs 50 ms), and times: IMAP alone, SMTP alone, both side by
//! side (`check_both`), both one after the other. Median of RUNS runs each.
//!
//! Round trips, from the protocols (good password, first form accepted):
//!
//! IMAP (implicit TLS): TCP handshake 1, TLS 1.3 handshake 1 (ClientHello ->
//! ServerHello..Finished), greeting 1 (the client's Finished -> `* OK`),
//! LOGIN 1 = 4 (`LOGOUT` is sent, its answer not awaited).
//!
//! SMTP (STARTTLS): TCP handshake 1, greeting 1 (server speaks first, after
//! the handshake's last ACK), EHLO 1, STARTTLS 1, TLS 1.3 handshake 1 (the
//! client's Finished travels with the second EHLO), EHLO 1, AUTH PLAIN with
//! initial response 1 = 7 (`QUIT` is sent, its answer not awaited).
//!
//! Through this proxy the TCP handshake costs nothing (the proxy accepts
//! locally at once) and a server-first greeting costs half a round trip
//! (only the server -> client leg is delayed), so the expected figures are
//! IMAP 3 and SMTP 5.5 round trips. The proxy (benches/support/proxy.rs)
//! also counts what actually happens: every change of direction of the
//! data is one "flight" that the other side waits for, i.e. half a round
//! trip (a final client -> server flight, such as `LOGOUT` and the TLS
//! close_notify, is not waited for and is not counted). `cargo bench
//! --bench speed` times the whole program against references.

#[path = "../tests/it/common/mod.rs"]
mod common;
#[path = "support/proxy.rs"]
mod proxy;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::dovecot::Dovecot;
use icloud_mail_setup::domain::account::{Account, Email};
use icloud_mail_setup::domain::mail::{
    CheckReport, CheckSettings, Endpoint, LiveChecker, PendingPassword, check_both, imap, smtp,
};
use icloud_mail_setup::sys::secret::Secret;
use proxy::Proxy;

const ONE_WAY: Duration = Duration::from_millis(25);
const RTT: Duration = Duration::from_millis(50);
const RUNS: usize = 5;
const PASSWORD: &str = "abcd-efgh-ijkl-mnop";
const IMAP_PROTOCOL_RT: f64 = 4.0;
const SMTP_PROTOCOL_RT: f64 = 7.0;
const IMAP_PROXY_RT: f64 = 3.0;
const SMTP_PROXY_RT: f64 = 5.5;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn expect_ok(r: &CheckReport) {
    assert!(r.accepted(), "check failed: {r:?}");
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let dv = Dovecot::start();
    dv.set_users(&["emily", "emily@icloud.com"], PASSWORD);
    let imap_proxy = Proxy::start(
        SocketAddr::from(([127, 0, 0, 1], dv.imap.port)),
        ONE_WAY,
        false,
    )
    .await;
    let smtp_proxy = Proxy::start(
        SocketAddr::from(([127, 0, 0, 1], dv.smtp.port)),
        ONE_WAY,
        false,
    )
    .await;
    let settings = CheckSettings {
        imap: Endpoint::new("localhost", imap_proxy.port),
        smtp: Endpoint::new("localhost", smtp_proxy.port),
        ..dv.settings()
    };
    let account = Account::apple(Email::parse("emily@icloud.com").expect("email"));
    let password = Secret::new(PASSWORD.to_string());
    let ready = PendingPassword::ready(password.clone());
    let checker = LiveChecker::new(settings.clone());

    // Warm-up: Dovecot's first login waits for its auth process.
    expect_ok(&imap::check_pending(&settings, &account, &ready).await);
    expect_ok(&smtp::check_pending(&settings, &account, &ready).await);
    imap_proxy.take_flights();
    smtp_proxy.take_flights();

    let (mut imap_t, mut smtp_t, mut both_t, mut seq_t) = (vec![], vec![], vec![], vec![]);
    let (mut imap_flights, mut smtp_flights) = (vec![], vec![]);
    for _ in 0..RUNS {
        let t = Instant::now();
        let r = imap::check_pending(&settings, &account, &ready).await;
        imap_t.push(t.elapsed());
        expect_ok(&r);
        imap_flights.push(imap_proxy.take_flights().iter().map(|f| f.0).sum::<usize>());

        let t = Instant::now();
        let r = smtp::check_pending(&settings, &account, &ready).await;
        smtp_t.push(t.elapsed());
        expect_ok(&r);
        smtp_flights.push(smtp_proxy.take_flights().iter().map(|f| f.0).sum::<usize>());

        let t = Instant::now();
        let (i, s) = check_both(&checker, &account, &password, |_| {}).await;
        both_t.push(t.elapsed());
        expect_ok(&i);
        expect_ok(&s);

        let t = Instant::now();
        let i = imap::check_pending(&settings, &account, &ready).await;
        let s = smtp::check_pending(&settings, &account, &ready).await;
        seq_t.push(t.elapsed());
        expect_ok(&i);
        expect_ok(&s);
        imap_proxy.take_flights();
        smtp_proxy.take_flights();
    }

    let imap_m = median(imap_t);
    let smtp_m = median(smtp_t);
    let both_m = median(both_t);
    let seq_m = median(seq_t);
    let imap_rt = *imap_flights.iter().max().unwrap_or(&0) as f64 / 2.0;
    let smtp_rt = *smtp_flights.iter().max().unwrap_or(&0) as f64 / 2.0;
    let slower = imap_m.max(smtp_m);

    println!(
        "verify bench: delaying proxy {} ms each way (RTT {} ms), median of {RUNS} runs",
        ONE_WAY.as_millis(),
        RTT.as_millis()
    );
    println!("  IMAP alone          {:7.1} ms", ms(imap_m));
    println!("  SMTP alone          {:7.1} ms", ms(smtp_m));
    println!("  both side by side   {:7.1} ms", ms(both_m));
    println!("  both one by one     {:7.1} ms", ms(seq_m));
    println!(
        "round trips (protocol count incl. TCP handshake / expected via proxy / counted via proxy):"
    );
    println!(
        "  IMAP  {IMAP_PROTOCOL_RT} / {IMAP_PROXY_RT} / {imap_rt}  (TCP, TLS 1.3, greeting, LOGIN; LOGOUT not awaited)"
    );
    println!(
        "  SMTP  {SMTP_PROTOCOL_RT} / {SMTP_PROXY_RT} / {smtp_rt}  (TCP, greeting, EHLO, STARTTLS, TLS 1.3, EHLO, AUTH; QUIT not awaited)"
    );
    println!(
        "  counted = direction changes of the data seen by the proxy / 2 (flights per run: IMAP {imap_flights:?}, SMTP {smtp_flights:?})"
    );
    println!(
        "ratio side by side / slower alone: {:.3} (target <= 1.1)",
        both_m.as_secs_f64() / slower.as_secs_f64()
    );
    println!(
        "ratio IMAP / (counted round trips x RTT): {:.3} (target <= 1.2)",
        imap_m.as_secs_f64() / (imap_rt * RTT.as_secs_f64())
    );
    println!(
        "ratio SMTP / (counted round trips x RTT): {:.3} (target <= 1.2)",
        smtp_m.as_secs_f64() / (smtp_rt * RTT.as_secs_f64())
    );
}
