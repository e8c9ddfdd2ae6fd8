//! Logging in (SPEC §13): the agent (unless `identities_only`), the identity
//! files with their passphrase, then the password by `password` and, where
//! the server only offers it, by `keyboard-interactive`.

use std::io;
use std::path::Path;

use ssh2::{ErrorCode, KeyboardInteractivePrompt, Prompt, Session};

use libssh2_sys::{
    LIBSSH2_ERROR_AUTHENTICATION_FAILED, LIBSSH2_ERROR_SOCKET_DISCONNECT,
    LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_SOCKET_SEND, LIBSSH2_ERROR_TIMEOUT,
};

use super::describe;
use crate::config::{Password, SshTarget};
use crate::source::FetchError;

/// What a login may use: a collector has all of `t`; a jump host gets no
/// password (the collector's password is never sent to another host).
pub struct Login<'a> {
    pub t: &'a SshTarget,
    pub user: &'a str,
    pub password: bool,
}

/// The secret `p` names; `what` (`password`, `passphrase`) for the errors.
fn secret(p: &Password, what: &str) -> Result<Option<String>, FetchError> {
    Ok(match p {
        Password::None => None,
        Password::Inline(s) => Some(s.0.clone()),
        Password::Env(var) => Some(std::env::var(var).map_err(|_| {
            FetchError::fatal(format!(
                "{what}_env: the environment variable {var} is not set"
            ))
        })?),
        Password::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                FetchError::fatal(format!("{what}_file: cannot read {}: {e}", path.display()))
            })?;
            Some(text.lines().next().unwrap_or("").to_owned())
        }
    })
}

/// Why the agent socket cannot be used, said the way an operator fixes it
/// (libssh2 only says "failed connecting with agent"). `None`: it answers.
fn agent_problem(sock: &Path) -> Option<String> {
    let e = std::os::unix::net::UnixStream::connect(sock).err()?;
    Some(match e.kind() {
        io::ErrorKind::PermissionDenied => format!(
            "the SSH agent: permission denied on $SSH_AUTH_SOCK ({}): this user cannot open the \
             socket (in a container, run as the socket owner's uid, e.g. --user \"$(id -u):$(id -g)\")",
            sock.display()
        ),
        io::ErrorKind::NotFound => format!(
            "the SSH agent: $SSH_AUTH_SOCK ({}) does not exist (is the agent running, the socket mounted?)",
            sock.display()
        ),
        _ => format!("the SSH agent: cannot connect to $SSH_AUTH_SOCK ({}): {e}", sock.display()),
    })
}

/// The key blobs of the identity files' `.pub` files: the agent's keys that
/// match them are offered first, as OpenSSH does, so that an agent full of
/// other keys does not use up the server's MaxAuthTries before them.
fn identity_blobs(t: &SshTarget) -> Vec<Vec<u8>> {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    t.identity
        .iter()
        .filter_map(|k| std::fs::read_to_string(k.with_extension("pub")).ok())
        .filter_map(|text| STANDARD.decode(text.split_whitespace().nth(1)?).ok())
        .collect()
}

enum Outcome {
    In,
    /// Tried and refused; what to say about it.
    Refused(String),
    Nothing,
}

fn by_agent(sess: &Session, l: &Login) -> Result<Outcome, FetchError> {
    let Some(sock) =
        std::env::var_os("SSH_AUTH_SOCK").filter(|_| l.t.agent && !l.t.identities_only)
    else {
        return Ok(Outcome::Nothing);
    };
    if let Some(problem) = agent_problem(Path::new(&sock)) {
        return Ok(Outcome::Refused(problem));
    }
    let Ok(mut agent) = sess.agent() else {
        return Ok(Outcome::Nothing);
    };
    if agent.connect().is_err() || agent.list_identities().is_err() {
        return Ok(Outcome::Refused("the SSH agent (it did not answer)".into()));
    }
    let mut ids = agent.identities().unwrap_or_default();
    let mine = identity_blobs(l.t);
    ids.sort_by_key(|id| !mine.iter().any(|b| b.as_slice() == id.blob()));
    for (n, id) in ids.iter().enumerate() {
        match agent.userauth(l.user, id) {
            Ok(()) => return Ok(Outcome::In),
            Err(e) if e.code() == ErrorCode::Session(LIBSSH2_ERROR_AUTHENTICATION_FAILED) => {}
            Err(e) if gone(sess, &e, l) => {
                return Err(closed(
                    l,
                    &[format!("the SSH agent's first {} key(s)", n + 1)],
                ))
            }
            Err(_) => {}
        }
    }
    Ok(Outcome::Refused(format!(
        "the SSH agent's {} key(s)",
        ids.len()
    )))
}

/// The server hung up during the login: it allows only so many attempts
/// (OpenSSH's MaxAuthTries, 6 by default), and an agent with many keys uses
/// them up before the identity files are tried.
fn closed(l: &Login, tried: &[String]) -> FetchError {
    FetchError::fatal(format!(
        "authentication failed for user {}: the server closed the connection after {} (too many \
         attempts for its MaxAuthTries); set identities_only: true to offer only the identity files, \
         not every key of the SSH agent",
        l.user,
        tried.join(", ")
    ))
}

/// The server closed the connection (as it does after MaxAuthTries
/// failures): libssh2 says so, or hides it behind another error (for a key,
/// "Waiting for USERAUTH response"); then asking which methods remain, which
/// is not an attempt, fails too.
fn gone(sess: &Session, e: &ssh2::Error, l: &Login) -> bool {
    disconnected(e) || sess.auth_methods(l.user).is_err()
}

fn disconnected(e: &ssh2::Error) -> bool {
    matches!(
        e.code(),
        ErrorCode::Session(
            LIBSSH2_ERROR_SOCKET_SEND | LIBSSH2_ERROR_SOCKET_DISCONNECT | LIBSSH2_ERROR_SOCKET_RECV
        )
    )
}

fn by_keys(sess: &Session, l: &Login, tried: &mut Vec<String>) -> Result<bool, FetchError> {
    let t = l.t;
    let passphrase = secret(&t.passphrase, "passphrase")?;
    for key in t.identity.iter().filter(|k| k.exists()) {
        match sess.userauth_pubkey_file(l.user, None, key, passphrase.as_deref()) {
            Ok(()) if sess.authenticated() => return Ok(true),
            Err(e) if e.code() == ErrorCode::Session(LIBSSH2_ERROR_TIMEOUT) => {
                return Err(FetchError::new(describe(&e, t)))
            }
            Err(e) if gone(sess, &e, l) => return Err(closed(l, tried)),
            Err(e) if e.code() != ErrorCode::Session(LIBSSH2_ERROR_AUTHENTICATION_FAILED) => {
                let hint = if passphrase.is_none() {
                    "; if the key is encrypted, set passphrase_env or passphrase_file"
                } else {
                    "; is the passphrase right?"
                };
                tried.push(format!("key {} ({}{hint})", key.display(), e.message()))
            }
            _ => tried.push(format!("key {}", key.display())),
        }
    }
    Ok(false)
}

/// Answers every hidden prompt with the password (what a person would type).
struct Answer<'a>(&'a str);

impl KeyboardInteractivePrompt for Answer<'_> {
    fn prompt<'b>(
        &mut self,
        _user: &str,
        _instructions: &str,
        prompts: &[Prompt<'b>],
    ) -> Vec<String> {
        prompts
            .iter()
            .map(|p| {
                if p.echo {
                    String::new()
                } else {
                    self.0.to_owned()
                }
            })
            .collect()
    }
}

fn by_password(sess: &Session, l: &Login, tried: &mut Vec<String>) -> Result<bool, FetchError> {
    let Some(pw) = secret(&l.t.password, "password")?.filter(|_| l.password) else {
        return Ok(false);
    };
    let methods = sess.auth_methods(l.user).unwrap_or("password").to_owned();
    let offers = |method: &str| methods.split(',').any(|m| m == method);
    if offers("password") {
        match sess.userauth_password(l.user, &pw) {
            Ok(()) if sess.authenticated() => return Ok(true),
            Err(e) if e.code() == ErrorCode::Session(LIBSSH2_ERROR_TIMEOUT) => {
                return Err(FetchError::new(describe(&e, l.t)))
            }
            Err(e) if gone(sess, &e, l) => return Err(closed(l, tried)),
            _ => tried.push("password".into()),
        }
    }
    if offers("keyboard-interactive") {
        match sess.userauth_keyboard_interactive(l.user, &mut Answer(&pw)) {
            Ok(()) if sess.authenticated() => return Ok(true),
            Err(e) if e.code() == ErrorCode::Session(LIBSSH2_ERROR_TIMEOUT) => {
                return Err(FetchError::new(describe(&e, l.t)))
            }
            _ => tried.push("password by keyboard-interactive".into()),
        }
    } else if !offers("password") {
        tried.push(format!("no password: the server takes only {methods}"));
    }
    Ok(false)
}

pub fn authenticate(sess: &Session, l: &Login) -> Result<(), FetchError> {
    let mut tried: Vec<String> = Vec::new();
    match by_agent(sess, l)? {
        Outcome::In => return Ok(()),
        Outcome::Refused(what) => tried.push(what),
        Outcome::Nothing => {}
    }
    if by_keys(sess, l, &mut tried)? || by_password(sess, l, &mut tried)? {
        return Ok(());
    }
    let tried = if tried.is_empty() {
        "nothing to try: no agent, none of the identity files exists, no password configured"
            .to_owned()
    } else {
        format!("tried {}", tried.join(", "))
    };
    Err(FetchError::fatal(format!(
        "authentication failed for user {} ({tried})",
        l.user
    )))
}
