//! Generates `exporter_device_stats.txt` files in the real 46-column format,
//! for benchmarks and trials: K collectors, N rows each, an optional interface
//! column, a share of rows at 0 bps, and a share also listed (at 0) on the next
//! collector, as after a migration.
//!
//!     cargo run --release --example gen_stats -- --out /tmp/fc --collectors 4 --rows 62500

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::Parser;
use fcstats::testdata::{self, Spec};

#[derive(Parser)]
struct Args {
    /// Folder for fc-1.txt ... fc-K.txt (created if missing)
    #[arg(long)]
    out: PathBuf,
    /// Collectors (files)
    #[arg(long, default_value_t = 4)]
    collectors: u64,
    /// Rows per collector (its own exporters, or exporter+interface keys)
    #[arg(long, default_value_t = 62_500)]
    rows: u64,
    /// Add an `Interface` column: 10 interfaces per exporter
    #[arg(long)]
    interfaces: bool,
    /// Share of rows at 0 bps
    #[arg(long, default_value_t = 0.1)]
    zero: f64,
    /// Share of rows also listed (at 0 bps) on the next collector
    #[arg(long, default_value_t = 0.05)]
    shared: f64,
    /// Another seed moves about 1% of the rows between 0 and non-zero
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Rows in another order for each seed (by default the order never changes)
    #[arg(long)]
    shuffle: bool,
}

fn main() -> std::io::Result<()> {
    let a = Args::parse();
    std::fs::create_dir_all(&a.out)?;
    let spec = Spec {
        collectors: a.collectors,
        rows: a.rows,
        interfaces: a.interfaces,
        zero: a.zero,
        shared: a.shared,
        seed: a.seed,
        shuffle: a.shuffle,
    };
    for c in 0..a.collectors {
        let path = a.out.join(format!("fc-{}.txt", c + 1));
        let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
        testdata::write(&mut w, &spec, c)?;
        w.flush()?;
        eprintln!(
            "{}: {} bytes",
            path.display(),
            std::fs::metadata(&path)?.len()
        );
    }
    Ok(())
}
