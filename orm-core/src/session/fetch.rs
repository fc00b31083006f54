//! Running a query whose rows become objects through the identity map: a row already loaded
//! is the same object (an expired one takes the fresh values, one with pending changes keeps
//! them), a new one is built and joins the map. A row may hold several tables' columns side
//! by side (a joined load) and extra columns that say which parent it was loaded for (a
//! selectin load); [`Shape`] says where each is.

use super::inner::open_conn;
use super::load::{row_key, set_one_keys_from_row};
use crate::value::ValueRef;

use super::SessionCore;
use crate::error::Result;
use crate::identity::IdentityMap;
use crate::object::{typed, ObjRef, Status, Tracked};
use crate::schema::TableMeta;
use crate::session::SessionShared;
use crate::table::{RowReader, Table};
use crate::value::{Key, Value};

/// Where the parts of each result row are.
pub(crate) struct Shape<'a> {
    /// The tables whose columns the row holds, with the position of their first column.
    pub entities: &'a [(&'static TableMeta, usize)],
    /// Result columns read as a key (which parent the row belongs to); none if empty.
    pub key_cols: &'a [usize],
}

/// What a shaped query returned: `objects` holds `entities.len()` slots a row (`None` for
/// an outer-joined table without a row, or a row deleted in this session), `keys` one key a
/// row when the shape asked for one.
pub(crate) struct Fetched {
    pub objects: Vec<Option<ObjRef>>,
    pub keys: Vec<Option<Key>>,
}

impl SessionCore {
    /// Runs a query for rows of `T`, mapping each through the identity map. Rows of objects
    /// deleted in this session are left out.
    pub(crate) fn fetch<T: Table>(
        &mut self,
        text: &str,
        params: &[Value],
    ) -> Result<Vec<Tracked<T>>> {
        let shape = Shape {
            entities: &[(T::meta(), 0)],
            key_cols: &[],
        };
        let fetched = self.fetch_shaped(text, params, &shape)?;
        Ok(fetched
            .objects
            .into_iter()
            .flatten()
            .filter_map(typed::<T>)
            .collect())
    }

    pub(super) fn fetch_by_key<T: Table>(&mut self, key: &Key) -> Result<Option<Tracked<T>>> {
        let meta = T::meta();
        let sql = &meta.sql().select_by_key;
        Ok(self.fetch::<T>(sql, &key.to_values())?.into_iter().next())
    }

    /// Runs a query whose rows have the given shape.
    pub(crate) fn fetch_shaped(
        &mut self,
        text: &str,
        params: &[Value],
        shape: &Shape<'_>,
    ) -> Result<Fetched> {
        let result = self.fetch_rows(text, params, shape);
        self.settle(result)
    }

    fn fetch_rows(&mut self, text: &str, params: &[Value], shape: &Shape<'_>) -> Result<Fetched> {
        let me = self.me.clone();
        let mut found: Vec<Option<ObjRef>> = Vec::new();
        let mut keys: Vec<Option<Key>> = Vec::new();
        self.check_usable()?;
        let identity = &mut self.identity;
        open_conn(&mut self.conn, &self.engine)?.query(text, params, |row| {
            for &(meta, offset) in shape.entities {
                let reader = RowReader { row, meta, offset };
                found.push(take_row(identity, &me, &reader)?);
            }
            match shape.key_cols {
                [] => {}
                // The common case: one integer column, no allocation.
                &[c] => keys.push(match row.get_ref(c)? {
                    ValueRef::Integer(v) => Some(Key::Int(v)),
                    other => Key::from_values(&[Value::from_ref(other)]),
                }),
                cols => {
                    let values: Vec<Value> = cols
                        .iter()
                        .map(|&c| row.get_ref(c).map(Value::from_ref))
                        .collect::<Result<_, _>>()?;
                    keys.push(Key::from_values(&values));
                }
            }
            Ok(())
        })?;
        let objects = found
            .into_iter()
            .map(|slot| slot.filter(|obj| obj.state().status != Status::Deleted))
            .collect();
        Ok(Fetched { objects, keys })
    }
}

/// The object of one table's part of a row: from the identity map (an expired object takes
/// the fresh values; one with pending changes keeps them) or built from the row, its
/// many-to-one relationships told their keys when its columns come from this row. `None`
/// when the part is all NULL (an outer join that found nothing).
fn take_row(
    identity: &mut IdentityMap,
    me: &std::sync::Weak<SessionShared>,
    reader: &RowReader<'_>,
) -> Result<Option<ObjRef>> {
    let meta = reader.meta;
    if reader.offset > 0 {
        let all_null = meta
            .primary_key
            .iter()
            .all(|&c| matches!(reader.raw(c), Ok(ValueRef::Null)));
        if all_null {
            return Ok(None);
        }
    }
    let key = row_key(reader)?;
    match identity.get(meta, &key) {
        Some(obj) => {
            let reloaded = obj.state().expired && obj.load_row(reader).is_ok();
            if reloaded {
                {
                    let mut state = obj.state();
                    state.expired = false;
                    state.snapshot = None;
                }
                set_one_keys_from_row(&obj, reader)?;
            }
            Ok(Some(obj))
        }
        None => {
            let obj = (meta.factory().0)(reader, me.clone(), key.clone())?;
            set_one_keys_from_row(&obj, reader)?;
            identity.insert(meta, key, &obj);
            Ok(Some(obj))
        }
    }
}
