//! Savepoints: [`Session::begin_nested`], SQLAlchemy's `session.begin_nested()`. The closure
//! runs inside `SAVEPOINT sa_savepoint_N` (after a flush, so the savepoint starts from what
//! the session holds); on `Ok` its work is flushed and the savepoint released, on `Err` the
//! database goes back to the savepoint and so do the objects touched inside: objects added
//! (or inserted) inside become transient again, deletes inside are undone, and objects
//! changed inside (unflushed, or updated by a flush inside) are expired, so they read the
//! restored rows. Everything else keeps its state. Flushes inside run under their own
//! internal savepoint, so a failed one undoes only itself, and a flush that failed inside
//! leaves no `PendingRollback` once the savepoint is rolled back.

use crate::engine::Conn;
use crate::error::{Error, Result};
use crate::object::{ObjRef, Status};

use super::{expire, Session, SessionCore};

/// An open savepoint, and how long the session's lists were when it opened.
pub(crate) struct Mark {
    name: String,
    inserted: usize,
    deleted: usize,
    updated: usize,
    /// The session was already waiting for `rollback()` when the savepoint opened.
    failed_before: bool,
}

impl Session {
    /// Runs `work` inside a savepoint: a nested transaction whose work is undone alone when
    /// `work` returns `Err` (the error is then returned); on `Ok` it is flushed and kept in
    /// the session's transaction, to be committed with it. Calls nest.
    ///
    /// ```
    /// # use orm::prelude::*;
    /// #[derive(Table, Debug, Default)]
    /// pub struct Hero {
    ///     #[orm(primary_key)]
    ///     pub id: Option<i64>,
    ///     pub name: String,
    /// }
    /// # fn main() -> orm::Result<()> {
    /// let engine = Engine::memory()?;
    /// engine.create_all::<Hero>()?;
    /// let session = Session::new(&engine);
    /// let kept = Hero { name: "Deadpond".into(), ..Default::default() }.track();
    /// session.add(&kept)?;
    /// let undone = Hero { name: "Spider-Boy".into(), ..Default::default() }.track();
    /// let result: orm::Result<()> = session.begin_nested(|s| {
    ///     s.add(&undone)?;
    ///     s.flush()?; // INSERT ... 'Spider-Boy', inside the savepoint
    ///     Err(orm::Error::Query { message: "changed my mind".into() })
    /// });
    /// assert!(result.is_err());
    /// assert_eq!(undone.status(), orm::Status::Transient); // its row is gone
    /// session.commit()?;
    /// assert_eq!(session.count(select::<Hero>())?, 1); // Deadpond only
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// The error `work` returns, or its flush's; [`Error::SavepointEnded`] when `work` ended
    /// the whole transaction (`commit`, `rollback`); errors of the savepoint statements.
    pub fn begin_nested<R>(&self, work: impl FnOnce(&Session) -> Result<R>) -> Result<R> {
        self.flush()?;
        let depth = self.shared.enter()?.open_savepoint()?;
        let result = work(self).and_then(|r| self.flush().map(|()| r));
        let mut core = self.shared.enter()?;
        if !core.savepoint_open(depth) {
            return Err(result.err().unwrap_or(Error::SavepointEnded));
        }
        match result {
            Ok(r) => {
                core.release_savepoint()?;
                Ok(r)
            }
            Err(e) => {
                core.rollback_savepoint()?;
                Err(e)
            }
        }
    }
}

impl SessionCore {
    /// Opens the next savepoint (in a write transaction); returns how many are open.
    fn open_savepoint(&mut self) -> Result<usize> {
        self.savepoint_seq += 1;
        let name = format!("sa_savepoint_{}", self.savepoint_seq);
        let conn = self.conn()?;
        conn.begin_write()?;
        conn.named_savepoint("begin", &name)?;
        // Flushes inside run under their own savepoint, whatever was written before.
        self.wrote_in_tx = true;
        self.savepoints.push(Mark {
            name,
            inserted: self.inserted_in_tx.len(),
            deleted: self.deleted_in_tx.len(),
            updated: self.updated_in_nested.len(),
            failed_before: self.failed.is_some(),
        });
        Ok(self.savepoints.len())
    }

    /// Whether savepoint number `depth` is still the innermost open one (a commit or a
    /// rollback inside its closure ends it with the transaction).
    fn savepoint_open(&self, depth: usize) -> bool {
        self.savepoints.len() == depth
            && self
                .conn
                .as_ref()
                .is_some_and(|c| c.open_savepoints() >= depth)
    }

    /// The transaction ended: so did every savepoint.
    pub(super) fn end_savepoints(&mut self) {
        self.savepoints.clear();
        self.updated_in_nested.clear();
    }

    fn conn_of_savepoint(&mut self) -> Result<&mut Conn> {
        self.conn.as_mut().ok_or(Error::SavepointEnded)
    }

    /// `RELEASE SAVEPOINT`: its work joins the enclosing transaction (or savepoint).
    fn release_savepoint(&mut self) -> Result<()> {
        let mark = self.savepoints.pop().ok_or(Error::SavepointEnded)?;
        let result = self
            .conn_of_savepoint()?
            .named_savepoint("release", &mark.name);
        if self.savepoints.is_empty() {
            self.updated_in_nested.clear();
        }
        self.settle(result)
    }

    /// `ROLLBACK TO SAVEPOINT`, then the objects follow the rows (see the module docs).
    fn rollback_savepoint(&mut self) -> Result<()> {
        let mark = self.savepoints.pop().ok_or(Error::SavepointEnded)?;
        let conn = self.conn_of_savepoint()?;
        let result = conn
            .named_savepoint("rollback", &mark.name)
            .and_then(|()| conn.named_savepoint("release", &mark.name));
        self.settle(result)?;
        // A flush that failed inside is undone with the savepoint: the session need not
        // wait for `rollback()` because of it (SQLAlchemy's rule for nested transactions).
        if !mark.failed_before {
            self.failed = None;
        }
        for inserted in self.inserted_in_tx.split_off(mark.inserted) {
            self.undo_insert(inserted);
        }
        for obj in std::mem::take(&mut self.new) {
            self.forget_holder(&obj);
            let mut state = obj.state();
            state.status = Status::Transient;
            state.session = std::sync::Weak::new();
        }
        let deleted = self.deleted_in_tx.split_off(mark.deleted);
        for obj in std::mem::take(&mut self.deleted).into_iter().chain(deleted) {
            let key = {
                let mut state = obj.state();
                if state.status == Status::Transient {
                    continue;
                }
                state.status = Status::Persistent;
                state.key.clone()
            };
            if let Some(k) = key {
                self.identity.insert(obj.meta(), k, &obj);
            }
            expire(&obj);
        }
        let changed: Vec<ObjRef> = std::mem::take(&mut self.modified)
            .into_iter()
            .chain(self.updated_in_nested.split_off(mark.updated))
            .collect();
        for obj in changed {
            obj.state().registered = false;
            expire(&obj);
        }
        Ok(())
    }
}
