//! Link-table rows of many-to-many relationships: which rows a flush deletes and inserts
//! (each once, even when both sides recorded the change), and the check that keeps a push
//! onto a collection that was not loaded from inserting a row the database already has.

use rustc_hash::{FxHashMap, FxHashSet};

use super::{Plan, Sink};
use crate::backend::DbErrorKind;
use crate::error::{Error, Result};
use crate::object::{addr, ObjRef, Status};
use crate::schema::{RelationKind, Resolved, TableMeta};
use crate::sql;
use crate::value::{Key, Value};

/// One row of a link table to delete or insert.
struct LinkRow {
    link: &'static TableMeta,
    /// The link table's columns, in increasing order, and their values.
    cols: Vec<usize>,
    vals: Vec<Value>,
    /// The relationship that asked for the row (for error messages).
    owner: &'static TableMeta,
    rel: usize,
    /// An insert recorded only by collections that were not loaded, between two objects that
    /// were stored before this flush: the row may exist already.
    unverified: bool,
}

/// How many link rows one existence check asks about.
const CHECK_CHUNK: usize = 400;

impl Plan {
    /// Writes link-table rows: deletes, then inserts.
    pub(super) fn write_links(&mut self, sink: &mut Sink<'_>) -> Result<()> {
        let (deletes, mut inserts) = self.link_rows()?;
        for row in deletes {
            let text = sql::delete_where(row.link, &row.cols);
            if sink.conn()?.execute(&text, &row.vals)? == 0 {
                return Err(Error::StaleData {
                    action: "DELETE",
                    table: row.link.name,
                    key: Key::from_values(&row.vals)
                        .map(|k| k.to_string())
                        .unwrap_or_default(),
                });
            }
        }
        drop_stored(sink, &mut inserts)?;
        for row in inserts {
            sink.conn()?
                .execute(&sql::insert_columns(row.link, &row.cols), &row.vals)
                .map_err(|e| already_linked(e, row.owner, row.rel))?;
        }
        Ok(())
    }

    /// The link rows the histories ask for: (deletes, inserts). Members outside the session
    /// get none; their pushes go to `skipped`.
    fn link_rows(&mut self) -> Result<(Vec<LinkRow>, Vec<LinkRow>)> {
        let mut rows: [Vec<LinkRow>; 2] = [Vec::new(), Vec::new()];
        let mut seen: FxHashMap<(usize, bool, Key), usize> = FxHashMap::default();
        let mut skipped: Vec<(usize, usize, ObjRef)> = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            let meta = e.obj.meta();
            let owner_deleted = e.removed;
            for (r, rel) in meta.relations.iter().enumerate() {
                if rel.kind != RelationKind::ManyToMany {
                    continue;
                }
                let Resolved::ManyToMany {
                    link,
                    to_owner,
                    to_target,
                } = meta.resolved(r)?
                else {
                    continue;
                };
                let h = &self.history(i)[r];
                let mut gone: Vec<ObjRef> = h.removed.clone();
                let mut came: Vec<ObjRef> = h.added.clone();
                if owner_deleted {
                    // The rows stored: members but those added since the last flush (a
                    // loaded collection's `added` holds only members the database has no row
                    // for), as SQLAlchemy deletes the history's unchanged and deleted ones.
                    let members = e.obj.relations()[r].0.reachable();
                    let added: FxHashSet<usize> = came.iter().map(addr).collect();
                    gone.extend(members.into_iter().filter(|m| !added.contains(&addr(m))));
                    came.clear();
                }
                if gone.is_empty() && came.is_empty() {
                    continue;
                }
                let owner_cols: Vec<usize> = to_owner.iter().map(|p| p.1).collect();
                let target_cols: Vec<usize> = to_target.iter().map(|p| p.1).collect();
                for (targets, insert) in [(gone, false), (came, true)] {
                    for t in targets {
                        if insert && self.removed(&t) {
                            continue;
                        }
                        // Deleted by an earlier flush, which deleted its link rows: a loaded
                        // collection lists it until expired, and asks for nothing more
                        // (SQLAlchemy skips such a member too).
                        if t.state().status == Status::Deleted && !self.removed(&t) {
                            continue;
                        }
                        // A member that is not in the session (never added, or deleted before
                        // it was written) has no row to link: no link row, as for a new member
                        // of a one-to-many. SQLAlchemy skips it too, with a warning. The push
                        // stays recorded, written once the member is added.
                        if t.state().status == Status::Transient {
                            if insert {
                                log::warn!(
                                    target: "orm::session",
                                    "a {} in {}.{} is not in the session, so it is not linked; add it with session.add()",
                                    t.meta().rust_name,
                                    meta.rust_name,
                                    rel.field
                                );
                                skipped.push((i, r, t));
                            }
                            continue;
                        }
                        let ov = self.referenced_values(&e.obj, &owner_cols, meta, r)?;
                        let tv = self.referenced_values(&t, &target_cols, meta, r)?;
                        let mut row: Vec<(usize, Value)> = Vec::new();
                        row.extend(to_owner.iter().map(|p| p.0).zip(ov));
                        row.extend(to_target.iter().map(|p| p.0).zip(tv));
                        row.sort_by_key(|(c, _)| *c);
                        let cols: Vec<usize> = row.iter().map(|(c, _)| *c).collect();
                        let vals: Vec<Value> = row.into_iter().map(|(_, v)| v).collect();
                        let Some(k) = Key::from_values(&vals) else {
                            continue;
                        };
                        let unverified = insert && !h.loaded && stored_before(&e.obj, &t);
                        let list = &mut rows[usize::from(insert)];
                        match seen.get(&(link.id(), insert, k.clone())) {
                            // Recorded by both sides: verified if either side was loaded.
                            Some(&at) => list[at].unverified &= unverified,
                            None => {
                                seen.insert((link.id(), insert, k), list.len());
                                list.push(LinkRow {
                                    link,
                                    cols,
                                    vals,
                                    owner: meta,
                                    rel: r,
                                    unverified,
                                });
                            }
                        }
                    }
                }
            }
        }
        self.skipped.extend(skipped);
        let [deletes, inserts] = rows;
        Ok((deletes, inserts))
    }
}

/// Whether both objects had a row before this flush (a link between them may exist).
fn stored_before(a: &ObjRef, b: &ObjRef) -> bool {
    a.state().key.is_some() && b.state().key.is_some()
}

/// Leaves out the unverified inserts whose row the link table already has: pushing a member
/// is a no-op, loaded or not. One `SELECT` per link table and chunk of rows, only when a push
/// went to a collection that was not loaded.
fn drop_stored(sink: &mut Sink<'_>, inserts: &mut Vec<LinkRow>) -> Result<()> {
    let mut stored: FxHashSet<(usize, Key)> = FxHashSet::default();
    let mut asked: Vec<&LinkRow> = inserts.iter().filter(|r| r.unverified).collect();
    if asked.is_empty() {
        return Ok(());
    }
    asked.sort_by_key(|r| (r.link.id(), r.cols.clone()));
    for group in asked.chunk_by(|a, b| a.link.id() == b.link.id() && a.cols == b.cols) {
        let (link, cols) = (group[0].link, &group[0].cols);
        for chunk in group.chunks(CHECK_CHUNK) {
            let params: Vec<Value> = chunk.iter().flat_map(|r| r.vals.iter().cloned()).collect();
            let text = sql::select_link_rows(link, cols, chunk.len());
            sink.conn()?.query(&text, &params, |row| {
                let vals: Vec<Value> = (0..cols.len())
                    .map(|i| row.get_ref(i).map(Value::from_ref))
                    .collect::<Result<_, _>>()?;
                if let Some(k) = Key::from_values(&vals) {
                    stored.insert((link.id(), k));
                }
                Ok(())
            })?;
        }
    }
    if !stored.is_empty() {
        inserts.retain(|r| {
            !(r.unverified
                && Key::from_values(&r.vals).is_some_and(|k| stored.contains(&(r.link.id(), k))))
        });
    }
    Ok(())
}

/// A link-row INSERT that breaks the link table's key: the pair is linked already (a row
/// written by someone else since it was checked). Said in those terms.
fn already_linked(e: Error, owner: &'static TableMeta, r: usize) -> Error {
    let duplicate = matches!(
        &e,
        Error::Statement { source, .. } if source.kind() == DbErrorKind::UniqueViolation
    );
    if !duplicate {
        return e;
    }
    let rel = &owner.relations[r];
    Error::Relationship {
        table: owner.rust_name,
        field: rel.field,
        message: format!(
            "a {} pushed here is already linked to this {} in the database ({e})",
            (rel.target)().rust_name,
            owner.rust_name
        ),
    }
}
