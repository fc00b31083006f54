//! Code generation: the `orm::Table` implementation (metadata and glue), typed column
//! handles (`Hero::name`) and relationship handles (`Hero::team`), an optional `Default`, and `const` assertions for cross-struct
//! rules. Generated code uses fully qualified paths and lives in `const _: () = { ... };`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::attr::{Model, RelationField, Wrapper};
use crate::checks;

pub fn expand(model: &Model<'_>) -> TokenStream {
    let ident = model.ident;
    let table = &model.table;
    let rust_name = ident.to_string();
    let columns = model.columns.iter().map(|c| {
        let ty = &c.field.ty;
        let name = &c.column;
        let field = c.ident.to_string();
        let (pk, index, unique, version) = (c.primary_key, c.index, c.unique, c.version);
        let on_delete = match c.on_delete {
            Some((action, _)) => {
                let action = syn::Ident::new(action, proc_macro2::Span::call_site());
                quote!(::core::option::Option::Some(::orm::OnDelete::#action))
            }
            None => quote!(::core::option::Option::None),
        };
        let fk = match &c.foreign_key {
            Some((t, col)) => quote!(::core::option::Option::Some(::orm::ForeignKeyDef { table: #t, column: #col, on_delete: #on_delete })),
            None => quote!(::core::option::Option::None),
        };
        let sql_type = quote_spanned!(ty.span()=> <#ty as ::orm::SqlType>::SQL_TYPE);
        let postgres_type = quote_spanned!(ty.span()=> <#ty as ::orm::SqlType>::POSTGRES_TYPE);
        let optional = quote_spanned!(ty.span()=> <#ty as ::orm::SqlType>::NULLABLE);
        quote! {
            ::orm::ColumnDef {
                name: #name, field: #field, sql_type: #sql_type, postgres_type: #postgres_type, optional: #optional,
                primary_key: #pk, index: #index, unique: #unique, version: #version, foreign_key: #fk,
            }
        }
    });
    let primary_key: Vec<usize> = model
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.primary_key)
        .map(|(i, _)| i)
        .collect();
    let relations = model.relations.iter().map(|r| relation_def(model, r));
    // Everything that needs `SqlType` of a field's type is spanned on that type, so an
    // unsupported type is reported on the field, not on `#[derive(Table)]`.
    let value_arms = model.columns.iter().enumerate().map(|(i, c)| {
        let (f, ty) = (c.ident, &c.field.ty);
        let value = quote_spanned!(ty.span()=> <#ty as ::orm::SqlType>::to_value(&self.#f));
        quote!(#i => #value,)
    });
    let equals_arms = model.columns.iter().enumerate().map(|(i, c)| {
        let (f, ty) = (c.ident, &c.field.ty);
        let equals =
            quote_spanned!(ty.span()=> <#ty as ::orm::SqlType>::equals_value(&self.#f, value));
        quote!(#i => #equals,)
    });
    let set_arms = model.columns.iter().enumerate().map(|(i, c)| {
        let (f, ty) = (c.ident, &c.field.ty);
        let value = quote_spanned!(ty.span()=> ::orm::__private::convert::<#ty>(value)?);
        quote!(#i => { self.#f = #value; })
    });
    let check_arms = model.columns.iter().enumerate().map(|(i, c)| {
        let ty = &c.field.ty;
        let value = quote_spanned!(ty.span()=> ::orm::__private::convert::<#ty>(value).map(drop));
        quote!(#i => #value,)
    });
    let from_row = model.columns.iter().enumerate().map(|(i, c)| {
        let (f, ty) = (c.ident, &c.field.ty);
        let value = quote_spanned!(ty.span()=> row.get::<#ty>(#i)?);
        quote!(#f: #value,)
    });
    let from_values = model.columns.iter().enumerate().map(|(i, c)| {
        let (f, ty) = (c.ident, &c.field.ty);
        let value = quote_spanned!(ty.span()=> ::orm::__private::convert::<#ty>(&values[#i])?);
        quote!(#f: #value,)
    });
    let load_row = model.columns.iter().enumerate().map(|(i, c)| {
        let (f, ty) = (c.ident, &c.field.ty);
        let value = quote_spanned!(ty.span()=> row.get::<#ty>(#i)?);
        quote!(self.#f = #value;)
    });
    let rel_idents: Vec<_> = model.relations.iter().map(|r| r.ident).collect();
    let rel_index: Vec<usize> = (0..model.relations.len()).collect();
    let skipped: Vec<_> = model.skipped.iter().map(|f| f.ident.as_ref()).collect();
    let handles = model.columns.iter().enumerate().map(|(i, c)| {
        let f = c.ident;
        let ty = &c.field.ty;
        let vis = &c.field.vis;
        let doc = format!("The `{}` column, for queries.", c.column);
        let handle = quote_spanned!(ty.span()=> ::orm::Column::new(#i));
        quote! {
            #[doc = #doc]
            #vis const #f: ::orm::Column<#ident, #ty> = #handle;
        }
    });
    let relation_handles = model.relations.iter().enumerate().map(|(i, r)| {
        let f = r.ident;
        let target = r.target;
        let vis = field_vis(model, f);
        let doc = format!("The `{f}` relationship, for joins and `any` / `has` in queries.");
        quote! {
            #[doc = #doc]
            #vis const #f: ::orm::Relation<#ident, #target> = ::orm::Relation::new(#i);
        }
    });
    let checks = model
        .relations
        .iter()
        .enumerate()
        .map(|(i, r)| checks::relation_checks(model, i, r));
    let default_impl = default_impl(model);

    quote! {
        #[allow(non_upper_case_globals, unused_braces, dead_code, clippy::all)]
        const _: () = {
            #[automatically_derived]
            impl ::orm::Table for #ident {
                const TABLE_NAME: &'static str = #table;
                const COLUMNS: &'static [::orm::ColumnDef] = &[#(#columns),*];
                const RELATIONS: &'static [::orm::RelationDef] = &[#(#relations),*];

                fn meta() -> &'static ::orm::TableMeta {
                    static META: ::orm::TableMeta = ::orm::TableMeta::new(
                        #table,
                        #rust_name,
                        <#ident as ::orm::Table>::COLUMNS,
                        &[#(#primary_key),*],
                        <#ident as ::orm::Table>::RELATIONS,
                        ::orm::__private::factory::<#ident>(),
                    );
                    &META
                }

                fn column_value(&self, index: usize) -> ::orm::Value {
                    match index {
                        #(#value_arms)*
                        _ => ::orm::Value::Null,
                    }
                }

                fn column_equals(&self, index: usize, value: &::orm::Value) -> bool {
                    match index {
                        #(#equals_arms)*
                        _ => value.is_null(),
                    }
                }

                fn set_column(
                    &mut self,
                    index: usize,
                    value: &::orm::Value,
                ) -> ::core::result::Result<(), ::orm::ConvertError> {
                    match index {
                        #(#set_arms)*
                        _ => {}
                    }
                    ::core::result::Result::Ok(())
                }

                fn check_column(
                    index: usize,
                    value: &::orm::Value,
                ) -> ::core::result::Result<(), ::orm::ConvertError> {
                    match index {
                        #(#check_arms)*
                        _ => ::core::result::Result::Ok(()),
                    }
                }

                fn from_row(row: &::orm::__private::RowReader<'_>) -> ::orm::Result<Self> {
                    ::core::result::Result::Ok(#ident {
                        #(#from_row)*
                        #(#rel_idents: ::orm::__private::RelationField::unloaded(),)*
                        #(#skipped: ::core::default::Default::default(),)*
                    })
                }

                fn from_values(
                    values: &[::orm::Value],
                ) -> ::core::result::Result<Self, ::orm::ConvertError> {
                    ::core::result::Result::Ok(#ident {
                        #(#from_values)*
                        #(#rel_idents: ::core::default::Default::default(),)*
                        #(#skipped: ::core::default::Default::default(),)*
                    })
                }

                fn load_row(&mut self, row: &::orm::__private::RowReader<'_>) -> ::orm::Result<()> {
                    #(#load_row)*
                    ::core::result::Result::Ok(())
                }

                fn relation_cells(&self) -> ::orm::__private::Vec<::orm::__private::CellRef> {
                    ::orm::__private::Vec::from([
                        #(::orm::__private::RelationField::cell(&self.#rel_idents),)*
                    ])
                }

                fn restore_relations(
                    &mut self,
                    bound: &[::orm::__private::CellRef],
                ) -> ::orm::__private::Vec<::orm::__private::Reassignment> {
                    let mut out = ::orm::__private::Vec::new();
                    #(
                        if let ::core::option::Option::Some(cell) = bound.get(#rel_index) {
                            out.extend(::orm::__private::RelationField::restore(&mut self.#rel_idents, cell));
                        }
                    )*
                    out
                }
            }

            #[automatically_derived]
            impl #ident {
                #(#handles)*
                #(#relation_handles)*
            }

            #default_impl

            #(#checks)*
        };
    }
}

/// The visibility of field `ident` of the struct (a relationship handle takes its field's).
fn field_vis(model: &Model<'_>, ident: &syn::Ident) -> syn::Visibility {
    match &model.input.data {
        syn::Data::Struct(s) => s
            .fields
            .iter()
            .find(|f| f.ident.as_ref() == Some(ident))
            .map_or(syn::Visibility::Inherited, |f| f.vis.clone()),
        _ => syn::Visibility::Inherited,
    }
}

fn relation_def(model: &Model<'_>, r: &RelationField<'_>) -> TokenStream {
    let field = r.ident.to_string();
    let target = r.target;
    let me = model.ident;
    let name = |lit: &Option<syn::LitStr>| match lit {
        Some(l) => quote!(::core::option::Option::Some(#l)),
        None => quote!(::core::option::Option::None),
    };
    let (foreign_key, local, remote) = (name(&r.foreign_key), name(&r.local), name(&r.remote));
    // A `One` holds the foreign key, or is the reverse side of a one-to-one: which, the
    // two tables' columns say (in `const`).
    let kind = match (r.wrapper, &r.link_model) {
        (Wrapper::One, _) => quote!(::orm::__private::one_kind(
            <#me as ::orm::Table>::COLUMNS,
            <#me as ::orm::Table>::TABLE_NAME,
            <#target as ::orm::Table>::COLUMNS,
            <#target as ::orm::Table>::TABLE_NAME,
            #foreign_key,
        )),
        (Wrapper::Many, None) => quote!(::orm::RelationKind::OneToMany),
        (Wrapper::Many, Some(_)) => quote!(::orm::RelationKind::ManyToMany),
    };
    let back = match &r.back_populates {
        Some(b) => quote!(::core::option::Option::Some(#b)),
        None => quote!(::core::option::Option::None),
    };
    let link = match &r.link_model {
        Some(l) => quote!(::core::option::Option::Some(<#l as ::orm::Table>::meta)),
        None => quote!(::core::option::Option::None),
    };
    let orphan = r.delete_orphan.is_some();
    let post_update = r.post_update.is_some();
    let passive_deletes = r.passive_deletes.is_some();
    let lazy = syn::Ident::new(r.lazy.unwrap_or("Select"), proc_macro2::Span::call_site());
    let order_by = match &r.order_by {
        Some(key) => quote_spanned! {key.span()=>
            ::core::option::Option::Some({
                fn order() -> ::orm::__private::Vec<::orm::SortTerm> {
                    ::orm::__private::sort_terms(#key)
                }
                order
            })
        },
        None => quote!(::core::option::Option::None),
    };
    quote! {
        ::orm::RelationDef {
            field: #field,
            kind: #kind,
            target_table: <#target as ::orm::Table>::TABLE_NAME,
            target: <#target as ::orm::Table>::meta,
            back_populates: #back,
            link: #link,
            delete_orphan: #orphan,
            lazy: ::orm::Lazy::#lazy,
            order_by: #order_by,
            post_update: #post_update,
            foreign_key: #foreign_key,
            local: #local,
            remote: #remote,
            passive_deletes: #passive_deletes,
        }
    }
}

/// `impl Default` when some field has `default = expr`: those fields take their expression,
/// the others `Default::default()`.
fn default_impl(model: &Model<'_>) -> TokenStream {
    if !model.columns.iter().any(|c| c.default.is_some()) {
        return TokenStream::new();
    }
    let ident = model.ident;
    let columns = model.columns.iter().map(|c| {
        let f = c.ident;
        match &c.default {
            Some(e) => quote!(#f: ::core::convert::Into::into(#e),),
            None => quote!(#f: ::core::default::Default::default(),),
        }
    });
    let others = model
        .relations
        .iter()
        .map(|r| r.ident)
        .chain(model.skipped.iter().filter_map(|f| f.ident.as_ref()));
    quote! {
        #[automatically_derived]
        impl ::core::default::Default for #ident {
            fn default() -> Self {
                #ident {
                    #(#columns)*
                    #(#others: ::core::default::Default::default(),)*
                }
            }
        }
    }
}
