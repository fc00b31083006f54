//! JSON columns (feature `serde_json`): `serde_json::Value` and `Json<T>` stored as JSON
//! text, through insert, load, equality filters and updates, with `None`; SQLite's JSON
//! functions read the text; a value that cannot be serialized is refused naming the column.
#![cfg(feature = "serde_json")]

use crate::common;
use crate::round_trip;

use orm::prelude::*;
use orm::serde_json::{json, Value as JsonValue};
use orm::Json;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Settings {
    pub theme: String,
    pub volume: u8,
    pub tags: Vec<String>,
}

fn settings(theme: &str, volume: u8) -> Json<Settings> {
    Json(Settings {
        theme: theme.into(),
        volume,
        tags: vec!["a".into()],
    })
}

round_trip!(
    @unordered value,
    JsonValue,
    [json!({"a": [1, 2]}), json!("text"), json!(12.5)],
    [r#"{"a":[1,2]}"#, r#""text""#, "12.5"]
);
round_trip!(
    @unordered typed,
    Json<Settings>,
    [settings("dark", 1), settings("light", 2), settings("blue", 3)],
    [
        r#"{"theme":"dark","volume":1,"tags":["a"]}"#,
        r#"{"theme":"light","volume":2,"tags":["a"]}"#,
        r#"{"theme":"blue","volume":3,"tags":["a"]}"#
    ]
);

#[test]
fn sqlite_json_functions_read_the_stored_text() -> orm::Result<()> {
    let db = common::Db::new::<(typed::Thing,)>();
    let session = db.session();
    let thing = typed::Thing {
        id: None,
        value: settings("dark", 7),
        maybe: None,
    };
    session.add(&thing.track())?;
    session.commit()?;
    assert_eq!(
        db.table(
            "SELECT json_extract(value, '$.volume'), json_extract(value, '$.tags[0]') FROM thing"
        ),
        ["7, 'a'"]
    );
    Ok(())
}

#[derive(Table, Debug, Default)]
pub struct Odd {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub map: Json<std::collections::BTreeMap<(i32, i32), i32>>,
}

#[test]
fn a_value_that_cannot_be_serialized_is_refused_naming_the_column() {
    let db = common::Db::new::<(Odd,)>();
    let session = db.session();
    let odd = Odd {
        map: Json([((1, 2), 3)].into()),
        ..Default::default()
    };
    session.add(&odd.track()).unwrap();
    let err = session.commit().unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot store odd.map: cannot be serialized as JSON: key must be a string"
    );
}
