//! Reading a database file back as text, to compare its rows before and after, or across
//! two databases.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::fmt::Write as _;
use std::path::Path;

/// The tables an import writes, each with the order its rows are listed in.
pub const IMPORT_TABLES: [(&str, &str); 5] = [
    ("customers", "id"),
    ("customer_keys", "id"),
    ("orders", "id"),
    ("order_lines", "order_id, line_no"),
    ("settings", "key"),
];

/// Columns that hold when something was done (the wall clock), not what was stored.
pub const CLOCK_COLUMNS: [&str; 4] = ["created_utc", "started_utc", "finished_utc", "updated_utc"];

/// Every row of `tables` (name, `ORDER BY` terms) as one line of text, in a stable order,
/// without the columns named in `left_out`.
pub fn table_rows(db: &Path, tables: &[(&str, &str)], left_out: &[&str]) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut rows = Vec::new();
    for (table, order) in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .unwrap();
        let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let mut query = stmt.query([]).unwrap();
        while let Some(row) = query.next().unwrap() {
            let mut line = format!("{table}:");
            for (i, name) in names.iter().enumerate() {
                if !left_out.contains(&name.as_str()) {
                    write!(line, " {name}={:?}", row.get_ref(i).unwrap()).unwrap();
                }
            }
            rows.push(line);
        }
    }
    rows
}
