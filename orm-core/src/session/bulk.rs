//! Running bulk statements ([`Session::execute`] of [`update`](crate::update) /
//! [`delete`](crate::delete)) inside the session's transaction, and keeping the identity map
//! true to them afterwards, as SQLAlchemy's `synchronize_session` does: the statement
//! returns the primary keys of the rows it touched (`RETURNING`), and each loaded object of
//! those rows takes the new values (update) or becomes deleted (delete). Objects not loaded
//! are not read.

use super::{Session, SessionCore};
use crate::engine::Conn;
use crate::error::{Error, Result};
use crate::object::{addr, ObjRef, Status};
use crate::query::{BulkKind, BulkStatement};
use crate::sql;
use crate::value::{Key, Value};

impl SessionCore {
    /// The connection, in a transaction that holds the write lock: for a statement that
    /// writes outside the unit of work.
    pub(super) fn write_conn(&mut self) -> Result<&mut Conn> {
        self.check_usable()?;
        if self.conn.is_none() {
            self.conn = Some(self.engine.connection()?);
        }
        let conn = self.conn.as_mut().expect("connection opened");
        conn.begin_write()?;
        Ok(conn)
    }

    fn run_bulk(&mut self, stmt: &BulkStatement) -> Result<usize> {
        if let BulkKind::Update(sets) = &stmt.kind {
            for (c, v) in sets {
                crate::unit_of_work::check_storable_value(stmt.table, *c, v)?;
            }
        }
        let mut params = Vec::new();
        let text = sql::bulk(stmt, &mut params)?;
        self.autoflush()?;
        let result = self.touched_keys(stmt, &text, &params);
        let keys = self.settle(result)?;
        self.wrote_in_tx = true;
        let touched = keys.len();
        for key in keys.into_iter().flatten() {
            let Some(obj) = self.identity.get(stmt.table, &key) else {
                continue;
            };
            match &stmt.kind {
                BulkKind::Update(sets) => updated(&obj, sets),
                BulkKind::Delete => self.deleted_in_bulk(&obj, &key),
            }
        }
        Ok(touched)
    }

    /// Runs the statement; the key of each row it touched (`None` for a table without a
    /// primary key, whose statement returns nothing: its count is SQLite's).
    fn touched_keys(
        &mut self,
        stmt: &BulkStatement,
        text: &str,
        params: &[Value],
    ) -> Result<Vec<Option<Key>>> {
        let width = stmt.table.primary_key.len();
        let conn = self.write_conn()?;
        if width == 0 {
            let n = conn.execute(text, params)?;
            return Ok(vec![None; n]);
        }
        let mut keys = Vec::new();
        conn.query(text, params, |row| {
            let values = (0..width)
                .map(|i| row.get_ref(i).map(Value::from_ref))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::statement(text, e))?;
            keys.push(Key::from_values(&values));
            Ok(())
        })?;
        Ok(keys)
    }

    /// A loaded object whose row a bulk DELETE removed: deleted as a flushed delete leaves
    /// it (out of the identity map, brought back by a rollback), and no longer due to be
    /// updated or deleted by the next flush.
    fn deleted_in_bulk(&mut self, obj: &ObjRef, key: &Key) {
        {
            let mut state = obj.state();
            state.status = Status::Deleted;
            state.registered = false;
        }
        self.identity.remove(obj.meta(), key);
        let a = addr(obj);
        self.modified.retain(|o| addr(o) != a);
        self.deleted.retain(|o| addr(o) != a);
        self.deleted_in_tx.push(obj.clone());
    }
}

/// A loaded object whose row a bulk UPDATE changed takes the new values (SQLAlchemy's
/// "evaluate" strategy; an unflushed change to a column set here is overwritten). Its
/// snapshot takes them too, so the next flush neither writes them again nor loses the
/// object's other pending changes. An expired object is left to reload; one that is
/// borrowed (a guard is out) cannot be written, so it is expired instead.
fn updated(obj: &ObjRef, sets: &[(usize, Value)]) {
    if obj.state().expired {
        return;
    }
    if obj.set_columns(sets).is_err() {
        super::expire(obj);
        return;
    }
    if let Some(snapshot) = obj.state().snapshot.as_mut() {
        for (c, v) in sets {
            snapshot[*c] = v.clone();
        }
    }
    // A foreign key set here moves the object's many-to-one relationships.
    let _ = super::load::set_one_keys(obj);
}

impl Session {
    /// Runs a bulk [`update`](crate::update) or [`delete`](crate::delete) as one statement
    /// in the session's transaction (flushing pending changes first) and returns how many
    /// rows it touched. Nothing is loaded; objects of the touched rows that the session has
    /// loaded are kept in line, as SQLAlchemy's `synchronize_session` does: the statement
    /// returns the touched rows' primary keys (`RETURNING id`), then
    ///
    /// - on update, each such object takes the new values, and its change tracking takes
    ///   them as the stored ones; a change not yet flushed to a column the update sets (with
    ///   autoflush off) is overwritten, changes to other columns stay pending; an object
    ///   borrowed by a guard at that moment is expired instead (reloaded on next access);
    /// - on delete, each such object becomes [`Status::Deleted`], leaves the identity map
    ///   (`get` returns `None`) and comes back on [`rollback`](Self::rollback), like an
    ///   object deleted by a flush.
    ///
    /// Relationship collections that list a deleted object, or list an updated object under
    /// its old foreign key, are not changed in memory (as with SQLAlchemy); `commit` expires
    /// them, or call [`expire`](Self::expire).
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
    /// let rusty = session.get::<Hero>(2)?.expect("Rusty-Man");
    /// let log = engine.capture();
    /// let n = session.execute(update::<Hero>().filter(Hero::age.gt(40)).set(Hero::age, 49))?;
    /// assert_eq!(n, 1);
    /// assert_eq!(log.take_lines(), ["UPDATE hero SET age=? WHERE hero.age > ? RETURNING id (49, 40)"]);
    /// assert_eq!(rusty.read()?.age, Some(49)); // the loaded object follows
    /// assert!(log.is_empty()); // without a SELECT
    ///
    /// session.execute(delete::<Hero>().filter(Hero::name.eq("Rusty-Man")))?;
    /// assert_eq!(rusty.status(), orm::Status::Deleted);
    /// assert!(session.get::<Hero>(2)?.is_none());
    /// session.rollback()?; // brings it back
    /// assert_eq!(rusty.read()?.age, Some(48));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::TableNotInQuery`](crate::Error::TableNotInQuery) for a condition on another
    /// table, [`Error::Query`](crate::Error::Query) for an update that sets no column or a
    /// primary-key column, before any SQL runs; errors of the autoflush; statement errors
    /// (a constraint the change violates), after which nothing was changed.
    pub fn execute(&self, statement: impl Into<BulkStatement>) -> Result<usize> {
        self.shared.enter()?.run_bulk(&statement.into())
    }
}
