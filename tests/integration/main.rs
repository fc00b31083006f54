//! The integration tests, one module per area, built as one test binary: one link instead of
//! forty, and a fraction of the disk. Run one area with `cargo test --test integration
//! savepoints::`. Tests that need the whole process to themselves (a counting global
//! allocator, the one `log` logger) stay in their own files beside this folder.

#[path = "../common/mod.rs"]
mod common;

mod autoflush;
mod bulk;
mod chrono;
mod collect_attacks;
mod column_types;
mod counted;
mod crash;
mod create_all;
mod decimal;
mod deletes;
mod eager;
mod errors;
mod expunge;
mod faults;
mod identity_map;
mod inspect;
mod joins;
mod json;
mod link_model;
mod many_to_many;
mod memory;
mod merge;
mod model;
mod on_delete;
mod one_to_many;
mod one_to_one;
mod post_update;
mod query;
mod raw_sql;
mod savepoints;
mod self_referential;
mod send_sync;
mod serde;
mod several_foreign_keys;
mod time;
mod transactions;
mod unique_values;
mod unit_of_work;
mod uuid;
mod version;
mod workloads;
