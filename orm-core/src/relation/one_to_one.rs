//! The reverse side of a one-to-one: a [`One<T>`](super::One) whose target holds the foreign
//! key (SQLAlchemy's `uselist=False`). It shares the many-to-one cell and its
//! `back_populates` sync (pointing a target at a new holder unsets the old holder, as moving
//! a member between collections does), and differs in three ways: it loads by the target's
//! foreign key (`SELECT ... WHERE profile.user_id = ?`, a one-to-many of at most one row);
//! its history reads as a one-to-many's (the new target added, the old one removed), so the
//! unit of work writes it, and deletes its owner, exactly as it does a collection; and a
//! holder about to point here loads it first, so the holder it replaces is known.

use super::one::OneCell;
use super::{back_cell, check_lazy_allowed, lock, History, LoadFor};
use crate::error::Result;
use crate::object::{Status, Tracked};
use crate::session;
use crate::table::Table;

impl<T: Table> OneCell<T> {
    /// Whether this is the reverse side of a one-to-one (the target holds the key).
    pub(super) fn is_reverse(&self) -> bool {
        self.binding.get().is_some_and(|b| b.reverse)
    }

    /// Loads the target by its foreign key to the owner: one SELECT, none for a new owner.
    /// A row whose holder side was pointed elsewhere since it was stored is not the target.
    /// `Ok(false)` when it flushed first (autoflush) and must start over.
    pub(super) fn load_reverse(&self, why: LoadFor, may_flush: &mut bool) -> Result<bool> {
        if lock(&self.state).loaded {
            return Ok(true);
        }
        let owner = self.owner()?;
        let (index, back) = self.binding.get().map_or((0, None), |b| (b.index, b.back));
        if why.checks_raise() && owner.state().status != Status::Pending {
            check_lazy_allowed(&owner, index)?;
        }
        if std::mem::take(may_flush)
            && session::has_row(&owner)
            && session::autoflush_before_load(&owner)?
        {
            return Ok(false);
        }
        let fetched = session::load_many::<T>(&owner, index)?;
        let target = fetched
            .into_iter()
            .find(|t| !back_cell(&t.erased(), back).is_some_and(|c| c.moved_away_from(&owner)));
        let mut state = lock(&self.state);
        if !state.loaded {
            state.loaded = true;
            state.target = target;
            state.released = None;
        }
        Ok(true)
    }

    /// What changed, as a one-to-many's history: the new target added, the old one removed.
    pub(super) fn reverse_history(&self) -> History {
        let state = lock(&self.state);
        let mut history = History {
            loaded: true,
            ..History::default()
        };
        if !state.changed {
            return history;
        }
        history.unknown_before = state.unknown_before;
        let before = state.orig.clone().flatten();
        if state.target != before {
            history
                .added
                .extend(state.target.iter().map(Tracked::erased));
            history.removed.extend(before.iter().map(Tracked::erased));
        }
        history
    }

    /// The target of a reverse side its session let go of, while it is alive (`None`: not
    /// released, or gone; then the side loads as usual).
    pub(super) fn released_target(&self) -> Option<Option<Tracked<T>>> {
        let state = lock(&self.state);
        if state.loaded {
            return None;
        }
        match state.released.as_ref()? {
            None => Some(None),
            Some(weak) => weak.upgrade().map(Some),
        }
    }

    /// Before a holder points here: load the holder this replaces (so it is unset), when the
    /// owner is in a session to load from.
    pub(super) fn prepare_reverse(&self) -> Result<()> {
        if !self.is_reverse() || lock(&self.state).loaded {
            return Ok(());
        }
        match self.owner() {
            Ok(owner) if session::require_session(&owner).is_ok() => self.load(LoadFor::Change),
            _ => Ok(()),
        }
    }
}
