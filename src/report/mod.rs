//! The five answers (SPEC §4): windows, accounting, and the history they read.

pub mod accounting;
pub mod history;
pub mod timeline;
pub mod window;
