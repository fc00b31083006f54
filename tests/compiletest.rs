//! Every compile error of `#[derive(Table)]`, `#[derive(ColumnType)]` (and of typed queries),
//! pinned by trybuild. Regenerate the expected output with
//! `TRYBUILD=overwrite cargo test --test compiletest`.

// The messages list some of the column types there are, which the column-type features
// change: the expected output is the one without features. (The PostgreSQL run of the suite
// changes nothing here, and plain `cargo test` has run it already.)
#[test]
#[cfg_attr(
    any(
        feature = "chrono",
        feature = "time",
        feature = "uuid",
        feature = "serde_json",
        feature = "rust_decimal",
        feature = "serde",
        feature = "postgres"
    ),
    ignore = "the expected compiler output is the one without features"
)]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
