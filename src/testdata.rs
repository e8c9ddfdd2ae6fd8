//! Stats files in the real 46-column format, made up: for benchmarks, trials
//! (`examples/gen_stats.rs`) and the bench (`examples/bench.rs`).

use std::io::{self, Write};

/// The real header, in the real order.
pub const COLUMNS: [&str; 46] = [
    "Exporter Address",
    "Last Active",
    "Status",
    "Interfaces",
    "Utilization In",
    "Utilization Out",
    "Current Input Rate fps",
    "Max Input Rate fps",
    "Avg Input Rate fps",
    "NetFlow Version",
    "Total NetFlow Packets",
    "Total Flows",
    "Total Duplicates",
    "Longest Duration",
    "Inactive Time Detected",
    "Insane PDU Time Detected",
    "Insane Pkts Octets Time Detected",
    "Insane Protocol Dst Address Time Detected",
    "Insane Flow Times Detected",
    "PDU Time",
    "PO Packets",
    "PO Octets",
    "PO Protocol",
    "PO Src Address",
    "PO Dst Address",
    "PO First",
    "PO Last",
    "PD Packets",
    "PD Octets",
    "PD Protocol",
    "PD Src Address",
    "PD Dst Address",
    "PD First",
    "PD Last",
    "FT Packets",
    "FT Octets",
    "FT Protocol",
    "FT Src Address",
    "FT Dst Address",
    "FT First",
    "FT Last",
    "IV Time",
    "ID Time",
    "Current NetFlow bps",
    "Maximum NetFlow bps",
    "Average NetFlow bps",
];

/// What to generate for one collector.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub collectors: u64,
    /// Rows of its own per collector.
    pub rows: u64,
    /// An `Interface` column, 10 interfaces per exporter.
    pub interfaces: bool,
    /// Share of rows at 0 bps.
    pub zero: f64,
    /// Share of the previous collector's rows also listed here at 0 bps.
    pub shared: f64,
    /// Another seed moves about 1% of the rows between 0 and non-zero.
    pub seed: u64,
    /// Rows in an order of their own for each seed (a collector that writes
    /// its exporters in another order at every dump); otherwise the same
    /// order every time.
    pub shuffle: bool,
}

/// A hash of (i, salt) in [0, 1).
fn unit(i: u64, salt: u64) -> f64 {
    let mut x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ salt.wrapping_mul(0xd1b5_4a32_d192_ed03);
    x ^= x >> 31;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

fn row(w: &mut impl Write, key: u64, interfaces: bool, bps: u64, active: u64) -> io::Result<()> {
    let ex = key / if interfaces { 10 } else { 1 };
    write!(
        w,
        "10.{}.{}.{}\t{active}\t1\t8\t3\t2\t118\t198\t108\t9",
        (ex >> 16) & 255,
        (ex >> 8) & 255,
        ex & 255
    )?;
    write!(
        w,
        "\t{}\t{}\t{}\t61\t0\t{active}\t0\t0\t0\t1355297508",
        361_655 + key,
        6_330_034 + key,
        2_895_234
    )?;
    w.write_all(b"\t0\t0\t0\t0.0.0.0\t0.0.0.0\t0\t0\t0\t0\t0\t0.0.0.0\t0.0.0.0\t0\t0\t0\t0\t0\t0.0.0.0\t0.0.0.0\t0\t0\t0\t0")?;
    write!(w, "\t{bps}\t{}\t{}", bps * 2, bps / 2 + 17)?;
    if interfaces {
        write!(w, "\tGi0/{}", key % 10)?;
    }
    w.write_all(b"\n")
}

/// Collector `c`'s file (0-based) into `w`.
pub fn write(w: &mut impl Write, s: &Spec, c: u64) -> io::Result<()> {
    w.write_all(COLUMNS.join("\t").as_bytes())?;
    if s.interfaces {
        w.write_all(b"\tInterface")?;
    }
    w.write_all(b"\n")?;
    // (key, bps, active) of every row: its own, then the previous
    // collector's it also lists, at 0.
    let own = (0..s.rows).map(|i| {
        let key = c * s.rows + i;
        let salt = if unit(key, 7) < 0.01 { s.seed } else { 0 };
        let bps = if unit(key, salt) < s.zero {
            0
        } else {
            1000 + key % 100_000
        };
        (key, bps, 1_600_201_199)
    });
    let prev = (c + s.collectors - 1) % s.collectors;
    let shared = (0..s.rows)
        .map(|i| prev * s.rows + i)
        .filter(|&key| s.collectors > 1 && unit(key, 3) < s.shared)
        .map(|key| (key, 0, 0));
    let mut rows: Vec<(u64, u64, u64)> = own.chain(shared).collect();
    if s.shuffle {
        rows.sort_by(|a, b| unit(a.0, s.seed + 1000).total_cmp(&unit(b.0, s.seed + 1000)));
    }
    for (key, bps, active) in rows {
        row(w, key, s.interfaces, bps, active)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &Spec) -> Vec<String> {
        let mut out = Vec::new();
        write(&mut out, s, 1).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split('\t').next().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn shuffled_files_list_the_same_exporters_in_another_order_per_seed() {
        let spec = |seed, shuffle| Spec {
            collectors: 3,
            rows: 200,
            interfaces: false,
            zero: 0.1,
            shared: 0.2,
            seed,
            shuffle,
        };
        let plain = lines(&spec(1, false));
        // 200 of its own (10.0.0.200 on) and 38 of the previous collector's (shared 0.2).
        assert_eq!(plain[0], "10.0.0.200");
        assert_eq!(plain.len(), 238);
        assert_eq!(lines(&spec(2, false)), plain);
        let (a, b) = (lines(&spec(1, true)), lines(&spec(2, true)));
        assert_ne!(a, plain);
        assert_ne!(a, b);
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        assert_eq!(sorted(a), sorted(plain.clone()));
        assert_eq!(sorted(b), sorted(plain));
    }
}
