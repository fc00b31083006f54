//! Checks on one struct, each rule its own function. What needs another struct (that
//! `back_populates` names a field of the right kind, that a foreign key links two tables) is
//! checked by `const` assertions that `expand` generates.

use syn::spanned::Spanned;
use syn::{GenericArgument, PathArguments, Type};

use crate::attr::{Errors, Model, Wrapper};

pub fn check(model: &Model<'_>) -> syn::Result<()> {
    let mut errors = Errors::default();
    check_version_column(model, &mut errors);
    check_no_generics(model, &mut errors);
    check_has_primary_key(model, &mut errors);
    check_unique_columns(model, &mut errors);
    check_column_types(model, &mut errors);
    check_relationship_options(model, &mut errors);
    check_relationship_keys(model, &mut errors);
    check_on_delete(model, &mut errors);
    errors.finish()
}

/// Table structs are concrete: one struct, one table.
fn check_no_generics(model: &Model<'_>, errors: &mut Errors) {
    let generics = &model.input.generics;
    if !generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            generics,
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
        if let Some(first) = model.columns[..i].iter().find(|o| o.column == c.column) {
            let message = format!(
                "column `{}` is declared twice: field `{}` already uses it",
                c.column, first.ident
            );
            errors.push(match &c.column_lit {
                Some(lit) => syn::Error::new(lit.span(), message),
                None => syn::Error::new(c.ident.span(), message),
            });
        }
    }
}

/// `Option<Option<T>>` is not a column type (a nullable column is one `Option<T>`). The
/// type system rejects it too, but in terms of an internal trait; this says it plainly.
fn check_column_types(model: &Model<'_>, errors: &mut Errors) {
    for c in &model.columns {
        if option_inner(&c.field.ty).and_then(option_inner).is_some() {
            errors.push(syn::Error::new_spanned(
                &c.field.ty,
                "a column cannot be `Option<Option<T>>`: a nullable column is a single `Option<T>`",
            ));
        }
    }
}

/// `Option<T>` (or `std::option::Option<T>`, ...) -> `T`.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(t)) if args.args.len() == 1 => Some(t),
        _ => None,
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
        if let (Some(span), Wrapper::Many) = (r.post_update, r.wrapper) {
            errors.push(syn::Error::new(
                span,
                "`post_update` goes on the `One<T>` whose foreign key closes a cycle between two tables: that key is written by an UPDATE after both rows exist",
            ));
        }
        // On a `One`, whether it is the reverse side of a one-to-one (where `delete_orphan`
        // and `passive_deletes` apply) needs the target's columns: a `const` check.
        if let Some(span) = r.delete_orphan {
            if r.link_model.is_some() {
                errors.push(syn::Error::new(
                    span,
                    "`delete_orphan` applies to a one-to-many `Many<T>` (without `link_model`): its removed members are deleted",
                ));
            }
        }
    }
}

/// At most one `version` column, an integer that is not part of the primary key.
fn check_version_column(model: &Model<'_>, errors: &mut Errors) {
    let versions: Vec<_> = model.columns.iter().filter(|c| c.version).collect();
    for extra in versions.iter().skip(1) {
        errors.push(syn::Error::new(
            extra.ident.span(),
            "a table has one `version` column; this is a second one",
        ));
    }
    for c in versions {
        if c.primary_key {
            errors.push(syn::Error::new(
                c.ident.span(),
                "the `version` column counts UPDATEs of the row; it cannot be part of the primary key",
            ));
        }
    }
}

/// `foreign_key = "field"` picks the key of a `One` or a one-to-many `Many`; a many-to-many
/// picks its link model's keys with `local` / `remote` instead, and only it has them.
/// `passive_deletes` belongs on a one-to-many `Many<T>`: the members it leaves to the database.
fn check_relationship_keys(model: &Model<'_>, errors: &mut Errors) {
    for r in &model.relations {
        match (&r.link_model, &r.foreign_key) {
            (Some(_), Some(fk)) => errors.push(syn::Error::new(
                fk.span(),
                "a many-to-many relationship picks its link model's keys with `local = \"field\"` (the key to this struct) and `remote = \"field\"` (the key to the target), not `foreign_key`",
            )),
            (None, _) => {
                for lit in r.local.iter().chain(&r.remote) {
                    errors.push(syn::Error::new(
                        lit.span(),
                        "`local` / `remote` name the fields of a `link_model`; this relationship has none (its key is picked with `foreign_key = \"field\"`)",
                    ));
                }
            }
            _ => {}
        }
        if let Some(span) = r.passive_deletes {
            if r.link_model.is_some() {
                errors.push(syn::Error::new(
                    span,
                    "`passive_deletes` applies to a one-to-many `Many<T>` (without `link_model`) whose members' foreign key has `ondelete`: deleting the owner leaves them to the database",
                ));
            }
        }
    }
}

/// `ondelete` qualifies a `foreign_key`; `"SET NULL"` needs a column that can be NULL.
fn check_on_delete(model: &Model<'_>, errors: &mut Errors) {
    for c in &model.columns {
        let Some((action, span)) = c.on_delete else {
            continue;
        };
        if c.foreign_key.is_none() {
            errors.push(syn::Error::new(
                span,
                format!(
                    "`ondelete` says what the database does to this row when the row its foreign key references is deleted; add `foreign_key = \"table.column\"` to `{}`",
                    c.ident
                ),
            ));
        } else if action == "SetNull" && (option_inner(&c.field.ty).is_none() || c.primary_key) {
            errors.push(syn::Error::new(
                span,
                format!(
                    "ondelete = \"SET NULL\" needs a column that can be NULL: make `{}` an `Option<...>` (not part of the primary key), or use \"CASCADE\"",
                    c.ident
                ),
            ));
        }
    }
}
