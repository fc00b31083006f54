//! Hand-written SQL in the session's transaction: [`Session::query_as`] reads the rows of a
//! `SELECT` as tracked objects (through the identity map, columns matched by name), and
//! [`Session::execute_sql`] runs any other statement. Their parameters are bound, never
//! pasted in ([`Params`]: a tuple, an array or a `Vec` of values). Neither parses the SQL;
//! `execute_sql` does not keep loaded objects in line with what it changed.

use super::{Rows, Session, SessionCore};
use crate::error::{Error, Result};
use crate::object::ObjRef;
use crate::sql;
use crate::table::Table;
use crate::value::{SqlType, Value};

/// One parameter of hand-written SQL: any column type (`i64`, `String`, `Option<T>`, ...),
/// a `&str`, or a [`Value`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be bound as a SQL parameter",
    label = "not a parameter",
    note = "parameters are column types (i64, String, Option<T>, ...), &str, or orm::Value"
)]
pub trait Param {
    /// The value to bind.
    fn into_value(self) -> Value;
}

impl<V: SqlType> Param for V {
    fn into_value(self) -> Value {
        self.to_value()
    }
}

impl Param for &str {
    fn into_value(self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl Param for Value {
    fn into_value(self) -> Value {
        self
    }
}

impl Param for &Value {
    fn into_value(self) -> Value {
        self.clone()
    }
}

/// The parameters of hand-written SQL, bound to its `?` in order: `()` for none, a tuple
/// of 1 to 8 [`Param`]s (`(30, "Deadpond")`), an array or `Vec` of one type, or
/// `&[Value]`.
pub trait Params {
    /// The values to bind, in order.
    fn into_values(self) -> Vec<Value>;
}

impl Params for () {
    fn into_values(self) -> Vec<Value> {
        Vec::new()
    }
}

impl<P: Param, const N: usize> Params for [P; N] {
    fn into_values(self) -> Vec<Value> {
        self.into_iter().map(Param::into_value).collect()
    }
}

impl<P: Param> Params for Vec<P> {
    fn into_values(self) -> Vec<Value> {
        self.into_iter().map(Param::into_value).collect()
    }
}

impl Params for &[Value] {
    fn into_values(self) -> Vec<Value> {
        self.to_vec()
    }
}

macro_rules! params_tuple {
    ($($n:tt $t:ident),+) => {
        impl<$($t: Param),+> Params for ($($t,)+) {
            fn into_values(self) -> Vec<Value> {
                vec![$(self.$n.into_value()),+]
            }
        }
    };
}
params_tuple!(0 A);
params_tuple!(0 A, 1 B);
params_tuple!(0 A, 1 B, 2 C);
params_tuple!(0 A, 1 B, 2 C, 3 D);
params_tuple!(0 A, 1 B, 2 C, 3 D, 4 E);
params_tuple!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F);
params_tuple!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G);
params_tuple!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H);

impl SessionCore {
    /// Runs a hand-written query for rows of `T`, wrapped to select `T`'s columns by name;
    /// a column it does not return is [`Error::MissingColumns`] before it runs.
    fn query_raw<T: Table>(&mut self, text: &str, params: &[Value]) -> Result<Rows<T>> {
        let meta = T::meta();
        let names: Vec<&str> = meta.columns.iter().map(|c| c.name).collect();
        let result = self.conn().and_then(|c| c.column_names(text));
        let found = self.settle(result)?;
        let missing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !found.iter().any(|f| f.eq_ignore_ascii_case(n)))
            .collect();
        if !missing.is_empty() {
            return Err(Error::MissingColumns {
                table: meta.name,
                missing: missing.join(", "),
                found: found.join(", "),
            });
        }
        self.autoflush()?;
        let wrapped = sql::wrap_select(&names, text);
        let items = self.fetch::<T>(&wrapped, params)?;
        let objects: Vec<ObjRef> = items.iter().map(|t| t.erased()).collect();
        self.run_loads(&objects, meta, &[])?;
        Ok(Rows {
            table: meta.name,
            items,
        })
    }

    fn rows_raw(&mut self, text: &str, params: &[Value]) -> Result<Vec<Vec<Value>>> {
        self.autoflush()?;
        let mut rows = Vec::new();
        let result = self.conn().and_then(|c| {
            let width = c.column_names(text)?.len();
            c.query(text, params, |row| {
                let values = (0..width)
                    .map(|i| row.get_ref(i).map(Value::from_ref))
                    .collect::<Result<Vec<_>, _>>()?;
                rows.push(values);
                Ok(())
            })
        });
        self.settle(result)?;
        Ok(rows)
    }

    fn execute_raw(&mut self, text: &str, params: &[Value]) -> Result<usize> {
        self.autoflush()?;
        let result = self.write_conn().and_then(|c| c.execute(text, params));
        let n = self.settle(result)?;
        self.wrote_in_tx = true;
        Ok(n)
    }
}

impl Session {
    /// Runs a hand-written `SELECT` (flushing pending changes first) and returns its rows as
    /// tracked objects of `T`, through the identity map like [`exec`](Self::exec): a row
    /// already loaded is that same object. Columns are matched by name, not position: the
    /// query is run as `SELECT <T's columns> FROM (<sql>) AS anon_1`, so it may return them
    /// in any order, and more (which are ignored). Each row gives one object, in the order
    /// of the rows; rows of objects deleted in this session are left out. `T`'s declared
    /// eager loads run after it, as for `exec`.
    ///
    /// ```
    /// # use orm::prelude::*;
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Team {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     #[orm(relationship(back_populates = "team"))]
    /// #     pub heroes: Many<Hero>,
    /// # }
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Hero {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     pub age: Option<i64>,
    /// #     #[orm(foreign_key = "team.id")]
    /// #     pub team_id: Option<i64>,
    /// #     #[orm(relationship(back_populates = "heroes"))]
    /// #     pub team: One<Team>,
    /// # }
    /// # fn main() -> orm::Result<()> {
    /// # let engine = Engine::memory()?;
    /// # engine.create_all::<(Team, Hero)>()?;
    /// # let session = Session::new(&engine);
    /// # // Teams 1 and 2; heroes 1 to 4.
    /// # let preventers = Team { name: "Preventers".into(), ..Default::default() }.track();
    /// # let z_force = Team { name: "Z-Force".into(), ..Default::default() }.track();
    /// # session.add_all([&preventers, &z_force])?;
    /// # for (name, age, team) in [
    /// #     ("Deadpond", None, Some(&z_force)),
    /// #     ("Rusty-Man", Some(48), Some(&preventers)),
    /// #     ("Spider-Boy", None, Some(&preventers)),
    /// #     ("Tarantula", Some(32), None),
    /// # ] {
    /// #     let team = team.map_or_else(One::none, One::to);
    /// #     session.add(&Hero { name: name.into(), age, team, ..Default::default() }.track())?;
    /// # }
    /// # session.commit()?;
    /// # // The names of the heroes a query returns, in order.
    /// # let names = |q: orm::Select<Hero>| -> orm::Result<Vec<String>> {
    /// #     session.exec(q)?.all().iter().map(|h| Ok(h.read()?.name.clone())).collect()
    /// # };
    /// let log = engine.capture();
    /// let sql = "SELECT name, id, team_id, age FROM hero WHERE age > ?";
    /// let heroes = session.query_as::<Hero>(sql, (40,))?.all();
    /// assert_eq!(heroes.len(), 1);
    /// assert_eq!(heroes[0].read()?.name, "Rusty-Man");
    /// assert_eq!(
    ///     log.take_lines().last().unwrap(),
    ///     "SELECT id, name, age, team_id FROM (SELECT name, id, team_id, age FROM hero WHERE age > ?) AS anon_1 (40,)"
    /// );
    /// assert!(session.get::<Hero>(2)? == Some(heroes[0].clone())); // the identity map's object
    /// let missing = session.query_as::<Hero>("SELECT id, name FROM hero", ());
    /// assert!(matches!(missing, Err(orm::Error::MissingColumns { .. })));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::MissingColumns`] naming the columns of `T` the query does not return,
    /// before it runs; statement errors (the SQL is SQLite's to judge); decoding errors
    /// naming table and column; errors of the autoflush.
    pub fn query_as<T: Table>(&self, sql: &str, params: impl Params) -> Result<Rows<T>> {
        self.shared
            .lock()
            .query_raw::<T>(sql, &params.into_values())
    }

    /// Runs one hand-written statement (`UPDATE`, `DELETE`, `INSERT`, DDL...) in the
    /// session's transaction, flushing pending changes first, and returns how many rows it
    /// changed. It counts as a write: it takes the write lock, and `commit` /
    /// [`rollback`](Self::rollback) end it with the rest of the transaction.
    ///
    /// Unlike [`execute`](Self::execute), it does not keep loaded objects in line with what
    /// it changed (SQLAlchemy's `text()` does not either): after changing rows the session
    /// has loaded, call [`expire_all`](Self::expire_all) (or `expire` on those objects) so
    /// they are read again. A query that returns rows belongs in
    /// [`query_as`](Self::query_as); transaction control (`BEGIN`, `COMMIT`, `SAVEPOINT`)
    /// belongs to the session ([`commit`](Self::commit), [`rollback`](Self::rollback)) and
    /// must not be run through here.
    ///
    /// ```
    /// # use orm::prelude::*;
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Team {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     #[orm(relationship(back_populates = "team"))]
    /// #     pub heroes: Many<Hero>,
    /// # }
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Hero {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     pub age: Option<i64>,
    /// #     #[orm(foreign_key = "team.id")]
    /// #     pub team_id: Option<i64>,
    /// #     #[orm(relationship(back_populates = "heroes"))]
    /// #     pub team: One<Team>,
    /// # }
    /// # fn main() -> orm::Result<()> {
    /// # let engine = Engine::memory()?;
    /// # engine.create_all::<(Team, Hero)>()?;
    /// # let session = Session::new(&engine);
    /// # // Teams 1 and 2; heroes 1 to 4.
    /// # let preventers = Team { name: "Preventers".into(), ..Default::default() }.track();
    /// # let z_force = Team { name: "Z-Force".into(), ..Default::default() }.track();
    /// # session.add_all([&preventers, &z_force])?;
    /// # for (name, age, team) in [
    /// #     ("Deadpond", None, Some(&z_force)),
    /// #     ("Rusty-Man", Some(48), Some(&preventers)),
    /// #     ("Spider-Boy", None, Some(&preventers)),
    /// #     ("Tarantula", Some(32), None),
    /// # ] {
    /// #     let team = team.map_or_else(One::none, One::to);
    /// #     session.add(&Hero { name: name.into(), age, team, ..Default::default() }.track())?;
    /// # }
    /// # session.commit()?;
    /// # // The names of the heroes a query returns, in order.
    /// # let names = |q: orm::Select<Hero>| -> orm::Result<Vec<String>> {
    /// #     session.exec(q)?.all().iter().map(|h| Ok(h.read()?.name.clone())).collect()
    /// # };
    /// let deadpond = session.get::<Hero>(1)?.expect("Deadpond");
    /// let n = session.execute_sql("UPDATE hero SET age = ? WHERE name = ?", (30, "Deadpond"))?;
    /// assert_eq!(n, 1);
    /// assert_eq!(deadpond.read()?.age, None); // the loaded object does not know
    /// session.expire_all();
    /// assert_eq!(deadpond.read()?.age, Some(30)); // read again
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// Statement errors (invalid SQL, a violated constraint, a statement returning rows,
    /// several statements in one string); errors of the autoflush.
    pub fn execute_sql(&self, sql: &str, params: impl Params) -> Result<usize> {
        self.shared.enter()?.execute_raw(sql, &params.into_values())
    }

    /// Runs a hand-written query and returns its rows as plain [`Value`]s, column by
    /// column (SQLAlchemy's `session.execute(text(...)).all()`); pending changes are flushed
    /// first. For rows that are objects, use [`query_as`](Self::query_as).
    ///
    /// ```
    /// # use orm::prelude::*;
    /// # use orm::Value;
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Hero {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     pub age: Option<i64>,
    /// # }
    /// # fn main() -> orm::Result<()> {
    /// # let engine = Engine::memory()?;
    /// # engine.create_all::<(Hero,)>()?;
    /// let session = Session::new(&engine);
    /// session.add(&Hero { name: "Deadpond".into(), ..Default::default() }.track())?;
    /// let rows = session.query_rows("SELECT name, age FROM hero WHERE name LIKE ?", ("Dead%",))?;
    /// assert_eq!(rows, [[Value::Text("Deadpond".into()), Value::Null]]);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// Statement errors; errors of the autoflush.
    pub fn query_rows(&self, sql: &str, params: impl Params) -> Result<Vec<Vec<Value>>> {
        self.shared.enter()?.rows_raw(sql, &params.into_values())
    }
}
