//! Values crossing the Rust/SQL border: [`Value`] (an owned SQL value), the [`ColumnType`]
//! trait that maps a Rust type to a column type and back (implemented here for the built-in
//! types; `types` holds the others), [`SqlType`], what a field's type is (a column type or an
//! `Option` of one), and [`Key`], the primary key of a row as the identity map hashes it.
//! Nothing here knows about sessions.

use std::fmt::{self, Write as _};

/// One SQL value as a row holds it, borrowed: what [`SqlType::from_sql`] reads a field from.
/// Text is UTF-8 bytes as the database stored them (checked when read into a `String`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueRef<'a> {
    /// `NULL`.
    Null,
    /// An integer (booleans read as 0/1).
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text, as UTF-8 bytes.
    Text(&'a [u8]),
    /// Bytes.
    Blob(&'a [u8]),
}

/// One SQL value, owned.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `NULL`.
    Null,
    /// An integer (booleans are stored as 0/1).
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl Value {
    /// Whether this is `NULL`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as a SQL literal, the way the echo prints it: `'text'` with quotes doubled,
    /// numbers, `NULL`, `X'..'` for blobs.
    pub fn to_literal(&self) -> String {
        let mut out = String::new();
        self.write_literal(&mut out);
        out
    }

    pub(crate) fn write_literal(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("NULL"),
            Value::Integer(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Real(f) => {
                if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
                    let _ = write!(out, "{f:.1}");
                } else {
                    let _ = write!(out, "{f}");
                }
            }
            Value::Text(s) => {
                out.push('\'');
                out.push_str(&s.replace('\'', "''"));
                out.push('\'');
            }
            Value::Blob(b) => {
                out.push_str("X'");
                for byte in b {
                    let _ = write!(out, "{byte:02X}");
                }
                out.push('\'');
            }
        }
    }

    /// The owned copy of a borrowed value (text that is not UTF-8 is repaired lossily).
    pub fn from_ref(v: ValueRef<'_>) -> Value {
        match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }

    /// The value, borrowed.
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }
    }
}

/// Writes a parameter list the way the echo prints it: `('a', 1, NULL)`.
pub(crate) fn params_literal(values: &[Value]) -> String {
    let mut out = String::from("(");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        v.write_literal(&mut out);
    }
    if values.len() == 1 {
        out.push(',');
    }
    out.push(')');
    out
}

/// Why a SQL value could not become a field value.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertError(pub String);

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Rust type that can be stored in a column: the one trait to implement for a type of
/// your own. `Option<T>` of any `ColumnType` is then a nullable column of it, with nothing
/// more to write, and fields of the type work in typed filters (`Event::at.gt(date)`).
///
/// Most types need no hand-written implementation: `#[derive(ColumnType)]` stores a
/// fieldless enum as text or an integer, and a newtype (`struct Email(String)`) as the type
/// it wraps. Implement the trait by hand for anything else, converting to and from one of
/// the five SQL values ([`Value`]):
///
/// ```
/// use orm::{ColumnType, ConvertError, Value, ValueRef};
///
/// /// A point stored as the text `x,y`.
/// #[derive(Debug, Clone, Copy, PartialEq, Default)]
/// pub struct Point {
///     pub x: i32,
///     pub y: i32,
/// }
///
/// impl ColumnType for Point {
///     const SQL_TYPE: &'static str = "VARCHAR";
///     fn to_value(&self) -> Value {
///         Value::Text(format!("{},{}", self.x, self.y))
///     }
///     fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
///         let ValueRef::Text(bytes) = v else {
///             return Err(ConvertError::expected("text 'x,y'", v));
///         };
///         let text = std::str::from_utf8(bytes).map_err(|e| ConvertError(e.to_string()))?;
///         let parse = |s: &str| s.trim().parse().map_err(|_| ConvertError(format!("not a point: '{text}'")));
///         let (x, y) = text.split_once(',').ok_or_else(|| ConvertError(format!("not a point: '{text}'")))?;
///         Ok(Point { x: parse(x)?, y: parse(y)? })
///     }
/// }
///
/// # use orm::prelude::*;
/// #[derive(Table, Debug, Default)]
/// pub struct Place {
///     #[orm(primary_key)]
///     pub id: Option<i64>,
///     pub at: Point,
///     pub entrance: Option<Point>,
/// }
/// # fn main() -> orm::Result<()> {
/// let engine = Engine::memory()?;
/// engine.create_all::<(Place,)>()?;
/// let session = Session::new(&engine);
/// session.add(&Place { at: Point { x: 1, y: 2 }, ..Default::default() }.track())?;
/// let q = select::<Place>().filter(Place::at.eq(Point { x: 1, y: 2 }));
/// assert_eq!(session.exec(q)?.one()?.read()?.entrance, None);
/// # Ok(())
/// # }
/// ```
///
/// Implemented for `i64`, `i32`, `i16`, `i8`, `u32`, `u64` and `usize` (both checked to fit
/// SQLite's signed 64-bit integers when written), `bool`, `f64`, `f32`, `String`, `Vec<u8>`,
/// and, behind cargo features, for the types of `chrono`, `time`, `uuid`, `serde_json` and
/// `rust_decimal` (see the crate documentation for their storage forms).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in a column",
    label = "unsupported column type",
    note = "supported: i64, i32, i16, i8, u32, u64, usize, bool, f64, f32, String, Vec<u8>, types of the enabled features (chrono, time, uuid, serde_json, rust_decimal), and Option<T> of each; store your own type with #[derive(orm::ColumnType)] (enums, newtypes) or by implementing orm::ColumnType; relationships are One<T> or Many<T> with #[orm(relationship(...))]"
)]
pub trait ColumnType: Sized {
    /// The column type in DDL, as SQLAlchemy writes it (`INTEGER`, `VARCHAR`, ...). It also
    /// gives the column its SQLite type affinity.
    const SQL_TYPE: &'static str;
    /// The column type in PostgreSQL's DDL (`BIGINT`, `DOUBLE PRECISION`, `BYTEA`, ...);
    /// the SQLite name when PostgreSQL knows it too.
    const POSTGRES_TYPE: &'static str = Self::SQL_TYPE;
    /// The value to bind.
    fn to_value(&self) -> Value;
    /// Reads the value from a column; `NULL` is an error here (an `Option<Self>` field reads
    /// it as `None` without asking).
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError>;
    /// Whether [`to_value`](Self::to_value) would give `value`: how a flush finds the
    /// columns that changed. Override it only to say the same without building the value
    /// (`String` compares its text in place).
    fn equals_value(&self, value: &Value) -> bool {
        self.to_value() == *value
    }
}

/// The type of a field stored in a column: a [`ColumnType`] (a `NOT NULL` column) or an
/// `Option` of one (a nullable column). Implemented for both; implement [`ColumnType`] to add
/// a type, never this trait.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in a column",
    label = "unsupported column type",
    note = "supported: i64, i32, i16, i8, u32, u64, usize, bool, f64, f32, String, Vec<u8>, types of the enabled features (chrono, time, uuid, serde_json, rust_decimal), and Option<T> of each; store your own type with #[derive(orm::ColumnType)] (enums, newtypes) or by implementing orm::ColumnType; relationships are One<T> or Many<T> with #[orm(relationship(...))]"
)]
pub trait SqlType: Sized {
    /// The column type in DDL, as SQLAlchemy writes it (`INTEGER`, `VARCHAR`, ...).
    const SQL_TYPE: &'static str;
    /// The column type in PostgreSQL's DDL (`BIGINT`, `DOUBLE PRECISION`, `BYTEA`, ...);
    /// the SQLite name when PostgreSQL knows it too.
    const POSTGRES_TYPE: &'static str = Self::SQL_TYPE;
    /// Whether the column accepts `NULL` (true for `Option<T>`).
    const NULLABLE: bool = false;
    /// The value to bind.
    fn to_value(&self) -> Value;
    /// Reads the value from a column.
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError>;
    /// Whether [`to_value`](Self::to_value) would give `value` (without building it, where
    /// the type can tell).
    fn equals_value(&self, value: &Value) -> bool {
        self.to_value() == *value
    }
}

impl<T: ColumnType> SqlType for T {
    const SQL_TYPE: &'static str = T::SQL_TYPE;
    const POSTGRES_TYPE: &'static str = T::POSTGRES_TYPE;
    fn to_value(&self) -> Value {
        ColumnType::to_value(self)
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        <T as ColumnType>::from_sql(v)
    }
    fn equals_value(&self, value: &Value) -> bool {
        ColumnType::equals_value(self, value)
    }
}

impl<T: ColumnType> SqlType for Option<T> {
    const SQL_TYPE: &'static str = T::SQL_TYPE;
    const POSTGRES_TYPE: &'static str = T::POSTGRES_TYPE;
    const NULLABLE: bool = true;
    fn to_value(&self) -> Value {
        match self {
            Some(v) => ColumnType::to_value(v),
            None => Value::Null,
        }
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        match v {
            ValueRef::Null => Ok(None),
            other => <T as ColumnType>::from_sql(other).map(Some),
        }
    }
    fn equals_value(&self, value: &Value) -> bool {
        match self {
            Some(v) => ColumnType::equals_value(v, value),
            None => value.is_null(),
        }
    }
}

impl ConvertError {
    /// The error for a value of the wrong kind: "expected {what}, found {the value}" (or,
    /// for `NULL`, a hint to use `Option<_>`).
    pub fn expected(what: &str, found: ValueRef<'_>) -> ConvertError {
        wrong(what, found)
    }
}

fn wrong(expected: &str, v: ValueRef<'_>) -> ConvertError {
    let found = match v {
        ValueRef::Null => "NULL".to_owned(),
        ValueRef::Integer(i) => format!("integer {i}"),
        ValueRef::Real(f) => format!("real {f}"),
        ValueRef::Text(t) => format!("text '{}'", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!("blob of {} bytes", b.len()),
    };
    if matches!(v, ValueRef::Null) {
        ConvertError(format!(
            "found NULL where {expected} was expected (use Option<_> for a nullable column)"
        ))
    } else {
        ConvertError(format!("expected {expected}, found {found}"))
    }
}

macro_rules! int_type {
    ($($t:ty => $pg:literal),*) => {$(
        impl ColumnType for $t {
            const SQL_TYPE: &'static str = "INTEGER";
            const POSTGRES_TYPE: &'static str = $pg;
            fn to_value(&self) -> Value {
                Value::Integer(i64::from(*self))
            }
            fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
                match v {
                    ValueRef::Integer(i) => <$t>::try_from(i).map_err(|_| {
                        ConvertError(format!("integer {i} does not fit in {}", stringify!($t)))
                    }),
                    other => Err(wrong(concat!("an integer (", stringify!($t), ")"), other)),
                }
            }
        }
    )*};
}
int_type!(i64 => "BIGINT", i32 => "INTEGER", i16 => "SMALLINT", i8 => "SMALLINT", u32 => "BIGINT");

impl ColumnType for bool {
    const SQL_TYPE: &'static str = "BOOLEAN";
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        match v {
            ValueRef::Integer(0) => Ok(false),
            ValueRef::Integer(1) => Ok(true),
            other => Err(wrong("a boolean (0 or 1)", other)),
        }
    }
}

macro_rules! real_type {
    ($($t:ty => $pg:literal),*) => {$(
        impl ColumnType for $t {
            const SQL_TYPE: &'static str = "FLOAT";
            const POSTGRES_TYPE: &'static str = $pg;
            fn to_value(&self) -> Value {
                Value::Real(f64::from(*self))
            }
            #[allow(clippy::cast_possible_truncation)]
            fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
                match v {
                    ValueRef::Real(f) => Ok(f as $t),
                    ValueRef::Integer(i) => Ok(i as $t),
                    other => Err(wrong("a number", other)),
                }
            }
        }
    )*};
}
real_type!(f64 => "DOUBLE PRECISION", f32 => "REAL");

impl ColumnType for String {
    const SQL_TYPE: &'static str = "VARCHAR";
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
    fn equals_value(&self, value: &Value) -> bool {
        matches!(value, Value::Text(t) if t == self)
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        match v {
            ValueRef::Text(t) => std::str::from_utf8(t)
                .map(str::to_owned)
                .map_err(|e| ConvertError(format!("text is not valid UTF-8: {e}"))),
            other => Err(wrong("text", other)),
        }
    }
}

impl ColumnType for Vec<u8> {
    const SQL_TYPE: &'static str = "BLOB";
    const POSTGRES_TYPE: &'static str = "BYTEA";
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
    fn equals_value(&self, value: &Value) -> bool {
        matches!(value, Value::Blob(b) if b == self)
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        match v {
            ValueRef::Blob(b) => Ok(b.to_vec()),
            other => Err(wrong("a blob", other)),
        }
    }
}

/// One part of a primary key, hashable (reals are compared by their bits).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyPart {
    /// An integer.
    Int(i64),
    /// Text.
    Text(Box<str>),
    /// Bytes.
    Blob(Box<[u8]>),
    /// A real, by its bits.
    Real(u64),
}

/// The primary key of a row: what the identity map is keyed by (with the table).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// A single integer key: the common case, no allocation.
    Int(i64),
    /// Any other key (text, several columns).
    Parts(Box<[KeyPart]>),
}

impl Key {
    /// Builds a key from column values; `None` when one of them is `NULL` (no key yet).
    pub fn from_values(values: &[Value]) -> Option<Key> {
        if let [Value::Integer(i)] = values {
            return Some(Key::Int(*i));
        }
        let mut parts = Vec::with_capacity(values.len());
        for v in values {
            parts.push(match v {
                Value::Null => return None,
                Value::Integer(i) => KeyPart::Int(*i),
                Value::Real(f) => KeyPart::Real(f.to_bits()),
                Value::Text(s) => KeyPart::Text(s.as_str().into()),
                Value::Blob(b) => KeyPart::Blob(b.as_slice().into()),
            });
        }
        Some(Key::Parts(parts.into()))
    }

    /// The key as column values, in primary-key column order.
    pub fn to_values(&self) -> Vec<Value> {
        self.values().collect()
    }

    /// The key's column values one by one, in primary-key column order.
    pub(crate) fn values(&self) -> impl Iterator<Item = Value> + '_ {
        (0..self.len()).map(|pos| self.value(pos))
    }

    /// The value of the key's column `pos` (in primary-key column order).
    pub(crate) fn value(&self, pos: usize) -> Value {
        match self {
            Key::Int(i) => Value::Integer(*i),
            Key::Parts(parts) => match &parts[pos] {
                KeyPart::Int(i) => Value::Integer(*i),
                KeyPart::Real(bits) => Value::Real(f64::from_bits(*bits)),
                KeyPart::Text(s) => Value::Text(s.to_string()),
                KeyPart::Blob(b) => Value::Blob(b.to_vec()),
            },
        }
    }

    /// How many columns the key has.
    pub fn len(&self) -> usize {
        match self {
            Key::Int(_) => 1,
            Key::Parts(p) => p.len(),
        }
    }

    /// Whether the key has no column (never true for a real key).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = self.to_values();
        let mut first = true;
        for v in values {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            f.write_str(&v.to_literal())?;
        }
        Ok(())
    }
}

macro_rules! key_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Key {
            fn from(v: $t) -> Key {
                Key::Int(i64::from(v))
            }
        }
    )*};
}
key_from_int!(i64, i32, i16, i8, u32);

impl From<&str> for Key {
    fn from(v: &str) -> Key {
        Key::Parts(Box::new([KeyPart::Text(v.into())]))
    }
}

impl From<String> for Key {
    fn from(v: String) -> Key {
        Key::from(v.as_str())
    }
}

impl<A: SqlType, B: SqlType> From<(A, B)> for Key {
    fn from((a, b): (A, B)) -> Key {
        Key::from_values(&[a.to_value(), b.to_value()]).unwrap_or(Key::Parts(Box::new([])))
    }
}

impl<A: SqlType, B: SqlType, C: SqlType> From<(A, B, C)> for Key {
    fn from((a, b, c): (A, B, C)) -> Key {
        Key::from_values(&[a.to_value(), b.to_value(), c.to_value()])
            .unwrap_or(Key::Parts(Box::new([])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_match_the_echo_format() {
        assert_eq!(
            Value::Text("Sister Margaret's Bar".into()).to_literal(),
            "'Sister Margaret''s Bar'"
        );
        assert_eq!(Value::Null.to_literal(), "NULL");
        assert_eq!(Value::Blob(vec![0xde, 0xad]).to_literal(), "X'DEAD'");
        assert_eq!(params_literal(&[Value::Integer(2)]), "(2,)");
        assert_eq!(
            params_literal(&[Value::Text("a".into()), Value::Null]),
            "('a', NULL)"
        );
    }

    #[test]
    fn conversions_report_what_does_not_fit() {
        assert!(<i8 as SqlType>::from_sql(ValueRef::Integer(300))
            .unwrap_err()
            .0
            .contains("does not fit"));
        assert!(<String as SqlType>::from_sql(ValueRef::Null)
            .unwrap_err()
            .0
            .contains("Option"));
        assert_eq!(Option::<i64>::from_sql(ValueRef::Null), Ok(None));
        assert_eq!(<bool as SqlType>::from_sql(ValueRef::Integer(1)), Ok(true));
    }

    #[test]
    fn keys_hash_single_integers_without_parts() {
        assert_eq!(Key::from_values(&[Value::Integer(3)]), Some(Key::Int(3)));
        assert_eq!(Key::from_values(&[Value::Integer(1), Value::Null]), None);
        assert_eq!(Key::from((1i64, 2i64)).len(), 2);
    }
}
