//! A login account for one test: created unlocked, with a random password
//! made for this run only, and removed (home included) when the test ends,
//! even when it fails. Needs root; callers skip with a printed reason
//! otherwise. `.ci/run` also removes any `fcstats-*` account left behind by a
//! test process that was killed before its guards ran.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

pub struct Account {
    pub name: String,
    /// Random per run (128 bits from /dev/urandom), never written to disk by us.
    pub password: String,
}

fn random_password() -> String {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("reading /dev/urandom");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Account {
    /// `fcstats-t<pid>-<n>`, with `/bin/sh` as its shell and its own home.
    pub fn create() -> Account {
        Account::create_with_shell("/bin/sh")
    }

    /// The same with `shell` as its login shell.
    pub fn create_with_shell(shell: &str) -> Account {
        let name = format!(
            "fcstats-t{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let ok = Command::new("useradd")
            .args(["--create-home", "--shell", shell, &name])
            .status()
            .expect("running useradd");
        assert!(ok.success(), "useradd {name} failed");
        // From here on, Drop removes the account whatever happens.
        let account = Account {
            name,
            password: random_password(),
        };
        // A password also unlocks the account: useradd leaves it locked (`!`),
        // and sshd refuses a locked account even with a key.
        let mut chpasswd = Command::new("chpasswd")
            .stdin(Stdio::piped())
            .spawn()
            .expect("running chpasswd");
        chpasswd
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{}:{}\n", account.name, account.password).as_bytes())
            .unwrap();
        assert!(chpasswd.wait().unwrap().success(), "chpasswd failed");
        account
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        // userdel refuses while a process of the account still runs (an sshd
        // session that is just ending): try again for a few seconds.
        for _ in 0..50 {
            let removed = Command::new("userdel")
                .args(["--remove", &self.name])
                .stderr(Stdio::null())
                .status();
            if matches!(removed, Ok(s) if s.success()) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        eprintln!("warning: could not remove the test account {}", self.name);
    }
}
