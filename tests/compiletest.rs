//! Every compile error of `#[derive(Table)]` (and of typed queries), pinned by trybuild.
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test --test compiletest`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
