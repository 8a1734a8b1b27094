//! Hand-written SQL that runs unchanged on SQLite and PostgreSQL.

use sea_orm::{DbBackend, Statement, Value};

/// A statement from SQL written with `?` placeholders, numbered `$1, $2…` for PostgreSQL.
/// The SQL must not contain `?` anywhere else.
pub fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => {
            let mut numbered = String::with_capacity(sql.len() + 8);
            let mut index = 0;
            for ch in sql.chars() {
                if ch == '?' {
                    index += 1;
                    numbered.push('$');
                    numbered.push_str(&index.to_string());
                } else {
                    numbered.push(ch);
                }
            }
            numbered
        }
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// `?, ?, ?` for `n` values (`n` ≥ 1).
pub fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_only() {
        let pg = statement(DbBackend::Postgres, "a = ? AND b IN (?, ?)", vec![]);
        assert_eq!(pg.sql, "a = $1 AND b IN ($2, $3)");
        let lite = statement(DbBackend::Sqlite, "a = ?", vec![]);
        assert_eq!(lite.sql, "a = ?");
        assert_eq!(placeholders(3), "?, ?, ?");
    }
}
