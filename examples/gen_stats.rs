//! Generates `exporter_device_stats.txt` files in the real 46-column format,
//! for benchmarks and trials: K collectors, N rows each, an optional interface
//! column, a share of rows at 0 bps, and a share also listed (at 0) on the next
//! collector, as after a migration.
//!
//!     cargo run --release --example gen_stats -- --out /tmp/fc --collectors 4 --rows 62500

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Folder for fc-1.txt ... fc-K.txt (created if missing)
    #[arg(long)]
    out: PathBuf,
    /// Collectors (files)
    #[arg(long, default_value_t = 4)]
    collectors: usize,
    /// Rows per collector (its own exporters, or exporter+interface keys)
    #[arg(long, default_value_t = 62_500)]
    rows: usize,
    /// Add an `Interface` column: 10 interfaces per exporter
    #[arg(long)]
    interfaces: bool,
    /// Share of rows at 0 bps
    #[arg(long, default_value_t = 0.1)]
    zero: f64,
    /// Share of rows also listed (at 0 bps) on the next collector
    #[arg(long, default_value_t = 0.05)]
    shared: f64,
    /// Seed, so that a run can be repeated; another seed changes about 1% of the rates' zero/non-zero
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

const COLUMNS: [&str; 46] = [
    "Exporter Address", "Last Active", "Status", "Interfaces", "Utilization In", "Utilization Out",
    "Current Input Rate fps", "Max Input Rate fps", "Avg Input Rate fps", "NetFlow Version",
    "Total NetFlow Packets", "Total Flows", "Total Duplicates", "Longest Duration",
    "Inactive Time Detected", "Insane PDU Time Detected", "Insane Pkts Octets Time Detected",
    "Insane Protocol Dst Address Time Detected", "Insane Flow Times Detected", "PDU Time",
    "PO Packets", "PO Octets", "PO Protocol", "PO Src Address", "PO Dst Address", "PO First",
    "PO Last", "PD Packets", "PD Octets", "PD Protocol", "PD Src Address", "PD Dst Address",
    "PD First", "PD Last", "FT Packets", "FT Octets", "FT Protocol", "FT Src Address",
    "FT Dst Address", "FT First", "FT Last", "IV Time", "ID Time", "Current NetFlow bps",
    "Maximum NetFlow bps", "Average NetFlow bps",
];

/// A hash of (row, salt) in [0, 1).
fn unit(i: u64, salt: u64) -> f64 {
    let mut x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ salt.wrapping_mul(0xd1b5_4a32_d192_ed03);
    x ^= x >> 31;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

fn row(w: &mut impl Write, key: u64, interfaces: bool, bps: u64, at: u64) -> std::io::Result<()> {
    let ex = key / if interfaces { 10 } else { 1 };
    write!(w, "10.{}.{}.{}\t{at}\t1\t8", (ex >> 16) & 255, (ex >> 8) & 255, ex & 255)?;
    for _ in 4..43 {
        w.write_all(b"\t0")?;
    }
    write!(w, "\t{bps}\t{}\t{bps}", bps * 2)?;
    if interfaces {
        write!(w, "\tGi0/{}", key % 10)?;
    }
    w.write_all(b"\n")
}

fn main() -> std::io::Result<()> {
    let a = Args::parse();
    std::fs::create_dir_all(&a.out)?;
    let k = a.collectors as u64;
    let n = a.rows as u64;
    for c in 0..k {
        let path = a.out.join(format!("fc-{}.txt", c + 1));
        let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
        w.write_all(COLUMNS.join("\t").as_bytes())?;
        if a.interfaces {
            w.write_all(b"\tInterface")?;
        }
        w.write_all(b"\n")?;
        // Own keys: c*n .. (c+1)*n.
        for i in 0..n {
            let key = c * n + i;
            // The zero/non-zero choice moves for ~1% of keys when the seed changes.
            let salt = if unit(key, 7) < 0.01 { a.seed } else { 0 };
            let bps = if unit(key, salt) < a.zero { 0 } else { 1000 + key % 100_000 };
            row(&mut w, key, a.interfaces, bps, 1_600_201_199)?;
        }
        // The previous collector's keys that migrated here earlier, listed at 0.
        let prev = (c + k - 1) % k;
        for i in 0..n {
            let key = prev * n + i;
            if k > 1 && unit(key, 3) < a.shared {
                row(&mut w, key, a.interfaces, 0, 0)?;
            }
        }
        w.flush()?;
        eprintln!("{}: {} bytes", path.display(), std::fs::metadata(&path)?.len());
    }
    Ok(())
}
