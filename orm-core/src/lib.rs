//! Runtime of the `orm` crate: engine, session, identity map, unit of work, relationships
//! and SQL. Users depend on `orm`, which re-exports this crate and the `#[derive(Table)]`
//! macro; see its documentation for the tour.

#![warn(missing_docs)]

mod backend;
mod collect;
mod engine;
mod error;
mod identity;
mod loader;
mod object;
mod query;
mod relation;
mod schema;
#[cfg(feature = "serde")]
mod serialize;
mod session;
mod sql;
mod table;
mod types;
mod unit_of_work;
mod value;

pub use backend::{DbError, DbErrorKind, Dialect};
pub use collect::collect_cycles;
pub use engine::{Captured, Config, Engine, JournalMode, Recorded, Statement, Synchronous};
pub use error::{Error, Result};
pub use loader::{joined, lazyload, selectin, Load, LoadOptions};
pub use object::{ReadGuard, Status, Tracked, WriteGuard};
pub use query::func;
pub use query::{
    delete, select, update, Aggregate, BulkStatement, Column, Delete, Expr, Nullable, Operand,
    Order, Relation, Scalar, Select, SelectItem, SelectValues, Selectable, Selection, SortKey,
    SortTerm, Text, Update, ValuesRow,
};
pub use relation::{Many, One};
pub use schema::{
    ColumnDef, ForeignKeyDef, Lazy, OnDelete, RelationDef, RelationKind, TableMeta, Tables,
};
pub use session::{ColumnHistory, Param, Params, Rows, Session};
pub use table::Table;
#[cfg(feature = "serde_json")]
pub use types::Json;
pub use value::{ColumnType, ConvertError, Key, KeyPart, SqlType, Value, ValueRef};

// The crates of the enabled column-type features, so that their types are named with the
// versions this crate implements `ColumnType` for: `orm::chrono::NaiveDate`.
#[cfg(feature = "chrono")]
pub use chrono;
#[cfg(feature = "rust_decimal")]
pub use rust_decimal;
#[cfg(feature = "serde")]
pub use serde;
#[cfg(feature = "serde_json")]
pub use serde_json;
#[cfg(feature = "time")]
pub use time;
#[cfg(feature = "uuid")]
pub use uuid;

/// What generated code needs; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::query::sort_terms;
    pub use crate::relation::{CellRef, Reassignment, RelationField};
    pub use crate::schema::{
        ambiguous_foreign_keys, back_populates_agree, count_foreign_keys, find_column,
        find_relation, one_kind, references_table, reverse_key_unique, same_kind, same_table,
    };
    pub use crate::table::{convert, factory, Factory, RowReader};
    pub use std::sync::Arc;
    pub use std::vec::Vec;
}
