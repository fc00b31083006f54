//! Taking objects out of a session without writing or deleting them:
//! [`Session::expunge`], [`Session::expunge_all`] and [`Session::make_transient`]
//! (SQLAlchemy's names). The session's transaction is untouched; what the objects hold
//! stays readable, and their unflushed changes are simply not written by this session.

use crate::error::Result;
use crate::object::{addr, ObjRef, Status, Tracked};
use crate::table::Table;

use super::{detach, ensure_fresh, Session, SessionCore};

impl Session {
    /// Takes `obj` out of this session: a pending object becomes transient (it will not be
    /// inserted), any other becomes detached (its unflushed changes are not written, a
    /// pending delete is forgotten); the next `get` of its row loads a new object.
    ///
    /// ```
    /// # use orm::prelude::*;
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Hero {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// # }
    /// # fn main() -> orm::Result<()> {
    /// # let engine = Engine::memory()?;
    /// # engine.create_all::<Hero>()?;
    /// let session = Session::new(&engine);
    /// let hero = Hero { name: "Deadpond".into(), ..Default::default() }.track();
    /// session.add(&hero)?;
    /// session.commit()?;
    /// let hero = session.get::<Hero>(1)?.expect("row");
    /// hero.write()?.name = "Not written".into();
    /// session.expunge(&hero)?;
    /// assert_eq!(hero.status(), orm::Status::Detached);
    /// session.commit()?;
    /// let fresh = session.get::<Hero>(1)?.expect("row");
    /// assert!(fresh != hero);
    /// assert_eq!(fresh.read()?.name, "Deadpond");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Detached`](crate::Error::Detached) when `obj` is not in this session.
    pub fn expunge<T: Table>(&self, obj: &Tracked<T>) -> Result<()> {
        let obj = obj.erased();
        let mut core = self.shared.enter()?;
        core.check_mine(&obj)?;
        core.expunge(&[obj]);
        Ok(())
    }

    /// Takes every object out of this session, as [`expunge`](Self::expunge) does one; the
    /// transaction goes on.
    ///
    /// # Errors
    /// When the session is in use by a flush that failed half-way (see `flush`).
    pub fn expunge_all(&self) -> Result<()> {
        let mut core = self.shared.enter()?;
        let mut all = core.identity.objects();
        all.extend(core.new.iter().cloned());
        all.extend(core.deleted.iter().cloned());
        core.expunge(&all);
        Ok(())
    }

    /// Makes `obj` transient: out of this session (as [`expunge`](Self::expunge)) and without
    /// a database identity, so adding it again inserts a new row with its values (set the
    /// primary key to `None` first for the database to assign one). Its relationships count
    /// as changes again. An expired object is loaded first, so its values are the row's.
    ///
    /// # Errors
    /// [`Error::Detached`](crate::Error::Detached) when `obj` is in another session; errors
    /// of loading it.
    pub fn make_transient<T: Table>(&self, obj: &Tracked<T>) -> Result<()> {
        let obj = obj.erased();
        let status = obj.state().effective_status();
        if status == Status::Transient {
            return Ok(());
        }
        if status != Status::Detached {
            ensure_fresh(&obj)?;
            let mut core = self.shared.enter()?;
            core.check_mine(&obj)?;
            core.expunge(std::slice::from_ref(&obj));
        }
        {
            let mut state = obj.state();
            state.status = Status::Transient;
            state.key = None;
            state.snapshot = None;
            state.expired = false;
        }
        for rel in obj.relations() {
            rel.0.restore_pending();
        }
        Ok(())
    }
}

impl SessionCore {
    /// Forgets `objects`: out of the identity map and the lists of pending work, detached
    /// (pending ones transient).
    fn expunge(&mut self, objects: &[ObjRef]) {
        let gone: rustc_hash::FxHashSet<usize> = objects.iter().map(addr).collect();
        let keep = |o: &ObjRef| !gone.contains(&addr(o));
        self.new.retain(keep);
        self.modified.retain(keep);
        self.deleted.retain(keep);
        self.deleted_in_tx.retain(keep);
        self.inserted_in_tx.retain(|i| keep(&i.obj));
        for obj in objects {
            let (key, pending) = {
                let state = obj.state();
                (state.key.clone(), state.status == Status::Pending)
            };
            if let Some(k) = key {
                if self
                    .identity
                    .get(obj.meta(), &k)
                    .is_some_and(|o| addr(&o) == addr(obj))
                {
                    self.identity.remove(obj.meta(), &k);
                }
            }
            self.forget_holder(obj);
            detach(obj);
            if pending {
                obj.state().status = Status::Transient;
            } else if obj.state().status == Status::Deleted {
                obj.state().status = Status::Detached;
            }
            for rel in obj.relations() {
                rel.0.release();
            }
        }
    }
}
