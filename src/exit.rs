//! Exit codes (SPEC §5).

pub const OK: i32 = 0;
/// Config, database, or nothing could be read.
pub const ERROR: i32 = 1;
/// Bad command line (clap exits with it).
pub const USAGE: i32 = 2;
/// The poll completed but some collectors failed.
pub const PARTIAL: i32 = 3;
/// Another poll holds the lock.
pub const LOCKED: i32 = 75;

/// The code for an error that ended a command.
pub fn for_error(e: &anyhow::Error) -> i32 {
    if e.downcast_ref::<crate::store::lock::LockHeld>().is_some() {
        LOCKED
    } else {
        ERROR
    }
}

/// A write to a closed stdout (`fcstats ... | head`) is not an error.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
