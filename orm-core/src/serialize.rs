//! serde support (feature `serde`): models are the API schema, as in SQLModel.
//!
//! - [`Tracked<T>`] serializes as `T` (reading it: an expired object is reloaded) and
//!   deserializes into a new, transient object, for `session.add`.
//! - [`One<T>`] serializes its target, and [`Many<T>`] its members, **only when loaded**:
//!   serializing never runs a lazy load. Not loaded, they serialize as `null`, or are left
//!   out with `#[serde(skip_serializing_if = "One::serializes_as_none")]` (and
//!   `Many::serializes_as_none`).
//! - **Cycles stop.** While an object is being serialized, a relationship leading back to
//!   it (a target, or a member, that is being serialized up the stack) serializes as `None`
//!   too: a hero's team lists no heroes, a team's heroes show no team. The objects in
//!   progress are kept per thread, so each `serde_json::to_string` starts afresh.
//! - To leave a relationship out always, mark it `#[serde(skip)]`; to go deeper, load it
//!   (`selectin`, `joined`, or by reading it) before serializing.
//! - Deserializing a `One<T>` or `Many<T>` builds its targets as new objects, linked as if
//!   built by hand (`One::to`, `Many::from`); `null` or a missing field (with
//!   `#[serde(default)]`) gives an empty relationship.

use std::cell::RefCell;

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Error as _, Serialize, SerializeSeq, Serializer};

use crate::object::Tracked;
use crate::relation::{Many, One};
use crate::table::Table;

thread_local! {
    /// The objects being serialized on this thread, outermost first, by address.
    static IN_PROGRESS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Marks an object as being serialized until dropped.
struct InProgress;

impl InProgress {
    fn enter(addr: usize) -> InProgress {
        IN_PROGRESS.with(|s| s.borrow_mut().push(addr));
        InProgress
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        IN_PROGRESS.with(|s| s.borrow_mut().pop());
    }
}

fn in_progress<T>(obj: &Tracked<T>) -> bool {
    let addr = obj.addr();
    IN_PROGRESS.with(|s| s.borrow().contains(&addr))
}

impl<T: Table + Serialize> Serialize for Tracked<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let _entered = InProgress::enter(self.addr());
        let row = self.read().map_err(S::Error::custom)?;
        T::serialize(&row, serializer)
    }
}

impl<'de, T: Table + Deserialize<'de>> Deserialize<'de> for Tracked<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Tracked::new)
    }
}

impl<T: Table> One<T> {
    /// The target serde would write: loaded, present, and not being serialized up the stack.
    fn serialized_target(&self) -> Option<Tracked<T>> {
        self.peek().flatten().filter(|t| !in_progress(t))
    }

    /// Whether this relationship serializes as `None` (not loaded, no target, or a way back
    /// to an object being serialized): for `#[serde(skip_serializing_if =
    /// "One::serializes_as_none")]`, which leaves the field out instead. Feature `serde`.
    pub fn serializes_as_none(&self) -> bool {
        self.serialized_target().is_none()
    }
}

impl<T: Table + Serialize> Serialize for One<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.serialized_target() {
            Some(target) => serializer.serialize_some(&target),
            None => serializer.serialize_none(),
        }
    }
}

impl<'de, T: Table + Deserialize<'de>> Deserialize<'de> for One<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<Tracked<T>>::deserialize(deserializer)? {
            Some(target) => One::to(&target),
            None => One::none(),
        })
    }
}

impl<T: Table> Many<T> {
    /// The members serde would write: loaded, and none of them being serialized up the
    /// stack (then the collection is the way back, and is cut).
    fn serialized_members(&self) -> Option<Vec<Tracked<T>>> {
        self.peek().filter(|items| !items.iter().any(in_progress))
    }

    /// Whether this collection serializes as `None` (not loaded, or a way back to an object
    /// being serialized): for `#[serde(skip_serializing_if = "Many::serializes_as_none")]`,
    /// which leaves the field out instead. Feature `serde`.
    pub fn serializes_as_none(&self) -> bool {
        self.serialized_members().is_none()
    }
}

impl<T: Table + Serialize> Serialize for Many<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(items) = self.serialized_members() else {
            return serializer.serialize_none();
        };
        let mut seq = serializer.serialize_seq(Some(items.len()))?;
        for item in &items {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

impl<'de, T: Table + Deserialize<'de>> Deserialize<'de> for Many<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(
            match Option::<Vec<Tracked<T>>>::deserialize(deserializer)? {
                Some(items) => Many::from(items),
                None => Many::new(),
            },
        )
    }
}
