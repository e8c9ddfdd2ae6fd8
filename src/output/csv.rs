//! Comma-separated (RFC 4180 quoting, by the csv crate).

use super::{Format, Report};

pub struct Csv;

impl Format for Csv {
    fn render(&self, r: &Report, header: bool) -> Vec<u8> {
        let mut w = ::csv::Writer::from_writer(Vec::new());
        if header {
            w.write_record(&r.columns).expect("writing to memory");
        }
        for row in &r.rows {
            w.write_record(row.iter().map(|v| v.machine()))
                .expect("writing to memory");
        }
        w.into_inner().expect("writing to memory")
    }
}
