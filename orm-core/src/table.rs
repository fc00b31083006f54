//! The [`Table`] trait, which `#[derive(Table)]` implements: the struct's metadata plus the
//! small glue the runtime needs (read and write a column by index, build the struct from a
//! row, list its relationship fields). The runtime does all the work; generated code only
//! describes.

use std::sync::Weak;

use crate::backend::{DbError, Row};
use crate::error::{Error, Result};
use crate::object::{ObjRef, Tracked};
use crate::relation::{CellRef, Reassignment};
use crate::schema::{ColumnDef, RelationDef, TableMeta};
use crate::session::SessionShared;
use crate::value::{ConvertError, Key, SqlType, Value, ValueRef};

/// A struct stored as rows of one table. Implement it with `#[derive(Table)]`.
pub trait Table: Sized + Send + Sync + 'static {
    /// The table name.
    const TABLE_NAME: &'static str;
    /// The columns, in field order.
    #[doc(hidden)]
    const COLUMNS: &'static [ColumnDef];
    /// The relationship fields, in field order.
    #[doc(hidden)]
    const RELATIONS: &'static [RelationDef];

    /// The table's metadata.
    fn meta() -> &'static TableMeta;

    /// The value of column `index`.
    #[doc(hidden)]
    fn column_value(&self, index: usize) -> Value;

    /// Whether column `index` holds `value` (what `column_value` would give), without
    /// building the value where the field's type can tell.
    #[doc(hidden)]
    fn column_equals(&self, index: usize, value: &Value) -> bool {
        self.column_value(index) == *value
    }

    /// Sets column `index` from a value.
    #[doc(hidden)]
    fn set_column(&mut self, index: usize, value: &Value) -> Result<(), ConvertError>;

    /// Whether `value` fits column `index`'s field (what `set_column` would say), without
    /// changing anything.
    #[doc(hidden)]
    fn check_column(index: usize, value: &Value) -> Result<(), ConvertError>;

    /// Builds the struct from a row holding every column in order; relationships unloaded.
    #[doc(hidden)]
    fn from_row(row: &RowReader<'_>) -> Result<Self>;

    /// Builds a new struct from every column's value in order (`values` holds one per
    /// column); relationships empty, skipped fields at their default.
    #[doc(hidden)]
    fn from_values(values: &[Value]) -> Result<Self, ConvertError>;

    /// Overwrites the column fields from a row, keeping relationship fields.
    #[doc(hidden)]
    fn load_row(&mut self, row: &RowReader<'_>) -> Result<()>;

    /// The relationship fields' shared cells, in declaration order.
    #[doc(hidden)]
    fn relation_cells(&self) -> Vec<CellRef>;

    /// Puts the bound cells back into relationship fields the user assigned anew, and returns
    /// what the assignments asked for.
    #[doc(hidden)]
    fn restore_relations(&mut self, bound: &[CellRef]) -> Vec<Reassignment>;

    /// Every column's value, in column order.
    fn column_values(&self) -> Vec<Value> {
        (0..Self::COLUMNS.len())
            .map(|i| self.column_value(i))
            .collect()
    }

    /// Wraps the value in a handle the session can track: the object as the session knows
    /// it, shared by everything that refers to this row.
    fn track(self) -> Tracked<Self> {
        Tracked::new(self)
    }
}

/// A row being decoded into a struct; reports which column failed and why. The struct's
/// columns start at `offset` in the row (after another table's, in a joined load).
#[doc(hidden)]
pub struct RowReader<'a> {
    pub(crate) row: &'a Row<'a>,
    pub(crate) meta: &'static TableMeta,
    pub(crate) offset: usize,
}

impl<'a> RowReader<'a> {
    pub(crate) fn new(row: &'a Row<'a>, meta: &'static TableMeta) -> Self {
        RowReader {
            row,
            meta,
            offset: 0,
        }
    }
}

impl RowReader<'_> {
    /// The raw value of the struct's column `index`.
    pub(crate) fn raw(&self, index: usize) -> Result<ValueRef<'_>, DbError> {
        self.row.get_ref(self.offset + index)
    }

    /// Reads column `index` as `V`.
    pub fn get<V: SqlType>(&self, index: usize) -> Result<V> {
        let decode_error = |message: String| Error::Decode {
            table: self.meta.name,
            column: self.meta.columns.get(index).map_or("?", |c| c.name),
            message,
        };
        let raw = self.raw(index).map_err(|e| decode_error(e.to_string()))?;
        V::from_sql(raw).map_err(|e| decode_error(e.0))
    }
}

/// Builds the tracked object of a loaded row for a table known only by its metadata (what a
/// relationship loader has in hand). The derive passes [`factory`] of the struct to
/// `TableMeta::new`.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Factory(pub(crate) fn(&RowReader<'_>, Weak<SessionShared>, Key) -> Result<ObjRef>);

impl std::fmt::Debug for Factory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Factory")
    }
}

#[cfg(test)]
impl Factory {
    /// For metadata with no struct behind it (unit tests of SQL text): building fails.
    pub(crate) const NONE: Factory =
        Factory(|_, _, _| Err(Error::Schema("no struct behind this table".into())));
}

/// The [`Factory`] of `T`.
#[doc(hidden)]
pub const fn factory<T: Table>() -> Factory {
    Factory(build_object::<T>)
}

fn build_object<T: Table>(
    row: &RowReader<'_>,
    session: Weak<SessionShared>,
    key: Key,
) -> Result<ObjRef> {
    Ok(Tracked::<T>::from_row(row, session, key)?.erased())
}

/// Converts a value for `set_column`, naming the column on failure.
#[doc(hidden)]
pub fn convert<V: SqlType>(value: &Value) -> Result<V, ConvertError> {
    V::from_sql(value.as_ref())
}
