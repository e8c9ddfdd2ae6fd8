//! fcstats as a library: the stages of a poll (`source → stats → aggregate →
//! state → store → report/notify → output`) and the commands over them. The
//! binary (`main.rs`) only parses arguments and dispatches; benchmarks and
//! examples use the stages directly.

pub mod aggregate;
pub mod check;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod exit;
pub mod legacy_csv;
pub mod logging;
pub mod maintenance;
pub mod metrics;
pub mod model;
pub mod notify;
pub mod output;
pub mod report;
pub mod secret;
pub mod signals;
pub mod source;
pub mod state;
pub mod stats;
pub mod store;
pub mod testdata;
pub mod time;
