//! `fcstats completions SHELL` and `fcstats man`: generated from the command
//! line definition, so they never drift from it.

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::Cli;
use crate::exit;

pub fn completions(shell: clap_complete::Shell) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut Cli::command(), "fcstats", &mut out);
    Ok(exit::OK)
}

pub fn man() -> Result<i32> {
    clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout().lock())?;
    Ok(exit::OK)
}
