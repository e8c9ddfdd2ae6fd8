//! Maintenance windows in the database (`fcstats maintenance`, SPEC §10).

use anyhow::{Context, Result};
use rusqlite::{params, OptionalExtension};

use super::Store;
use crate::maintenance::{Scope, Window};
use crate::model::Key;

fn window(r: &rusqlite::Row) -> rusqlite::Result<(Window, String)> {
    let text: String = r.get(1)?;
    Ok((
        Window {
            id: Some(r.get(0)?),
            scope: Scope::All,
            from: r.get(2)?,
            to: r.get(3)?,
            reason: r.get(4)?,
            who: r.get(5)?,
        },
        text,
    ))
}

impl Store {
    pub fn add_window(&self, w: &Window, created: i64) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO maintenance (scope, from_at, to_at, reason, who, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![w.scope.text(), w.from, w.to, w.reason, w.who, created],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The windows that overlap [from, to), by start.
    pub fn windows(&self, from: i64, to: i64) -> Result<Vec<Window>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, scope, from_at, to_at, reason, who FROM maintenance \
             WHERE to_at > ?1 AND from_at < ?2 ORDER BY from_at, id",
        )?;
        let rows = stmt.query_map([from, to], window)?;
        rows.map(|r| {
            let (mut w, text) = r?;
            w.scope = Scope::parse(&text).with_context(|| {
                format!("maintenance window {}: scope `{text}`", w.id.unwrap_or(0))
            })?;
            Ok(w)
        })
        .collect()
    }

    /// Ends a window at `now` (if it has not ended): whether it was there.
    pub fn end_window(&self, id: i64, now: i64) -> Result<Option<Window>> {
        let Some(w) = self.window(id)? else {
            return Ok(None);
        };
        self.conn.execute(
            "UPDATE maintenance SET to_at = min(to_at, max(from_at, ?2)) WHERE id = ?1",
            params![id, now],
        )?;
        Ok(Some(w))
    }

    pub fn remove_window(&self, id: i64) -> Result<Option<Window>> {
        let w = self.window(id)?;
        self.conn
            .execute("DELETE FROM maintenance WHERE id = ?1", [id])?;
        Ok(w)
    }

    fn window(&self, id: i64) -> Result<Option<Window>> {
        let row = self
            .conn
            .query_row(
                "SELECT id, scope, from_at, to_at, reason, who FROM maintenance WHERE id = ?1",
                [id],
                window,
            )
            .optional()?;
        row.map(|(mut w, text)| {
            w.scope = Scope::parse(&text)?;
            Ok(w)
        })
        .transpose()
    }

    /// Keys down (known) since a time in [from, to), with the owner's name.
    pub fn down_since(&self, from: i64, to: i64) -> Result<Vec<(Key, i64, Option<String>)>> {
        let mut stmt = self.conn.prepare(
            "SELECT k.exporter, k.interface, k.since, c.name FROM key k \
             LEFT JOIN collector c ON c.id = k.owner \
             WHERE k.state = 0 AND k.unknown_since IS NULL AND k.since >= ?1 AND k.since < ?2",
        )?;
        let rows = stmt.query_map([from, to], |r| {
            Ok((
                Key::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                r.get(2)?,
                r.get(3)?,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
