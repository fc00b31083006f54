//! Parsing: the struct and its `#[orm(...)]` attributes into a [`Model`]. Every error found
//! is collected, so the user sees all of them at once.

use proc_macro2::Span;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Expr, Fields, GenericArgument, Ident, LitStr, PathArguments, Type};

// Attribute keywords.
pub const TABLE: &str = "table";
pub const PRIMARY_KEY: &str = "primary_key";
pub const INDEX: &str = "index";
pub const UNIQUE: &str = "unique";
pub const VERSION: &str = "version";
pub const FOREIGN_KEY: &str = "foreign_key";
pub const COLUMN: &str = "column";
pub const DEFAULT: &str = "default";
pub const SKIP: &str = "skip";
pub const RELATIONSHIP: &str = "relationship";
pub const BACK_POPULATES: &str = "back_populates";
pub const LINK_MODEL: &str = "link_model";
pub const DELETE_ORPHAN: &str = "delete_orphan";
pub const LAZY: &str = "lazy";
pub const ORDER_BY: &str = "order_by";
pub const POST_UPDATE: &str = "post_update";
pub const LOCAL: &str = "local";
pub const REMOTE: &str = "remote";
pub const PASSIVE_DELETES: &str = "passive_deletes";
pub const ONDELETE: &str = "ondelete";

/// The actions `ondelete = "..."` accepts, with the `orm::OnDelete` variant of each.
pub const ONDELETE_ACTIONS: &[(&str, &str)] = &[
    ("CASCADE", "Cascade"),
    ("SET NULL", "SetNull"),
    ("RESTRICT", "Restrict"),
];

/// The loader strategies `lazy = "..."` accepts, with the `orm::Lazy` variant of each.
pub const LAZY_STRATEGIES: &[(&str, &str)] = &[
    ("select", "Select"),
    ("selectin", "SelectIn"),
    ("joined", "Joined"),
    ("raise", "Raise"),
];

/// The struct as the macro understands it.
pub struct Model<'a> {
    pub ident: &'a Ident,
    pub table: String,
    pub table_span: Span,
    pub columns: Vec<ColumnField<'a>>,
    pub relations: Vec<RelationField<'a>>,
    pub skipped: Vec<&'a syn::Field>,
    pub input: &'a DeriveInput,
}

/// A field stored in a column.
pub struct ColumnField<'a> {
    pub field: &'a syn::Field,
    pub ident: &'a Ident,
    pub column: String,
    /// The `column = "..."` literal, if any, for error spans.
    pub column_lit: Option<LitStr>,
    pub primary_key: bool,
    pub index: bool,
    pub unique: bool,
    /// `version`: an integer column counting the row's UPDATEs (optimistic concurrency).
    pub version: bool,
    pub foreign_key: Option<(String, String)>,
    /// `ondelete = "..."` of the foreign key, as the name of its `orm::OnDelete` variant.
    pub on_delete: Option<(&'static str, Span)>,
    pub default: Option<Expr>,
}

/// `One<T>` or `Many<T>`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Wrapper {
    One,
    Many,
}

/// A relationship field.
pub struct RelationField<'a> {
    pub ident: &'a Ident,
    pub wrapper: Wrapper,
    pub target: &'a Type,
    pub back_populates: Option<LitStr>,
    pub link_model: Option<syn::Path>,
    pub delete_orphan: Option<Span>,
    /// The `lazy = "..."` strategy, as the name of its `orm::Lazy` variant.
    pub lazy: Option<&'static str>,
    /// `order_by = <sort key of the target>`.
    pub order_by: Option<Expr>,
    /// `post_update`: the foreign key is written by an UPDATE after both rows exist.
    pub post_update: Option<Span>,
    /// `foreign_key = "field"`: the foreign-key field this relationship follows (on this
    /// struct for a `One`, on the target for a `Many`), when there are several.
    pub foreign_key: Option<LitStr>,
    /// `local = "field"`: the link model's field referencing this struct (many-to-many).
    pub local: Option<LitStr>,
    /// `remote = "field"`: the link model's field referencing the target (many-to-many).
    pub remote: Option<LitStr>,
    /// `passive_deletes`: the database deletes or unsets the members (`ondelete`); deleting
    /// the owner does not load them.
    pub passive_deletes: Option<Span>,
    /// The `relationship(...)` attribute, for error spans.
    pub attr_span: Span,
}

/// Collects errors so all of them are reported together.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// `One<T>` / `Many<T>` -> (which, T).
pub fn relation_type(ty: &Type) -> Option<(Wrapper, &Type)> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let wrapper = match last.ident.to_string().as_str() {
        "One" => Wrapper::One,
        "Many" => Wrapper::Many,
        _ => return None,
    };
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(t)) if args.args.len() == 1 => Some((wrapper, t)),
        _ => None,
    }
}

impl<'a> Model<'a> {
    pub fn from_input(input: &'a DeriveInput) -> syn::Result<Model<'a>> {
        let Data::Struct(data) = &input.data else {
            return Err(syn::Error::new(
                input.ident.span(),
                "#[derive(Table)] works on structs with named fields",
            ));
        };
        let Fields::Named(named) = &data.fields else {
            return Err(syn::Error::new(
                data.fields.span(),
                "#[derive(Table)] needs named fields: `struct Hero { id: Option<i64>, ... }`",
            ));
        };
        let mut errors = Errors::default();
        let mut model = Model {
            ident: &input.ident,
            table: input.ident.to_string().to_lowercase(),
            table_span: input.ident.span(),
            columns: Vec::new(),
            relations: Vec::new(),
            skipped: Vec::new(),
            input,
        };
        for attr in &input.attrs {
            if !attr.path().is_ident("orm") {
                continue;
            }
            let r = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(TABLE) {
                    let name: LitStr = meta.value()?.parse()?;
                    model.table = name.value();
                    model.table_span = name.span();
                    Ok(())
                } else {
                    Err(meta.error(format!(
                        "unknown struct attribute; the struct takes `{TABLE} = \"...\"`"
                    )))
                }
            });
            if let Err(e) = r {
                errors.push(e);
            }
        }
        for field in &named.named {
            match parse_field(field) {
                Ok(Parsed::Column(c)) => model.columns.push(c),
                Ok(Parsed::Relation(r)) => model.relations.push(r),
                Ok(Parsed::Skip) => model.skipped.push(field),
                Err(e) => errors.push(e),
            }
        }
        errors.finish()?;
        Ok(model)
    }
}

/// The options of one `relationship(...)` attribute.
struct RelationAttr {
    span: Span,
    back: Option<LitStr>,
    link: Option<syn::Path>,
    orphan: Option<Span>,
    lazy: Option<&'static str>,
    order_by: Option<Expr>,
    post_update: Option<Span>,
    foreign_key: Option<LitStr>,
    local: Option<LitStr>,
    remote: Option<LitStr>,
    passive_deletes: Option<Span>,
}

enum Parsed<'a> {
    Column(ColumnField<'a>),
    Relation(RelationField<'a>),
    Skip,
}

fn parse_field(field: &syn::Field) -> syn::Result<Parsed<'_>> {
    let ident = field.ident.as_ref().expect("named field");
    let mut errors = Errors::default();
    let mut column = ColumnField {
        field,
        ident,
        column: ident.to_string().trim_start_matches("r#").to_owned(),
        column_lit: None,
        primary_key: false,
        index: false,
        unique: false,
        version: false,
        foreign_key: None,
        on_delete: None,
        default: None,
    };
    let mut relation: Option<RelationAttr> = None;
    let mut column_attr: Option<Span> = None;
    let mut skip: Option<Span> = None;
    for attr in &field.attrs {
        if !attr.path().is_ident("orm") {
            continue;
        }
        let r = attr.parse_nested_meta(|meta| {
            let path = &meta.path;
            let flag = |set: &mut bool| -> syn::Result<()> {
                if *set {
                    return Err(meta.error("this attribute is given twice"));
                }
                *set = true;
                Ok(())
            };
            if path.is_ident(PRIMARY_KEY) {
                column_attr = Some(path.span());
                flag(&mut column.primary_key)
            } else if path.is_ident(INDEX) {
                column_attr = Some(path.span());
                flag(&mut column.index)
            } else if path.is_ident(UNIQUE) {
                column_attr = Some(path.span());
                flag(&mut column.unique)
            } else if path.is_ident(VERSION) {
                column_attr = Some(path.span());
                flag(&mut column.version)
            } else if path.is_ident(FOREIGN_KEY) {
                column_attr = Some(path.span());
                let lit: LitStr = meta.value()?.parse()?;
                column.foreign_key = Some(parse_foreign_key(&lit)?);
                Ok(())
            } else if path.is_ident(ONDELETE) {
                column_attr = Some(path.span());
                let lit: LitStr = meta.value()?.parse()?;
                column.on_delete = Some((parse_on_delete(&lit)?, lit.span()));
                Ok(())
            } else if path.is_ident(COLUMN) {
                column_attr = Some(path.span());
                let lit: LitStr = meta.value()?.parse()?;
                if lit.value().is_empty() {
                    return Err(syn::Error::new(lit.span(), "column name cannot be empty"));
                }
                column.column = lit.value();
                column.column_lit = Some(lit);
                Ok(())
            } else if path.is_ident(DEFAULT) {
                column_attr = Some(path.span());
                column.default = Some(meta.value()?.parse()?);
                Ok(())
            } else if path.is_ident(SKIP) {
                skip = Some(path.span());
                Ok(())
            } else if path.is_ident(RELATIONSHIP) {
                let span = path.span();
                let mut back = None;
                let mut link = None;
                let mut orphan = None;
                let mut lazy = None;
                let mut order_by = None;
                let mut post_update = None;
                let mut foreign_key = None;
                let mut local = None;
                let mut remote = None;
                let mut passive_deletes = None;
                // Every option is optional: `relationship`, `relationship()` and
                // `relationship(...)` are all accepted.
                let options = if meta.input.peek(syn::token::Paren) {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    content.parse::<proc_macro2::TokenStream>()?
                } else {
                    proc_macro2::TokenStream::new()
                };
                syn::meta::parser(|inner| {
                    if inner.path.is_ident(BACK_POPULATES) {
                        back = Some(inner.value()?.parse::<LitStr>()?);
                        Ok(())
                    } else if inner.path.is_ident(LINK_MODEL) {
                        link = Some(inner.value()?.parse::<syn::Path>()?);
                        Ok(())
                    } else if inner.path.is_ident(DELETE_ORPHAN) {
                        orphan = Some(inner.path.span());
                        Ok(())
                    } else if inner.path.is_ident(LAZY) {
                        lazy = Some(parse_lazy(&inner.value()?.parse::<LitStr>()?)?);
                        Ok(())
                    } else if inner.path.is_ident(ORDER_BY) {
                        order_by = Some(inner.value()?.parse::<Expr>()?);
                        Ok(())
                    } else if inner.path.is_ident(POST_UPDATE) {
                        post_update = Some(inner.path.span());
                        Ok(())
                    } else if inner.path.is_ident(FOREIGN_KEY) {
                        foreign_key = Some(field_name(inner.value()?.parse::<LitStr>()?)?);
                        Ok(())
                    } else if inner.path.is_ident(LOCAL) {
                        local = Some(field_name(inner.value()?.parse::<LitStr>()?)?);
                        Ok(())
                    } else if inner.path.is_ident(REMOTE) {
                        remote = Some(field_name(inner.value()?.parse::<LitStr>()?)?);
                        Ok(())
                    } else if inner.path.is_ident(PASSIVE_DELETES) {
                        passive_deletes = Some(inner.path.span());
                        Ok(())
                    } else {
                        Err(inner.error(format!(
                            "unknown relationship option; expected `{BACK_POPULATES} = \"field\"`, `{LINK_MODEL} = Type`, `{FOREIGN_KEY} = \"field\"`, `{LOCAL} = \"field\"`, `{REMOTE} = \"field\"`, `{DELETE_ORPHAN}`, `{PASSIVE_DELETES}`, `{LAZY} = \"selectin\"`, `{ORDER_BY} = Target::column` or `{POST_UPDATE}`"
                        )))
                    }
                })
                .parse2(options)?;
                relation = Some(RelationAttr {
                    span,
                    back,
                    link,
                    orphan,
                    lazy,
                    order_by,
                    post_update,
                    foreign_key,
                    local,
                    remote,
                    passive_deletes,
                });
                Ok(())
            } else {
                Err(meta.error(format!(
                    "unknown attribute; expected one of `{PRIMARY_KEY}`, `{INDEX}`, `{UNIQUE}`, `{VERSION}`, `{FOREIGN_KEY} = \"table.column\"`, `{ONDELETE} = \"CASCADE\"`, `{COLUMN} = \"name\"`, `{DEFAULT} = expr`, `{SKIP}`, `{RELATIONSHIP}(...)`"
                )))
            }
        });
        if let Err(e) = r {
            errors.push(e);
        }
    }
    errors.finish()?;
    if let Some(span) = skip {
        if column_attr.is_some() || relation.is_some() {
            return Err(syn::Error::new(
                span,
                "a `skip` field is not stored; it takes no other attribute",
            ));
        }
        return Ok(Parsed::Skip);
    }
    match (relation, relation_type(&field.ty)) {
        (Some(attr), Some((wrapper, target))) => {
            if let Some(span) = column_attr {
                return Err(syn::Error::new(
                    span,
                    "a relationship field is not a column; put column attributes on the foreign-key field",
                ));
            }
            Ok(Parsed::Relation(RelationField {
                ident,
                wrapper,
                target,
                back_populates: attr.back,
                link_model: attr.link,
                delete_orphan: attr.orphan,
                lazy: attr.lazy,
                order_by: attr.order_by,
                post_update: attr.post_update,
                foreign_key: attr.foreign_key,
                local: attr.local,
                remote: attr.remote,
                passive_deletes: attr.passive_deletes,
                attr_span: attr.span,
            }))
        }
        (Some(_), None) => Err(syn::Error::new_spanned(
            &field.ty,
            "a relationship field must have type `One<T>` (many-to-one) or `Many<T>` (one-to-many, many-to-many)",
        )),
        (None, Some((wrapper, _))) => Err(syn::Error::new_spanned(
            &field.ty,
            format!(
                "a `{}<_>` field needs #[orm(relationship(...))], e.g. #[orm(relationship(back_populates = \"...\"))]",
                if wrapper == Wrapper::One { "One" } else { "Many" }
            ),
        )),
        (None, None) => Ok(Parsed::Column(column)),
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

fn parse_foreign_key(lit: &LitStr) -> syn::Result<(String, String)> {
    let value = lit.value();
    match value.split_once('.') {
        Some((table, column)) if is_identifier(table) && is_identifier(column) => {
            Ok((table.to_owned(), column.to_owned()))
        }
        _ => Err(syn::Error::new(
            lit.span(),
            format!("malformed foreign key `{value}`: expected \"table.column\", e.g. \"team.id\""),
        )),
    }
}

/// A relationship option naming a field (`foreign_key = "sender_id"`): an identifier, not
/// `"table.column"`.
fn field_name(lit: LitStr) -> syn::Result<LitStr> {
    let value = lit.value();
    if is_identifier(&value) {
        return Ok(lit);
    }
    let hint = match value.split_once('.') {
        Some((_, field)) if is_identifier(field) => format!(", e.g. \"{field}\""),
        _ => String::new(),
    };
    Err(syn::Error::new(
        lit.span(),
        format!(
            "`{value}` is not a field name: a relationship option names a foreign-key field{hint}"
        ),
    ))
}

/// `ondelete = "..."`: one of [`ONDELETE_ACTIONS`], as its `orm::OnDelete` variant name.
fn parse_on_delete(lit: &LitStr) -> syn::Result<&'static str> {
    let value = lit.value();
    ONDELETE_ACTIONS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(&value))
        .map(|(_, variant)| *variant)
        .ok_or_else(|| {
            syn::Error::new(
                lit.span(),
                format!("unknown ondelete action `{value}`; expected \"CASCADE\", \"SET NULL\" or \"RESTRICT\""),
            )
        })
}

/// `lazy = "..."`: one of [`LAZY_STRATEGIES`], as its `orm::Lazy` variant name.
fn parse_lazy(lit: &LitStr) -> syn::Result<&'static str> {
    let value = lit.value();
    LAZY_STRATEGIES
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, variant)| *variant)
        .ok_or_else(|| {
            syn::Error::new(
                lit.span(),
                format!(
                    "unknown loader strategy `{value}`; expected \"select\" (lazy, the default), \"selectin\", \"joined\" or \"raise\""
                ),
            )
        })
}
