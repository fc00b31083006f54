//! The rules that need another struct, as `const` assertions `expand` places beside the
//! generated code: a relationship has a foreign key to follow (exactly one, or the one its
//! options pick), the fields its options name exist and reference the right table, and
//! `back_populates` partners name each other, mirror each other's kind and pick the same
//! keys. Each assertion is spanned on the attribute, or the part of it, at fault.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::LitStr;

use crate::attr::{Model, RelationField, Wrapper};

/// The `const` assertions of relationship `index` (`r`) of `model`.
pub fn relation_checks(model: &Model<'_>, index: usize, r: &RelationField<'_>) -> TokenStream {
    let me = model.ident;
    let target = r.target;
    let span = r.attr_span;
    let field = r.ident.to_string();
    let target_name = quote!(#target).to_string().replace(' ', "");
    let me_table = quote!(<#me as ::orm::Table>::TABLE_NAME);
    let target_table = quote!(<#target as ::orm::Table>::TABLE_NAME);
    // Whether the `back_populates` partner names the key (`foreign_key`, or its link side).
    let partner_picks = |option: &str| match &r.back_populates {
        Some(back) => {
            let option = syn::Ident::new(option, span);
            quote!(match ::orm::__private::find_relation(<#target as ::orm::Table>::RELATIONS, #back) {
                ::core::option::Option::Some(p) => p.#option.is_some(),
                ::core::option::Option::None => false,
            })
        }
        None => quote!(false),
    };
    let mut checks = Vec::new();

    match (&r.wrapper, &r.link_model) {
        (Wrapper::One, _) => checks.push(one_checks(model, index, r, &target_name)),
        (Wrapper::Many, None) => {
            if let Some(lit) = &r.foreign_key {
                checks.push(named_key(
                    &quote!(#target),
                    &target_name,
                    lit,
                    "foreign_key",
                    &me_table,
                    &me.to_string(),
                ));
            } else {
                let msg = format!(
                    "`{me}.{field}` is a Many<{target_name}>, but `{target_name}` has no foreign key to the table of `{me}`; add #[orm(foreign_key = \"<table>.id\")] to a field of `{target_name}`, or give this relationship a `link_model`"
                );
                let several = format!(
                    "`{me}.{field}`: several fields of `{target_name}` have a foreign key to `{me}`; say which this relationship follows with #[orm(relationship(foreign_key = \"<field of {target_name}>\"))]"
                );
                let picked = partner_picks("foreign_key");
                checks.push(quote_spanned!(span=> {
                    if ::orm::__private::count_foreign_keys(<#target as ::orm::Table>::COLUMNS, #me_table) == 0 { ::core::panic!(#msg) }
                    if ::orm::__private::ambiguous_foreign_keys(<#target as ::orm::Table>::COLUMNS, #me_table) && !#picked { ::core::panic!(#several) }
                }));
            }
        }
        (Wrapper::Many, Some(link)) => {
            let link_name = quote!(#link).to_string().replace(' ', "");
            let none_me = format!("link model `{link_name}` has no foreign key to the table of `{me}`; it needs one to each side of `{me}.{field}`");
            let none_target = format!("link model `{link_name}` has no foreign key to the table of `{target_name}`; it needs one to each side of `{me}.{field}`");
            let many_me = format!("link model `{link_name}` has more than one foreign key to the table of `{me}`; say which links `{me}.{field}`'s owner with `local = \"<field of {link_name}>\"` (and its target with `remote = \"...\"`)");
            let many_target = format!("link model `{link_name}` has more than one foreign key to the table of `{target_name}`; say which links `{me}.{field}`'s target with `remote = \"<field of {link_name}>\"` (and its owner with `local = \"...\"`)");
            let (local_picked, remote_picked) = (r.local.is_some(), r.remote.is_some());
            let partner_remote = partner_picks("remote");
            let partner_local = partner_picks("local");
            let local_ok = if local_picked {
                quote!(true)
            } else {
                partner_remote
            };
            let remote_ok = if remote_picked {
                quote!(true)
            } else {
                partner_local
            };
            // Reported on the `link_model = ...` type: the link model is what must change.
            checks.push(quote_spanned!(link.span()=> {
                let to_me = ::orm::__private::count_foreign_keys(<#link as ::orm::Table>::COLUMNS, #me_table);
                let to_target = ::orm::__private::count_foreign_keys(<#link as ::orm::Table>::COLUMNS, #target_table);
                if to_me == 0 { ::core::panic!(#none_me) }
                if to_target == 0 { ::core::panic!(#none_target) }
                if to_me > 1 && !#local_ok { ::core::panic!(#many_me) }
                if to_target > 1 && !#remote_ok { ::core::panic!(#many_target) }
            }));
            if let Some(lit) = &r.local {
                checks.push(named_key(
                    &quote!(#link),
                    &link_name,
                    lit,
                    "local",
                    &me_table,
                    &me.to_string(),
                ));
            }
            if let Some(lit) = &r.remote {
                checks.push(named_key(
                    &quote!(#link),
                    &link_name,
                    lit,
                    "remote",
                    &target_table,
                    &target_name,
                ));
            }
        }
    }

    if let Some(back) = &r.back_populates {
        checks.push(back_populates_checks(model, index, r, back, &target_name));
    }
    quote_spanned! {span=>
        const _: () = { #(#checks)* };
    }
}

/// `option = "field"` names a field of `on` with a foreign key to table `table` (of struct
/// `table_name`).
fn named_key(
    on: &TokenStream,
    on_name: &str,
    lit: &LitStr,
    option: &str,
    table: &TokenStream,
    table_name: &str,
) -> TokenStream {
    let value = lit.value();
    let missing = format!("{option} = \"{value}\": `{on_name}` has no field `{value}`");
    let no_fk = format!(
        "{option} = \"{value}\": `{on_name}.{value}` has no foreign key to the table of `{table_name}`; name a field that has one, or add #[orm(foreign_key = \"<table>.id\")] to `{value}`"
    );
    quote_spanned!(lit.span()=> {
        match ::orm::__private::find_column(<#on as ::orm::Table>::COLUMNS, #value) {
            ::core::option::Option::None => ::core::panic!(#missing),
            ::core::option::Option::Some(c) => {
                if !::orm::__private::references_table(c, #table) { ::core::panic!(#no_fk) }
            }
        }
    })
}

/// `back_populates = "back"` names a relationship of the target of the mirroring kind,
/// pointing back here, that names this field back and picks the same keys.
fn back_populates_checks(
    model: &Model<'_>,
    index: usize,
    r: &RelationField<'_>,
    back: &LitStr,
    target_name: &str,
) -> TokenStream {
    let me = model.ident;
    let target = r.target;
    let field = r.ident.to_string();
    let back_name = back.value();
    let bspan = back.span();
    let missing = format!(
        "back_populates = \"{back_name}\": `{target_name}` has no relationship field `{back_name}`"
    );
    let wrong_target = format!(
        "back_populates = \"{back_name}\": `{target_name}.{back_name}` does not point back at `{me}`"
    );
    let mine = quote!(<#me as ::orm::Table>::RELATIONS[#index].kind);
    let (expected, wrong_kind) = match (&r.wrapper, &r.link_model) {
        (Wrapper::One, _) => (
            // A `One` that holds the key mirrors a one-to-many (a `Many`, or the reverse
            // `One` of a one-to-one); the reverse `One` mirrors the `One` holding the key.
            quote!(if ::orm::__private::same_kind(#mine, ::orm::RelationKind::ManyToOne) {
                ::orm::RelationKind::OneToMany
            } else {
                ::orm::RelationKind::ManyToOne
            }),
            format!("back_populates = \"{back_name}\": `{target_name}.{back_name}` must mirror the One<{target_name}> `{me}.{field}`: a one-to-many `Many<{me}>` (without link_model), or for a one-to-one a `One<{me}>` on the side without the foreign key"),
        ),
        (Wrapper::Many, None) => (
            quote!(::orm::RelationKind::ManyToOne),
            format!("back_populates = \"{back_name}\": `{target_name}.{back_name}` must be a `One<{me}>` to mirror the Many<{target_name}> `{me}.{field}`"),
        ),
        (Wrapper::Many, Some(_)) => (
            quote!(::orm::RelationKind::ManyToMany),
            format!("back_populates = \"{back_name}\": `{target_name}.{back_name}` must be a `Many<{me}>` with the same link_model to mirror `{me}.{field}`"),
        ),
    };
    let one_sided = format!(
        "back_populates = \"{back_name}\": `{target_name}.{back_name}` does not name `{field}` back; declare #[orm(relationship(back_populates = \"{field}\"))] on `{target_name}.{back_name}` too"
    );
    let other_name = format!(
        "back_populates = \"{back_name}\": `{target_name}.{back_name}` names another field in its back_populates; the two sides must name each other (`back_populates = \"{field}\"` there)"
    );
    let keys = if r.link_model.is_some() {
        format!("back_populates = \"{back_name}\": `{me}.{field}` and `{target_name}.{back_name}` pick different link keys; one side's `local` is the other side's `remote`")
    } else {
        format!("back_populates = \"{back_name}\": `{me}.{field}` and `{target_name}.{back_name}` follow different foreign keys; name the same field in `foreign_key` on both sides, or on one side only")
    };
    quote_spanned!(bspan=> {
        match ::orm::__private::find_relation(<#target as ::orm::Table>::RELATIONS, #back_name) {
            ::core::option::Option::None => ::core::panic!(#missing),
            ::core::option::Option::Some(other) => {
                if !::orm::__private::same_table(other.target_table, <#me as ::orm::Table>::TABLE_NAME) {
                    ::core::panic!(#wrong_target)
                }
                if !::orm::__private::same_kind(other.kind, #expected) {
                    ::core::panic!(#wrong_kind)
                }
                match ::orm::__private::back_populates_agree(&<#me as ::orm::Table>::RELATIONS[#index], other) {
                    1 => ::core::panic!(#one_sided),
                    2 => ::core::panic!(#other_name),
                    3 => ::core::panic!(#keys),
                    _ => {}
                }
            }
        }
    })
}

/// The checks of a `One<T>`, which holds the foreign key (many-to-one, or the holding side of
/// a one-to-one) or, when only the target has a key back, is the reverse side of a
/// one-to-one: then that key must be unique, and only the options of a one-to-many apply.
fn one_checks(
    model: &Model<'_>,
    index: usize,
    r: &RelationField<'_>,
    target_name: &str,
) -> TokenStream {
    let me = model.ident;
    let target = r.target;
    let span = r.attr_span;
    let field = r.ident.to_string();
    let me_table = quote!(<#me as ::orm::Table>::TABLE_NAME);
    let target_table = quote!(<#target as ::orm::Table>::TABLE_NAME);
    let holds = quote!(::orm::__private::same_kind(
        <#me as ::orm::Table>::RELATIONS[#index].kind,
        ::orm::RelationKind::ManyToOne
    ));
    let partner_fk = match &r.back_populates {
        Some(back) => {
            quote!(match ::orm::__private::find_relation(<#target as ::orm::Table>::RELATIONS, #back) {
                ::core::option::Option::Some(p) => p.foreign_key,
                ::core::option::Option::None => ::core::option::Option::<&'static str>::None,
            })
        }
        None => quote!(::core::option::Option::<&'static str>::None),
    };
    let chosen = match &r.foreign_key {
        Some(lit) => quote!(::core::option::Option::Some(#lit)),
        None => partner_fk,
    };
    let mut checks = Vec::new();
    if let Some(lit) = &r.foreign_key {
        let held = named_key(
            &quote!(#me),
            &me.to_string(),
            lit,
            "foreign_key",
            &target_table,
            target_name,
        );
        checks.push(quote_spanned!(span=> if #holds #held));
    } else {
        let msg = format!(
            "`{me}.{field}` is a One<{target_name}>, but no field of `{me}` has a foreign key to the table of `{target_name}` (nor has `{target_name}` one back, for a one-to-one); add #[orm(foreign_key = \"<table>.id\")] to a field such as `{field}_id`"
        );
        let keys: Vec<String> = model
            .columns
            .iter()
            .filter(|c| c.foreign_key.is_some())
            .map(|c| format!("`{}`", c.ident))
            .collect();
        let example = model
            .columns
            .iter()
            .find(|c| c.foreign_key.is_some())
            .map_or("...".to_owned(), |c| c.ident.to_string());
        let several = format!(
            "`{me}.{field}`: several fields of `{me}` have a foreign key to `{target_name}` (among {}); say which this relationship follows, e.g. #[orm(relationship(foreign_key = \"{example}\"))]",
            keys.join(", ")
        );
        let several_back = format!(
            "`{me}.{field}` is the reverse side of a one-to-one, but several fields of `{target_name}` have a foreign key to `{me}`; say which holds it with #[orm(relationship(foreign_key = \"<field of {target_name}>\"))]"
        );
        checks.push(quote_spanned!(span=> {
            let mine = <#me as ::orm::Table>::COLUMNS;
            let theirs = <#target as ::orm::Table>::COLUMNS;
            if ::orm::__private::count_foreign_keys(mine, #target_table) == 0
                && ::orm::__private::count_foreign_keys(theirs, #me_table) == 0 { ::core::panic!(#msg) }
            if #holds {
                if ::orm::__private::ambiguous_foreign_keys(mine, #target_table) && #chosen.is_none() { ::core::panic!(#several) }
            } else if ::orm::__private::ambiguous_foreign_keys(theirs, #me_table) && #chosen.is_none() {
                ::core::panic!(#several_back)
            }
        }));
    }
    let key_name = r.foreign_key.as_ref().map_or(
        "its foreign key to `".to_owned() + &me.to_string() + "`",
        |l| format!("`{}`", l.value()),
    );
    let not_unique = format!(
        "`{me}.{field}` is a One<{target_name}> without a foreign key: the reverse side of a one-to-one, whose key `{target_name}` holds ({key_name}); that key must be unique: add #[orm(unique)] to it, or make `{field}` a Many<{target_name}>"
    );
    checks.push(quote_spanned!(span=> {
        if !#holds && !::orm::__private::reverse_key_unique(<#target as ::orm::Table>::COLUMNS, #me_table, #chosen) {
            ::core::panic!(#not_unique)
        }
    }));
    let options = [
        (r.delete_orphan, true, "`delete_orphan` applies to a one-to-many `Many<T>` (without `link_model`), or to the reverse side of a one-to-one (the `One<T>` without the foreign key): its removed members are deleted"),
        (r.passive_deletes, true, "`passive_deletes` applies to a one-to-many `Many<T>` (without `link_model`), or to the reverse side of a one-to-one, whose members' foreign key has `ondelete`: deleting the owner leaves them to the database"),
        (r.post_update, false, "`post_update` goes on the `One<T>` that holds the foreign key closing a cycle between two tables; this one is the reverse side of a one-to-one"),
    ];
    for (option, reverse_only, msg) in options {
        let Some(ospan) = option else { continue };
        let wrong = if reverse_only {
            quote!(#holds)
        } else {
            quote!(!#holds)
        };
        checks.push(quote_spanned!(ospan=> { if #wrong { ::core::panic!(#msg) } }));
    }
    quote!(#(#checks)*)
}
