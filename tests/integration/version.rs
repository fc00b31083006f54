//! `#[orm(version)]`: optimistic concurrency. The column counts the row's UPDATEs; each UPDATE
//! and DELETE checks it in its WHERE clause, so a change made by someone else since the row
//! was read fails the flush with a stale-data error naming the row, and nothing is written.

use crate::common;

use common::Db;
use orm::prelude::*;
use orm::Error;

#[derive(Table, Debug, Default)]
pub struct Account {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub owner: String,
    pub balance: i64,
    #[orm(version)]
    pub version: i64,
}

#[test]
fn every_update_counts_and_a_concurrent_change_is_stale() -> orm::Result<()> {
    let db = Db::new::<(Account,)>();
    let session = db.session();
    let account = Account {
        owner: "Ann".into(),
        balance: 10,
        ..Default::default()
    }
    .track();
    session.add(&account)?;
    session.commit()?;
    assert_eq!(db.table("SELECT balance, version FROM account"), ["10, 1"]);
    assert_eq!(account.read()?.version, 1);
    db.forget();

    account.write()?.balance = 20;
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "UPDATE account SET balance=?, version=? WHERE account.id = ? AND account.version = ? (20, 2, 1, 1)",
        ]
    );
    assert_eq!(account.read()?.version, 2);

    // Two sessions read version 2; the first to commit wins, the second is stale.
    let mine = db.session();
    let theirs = db.session();
    let a = mine.get::<Account>(1)?.expect("row");
    let b = theirs.get::<Account>(1)?.expect("row");
    b.write()?.balance = 30;
    theirs.commit()?;
    a.write()?.balance = 40;
    a.write()?.owner = "Annie".into();
    let err = mine.commit().expect_err("stale");
    assert!(
        matches!(
            err,
            Error::StaleData {
                action: "UPDATE",
                table: "account",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "UPDATE of the row account(1) matched no row: it was changed or deleted by someone else since it was loaded; roll back and load it again"
    );
    assert_eq!(
        db.table("SELECT owner, balance, version FROM account"),
        ["'Ann', 30, 3"]
    );

    // After a rollback the row reads fresh, and the change goes through.
    mine.rollback()?;
    a.write()?.balance = 40;
    mine.commit()?;
    assert_eq!(db.table("SELECT balance, version FROM account"), ["40, 4"]);

    // A delete checks the version too.
    let stale = theirs.get::<Account>(1)?.expect("row");
    assert_eq!(stale.read()?.version, 4);
    a.write()?.balance = 50;
    mine.commit()?; // version 5
    theirs.delete(&stale)?;
    assert!(matches!(
        theirs.commit(),
        Err(Error::StaleData {
            action: "DELETE",
            ..
        })
    ));
    assert_eq!(db.table("SELECT balance, version FROM account"), ["50, 5"]);
    Ok(())
}
