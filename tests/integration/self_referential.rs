//! A self-referential many-to-many (followers / following) through a link model with two
//! foreign keys to the same table: each side names its link keys with `local` (the key to
//! the owner) and `remote` (the key to the target). Both directions in memory, the SQL and
//! the link rows.

use crate::common;

use common::Db;
use orm::prelude::*;

#[derive(Table, Debug, Default)]
pub struct Follow {
    #[orm(primary_key, foreign_key = "account.id")]
    pub follower_id: Option<i64>,
    #[orm(primary_key, foreign_key = "account.id")]
    pub followed_id: Option<i64>,
}

#[derive(Table, Debug, Default)]
pub struct Account {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    /// Whom this account follows: link rows whose `follower_id` is this account.
    #[orm(relationship(
        link_model = Follow,
        local = "follower_id",
        remote = "followed_id",
        back_populates = "followers"
    ))]
    pub following: Many<Account>,
    /// Who follows this account; the keys come from the partner, `following`.
    #[orm(relationship(link_model = Follow, back_populates = "following"))]
    pub followers: Many<Account>,
}

type Models = (Account, Follow);

const FOLLOWS: &str = "SELECT follower_id, followed_id FROM follow ORDER BY 1, 2";
const FOLLOWING_OF: &str = "SELECT account.id, account.name FROM account, follow WHERE ? = follow.follower_id AND account.id = follow.followed_id";
const FOLLOWERS_OF: &str = "SELECT account.id, account.name FROM account, follow WHERE ? = follow.followed_id AND account.id = follow.follower_id";

fn account(name: &str) -> Tracked<Account> {
    Account {
        name: name.into(),
        ..Default::default()
    }
    .track()
}

fn names(accounts: &Many<Account>) -> orm::Result<Vec<String>> {
    let all = accounts.to_vec()?;
    all.iter().map(|a| Ok(a.read()?.name.clone())).collect()
}

/// Accounts 1 Alice, 2 Bob, 3 Carol; Alice follows Bob and Carol, Bob follows Alice.
fn seeded() -> Db {
    let db = Db::new::<Models>();
    db.raw(
        "INSERT INTO account (id, name) VALUES (1, 'Alice'), (2, 'Bob'), (3, 'Carol');
         INSERT INTO follow (follower_id, followed_id) VALUES (1, 2), (1, 3), (2, 1);",
    );
    db
}

#[test]
fn following_someone_adds_a_follower_and_one_link_row() -> orm::Result<()> {
    let db = Db::new::<Models>();
    let session = db.session();
    let alice = account("Alice");
    let bob = account("Bob");
    alice.read()?.following.push(&bob)?;
    assert!(bob.read()?.followers.contains(&alice)?);
    assert!(alice.read()?.followers.is_empty()?);
    assert!(bob.read()?.following.is_empty()?);
    session.add(&alice)?;
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "INSERT INTO account (name) VALUES (?) ('Alice',)",
            "INSERT INTO account (name) VALUES (?) ('Bob',)",
            "INSERT INTO follow (follower_id, followed_id) VALUES (?, ?) (1, 2)",
        ]
    );
    assert_eq!(db.table(FOLLOWS), ["1, 2"]);
    Ok(())
}

#[test]
fn both_directions_load_through_their_own_link_column() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let alice = session.get::<Account>(1)?.expect("Alice");
    db.forget();
    assert_eq!(names(&alice.read()?.following)?, ["Bob", "Carol"]);
    assert_eq!(names(&alice.read()?.followers)?, ["Bob"]);
    assert_eq!(
        db.sql(),
        [
            format!("{FOLLOWING_OF} (1,)"),
            format!("{FOLLOWERS_OF} (1,)")
        ]
    );
    // The same objects on every side (identity map).
    let bob = session.get::<Account>(2)?.expect("Bob");
    assert!(alice.read()?.following.contains(&bob)?);
    assert!(alice.read()?.followers.contains(&bob)?);
    Ok(())
}

#[test]
fn unfollowing_from_the_followers_side_deletes_the_one_link_row() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let alice = session.get::<Account>(1)?.expect("Alice");
    let carol = session.get::<Account>(3)?.expect("Carol");
    assert_eq!(names(&alice.read()?.following)?, ["Bob", "Carol"]);
    assert_eq!(names(&carol.read()?.followers)?, ["Alice"]);
    db.forget();
    assert!(carol.read()?.followers.remove(&alice)?);
    assert_eq!(names(&alice.read()?.following)?, ["Bob"]);
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["DELETE FROM follow WHERE follow.follower_id = ? AND follow.followed_id = ? (1, 3)"]
    );
    assert_eq!(db.table(FOLLOWS), ["1, 2", "2, 1"]);
    Ok(())
}

#[test]
fn following_back_writes_the_reverse_row() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let carol = session.get::<Account>(3)?.expect("Carol");
    let alice = session.get::<Account>(1)?.expect("Alice");
    db.forget();
    carol.read()?.following.push(&alice)?;
    // Loading Alice's followers flushes the pending link first (autoflush): the existence
    // check of a push onto an unloaded collection, the INSERT, then the load.
    assert!(alice.read()?.followers.contains(&carol)?);
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "SELECT follow.follower_id, follow.followed_id FROM follow WHERE (follow.follower_id, follow.followed_id) IN (VALUES (?, ?)) (3, 1)",
            "INSERT INTO follow (follower_id, followed_id) VALUES (?, ?) (3, 1)",
            "SELECT account.id, account.name FROM account, follow WHERE ? = follow.followed_id AND account.id = follow.follower_id (1,)",
        ]
    );
    assert_eq!(db.table(FOLLOWS), ["1, 2", "1, 3", "2, 1", "3, 1"]);
    Ok(())
}

#[test]
fn selectin_loads_both_directions_for_many_accounts() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let all = session
        .exec(
            select::<Account>()
                .options(orm::selectin(Account::following))
                .options(orm::selectin(Account::followers)),
        )?
        .all();
    let sql = db.sql();
    assert_eq!(sql.len(), 3, "{sql:#?}");
    assert_eq!(names(&all[0].read()?.following)?, ["Bob", "Carol"]);
    assert_eq!(names(&all[2].read()?.followers)?, ["Alice"]);
    assert_eq!(names(&all[1].read()?.following)?, ["Alice"]);
    assert!(db.sql().is_empty());
    Ok(())
}
