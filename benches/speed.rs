//! How fast the program is as a person feels it: the release binary, from
//! process start to exit, each figure beside a reference run in the same
//! session (issue 9). Prints figures; asserts only that every run did what
//! it should (a failed login or a wrong password would make the times
//! meaningless), never a time.
//!
//! Run it with `scripts/bench`: it needs a private D-Bus session with an
//! unlocked gnome-keyring (the real Secret Service), Dovecot, curl and
//! secret-tool, and refuses to run on your own session bus.
//!
//! It starts its own Dovecot (tests/it/common/dovecot.rs) and delaying proxies
//! (benches/support/proxy.rs: 25 ms each way; one set also emulating the
//! TCP handshake), stores ACCOUNTS accounts with the binary itself, then
//! measures, ours and the reference taking turns run by run:
//!
//! - `verify EMAIL` behind the proxy / with the TCP handshake emulated /
//!   on loopback, against two `curl`s doing the same IMAP and SMTP logins
//!   side by side (the password in a curl config file, never in argv);
//!   round trips counted at the proxy for both;
//! - `password EMAIL` against `secret-tool lookup` of the same entry;
//! - `list` of ACCOUNTS accounts against `secret-tool search --all` and
//!   against one `password`;
//! - the first complete Welcome frame in a pty against a trivial program
//!   (`cat`) writing the very same bytes into the same kind of pty;
//! - CPU used while the Welcome screen sits idle for 10 s;
//! - peak RSS of a whole plain-mode wizard run with both checks (its
//!   `ru_maxrss`, read by GNU time: tests/it/common/measure.rs).
//!
//! `BENCH_RUNS=N` changes the number of runs per row (default 21);
//! `BENCH_ROWS=verify` measures the `verify` rows alone.

#[path = "../tests/it/common/mod.rs"]
mod common;
#[path = "support/proxy.rs"]
mod proxy;
#[path = "support/pty.rs"]
mod pty;

use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::dovecot::Dovecot;
use common::measure::run_measured;
use icloud_mail_setup::domain::account::{Account, Email};
use icloud_mail_setup::domain::keyring::{KeyringStore, SecretStore};
use icloud_mail_setup::domain::mail::{CheckSettings, Endpoint, LiveChecker, check_both};
use icloud_mail_setup::sys::secret::Secret;
use proxy::Proxy;
use pty::Pty;

const ONE_WAY: Duration = Duration::from_millis(25);
const RTT_MS: f64 = 50.0;
/// A throw-away app-specific password, known only to this bench's Dovecot
/// and its private keyring.
const PASSWORD: &str = "benc-hpas-swor-dfig";
const ACCOUNTS: usize = 10;
const IDLE: Duration = Duration::from_secs(10);
const RSS_RUNS: usize = 5;
/// Round trips of the protocols: IMAP = TLS 1.3, greeting, LOGIN (+ TCP);
/// SMTP = greeting, EHLO, STARTTLS, TLS 1.3, EHLO, AUTH PLAIN with its
/// initial response (+ TCP, and the greeting then costs a whole round trip,
/// see proxy.rs). Neither waits for the answer to LOGOUT or QUIT.
const IMAP_FLOOR_RT: f64 = 3.0;
const SMTP_FLOOR_RT: f64 = 5.5;
const TCP_IMAP_RT: f64 = 1.0;
const TCP_SMTP_RT: f64 = 1.5;

fn main() {
    if std::env::var_os("ICLOUD_MAIL_SETUP_BENCH_PRIVATE_BUS").is_none() {
        eprintln!(
            "speed bench: run it with scripts/bench, which starts a private D-Bus session with \
             an unlocked gnome-keyring (this bench stores test passwords in the keyring it \
             finds, so it does not run on your own session bus)."
        );
        std::process::exit(2);
    }
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(21);
    let b = Bench::set_up();
    let mut table = Table::default();

    println!(
        "speed bench: release binary {} ({} bytes), median of {runs} runs, ours and the \
         reference taking turns; proxy {} ms each way (RTT {RTT_MS} ms)",
        b.bin.display(),
        std::fs::metadata(&b.bin).map(|m| m.len()).unwrap_or(0),
        ONE_WAY.as_millis()
    );

    for mode in [Net::Proxy, Net::ProxyTcp, Net::Loopback] {
        table.rows.push(b.verify_row(mode, runs));
    }
    table.rows.push(b.verify_several_row(runs));
    // `BENCH_ROWS=verify`: the `verify` rows alone.
    if std::env::var("BENCH_ROWS").is_ok_and(|r| r == "verify") {
        table.print();
        return;
    }
    let (password_row, password_stat) = b.password_row(runs);
    table.rows.push(password_row);
    table.rows.extend(b.list_rows(runs, &password_stat));
    table.rows.extend(b.welcome_rows(runs));
    table.rows.push(b.idle_row());
    table.rows.push(b.rss_row());
    table.print();
}

/// Where `verify` reaches Dovecot.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Net {
    Proxy,
    ProxyTcp,
    Loopback,
}

struct Bench {
    bin: PathBuf,
    dv: Dovecot,
    dir: tempfile::TempDir,
    config: PathBuf,
    emails: Vec<String>,
    /// One proxy pair per emulation; runs on its own thread's runtime.
    rt: tokio::runtime::Runtime,
    proxies: Vec<(Net, Proxy, Proxy)>,
}

impl Bench {
    fn set_up() -> Bench {
        let bin = PathBuf::from(env!("CARGO_BIN_EXE_icloud-mail-setup"));
        let dv = Dovecot::start();
        let emails: Vec<String> = (0..ACCOUNTS)
            .map(|i| format!("bench{i}@icloud.com"))
            .collect();
        let mut logins: Vec<String> = Vec::new();
        for e in &emails {
            logins.push(e.split('@').next().expect("local part").to_string());
            logins.push(e.clone());
        }
        logins.push("rss".into());
        logins.push("rss@icloud.com".into());
        let refs: Vec<&str> = logins.iter().map(String::as_str).collect();
        dv.set_users(&refs, PASSWORD);
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("config.toml");

        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let imap = SocketAddr::from(([127, 0, 0, 1], dv.imap.port));
        let smtp = SocketAddr::from(([127, 0, 0, 1], dv.smtp.port));
        let proxies = [Net::Proxy, Net::ProxyTcp]
            .into_iter()
            .map(|net| {
                let tcp = net == Net::ProxyTcp;
                let (i, s) = rt.block_on(async {
                    (
                        Proxy::start(imap, ONE_WAY, tcp).await,
                        Proxy::start(smtp, ONE_WAY, tcp).await,
                    )
                });
                (net, i, s)
            })
            .collect();
        let b = Bench {
            bin,
            dv,
            dir,
            config,
            emails,
            rt,
            proxies,
        };
        // The accounts, stored (and verified on loopback) by the binary.
        for e in &b.emails {
            let out = b.ours_with_stdin(&["store", e, "--password-stdin"], Net::Loopback, PASSWORD);
            assert!(out.status.success(), "store {e}: {}", text(&out));
        }
        b
    }

    /// Our binary with the bench's config and CA, pointed at Dovecot
    /// through `net`.
    fn ours(&self, args: &[&str], net: Net) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .env("ICLOUD_MAIL_SETUP_CONFIG", &self.config)
            .env("ICLOUD_MAIL_SETUP_CA_FILE", &self.dv.ca_file)
            .env("ICLOUD_MAIL_SETUP_IMAP", self.imap(net).to_string())
            .env("ICLOUD_MAIL_SETUP_SMTP", self.smtp(net).to_string())
            .env_remove("NO_COLOR")
            .stdin(Stdio::null());
        cmd
    }

    fn ours_with_stdin(&self, args: &[&str], net: Net, stdin: &str) -> Output {
        let mut child = self
            .ours(args, net)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the binary");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{stdin}\n").as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("wait")
    }

    fn proxy_pair(&self, net: Net) -> Option<(&Proxy, &Proxy)> {
        self.proxies
            .iter()
            .find(|(n, _, _)| *n == net)
            .map(|(_, i, s)| (i, s))
    }

    fn imap(&self, net: Net) -> Endpoint {
        match self.proxy_pair(net) {
            Some((i, _)) => Endpoint::new("localhost", i.port),
            None => self.dv.imap.clone(),
        }
    }

    fn smtp(&self, net: Net) -> Endpoint {
        match self.proxy_pair(net) {
            Some((_, s)) => Endpoint::new("localhost", s.port),
            None => self.dv.smtp.clone(),
        }
    }

    /// Run to exit, output captured; the time from spawn to exit.
    fn time(&self, mut cmd: Command) -> (f64, Output) {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let t = Instant::now();
        let out = cmd.output().expect("run");
        (ms(t.elapsed()), out)
    }

    /// Several commands started together; the time until the last exited.
    fn time_together(&self, cmds: Vec<Command>) -> (f64, Vec<Output>) {
        let t = Instant::now();
        let children: Vec<Child> = cmds
            .into_iter()
            .map(|mut c| {
                c.stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        let outs: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().expect("wait"))
            .collect();
        (ms(t.elapsed()), outs)
    }

    /// Process start and exit alone: `true`.
    fn one_true(&self) -> f64 {
        self.time(Command::new("true")).0
    }

    /// Both checks in this (warm) process, through `net`: the protocols'
    /// own work (the round trips, TLS, the servers' work) with no process
    /// start, no config and no keyring.
    fn one_in_process_check(&self, net: Net) -> f64 {
        let settings = CheckSettings {
            imap: self.imap(net),
            smtp: self.smtp(net),
            ..self.dv.settings()
        };
        let checker = LiveChecker::new(settings);
        let account = Account::apple(Email::parse(&self.emails[0]).expect("email"))
            .with_imap_username(Some("bench0".into()));
        let password = Secret::new(PASSWORD.into());
        let t = Instant::now();
        let (i, s) = self
            .rt
            .block_on(check_both(&checker, &account, &password, |_| {}));
        let took = ms(t.elapsed());
        assert!(i.accepted() && s.accepted(), "{i:?} {s:?}");
        took
    }

    /// One read through a new `KeyringStore` (a new D-Bus connection and
    /// encrypted session, as a new process makes), in this process.
    fn one_keyring_read(&self) -> f64 {
        let t = Instant::now();
        let store = KeyringStore::new();
        let got = store.get(&self.emails[0]).expect("keyring read");
        let took = ms(t.elapsed());
        assert_eq!(got.as_ref().map(Secret::expose), Some(PASSWORD));
        took
    }

    /// `list`'s keyring work in this process: a new `KeyringStore`, its
    /// pre-flight and one existence question per account.
    fn one_keyring_listing(&self) -> f64 {
        let t = Instant::now();
        let store = KeyringStore::new();
        store.preflight().expect("keyring pre-flight");
        for e in &self.emails {
            assert!(store.exists(e).expect("keyring search"));
        }
        ms(t.elapsed())
    }

    /// A curl config file holding `user:password` (curl reads it with -K,
    /// so the password is in no argv).
    fn curl_config(&self, user: &str) -> PathBuf {
        let path = self.dir.path().join(format!("curl-{user}.conf"));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .expect("curl config");
        writeln!(f, "user = \"{user}:{PASSWORD}\"").expect("write curl config");
        path
    }

    /// curl logging in to IMAP (implicit TLS) and to SMTP (STARTTLS
    /// required), each then sending NOOP: the reference for `verify`.
    fn curls(&self, net: Net) -> Vec<Command> {
        let email = &self.emails[0];
        let local = email.split('@').next().expect("local part");
        let imap = self.imap(net);
        let smtp = self.smtp(net);
        let mut cmds = Vec::new();
        for (url, user) in [
            (format!("imaps://{}:{}/", imap.host, imap.port), local),
            (
                format!("smtp://{}:{}", smtp.host, smtp.port),
                email.as_str(),
            ),
        ] {
            let mut c = Command::new("curl");
            c.args(["-sS", "--ssl-reqd", "--cacert"])
                .arg(&self.dv.ca_file)
                .arg("-K")
                .arg(self.curl_config(user))
                .args(["-X", "NOOP", "--url", &url])
                .stdin(Stdio::null());
            cmds.push(c);
        }
        cmds
    }

    fn verify_row(&self, net: Net, runs: usize) -> Row {
        let email = self.emails[0].clone();
        let take_rt = || -> (f64, f64) {
            match self.proxy_pair(net) {
                Some((i, s)) => (i.take_round_trips(), s.take_round_trips()),
                None => (0.0, 0.0),
            }
        };
        // Warm-up (Dovecot's first logins wait for its auth process).
        let (_, out) = self.time(self.ours(&["verify", &email], net));
        assert!(out.status.success(), "verify: {}", text(&out));
        let (_, outs) = self.time_together(self.curls(net));
        for o in &outs {
            assert!(o.status.success(), "curl: {}", text(o));
        }
        take_rt();

        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        let (mut rt_ours, mut rt_theirs) = (Vec::new(), Vec::new());
        let mut local = Vec::new();
        for _ in 0..runs {
            local.push(self.one_true() + self.one_in_process_check(net));
            take_rt();
            let (t, out) = self.time(self.ours(&["verify", &email], net));
            assert!(out.status.success(), "verify: {}", text(&out));
            ours.push(t);
            rt_ours.push(take_rt());
            let (t, outs) = self.time_together(self.curls(net));
            for o in &outs {
                assert!(o.status.success(), "curl: {}", text(o));
            }
            theirs.push(t);
            rt_theirs.push(take_rt());
        }
        let ours = Stat::of(ours);
        let theirs = Stat::of(theirs);
        let local = Stat::of(local);
        let rts = |v: &[(f64, f64)]| {
            let (i, s) = v[v.len() / 2];
            format!("IMAP {i} / SMTP {s}")
        };
        let (what, floor_rt, target) = match net {
            Net::Proxy => (
                "`verify` of a stored account, behind a proxy adding 25 ms each way",
                IMAP_FLOOR_RT.max(SMTP_FLOOR_RT),
                Target::Both(320.0, 0.70),
            ),
            Net::ProxyTcp => (
                "the same with the TCP handshake emulated too",
                (IMAP_FLOOR_RT + TCP_IMAP_RT).max(SMTP_FLOOR_RT + TCP_SMTP_RT),
                Target::Ms(400.0),
            ),
            Net::Loopback => ("`verify` on loopback", 0.0, Target::Ratio(1.0)),
        };
        let floor = if net == Net::Loopback {
            format!(
                "{:.1} ms: process start + both checks in-process (same runs)",
                local.median
            )
        } else {
            format!(
                "{:.1} ms: process start + both checks in-process through the same proxy (same \
                 runs); the protocols alone: {floor_rt} RT × {RTT_MS:.0} ms = {:.0} ms",
                local.median,
                floor_rt * RTT_MS
            )
        };
        Row {
            what: what.into(),
            ours,
            reference: Some(("curl, IMAP and SMTP side by side".into(), theirs)),
            round_trips: (net != Net::Loopback)
                .then(|| format!("ours {}; curl {}", rts(&rt_ours), rts(&rt_theirs))),
            floor,
            target,
        }
    }

    /// `verify` of THREE accounts (a config holding just those) against
    /// `verify` of one, behind the proxy, taking turns: several accounts
    /// are checked side by side.
    fn verify_several_row(&self, runs: usize) -> Row {
        const THREE: usize = 3;
        let all =
            icloud_mail_setup::domain::config::load(&self.config).expect("the bench's config");
        let three = self.dir.path().join("three.toml");
        icloud_mail_setup::domain::config::update(&three, |c| {
            for e in &self.emails[..THREE] {
                c.upsert(all.find(e).expect("a stored account").clone());
            }
        })
        .expect("write the three accounts' config");
        let email = self.emails[0].clone();
        let several = || {
            let mut c = self.ours(&["verify"], Net::Proxy);
            c.env("ICLOUD_MAIL_SETUP_CONFIG", &three);
            c
        };
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for i in 0..=runs {
            let (t, out) = self.time(several());
            assert!(out.status.success(), "verify: {}", text(&out));
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).matches('✓').count(),
                2 * THREE,
                "{}",
                text(&out)
            );
            let (u, out) = self.time(self.ours(&["verify", &email], Net::Proxy));
            assert!(out.status.success(), "verify: {}", text(&out));
            // The first pair warms the caches.
            if i > 0 {
                ours.push(t);
                theirs.push(u);
            }
        }
        Row {
            what: format!("`verify` of {THREE} accounts, behind a proxy adding 25 ms each way"),
            ours: Stat::of(ours),
            reference: Some((
                "`verify` of one account (same runs)".into(),
                Stat::of(theirs),
            )),
            round_trips: None,
            floor: format!("the reference: {THREE} accounts checked side by side cost one"),
            target: Target::Ratio(1.3),
        }
    }

    fn password_row(&self, runs: usize) -> (Row, Stat) {
        let email = self.emails[0].clone();
        let lookup = || {
            let mut c = Command::new("secret-tool");
            c.args([
                "lookup",
                "service",
                "icloud-mail-setup",
                "username",
                email.as_str(),
            ]);
            c
        };
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        let mut floor = Vec::new();
        for i in 0..=runs {
            let f = self.one_true() + self.one_keyring_read();
            let (t, out) = self.time(self.ours(&["password", &email], Net::Loopback));
            assert!(out.status.success(), "password: {}", text(&out));
            assert_eq!(out.stdout, format!("{PASSWORD}\n").as_bytes());
            let (u, out) = self.time(lookup());
            assert!(out.status.success(), "secret-tool: {}", text(&out));
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), PASSWORD);
            // The first pair warms the caches.
            if i > 0 {
                ours.push(t);
                theirs.push(u);
                floor.push(f);
            }
        }
        let ours = Stat::of(ours);
        let row = Row {
            what: "`password EMAIL`".into(),
            ours: ours.clone(),
            reference: Some((
                "`secret-tool lookup` of the same entry".into(),
                Stat::of(theirs),
            )),
            round_trips: None,
            floor: format!(
                "{:.1} ms: process start + one keyring read in-process (same runs)",
                Stat::of(floor).median
            ),
            target: Target::Ratio(1.1),
        };
        (row, ours)
    }

    fn list_rows(&self, runs: usize, password: &Stat) -> Vec<Row> {
        let search = || {
            let mut c = Command::new("secret-tool");
            c.args(["search", "--all", "service", "icloud-mail-setup"]);
            c
        };
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        let mut floor = Vec::new();
        for i in 0..=runs {
            let f = self.one_true() + self.one_keyring_listing();
            let (t, out) = self.time(self.ours(&["list"], Net::Loopback));
            assert!(out.status.success(), "list: {}", text(&out));
            let shown = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                shown.lines().filter(|l| l.contains(" yes ")).count(),
                ACCOUNTS,
                "{shown}"
            );
            let (u, out) = self.time(search());
            assert!(out.status.success(), "secret-tool: {}", text(&out));
            if i > 0 {
                ours.push(t);
                theirs.push(u);
                floor.push(f);
            }
        }
        let floor = format!(
            "{:.1} ms: process start + pre-flight and {ACCOUNTS} searches in-process (same runs)",
            Stat::of(floor).median
        );
        let ours = Stat::of(ours);
        let what = format!("`list` with {ACCOUNTS} accounts");
        vec![
            Row {
                what: what.clone(),
                ours: ours.clone(),
                reference: Some(("`secret-tool search --all`".into(), Stat::of(theirs))),
                round_trips: None,
                floor: floor.clone(),
                target: Target::Info,
            },
            Row {
                what,
                ours,
                reference: Some(("one `password EMAIL` (row above)".into(), password.clone())),
                round_trips: None,
                floor,
                target: Target::Ratio(1.5),
            },
        ]
    }

    /// The wizard in an 80×24 pty, until its Welcome screen is complete:
    /// the keyring checked and every account listed.
    fn welcome(&self) -> Pty {
        let mut cmd = self.ours(&[], Net::Loopback);
        cmd.env("TERM", "xterm-256color");
        Pty::spawn(cmd)
    }

    /// The Welcome screen is drawn whole: title, choices, footer (the
    /// keyring line may still say "checking").
    fn welcome_drawn(screen: &str) -> bool {
        screen.contains("Welcome")
            && screen.contains("Set up a new account")
            && screen.contains("q quit")
    }

    /// ... and complete: the keyring checked and every account listed.
    fn welcome_done(screen: &str) -> bool {
        Self::welcome_drawn(screen)
            && screen.contains("Keyring: Secret Service is ready")
            && screen.contains(&format!("bench{}@icloud.com", ACCOUNTS - 1))
    }

    /// Two rows: the first whole Welcome frame, and the first complete one.
    fn welcome_rows(&self, runs: usize) -> Vec<Row> {
        let frame = self.dir.path().join("welcome.bytes");
        let (mut drawn, mut done) = (Vec::new(), Vec::new());
        let (mut cat_drawn, mut cat_done) = (Vec::new(), Vec::new());
        for i in 0..=runs {
            let mut p = self.welcome();
            let t1 = ms(p.read_until(Duration::from_secs(10), Self::welcome_drawn));
            let t2 = ms(p.read_until(Duration::from_secs(10), Self::welcome_done));
            if i == 0 {
                std::fs::write(&frame, &p.bytes).expect("keep the frame");
            }
            p.send(b"q");
            p.finish(Duration::from_secs(5));
            let mut cat = Command::new("cat");
            cat.arg(&frame);
            let mut r = Pty::spawn(cat);
            let u1 = ms(r.read_until(Duration::from_secs(10), Self::welcome_drawn));
            let u2 = ms(r.read_until(Duration::from_secs(10), Self::welcome_done));
            r.finish(Duration::from_secs(5));
            if i > 0 {
                drawn.push(t1);
                done.push(t2);
                cat_drawn.push(u1);
                cat_done.push(u2);
            }
        }
        let reference = |v| {
            Some((
                "a trivial program (`cat`) writing the same bytes into the same pty".into(),
                Stat::of(v),
            ))
        };
        vec![
            Row {
                what: "first whole Welcome frame in a pty (keyring still being checked)".into(),
                ours: Stat::of(drawn),
                reference: reference(cat_drawn),
                round_trips: None,
                floor: "the reference".into(),
                target: Target::Welcome,
            },
            Row {
                what: "first complete Welcome frame (keyring checked, 10 accounts listed)".into(),
                ours: Stat::of(done),
                reference: reference(cat_done),
                round_trips: None,
                floor: "the reference".into(),
                target: Target::Welcome,
            },
        ]
    }

    fn idle_row(&self) -> Row {
        let mut p = self.welcome();
        p.read_until(Duration::from_secs(10), Self::welcome_done);
        // Let the start-up work settle first.
        p.drain_for(Duration::from_millis(500));
        let pid = p.child.id();
        let (ticks0, ns0) = cpu_of(pid);
        p.drain_for(IDLE);
        let (ticks1, ns1) = cpu_of(pid);
        p.send(b"q");
        p.finish(Duration::from_secs(5));
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let tick_ms = (ticks1 - ticks0) as f64 * 1000.0 / hz;
        let sched_ms = (ns1 - ns0) as f64 / 1e6;
        Row {
            what: format!(
                "CPU while idle {} s on the Welcome screen (utime+stime {tick_ms:.0} ms at \
                 {hz:.0} Hz; the figure is from the threads' schedstat)",
                IDLE.as_secs()
            ),
            ours: Stat::one(sched_ms),
            reference: None,
            round_trips: None,
            floor: "0".into(),
            target: Target::AtMost(5.0),
        }
    }

    fn rss_row(&self) -> Row {
        let email = "rss@icloud.com";
        let mut peaks = Vec::new();
        for i in 0..RSS_RUNS {
            let config = self.dir.path().join(format!("rss-{i}.toml"));
            let input = format!("1\n1\n\n{email}\n\n{PASSWORD}\n1\n");
            let mut cmd = self.ours(&["--plain"], Net::Loopback);
            cmd.env("ICLOUD_MAIL_SETUP_CONFIG", &config);
            let (code, kib, out) = run_measured(cmd, &input);
            assert_eq!(code, 0, "plain wizard: {out}");
            assert!(out.contains("Saved."), "{out}");
            peaks.push(kib as f64 / 1024.0);
            let _ = Command::new("secret-tool")
                .args(["clear", "service", "icloud-mail-setup", "username", email])
                .status();
        }
        let max = peaks.iter().cloned().fold(0.0, f64::max);
        Row {
            what: format!(
                "peak RSS (MiB), a whole plain-mode wizard run with checks (max of {RSS_RUNS}: \
                 {max:.1})"
            ),
            ours: Stat::of(peaks),
            reference: None,
            round_trips: None,
            floor: "-".into(),
            target: Target::AtMost(12.0),
        }
    }
}

/// CPU time of a process so far: (utime + stime in clock ticks, from
/// /proc/PID/stat, dead threads included; the sum of its live threads'
/// on-CPU nanoseconds from /proc/PID/task/*/schedstat, finer grained).
fn cpu_of(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    // Fields after the command name (which may hold spaces) in parens.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks = f[11].parse::<u64>().expect("utime") + f[12].parse::<u64>().expect("stime");
    let mut ns = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).expect("tasks") {
        let path = task.expect("task").path().join("schedstat");
        if let Ok(s) = std::fs::read_to_string(path) {
            ns += s
                .split(' ')
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    (ticks, ns)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A median with its interquartile range.
#[derive(Clone, Debug)]
struct Stat {
    median: f64,
    q1: f64,
    q3: f64,
    n: usize,
}

impl Stat {
    fn of(mut v: Vec<f64>) -> Stat {
        assert!(!v.is_empty());
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        Stat {
            median: at(0.5),
            q1: at(0.25),
            q3: at(0.75),
            n: v.len(),
        }
    }

    fn one(x: f64) -> Stat {
        Stat::of(vec![x])
    }

    fn show(&self) -> String {
        if self.n == 1 {
            format!("{:.1}", self.median)
        } else {
            format!("{:.1} ({:.1}-{:.1})", self.median, self.q1, self.q3)
        }
    }
}

/// What a row should reach.
#[derive(Clone, Copy)]
enum Target {
    /// At most this many ms and this ratio to the reference.
    Both(f64, f64),
    Ms(f64),
    Ratio(f64),
    /// At most 10 ms and 3× the reference.
    Welcome,
    AtMost(f64),
    Info,
}

struct Row {
    what: String,
    ours: Stat,
    reference: Option<(String, Stat)>,
    round_trips: Option<String>,
    floor: String,
    target: Target,
}

impl Row {
    fn ratio(&self) -> Option<f64> {
        self.reference
            .as_ref()
            .map(|(_, r)| self.ours.median / r.median)
    }

    /// ("target", "met" / "missed by ...").
    fn verdict(&self) -> (String, String) {
        let m = self.ours.median;
        let r = self.ratio().unwrap_or(f64::NAN);
        let check = |ok: bool, miss: String| {
            if ok {
                "met".to_string()
            } else {
                format!("MISSED by {miss}")
            }
        };
        match self.target {
            Target::Both(ms, ratio) => (
                format!("<= {ms:.0} ms and <= {ratio:.2}x"),
                check(
                    m <= ms && r <= ratio,
                    format!("{:.1} ms / {:.2}x", (m - ms).max(0.0), (r - ratio).max(0.0)),
                ),
            ),
            Target::Ms(ms) => (
                format!("<= {ms:.0} ms"),
                check(m <= ms, format!("{:.1} ms", m - ms)),
            ),
            Target::Ratio(ratio) => (
                format!("<= {ratio:.2}x"),
                check(r <= ratio, format!("{:.2}x", r - ratio)),
            ),
            Target::Welcome => (
                "<= 10 ms and <= 3x".into(),
                check(
                    m <= 10.0 && r <= 3.0,
                    format!("{:.1} ms / {:.2}x", (m - 10.0).max(0.0), (r - 3.0).max(0.0)),
                ),
            ),
            Target::AtMost(x) => (format!("<= {x}"), check(m <= x, format!("{:.1}", m - x))),
            Target::Info => ("-".into(), "-".into()),
        }
    }
}

#[derive(Default)]
struct Table {
    rows: Vec<Row>,
}

impl Table {
    /// A Markdown table (ms unless the row says otherwise; median and
    /// interquartile range), then the round trips counted at the proxy.
    fn print(&self) {
        println!();
        println!("| what | ours | reference, same run | ratio | floor | target | verdict |");
        println!("|---|---|---|---|---|---|---|");
        for r in &self.rows {
            let (target, verdict) = r.verdict();
            let (reference, ratio) = match (&r.reference, r.ratio()) {
                (Some((name, s)), Some(x)) => (format!("{name}: {}", s.show()), format!("{x:.2}")),
                _ => ("-".into(), "-".into()),
            };
            println!(
                "| {} | {} | {reference} | {ratio} | {} | {target} | {verdict} |",
                r.what,
                r.ours.show(),
                r.floor
            );
        }
        println!();
        println!("Round trips waited for, counted at the proxy (median run):");
        for r in &self.rows {
            if let Some(rt) = &r.round_trips {
                println!("- {}: {rt}", r.what);
            }
        }
        println!(
            "Protocol floors: IMAP {IMAP_FLOOR_RT} RT (TLS 1.3, greeting, LOGIN), SMTP \
             {SMTP_FLOOR_RT} RT (greeting 0.5 through the proxy, EHLO, STARTTLS, TLS 1.3, EHLO, \
             AUTH PLAIN with initial response); a real TCP handshake adds {TCP_IMAP_RT} and \
             {TCP_SMTP_RT}. LOGOUT and QUIT are not waited for."
        );
    }
}
