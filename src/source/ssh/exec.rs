//! Reading the file without SFTP (`transfer: exec`, or `auto` on a server
//! without an SFTP subsystem): `stat` and `cat` over exec channels of the
//! same connection, with the same before-and-after stamp as SFTP. Text a
//! login shell prints before a command's output is detected on the `stat`
//! (it must print exactly a marker and the stamp), and named; it is never
//! read as the file.

use std::io::{self, Read};

use ssh2::{Channel, Session};

use crate::config::SshTarget;
use crate::source::{FetchError, Stamp};

/// Printed before the stamp: anything before it came from the login shell.
const MARKER: &str = "fcstats-stat";

/// `s` in single quotes for a POSIX shell.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The command whose output `parse_stamp` reads.
pub fn stamp_command(path: &str) -> String {
    format!(
        "echo {MARKER}; LC_ALL=C stat -L -c '%s %Y' -- {}",
        quote(path)
    )
}

/// What the shell printed before the marker, if anything, cut to one line.
pub fn chatter(stdout: &str) -> Option<String> {
    let before = match stdout.find(MARKER) {
        Some(at) => &stdout[..at],
        None => stdout,
    };
    let first = before.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(crate::output::escape_controls(&first.chars().take(80).collect::<String>()).into_owned())
}

/// The stamp from `stat`'s output, after the marker: `size mtime`.
pub fn parse_stamp(stdout: &str) -> Option<Stamp> {
    let rest = stdout.split_once(MARKER)?.1.trim();
    let (size, mtime) = rest.split_once(' ')?;
    Some((
        Some(size.parse().ok()?),
        Some(mtime.trim().parse::<i64>().ok()? * 1_000_000_000),
    ))
}

/// A failed command's stderr, said as the SFTP errors are.
pub fn explain(stderr: &str, t: &SshTarget) -> String {
    if stderr.contains("No such file") {
        format!("no such file {} on the collector", t.path)
    } else if stderr.contains("Permission denied") {
        format!("permission denied reading {} as {}", t.path, t.user)
    } else if stderr.contains("not found") {
        format!(
            "the collector has no `stat` or `cat` for transfer: exec ({})",
            first_line(stderr)
        )
    } else {
        first_line(stderr)
    }
}

fn first_line(s: &str) -> String {
    crate::output::escape_controls(s.lines().next().unwrap_or("").trim()).into_owned()
}

fn start(sess: &Session, cmd: &str, t: &SshTarget) -> Result<Channel, FetchError> {
    let mut ch = sess.channel_session().map_err(|e| {
        FetchError::new(format!(
            "cannot open an exec channel: {}",
            super::describe(&e, t)
        ))
    })?;
    ch.exec(cmd).map_err(|e| {
        FetchError::new(format!(
            "the server refused to run a command: {}",
            super::describe(&e, t)
        ))
    })?;
    Ok(ch)
}

/// After a command's output has ended: what it said on stderr, and whether
/// it succeeded.
fn ended(ch: &mut Channel) -> (String, bool) {
    let mut err = String::new();
    ch.stderr().read_to_string(&mut err).ok();
    ch.wait_close().ok();
    (err, ch.exit_status().unwrap_or(-1) == 0)
}

/// The file's stamp by `stat`; the login shell's chatter is an error.
pub fn stamp(sess: &Session, t: &SshTarget) -> Result<Stamp, FetchError> {
    let mut ch = start(sess, &stamp_command(&t.path), t)?;
    let mut out = String::new();
    ch.read_to_string(&mut out)
        .map_err(|e| FetchError::new(format!("reading `stat` failed: {e}")))?;
    let (err, ok) = ended(&mut ch);
    if let Some(text) = chatter(&out) {
        return Err(FetchError::fatal(format!(
            "the remote shell prints text on login (\"{text}\"): it would be read as part of the \
             file. Make the login quiet for commands (print only when the shell is interactive, \
             e.g. `[ -t 0 ] || return` before it in ~/.bashrc; no echo in a ForceCommand)"
        )));
    }
    if !ok {
        return Err(FetchError::new(explain(&err, t)));
    }
    parse_stamp(&out).ok_or_else(|| {
        FetchError::new(format!(
            "`stat` printed something other than a size and a time: {}",
            first_line(&out)
        ))
    })
}

/// The file by `cat`: its bytes, then an error if `cat` failed.
pub struct Cat<'a> {
    ch: Channel,
    t: &'a SshTarget,
}

impl Read for Cat<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.ch.read(buf)?;
        if n == 0 {
            let (err, ok) = ended(&mut self.ch);
            if !ok {
                return Err(io::Error::other(explain(&err, self.t)));
            }
        }
        Ok(n)
    }
}

pub fn cat<'a>(sess: &Session, t: &'a SshTarget) -> Result<Cat<'a>, FetchError> {
    let ch = start(sess, &format!("exec cat -- {}", quote(&t.path)), t)?;
    Ok(Cat { ch, t })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_for_the_shell() {
        assert_eq!(quote("/a b/it's"), r"'/a b/it'\''s'");
        assert_eq!(
            stamp_command("/x"),
            "echo fcstats-stat; LC_ALL=C stat -L -c '%s %Y' -- '/x'"
        );
    }

    #[test]
    fn the_stamp_is_read_after_the_marker_and_chatter_before_it_is_named() {
        assert_eq!(
            parse_stamp("fcstats-stat\n1234 1700000000\n"),
            Some((Some(1234), Some(1_700_000_000_000_000_000)))
        );
        assert_eq!(chatter("fcstats-stat\n1234 1700000000\n"), None);
        assert_eq!(
            chatter("\nWelcome to fc-east\nfcstats-stat\n1 2\n").as_deref(),
            Some("Welcome to fc-east")
        );
        // A shell that prints and then runs nothing still counts as chatter.
        assert_eq!(chatter("motd\n").as_deref(), Some("motd"));
        assert_eq!(parse_stamp("fcstats-stat\nstat: bad\n"), None);
    }
}
