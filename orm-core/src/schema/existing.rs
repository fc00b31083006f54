//! Foreign keys to tables that are already in the database but not among the models given
//! to `create_all`: the referenced column must exist there, with a type of the same kind.
//! The database describes the table (SQLite's `table_info`, PostgreSQL's
//! `information_schema.columns`); the check runs before anything is created and names the
//! field at fault, as the checks between models of the set do.

use super::{ColumnDef, ForeignKeyDef, TableMeta};
use crate::error::{Error, Result};

/// Checks foreign key `fk` of column `c` of table `t` against the columns `(name, declared
/// type)` the database has for the referenced table (none: the table does not exist).
pub(crate) fn check_existing_reference(
    t: &TableMeta,
    c: &ColumnDef,
    fk: &ForeignKeyDef,
    columns: &[(String, String)],
) -> Result<()> {
    if columns.is_empty() {
        return Err(Error::Schema(format!(
            "`{}.{}`: foreign_key = \"{}.{}\" names table `{}`, which is neither created here nor in the database; add its model to create_all, or correct the name",
            t.rust_name, c.field, fk.table, fk.column, fk.table
        )));
    }
    let Some((_, ty)) = columns
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(fk.column))
    else {
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        return Err(Error::Schema(format!(
            "`{}.{}`: foreign_key = \"{}.{}\" names a column table `{}` (in the database) does not have; name one of its columns ({})",
            t.rust_name,
            c.field,
            fk.table,
            fk.column,
            fk.table,
            names.join(", ")
        )));
    };
    if type_kind(ty) != type_kind(c.sql_type) && type_kind(ty) != type_kind(c.postgres_type) {
        return Err(Error::Schema(format!(
            "`{}.{}` is {} but its foreign key `{}.{}` is {} in the database; give the field a type stored as {}",
            t.rust_name, c.field, c.sql_type, fk.table, fk.column, ty, ty
        )));
    }
    Ok(())
}

/// The kind of a declared SQL type, by SQLite's affinity rules (a name containing `INT` is
/// an integer, `CHAR`, `CLOB` or `TEXT` text, `REAL`, `FLOA` or `DOUB` a real, `BLOB` or
/// `BYTEA` bytes), and otherwise the name itself, so that `VARCHAR` and `TEXT`, or `INTEGER`
/// and `BIGINT`, are compatible and `VARCHAR` and `INTEGER` are not.
fn type_kind(declared: &str) -> String {
    let ty = declared.to_ascii_uppercase();
    let kind = if ty.contains("INT") || ty.contains("SERIAL") {
        "integer"
    } else if ty.contains("CHAR") || ty.contains("CLOB") || ty.contains("TEXT") {
        "text"
    } else if ty.contains("REAL") || ty.contains("FLOA") || ty.contains("DOUB") {
        "real"
    } else if ty.contains("BLOB") || ty.contains("BYTEA") || ty.is_empty() {
        "blob"
    } else {
        return ty.split('(').next().unwrap_or_default().trim().to_owned();
    };
    kind.to_owned()
}

#[cfg(test)]
mod tests {
    use super::type_kind;

    #[test]
    fn kinds_follow_sqlite_affinity() {
        assert_eq!(type_kind("INTEGER"), type_kind("bigint"));
        assert_eq!(type_kind("VARCHAR"), type_kind("TEXT"));
        assert_eq!(type_kind("character varying"), type_kind("VARCHAR(32)"));
        assert_ne!(type_kind("VARCHAR"), type_kind("INTEGER"));
        assert_eq!(type_kind("NUMERIC(10, 2)"), "NUMERIC");
    }
}
