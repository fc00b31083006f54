//! `#[derive(Table)]` and `#[derive(ColumnType)]` for the `orm` crate.
//!
//! The macro describes; the runtime acts. It reads the struct and its `#[orm(...)]`
//! attributes into a model (`attr`), checks everything that can be checked on one struct
//! (`valid`), and generates an implementation of `orm::Table` plus typed column handles and
//! `const` assertions for what can only be checked against other structs, such as
//! `back_populates` (`expand`). Every mistake is a compile error on the offending span; all
//! of them are reported at once.

mod attr;
mod checks;
mod column_type;
mod expand;
mod valid;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Derives `orm::Table` for a struct with named fields. See the `orm` crate documentation
/// for the attributes.
#[proc_macro_derive(Table, attributes(orm))]
pub fn derive_table(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    try_expand(&input)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}

fn try_expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let model = attr::Model::from_input(input)?;
    valid::check(&model)?;
    Ok(expand::expand(&model))
}

/// Derives `orm::ColumnType`, so the type can be a column (and `Option` of it a nullable
/// one): a fieldless enum is stored as text, its variant names (`#[orm(rename = "...")]` on
/// a variant, `#[orm(rename_all = "snake_case")]` on the enum), or as an integer, its
/// discriminants (`#[orm(store = "integer")]`); a struct with one field (`struct
/// Email(String)`) is stored as that field's type. See the `orm` crate documentation.
#[proc_macro_derive(ColumnType, attributes(orm))]
pub fn derive_column_type(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    column_type::derive(&input)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}
