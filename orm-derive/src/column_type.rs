//! `#[derive(ColumnType)]`: a fieldless enum stored as text (the variant names, or their
//! renames) or as an integer (the discriminants), and a newtype (`struct Email(String)`)
//! stored as the column type it wraps. Parsing, checks and generation of this small derive
//! sit together; every mistake is reported at once, on its span.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, LitStr};

use crate::attr::Errors;

// Attribute keywords.
const STORE: &str = "store";
const RENAME: &str = "rename";
const RENAME_ALL: &str = "rename_all";

/// How a `rename_all` convention spells a variant name.
type Rule = fn(&str) -> String;

/// The `rename_all = "..."` conventions.
const RENAME_RULES: &[(&str, Rule)] = &[
    ("lowercase", |s| s.to_lowercase()),
    ("UPPERCASE", |s| s.to_uppercase()),
    ("snake_case", |s| snake(s, '_')),
    ("SCREAMING_SNAKE_CASE", |s| snake(s, '_').to_uppercase()),
    ("kebab-case", |s| snake(s, '-')),
];

/// How an enum is stored.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Store {
    Text,
    Integer,
}

pub fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "#[derive(ColumnType)] does not support generic types; implement orm::ColumnType by hand",
        ));
    }
    match &input.data {
        Data::Struct(s) => newtype(input, &s.fields),
        Data::Enum(e) => enumeration(input, e),
        Data::Union(_) => Err(syn::Error::new(
            input.ident.span(),
            "#[derive(ColumnType)] works on a fieldless enum or a struct with one field",
        )),
    }
}

/// `struct Email(String)`: stored as the wrapped type.
fn newtype(input: &DeriveInput, fields: &Fields) -> syn::Result<TokenStream> {
    if let Some(attr) = input.attrs.iter().find(|a| a.path().is_ident("orm")) {
        return Err(syn::Error::new_spanned(
            attr,
            "a newtype is stored as the type it wraps and takes no #[orm(...)] attribute",
        ));
    }
    let mut iter = fields.iter();
    let (Some(field), None) = (iter.next(), iter.next()) else {
        return Err(syn::Error::new(
            fields.span(),
            "#[derive(ColumnType)] on a struct needs exactly one field, the stored value: `struct Email(String);`",
        ));
    };
    let ident = &input.ident;
    let ty = &field.ty;
    let (access, build) = match &field.ident {
        Some(name) => (quote!(self.#name), quote!(#ident { #name: inner })),
        None => (quote!(self.0), quote!(#ident(inner))),
    };
    let inner = quote_spanned!(ty.span()=> <#ty as ::orm::ColumnType>);
    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl ::orm::ColumnType for #ident {
                const SQL_TYPE: &'static str = #inner::SQL_TYPE;
                fn to_value(&self) -> ::orm::Value {
                    #inner::to_value(&#access)
                }
                fn from_sql(
                    v: ::orm::ValueRef<'_>,
                ) -> ::core::result::Result<Self, ::orm::ConvertError> {
                    #inner::from_sql(v).map(|inner| #build)
                }
            }
        };
    })
}

/// The enum's `#[orm(store = ..., rename_all = ...)]`.
fn enum_options(input: &DeriveInput, errors: &mut Errors) -> (Store, Option<Rule>) {
    let mut store = Store::Text;
    let mut rule = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("orm")) {
        let r = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(STORE) {
                let lit: LitStr = meta.value()?.parse()?;
                store = match lit.value().as_str() {
                    "text" => Store::Text,
                    "integer" => Store::Integer,
                    other => {
                        return Err(syn::Error::new(
                            lit.span(),
                            format!("unknown storage `{other}`; expected \"text\" (the variant names, the default) or \"integer\" (the discriminants)"),
                        ))
                    }
                };
                Ok(())
            } else if meta.path.is_ident(RENAME_ALL) {
                let lit: LitStr = meta.value()?.parse()?;
                let names: Vec<&str> = RENAME_RULES.iter().map(|(n, _)| *n).collect();
                rule = Some(
                    RENAME_RULES
                        .iter()
                        .find(|(n, _)| *n == lit.value())
                        .map(|(_, f)| *f)
                        .ok_or_else(|| {
                            syn::Error::new(
                                lit.span(),
                                format!("unknown rename rule; expected one of \"{}\"", names.join("\", \"")),
                            )
                        })?,
                );
                Ok(())
            } else {
                Err(meta.error(format!(
                    "unknown attribute; an enum takes `{STORE} = \"text\" | \"integer\"` and `{RENAME_ALL} = \"snake_case\"`"
                )))
            }
        });
        if let Err(e) = r {
            errors.push(e);
        }
    }
    (store, rule)
}

/// A variant's `#[orm(rename = "...")]`.
fn variant_rename(variant: &syn::Variant, errors: &mut Errors) -> Option<LitStr> {
    let mut rename = None;
    for attr in variant.attrs.iter().filter(|a| a.path().is_ident("orm")) {
        let r = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(RENAME) {
                rename = Some(meta.value()?.parse::<LitStr>()?);
                Ok(())
            } else {
                Err(meta.error(format!(
                    "unknown attribute; a variant takes `{RENAME} = \"stored text\"`"
                )))
            }
        });
        if let Err(e) = r {
            errors.push(e);
        }
    }
    rename
}

/// A fieldless enum: text (names or renames) or integer (discriminants).
fn enumeration(input: &DeriveInput, data: &syn::DataEnum) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let (store, rule) = enum_options(input, &mut errors);
    if data.variants.is_empty() {
        errors.push(syn::Error::new(
            input.ident.span(),
            "an enum without variants has no value to store",
        ));
    }
    let mut variants: Vec<(&Ident, String)> = Vec::new();
    for v in &data.variants {
        if !matches!(v.fields, Fields::Unit) {
            errors.push(syn::Error::new_spanned(
                &v.fields,
                "#[derive(ColumnType)] stores fieldless enums only; this variant has fields (store it as JSON with orm::Json<T>, feature `serde_json`)",
            ));
        }
        let rename = variant_rename(v, &mut errors);
        let text = match (&rename, store) {
            (Some(lit), Store::Integer) => {
                errors.push(syn::Error::new(
                    lit.span(),
                    "`rename` sets the stored text; an enum with `store = \"integer\"` stores its discriminants (write `Variant = 3` to choose one)",
                ));
                String::new()
            }
            (Some(lit), Store::Text) => lit.value(),
            (None, _) => {
                let name = v.ident.to_string();
                rule.map_or(name.clone(), |f| f(&name))
            }
        };
        if store == Store::Text {
            if let Some((first, _)) = variants.iter().find(|(_, t)| *t == text) {
                let span = rename.as_ref().map_or(v.ident.span(), LitStr::span);
                errors.push(syn::Error::new(
                    span,
                    format!("variant `{}` is stored as \"{text}\", like `{first}`: each variant needs its own text", v.ident),
                ));
            }
        }
        variants.push((&v.ident, text));
    }
    errors.finish()?;
    Ok(match store {
        Store::Text => text_enum(&input.ident, &variants),
        Store::Integer => integer_enum(&input.ident, &variants),
    })
}

fn text_enum(ident: &Ident, variants: &[(&Ident, String)]) -> TokenStream {
    let width = variants
        .iter()
        .map(|(_, t)| t.chars().count())
        .max()
        .unwrap_or(0);
    let sql_type = format!("VARCHAR({width})");
    let names: Vec<&Ident> = variants.iter().map(|(v, _)| *v).collect();
    let texts: Vec<&str> = variants.iter().map(|(_, t)| t.as_str()).collect();
    let bytes = texts
        .iter()
        .map(|t| syn::LitByteStr::new(t.as_bytes(), Span::call_site()));
    let expected = format!(
        "one of the texts of `{ident}` ({})",
        texts
            .iter()
            .map(|t| format!("'{t}'"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    quote! {
        const _: () = {
            #[automatically_derived]
            impl ::orm::ColumnType for #ident {
                const SQL_TYPE: &'static str = #sql_type;
                fn to_value(&self) -> ::orm::Value {
                    ::orm::Value::Text(::std::string::String::from(match self {
                        #(#ident::#names => #texts,)*
                    }))
                }
                fn from_sql(
                    v: ::orm::ValueRef<'_>,
                ) -> ::core::result::Result<Self, ::orm::ConvertError> {
                    match v {
                        #(::orm::ValueRef::Text(#bytes) => ::core::result::Result::Ok(#ident::#names),)*
                        other => ::core::result::Result::Err(::orm::ConvertError::expected(#expected, other)),
                    }
                }
            }
        };
    }
}

fn integer_enum(ident: &Ident, variants: &[(&Ident, String)]) -> TokenStream {
    let names: Vec<&Ident> = variants.iter().map(|(v, _)| *v).collect();
    let expected = format!("one of the discriminants of `{ident}`");
    quote! {
        const _: () = {
            #[automatically_derived]
            impl ::orm::ColumnType for #ident {
                const SQL_TYPE: &'static str = "INTEGER";
                fn to_value(&self) -> ::orm::Value {
                    ::orm::Value::Integer(match self {
                        #(#ident::#names => #ident::#names as i64,)*
                    })
                }
                fn from_sql(
                    v: ::orm::ValueRef<'_>,
                ) -> ::core::result::Result<Self, ::orm::ConvertError> {
                    match v {
                        #(::orm::ValueRef::Integer(i) if i == #ident::#names as i64 => ::core::result::Result::Ok(#ident::#names),)*
                        other => ::core::result::Result::Err(::orm::ConvertError::expected(#expected, other)),
                    }
                }
            }
        };
    }
}

/// `FlyingHigh` -> `flying_high` (with `sep` between words).
fn snake(name: &str, sep: char) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(sep);
        }
        out.extend(c.to_lowercase());
    }
    out
}
