//! Unique values freed and taken in one flush: a row deleted in the flush (an orphan, or a
//! `session.delete`) is deleted before the row that takes its unique value is written, when
//! nothing else in the flush refers to it; when something does, the flush stops with an
//! error naming the field and saying to flush in between, before any statement fails.

use crate::common;

use common::Db;
use orm::prelude::*;

#[derive(Table, Debug, Default)]
pub struct Shelf {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    #[orm(relationship(back_populates = "shelf", delete_orphan))]
    pub books: Many<Book>,
}

/// A book's code is unique in the whole library.
#[derive(Table, Debug, Default)]
pub struct Book {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(unique)]
    pub code: String,
    #[orm(foreign_key = "shelf.id")]
    pub shelf_id: Option<i64>,
    #[orm(relationship(back_populates = "books"))]
    pub shelf: One<Shelf>,
    #[orm(relationship(back_populates = "book"))]
    pub loans: Many<Loan>,
}

#[derive(Table, Debug, Default)]
pub struct Loan {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub reader: String,
    #[orm(foreign_key = "book.id")]
    pub book_id: Option<i64>,
    #[orm(relationship(back_populates = "loans"))]
    pub book: One<Book>,
}

type Models = (Shelf, Book, Loan);
const BOOKS: &str = "SELECT id, code, shelf_id FROM book ORDER BY id";

/// Shelf 1 with books 1 "A" and 2 "B".
fn seeded() -> Db {
    let db = Db::new::<Models>();
    db.raw(
        "INSERT INTO shelf (id, name) VALUES (1, 'new');
         INSERT INTO book (id, code, shelf_id) VALUES (1, 'A', 1), (2, 'B', 1);",
    );
    db
}

fn book(code: &str) -> Tracked<Book> {
    Book {
        code: code.into(),
        ..Default::default()
    }
    .track()
}

#[test]
fn a_removed_member_is_deleted_before_its_replacement_takes_its_unique_code() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let shelf = session.get::<Shelf>(1)?.expect("shelf");
    let books = shelf.read()?.books.to_vec()?;
    let (a, b) = (books[0].clone(), books[1].clone());
    let new_a = book("A");
    shelf.read()?.books.remove(&a)?;
    shelf.read()?.books.push(&new_a)?;
    assert!(a.read()?.shelf.get()?.is_none());
    assert!(new_a.read()?.shelf.get()? == Some(shelf.clone()));
    db.forget();
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "DELETE FROM book WHERE book.id = ? (1,)",
            "INSERT INTO book (code, shelf_id) VALUES (?, ?) ('A', 1)",
        ]
    );
    assert_eq!(db.table(BOOKS), ["2, 'B', 1", "3, 'A', 1"]);
    assert!(shelf.read()?.books.to_vec()? == [b, new_a]);
    Ok(())
}

#[test]
fn a_deleted_row_still_referred_to_is_an_error_naming_the_field_before_any_sql() -> orm::Result<()>
{
    let db = seeded();
    db.raw("INSERT INTO loan (id, reader, book_id) VALUES (1, 'ann', 1);");
    let session = db.session();
    let shelf = session.get::<Shelf>(1)?.expect("shelf");
    let a = session.get::<Book>(1)?.expect("A");
    let loan = session.get::<Loan>(1)?.expect("loan");
    // The loan moves to the new book: its UPDATE runs after the book table's writes, so
    // book 1 cannot be deleted before the new "A" is inserted.
    let new_a = book("A");
    shelf.read()?.books.remove(&a)?;
    shelf.read()?.books.push(&new_a)?;
    loan.read()?.book.set(&new_a)?;
    db.forget();
    let err = session
        .flush()
        .expect_err("the unique code cannot be freed first");
    assert_eq!(
        err.to_string(),
        "Book.code: this Book takes book.code = 'A', which a Book deleted in this flush still holds, and that row cannot be deleted first because a Loan in this flush still refers to it; call session.flush() after removing or deleting the old Book and before giving the new one its code"
    );
    assert_eq!(db.sql(), Vec::<String>::new(), "no statement ran");
    assert_eq!(db.table(BOOKS), ["1, 'A', 1", "2, 'B', 1"]);
    // As the error says: the old book goes in one flush, the new one comes in the next.
    session.rollback()?;
    let a = session.get::<Book>(1)?.expect("A");
    shelf.read()?.books.remove(&a)?;
    session.flush()?;
    let new_a = book("A");
    shelf.read()?.books.push(&new_a)?;
    loan.read()?.book.set(&new_a)?;
    session.commit()?;
    assert_eq!(db.table(BOOKS), ["2, 'B', 1", "3, 'A', 1"]);
    assert_eq!(db.table("SELECT id, book_id FROM loan"), ["1, 3"]);
    Ok(())
}
