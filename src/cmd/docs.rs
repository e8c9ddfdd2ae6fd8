//! `fcstats completions SHELL` and `fcstats man`: generated from the command
//! line definition, so they never drift from it.

use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::Cli;
use crate::exit;

pub fn completions(shell: clap_complete::Shell) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut Cli::command(), "fcstats", &mut out);
    Ok(exit::OK)
}

/// The main page on stdout; with `dir`, every page (the main one, which
/// refers to the others, and one per subcommand) written there.
pub fn man(dir: Option<&Path>) -> Result<i32> {
    match dir {
        None => clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout().lock())?,
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(Cli::command(), dir)
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
            log::info!("man pages written to {}", dir.display());
        }
    }
    Ok(exit::OK)
}
