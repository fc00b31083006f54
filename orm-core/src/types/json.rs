//! JSON columns (feature `serde_json`): `serde_json::Value`, and [`Json<T>`] for any
//! `T: Serialize + DeserializeOwned`, stored as JSON text in a column of SQL type `JSON`
//! (SQLAlchemy's), which SQLite's `json_*` functions read. SQLite gives that type numeric
//! affinity, so a document that is a lone number is stored as a number; it reads back the
//! same (but for integers past `i64`, which SQLite rounds to a real).
//!
//! A value that cannot be serialized (a map with keys that are not strings, a `Serialize`
//! that fails) is refused when the row is written, naming the column: it crosses to the
//! flush as a blob carrying the error, which the flush's check turns into
//! `Error::InvalidValue` (see `types::refuse`).

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::JSON_SQL_TYPE;
use crate::value::{ColumnType, ConvertError, Value, ValueRef};

/// A column holding any serde type as JSON text: `pub settings: Json<Settings>`. Derefs to
/// the value; `Json(value)` or `value.into()` makes one.
///
/// ```
/// use orm::prelude::*;
/// use orm::Json;
///
/// #[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq, Default)]
/// pub struct Settings {
///     pub theme: String,
///     pub volume: u8,
/// }
///
/// #[derive(Table, Debug, Default)]
/// pub struct Player {
///     #[orm(primary_key)]
///     pub id: Option<i64>,
///     pub settings: Json<Settings>,
///     pub extra: Option<serde_json::Value>,
/// }
/// # fn main() -> orm::Result<()> {
/// let engine = Engine::memory()?;
/// engine.create_all::<(Player,)>()?;
/// let session = Session::new(&engine);
/// let settings = Settings { theme: "dark".into(), volume: 7 };
/// session.add(&Player { settings: Json(settings.clone()), ..Default::default() }.track())?;
/// session.commit()?;
/// let player = session.exec(select::<Player>().filter(Player::settings.eq(Json(settings))))?.one()?;
/// assert_eq!(player.read()?.settings.theme, "dark"); // '{"theme":"dark","volume":7}'
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The value inside.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T> From<T> for Json<T> {
    fn from(value: T) -> Json<T> {
        Json(value)
    }
}

impl<T: Serialize> Serialize for Json<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Json<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Json)
    }
}

/// JSON text for `value`, or the blob the flush refuses with the error.
fn to_json<T: Serialize + ?Sized>(value: &T) -> Value {
    match serde_json::to_string(value) {
        Ok(text) => Value::Text(text),
        Err(e) => Value::Blob(format!("cannot be serialized as JSON: {e}").into_bytes()),
    }
}

fn from_json<T: DeserializeOwned>(v: ValueRef<'_>) -> Result<T, ConvertError> {
    let parsed = match v {
        ValueRef::Text(t) => serde_json::from_slice(t),
        // A lone number, converted by the column's numeric affinity.
        ValueRef::Integer(i) => serde_json::from_str(&i.to_string()),
        ValueRef::Real(f) => serde_json::from_str(&f.to_string()),
        other => return Err(ConvertError::expected("JSON text", other)),
    };
    parsed.map_err(|e| ConvertError(format!("invalid JSON for this field: {e}")))
}

impl<T: Serialize + DeserializeOwned> ColumnType for Json<T> {
    const SQL_TYPE: &'static str = JSON_SQL_TYPE;
    // JSONB: PostgreSQL's JSON has no equality, so filters could not compare it.
    const POSTGRES_TYPE: &'static str = "JSONB";
    fn to_value(&self) -> Value {
        to_json(&self.0)
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        from_json(v).map(Json)
    }
}

impl ColumnType for serde_json::Value {
    const SQL_TYPE: &'static str = JSON_SQL_TYPE;
    // JSONB: PostgreSQL's JSON has no equality, so filters could not compare it.
    const POSTGRES_TYPE: &'static str = "JSONB";
    fn to_value(&self) -> Value {
        to_json(self)
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        from_json(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_value_that_cannot_be_serialized_becomes_the_refused_blob() {
        let bad: Json<HashMap<(i32, i32), i32>> = Json(HashMap::from([((1, 2), 3)]));
        let Value::Blob(message) = ColumnType::to_value(&bad) else {
            panic!("expected the refused blob");
        };
        assert!(String::from_utf8_lossy(&message).starts_with("cannot be serialized as JSON"));
        assert_eq!(
            <serde_json::Value as ColumnType>::from_sql(ValueRef::Integer(3)),
            Ok(serde_json::json!(3))
        );
    }
}
