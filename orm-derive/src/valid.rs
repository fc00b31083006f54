//! Checks on one struct, each rule its own function. What needs another struct (that
//! `back_populates` names a field of the right kind, that a foreign key links two tables) is
//! checked by `const` assertions that `expand` generates.

use syn::spanned::Spanned;

use crate::attr::{Errors, Model, Wrapper};

pub fn check(model: &Model<'_>) -> syn::Result<()> {
    let mut errors = Errors::default();
    check_no_generics(model, &mut errors);
    check_has_primary_key(model, &mut errors);
    check_unique_columns(model, &mut errors);
    check_relationship_options(model, &mut errors);
    errors.finish()
}

/// Table structs are concrete: one struct, one table.
fn check_no_generics(model: &Model<'_>, errors: &mut Errors) {
    let generics = &model.input.generics;
    if !generics.params.is_empty() {
        errors.push(syn::Error::new(
            generics.span(),
            "#[derive(Table)] does not support generic structs",
        ));
    }
}

/// Every table needs a primary key: the identity map is keyed by it.
fn check_has_primary_key(model: &Model<'_>, errors: &mut Errors) {
    if !model.columns.iter().any(|c| c.primary_key) {
        errors.push(syn::Error::new(
            model.ident.span(),
            format!(
                "`{}` has no primary key; mark a field with #[orm(primary_key)], e.g. `#[orm(primary_key)] id: Option<i64>`",
                model.ident
            ),
        ));
    }
}

/// Two fields cannot share a column name.
fn check_unique_columns(model: &Model<'_>, errors: &mut Errors) {
    for (i, c) in model.columns.iter().enumerate() {
        if model.columns[..i].iter().any(|o| o.column == c.column) {
            errors.push(syn::Error::new(
                c.field.span(),
                format!("column `{}` is declared twice", c.column),
            ));
        }
    }
}

/// `link_model` belongs on a `Many<T>`; `delete_orphan` on a one-to-many `Many<T>`.
fn check_relationship_options(model: &Model<'_>, errors: &mut Errors) {
    for r in &model.relations {
        if let (Wrapper::One, Some(link)) = (r.wrapper, &r.link_model) {
            errors.push(syn::Error::new(
                link.span(),
                "`link_model` makes a many-to-many relationship, which needs a `Many<T>` field",
            ));
        }
        if let Some(span) = r.delete_orphan {
            if r.wrapper == Wrapper::One || r.link_model.is_some() {
                errors.push(syn::Error::new(
                    span,
                    "`delete_orphan` applies to a one-to-many `Many<T>` (without `link_model`): its removed members are deleted",
                ));
            }
        }
    }
}
