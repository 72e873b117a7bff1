//! A real Dovecot (IMAP on implicit TLS, submission with STARTTLS) on
//! loopback, each instance with its own ports and directories.
//!
//! ```ignore
//! let dv = Dovecot::start();
//! dv.set_users(&["emily"], "abcd-efgh-ijkl-mnop");
//! let report = imap::check(&dv.settings(), &account, &password).await;
//! ```
//!
//! Facts this relies on (see shared/design/real-peers.md): running as root
//! needs `default_login_user = dovenull`, `default_internal_user = dovecot`
//! and a low `first_valid_uid`; submission needs a relay (an aiosmtpd sink
//! run with `/usr/bin/python3`); `auth_failure_delay = 0` makes refusals
//! immediate; the passwd-file is re-read when it changes.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use icloud_mail_setup::domain::mail::{CheckSettings, Endpoint};
use tempfile::TempDir;

use super::certs::TestCa;
use super::free_port;

/// The host name the endpoints use (the default certificate covers it and
/// 127.0.0.1).
pub const HOST: &str = "localhost";

pub struct Dovecot {
    dir: TempDir,
    master: Child,
    sink: Child,
    generation: AtomicU64,
    started: u64,
    /// IMAP, implicit TLS.
    pub imap: Endpoint,
    /// Submission, STARTTLS.
    pub smtp: Endpoint,
    /// The PEM file of the CA that signed the server certificate.
    pub ca_file: PathBuf,
}

/// Whether process `pid` holds the socket listening on 127.0.0.1:`port`
/// (from /proc/net/tcp and the process's file descriptors).
fn listens_on(pid: u32, port: u16) -> bool {
    let Ok(table) = fs::read_to_string("/proc/net/tcp") else {
        return false;
    };
    let wanted = format!("0100007F:{port:04X}");
    let inodes: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // local_address, st (0A: LISTEN), inode.
            (f.len() > 9 && f[1] == wanted && f[3] == "0A").then(|| format!("socket:[{}]", f[9]))
        })
        .collect();
    if inodes.is_empty() {
        return false;
    }
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        fs::read_link(fd.path()).is_ok_and(|t| inodes.iter().any(|i| t.as_os_str() == i.as_str()))
    })
}

impl Dovecot {
    /// A Dovecot whose certificate is for `localhost` and `127.0.0.1`, with
    /// no users yet (see [`Dovecot::set_users`]). Panics if it cannot start.
    pub fn start() -> Dovecot {
        Self::start_with_names(&[HOST, "127.0.0.1"])
    }

    /// A Dovecot whose certificate is for `host` only (signed by the CA in
    /// `ca_file`), still reached as `localhost`: a hostname mismatch.
    pub fn start_with_cert_for(host: &str) -> Dovecot {
        Self::start_with_names(&[host])
    }

    fn start_with_names(names: &[&str]) -> Dovecot {
        let mut last = String::new();
        // Free ports are picked by binding and releasing; another test may
        // grab one in between, so retry a few times.
        for _ in 0..4 {
            match Self::try_start(names) {
                Ok(d) => return d,
                Err(e) => last = e,
            }
        }
        panic!("Dovecot did not start: {last}");
    }

    fn try_start(names: &[&str]) -> Result<Dovecot, String> {
        for bin in ["/usr/sbin/dovecot", "/usr/bin/python3"] {
            if !Path::new(bin).exists() {
                return Err(format!(
                    "{bin} is missing: apt-get install -y dovecot-imapd dovecot-submissiond python3-aiosmtpd"
                ));
            }
        }
        let dir = tempfile::Builder::new()
            .prefix("dv")
            .tempdir_in("/tmp")
            .map_err(|e| format!("temp dir: {e}"))?;
        let root = dir.path().to_path_buf();
        fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
        let home = root.join("home");
        fs::create_dir(&home).map_err(|e| e.to_string())?;
        fs::set_permissions(&home, fs::Permissions::from_mode(0o777)).map_err(|e| e.to_string())?;

        let ca = TestCa::new();
        let server = ca.server_cert(names);
        let ca_file = root.join("ca.pem");
        fs::write(&ca_file, &ca.pem).map_err(|e| e.to_string())?;
        fs::write(root.join("cert.pem"), &server.cert_pem).map_err(|e| e.to_string())?;
        fs::write(root.join("key.pem"), &server.key_pem).map_err(|e| e.to_string())?;
        fs::set_permissions(root.join("key.pem"), fs::Permissions::from_mode(0o600))
            .map_err(|e| e.to_string())?;
        let passwd = root.join("passwd");
        fs::write(&passwd, "").map_err(|e| e.to_string())?;
        fs::set_permissions(&passwd, fs::Permissions::from_mode(0o644))
            .map_err(|e| e.to_string())?;

        let imap_port = free_port();
        let smtp_port = free_port();
        let relay_port = free_port();
        let r = root.display();
        let dh = if Path::new("/usr/share/dovecot/dh.pem").exists() {
            "ssl_dh = </usr/share/dovecot/dh.pem\n"
        } else {
            ""
        };
        let conf = format!(
            "base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/dovecot.log
instance_name = dovecot-{imap_port}
protocols = imap submission
listen = 127.0.0.1
hostname = localhost
ssl = required
ssl_cert = <{r}/cert.pem
ssl_key = <{r}/key.pem
{dh}auth_mechanisms = plain login
auth_failure_delay = 0
# No anvil auth penalty: otherwise every refused login from 127.0.0.1
# delays the next auth by 2, 4, 8, 15 s (doc.dovecot.org, Authentication
# penalty), and tests that fail logins on purpose hit their deadlines.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
auth_verbose = yes
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_location = maildir:{r}/home/%u/Maildir
passdb {{
  driver = passwd-file
  args = {r}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={r}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {imap_port}
    ssl = yes
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = {smtp_port}
  }}
}}
submission_relay_host = 127.0.0.1
submission_relay_port = {relay_port}
"
        );
        let conf_path = root.join("dovecot.conf");
        fs::write(&conf_path, conf).map_err(|e| e.to_string())?;

        // The sink prints each message it receives (aiosmtpd's debugging
        // handler) into sink.log; -u: unbuffered, so it is there at once.
        let sink_log = fs::File::create(root.join("sink.log")).map_err(|e| e.to_string())?;
        let sink = Command::new("/usr/bin/python3")
            .args(["-u", "-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{relay_port}"))
            .stdin(Stdio::null())
            .stdout(sink_log)
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("aiosmtpd: {e}"))?;
        let out = fs::File::create(root.join("stdout.log")).map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let master = match Command::new("/usr/sbin/dovecot")
            .arg("-F")
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
        {
            Ok(m) => m,
            Err(e) => {
                let mut sink = sink;
                let _ = sink.kill();
                let _ = sink.wait();
                return Err(format!("dovecot: {e}"));
            }
        };
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut dv = Dovecot {
            dir,
            master,
            sink,
            generation: AtomicU64::new(0),
            started,
            imap: Endpoint::new(HOST, imap_port),
            smtp: Endpoint::new(HOST, smtp_port),
            ca_file,
        };
        let until = Instant::now() + Duration::from_secs(15);
        loop {
            // Ready when each port is listened on by our own process (the
            // ports were free a moment ago; another program may have taken
            // one since, and would accept a connection as well).
            let (master, sink) = (dv.master.id(), dv.sink.id());
            if listens_on(master, imap_port)
                && listens_on(master, smtp_port)
                && listens_on(sink, relay_port)
            {
                return Ok(dv);
            }
            if let Ok(Some(status)) = dv.master.try_wait() {
                return Err(format!(
                    "dovecot exited ({status}): {}{}",
                    fs::read_to_string(dv.dir.path().join("stdout.log")).unwrap_or_default(),
                    dv.auth_log()
                ));
            }
            if let Ok(Some(status)) = dv.sink.try_wait() {
                return Err(format!("aiosmtpd exited ({status})"));
            }
            if Instant::now() > until {
                return Err(format!("ports did not open in time: {}", dv.auth_log()));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Rewrite the passwd-file: each login gets `password`, every other
    /// login is removed. Takes effect on the next login: the file is
    /// replaced with a new, strictly increasing mtime, and the call returns
    /// once Dovecot has read it (it checks the file at most once a second).
    pub fn set_users(&self, logins: &[&str], password: &str) {
        let path = self.dir.path().join("passwd");
        let tmp = self.dir.path().join("passwd.new");
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        // A login of this file's own, so the test can see when Dovecot
        // has read it.
        let marker = format!("passwd-generation-{generation}");
        let mut text = format!("{marker}:{{PLAIN}}{marker}:::::\n");
        for login in logins {
            text.push_str(&format!("{login}:{{PLAIN}}{password}:::::\n"));
        }
        {
            let mut f = fs::File::create(&tmp).expect("write passwd");
            f.write_all(text.as_bytes()).expect("write passwd");
            let mtime = UNIX_EPOCH + Duration::from_secs(self.started + 10 + generation);
            f.set_modified(mtime).expect("set passwd mtime");
        }
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644)).expect("chmod passwd");
        fs::rename(&tmp, &path).expect("replace passwd");
        // Dovecot's auth process looks at the file at most once per
        // (whole) second of its ioloop clock: instead of waiting for the
        // next second, ask it (through the auth process, as a login does)
        // until it knows this file's marker login.
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let out = Command::new("doveadm")
                .arg("-c")
                .arg(self.dir.path().join("dovecot.conf"))
                .args(["auth", "test", &marker, &marker])
                .output()
                .expect("doveadm (dovecot-core) runs");
            if out.status.success() {
                return;
            }
            assert!(
                Instant::now() < until,
                "Dovecot never read the new passwd-file: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Settings pointing at this instance, with its CA as extra anchor.
    pub fn settings(&self) -> CheckSettings {
        CheckSettings {
            imap: self.imap.clone(),
            smtp: self.smtp.clone(),
            ca_file: Some(self.ca_file.clone()),
            connect_timeout: Duration::from_secs(5),
            deadline: Duration::from_secs(10),
        }
    }

    /// Environment for running the real binary against this instance.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("ICLOUD_MAIL_SETUP_IMAP".into(), self.imap.to_string()),
            ("ICLOUD_MAIL_SETUP_SMTP".into(), self.smtp.to_string()),
            (
                "ICLOUD_MAIL_SETUP_CA_FILE".into(),
                self.ca_file.display().to_string(),
            ),
        ]
    }

    /// Dovecot's log so far (auth, imap-login and submission-login lines).
    pub fn auth_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// Failed login attempts for `user` (IMAP and submission), as counted
    /// by Dovecot's auth process (`auth_verbose`): one log line per
    /// refused password (see `settled_count` for when it is read).
    pub fn failed_logins(&self, user: &str) -> usize {
        let needle = format!("passwd-file({user},");
        self.settled_count(|line| {
            line.contains(&needle)
                && (line.contains("Password mismatch") || line.contains("unknown user"))
        })
    }

    /// Successful logins of `protocol` ("imap" or "submission") for `user`.
    pub fn successful_logins(&self, protocol: &str, user: &str) -> usize {
        let login = format!("{protocol}-login: Info: Login: user=<{user}>");
        self.settled_count(|line| line.contains(&login))
    }

    /// How many log lines match `pred`, once the log holds every line of
    /// the logins finished before this call. The log is written
    /// asynchronously, so instead of waiting for it to be quiet a while,
    /// a marker is logged after them (a lookup of a user nobody has,
    /// through the auth process, with `doveadm auth test`) and waited for.
    fn settled_count(&self, pred: impl Fn(&str) -> bool) -> usize {
        static MARKS: AtomicU64 = AtomicU64::new(0);
        let marker = format!(
            "log-marker-{}-{}",
            std::process::id(),
            MARKS.fetch_add(1, Ordering::SeqCst)
        );
        // It fails (no such user); what counts is the line it leaves.
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(self.dir.path().join("dovecot.conf"))
            .args(["auth", "test", &marker, "x"])
            .output()
            .expect("doveadm (dovecot-core) runs");
        let seen = format!("passwd-file({marker}): unknown user");
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.auth_log();
            if log.contains(&seen) {
                return log.lines().filter(|l| pred(l)).count();
            }
            assert!(
                Instant::now() < until,
                "Dovecot never logged the marker lookup ({}):\n{log}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// What the SMTP sink behind submission has received so far: each
    /// message as aiosmtpd's debugging handler prints it.
    pub fn sink_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("sink.log")).unwrap_or_default()
    }

    /// Put `message` (RFC 5322 text) into `user`'s INBOX with Dovecot's
    /// own `doveadm save`, as a delivery would.
    pub fn deliver(&self, user: &str, message: &str) {
        let mut child = Command::new("doveadm")
            .arg("-c")
            .arg(self.dir.path().join("dovecot.conf"))
            .args(["save", "-u", user, "-m", "INBOX"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("doveadm (dovecot-core) runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(message.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "doveadm save failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Create `user`'s mailboxes `names` (iCloud's "Sent Messages" and the
    /// like, where clients file copies), with Dovecot's own `doveadm`.
    #[allow(dead_code)]
    pub fn create_mailboxes(&self, user: &str, names: &[&str]) {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(self.dir.path().join("dovecot.conf"))
            .args(["mailbox", "create", "-u", user])
            .args(names)
            .output()
            .expect("doveadm (dovecot-core) runs");
        assert!(
            out.status.success(),
            "doveadm mailbox create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The instance's directory (config, log, passwd-file).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let pid = self.master.id() as libc::pid_t;
        // SIGTERM lets the master stop its children.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let until = Instant::now() + Duration::from_secs(3);
        loop {
            match self.master.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(20)),
                _ => {
                    let _ = self.master.kill();
                    let _ = self.master.wait();
                    break;
                }
            }
        }
        let _ = self.sink.kill();
        let _ = self.sink.wait();
    }
}
