//! Two foreign keys to one table (a message's sender and recipient): each relationship picks
//! its key with `relationship(foreign_key = "...")`, SQLAlchemy's `foreign_keys=`, or takes
//! the one its `back_populates` partner picks. Both sides in memory, the SQL and the rows.

use crate::common;

use common::Db;
use orm::prelude::*;

#[derive(Table, Debug, Default)]
#[orm(table = "person")]
pub struct Person {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    #[orm(relationship(back_populates = "sender", foreign_key = "sender_id"))]
    pub sent: Many<Message>,
    // The key comes from the partner, `Message.recipient`.
    #[orm(relationship(back_populates = "recipient"))]
    pub received: Many<Message>,
}

#[derive(Table, Debug, Default)]
pub struct Message {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub text: String,
    #[orm(foreign_key = "person.id")]
    pub sender_id: Option<i64>,
    #[orm(foreign_key = "person.id")]
    pub recipient_id: Option<i64>,
    #[orm(relationship(back_populates = "sent", foreign_key = "sender_id"))]
    pub sender: One<Person>,
    #[orm(relationship(back_populates = "received", foreign_key = "recipient_id"))]
    pub recipient: One<Person>,
}

type Models = (Person, Message);

const MESSAGES: &str = "SELECT id, text, sender_id, recipient_id FROM message ORDER BY id";
const SENT_BY: &str = "SELECT message.id, message.text, message.sender_id, message.recipient_id FROM message WHERE ? = message.sender_id";
const RECEIVED_BY: &str = "SELECT message.id, message.text, message.sender_id, message.recipient_id FROM message WHERE ? = message.recipient_id";

fn person(name: &str) -> Tracked<Person> {
    Person {
        name: name.into(),
        ..Default::default()
    }
    .track()
}

fn texts(messages: &Many<Message>) -> orm::Result<Vec<String>> {
    let all = messages.to_vec()?;
    all.iter().map(|m| Ok(m.read()?.text.clone())).collect()
}

/// People 1 Alice, 2 Bob, 3 Carol; messages 1 "hi bob" (Alice to Bob), 2 "hi alice" (Bob to
/// Alice), 3 "hi all" (Alice to Carol). Written with plain SQL.
fn seeded() -> Db {
    let db = Db::new::<Models>();
    db.raw(
        "INSERT INTO person (id, name) VALUES (1, 'Alice'), (2, 'Bob'), (3, 'Carol');
         INSERT INTO message (id, text, sender_id, recipient_id) VALUES
             (1, 'hi bob', 1, 2), (2, 'hi alice', 2, 1), (3, 'hi all', 1, 3);",
    );
    db
}

#[test]
fn a_new_message_fills_each_key_from_its_own_relationship() -> orm::Result<()> {
    let db = Db::new::<Models>();
    let session = db.session();
    let alice = person("Alice");
    let bob = person("Bob");
    let message = Message {
        text: "hi bob".into(),
        sender: One::to(&alice),
        recipient: One::to(&bob),
        ..Default::default()
    }
    .track();
    // Each relationship's other side, at once, and only that one.
    assert!(alice.read()?.sent.contains(&message)?);
    assert!(bob.read()?.received.contains(&message)?);
    assert!(alice.read()?.received.is_empty()?);
    assert!(bob.read()?.sent.is_empty()?);
    session.add(&message)?;
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "INSERT INTO person (name) VALUES (?) ('Alice',)",
            "INSERT INTO person (name) VALUES (?) ('Bob',)",
            "INSERT INTO message (text, sender_id, recipient_id) VALUES (?, ?, ?) ('hi bob', 1, 2)",
        ]
    );
    assert_eq!(db.table(MESSAGES), ["1, 'hi bob', 1, 2"]);
    Ok(())
}

#[test]
fn each_collection_loads_through_its_own_key() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let alice = session.get::<Person>(1)?.expect("Alice");
    db.forget();
    assert_eq!(texts(&alice.read()?.sent)?, ["hi bob", "hi all"]);
    assert_eq!(texts(&alice.read()?.received)?, ["hi alice"]);
    assert_eq!(
        db.sql(),
        [format!("{SENT_BY} (1,)"), format!("{RECEIVED_BY} (1,)")]
    );
    // The many-to-one sides follow their own key, from the identity map.
    let hi_bob = session.get::<Message>(1)?.expect("message 1");
    db.forget();
    assert!(hi_bob.read()?.sender.get()? == Some(alice.clone()));
    let bob = hi_bob.read()?.recipient.get()?.expect("Bob");
    assert_eq!(bob.read()?.name, "Bob");
    assert_eq!(
        db.sql(),
        ["SELECT person.id, person.name FROM person WHERE person.id = ? (2,)"]
    );
    Ok(())
}

#[test]
fn moving_the_recipient_updates_only_its_key_and_both_collections() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let bob = session.get::<Person>(2)?.expect("Bob");
    let carol = session.get::<Person>(3)?.expect("Carol");
    let hi_bob = session.get::<Message>(1)?.expect("message 1");
    assert_eq!(texts(&bob.read()?.received)?, ["hi bob"]);
    assert_eq!(texts(&carol.read()?.received)?, ["hi all"]);
    db.forget();
    hi_bob.read()?.recipient.set(&carol)?;
    assert!(bob.read()?.received.is_empty()?);
    assert_eq!(texts(&carol.read()?.received)?, ["hi all", "hi bob"]);
    // Sending is untouched: Alice still sent it.
    let alice = hi_bob.read()?.sender.get()?.expect("Alice");
    // Loaded in the database's order (SQLite's and PostgreSQL's differ): sorted.
    let mut sent = texts(&alice.read()?.sent)?;
    sent.sort();
    assert_eq!(sent, ["hi all", "hi bob"]);
    session.commit()?;
    let sql = db.sql();
    assert!(
        sql.contains(&"UPDATE message SET recipient_id=? WHERE message.id = ? (3, 1)".to_owned()),
        "{sql:#?}"
    );
    assert_eq!(
        db.table(MESSAGES),
        [
            "1, 'hi bob', 1, 3",
            "2, 'hi alice', 2, 1",
            "3, 'hi all', 1, 3"
        ]
    );
    Ok(())
}

#[test]
fn pushing_onto_received_sets_the_recipient_key_only() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let carol = session.get::<Person>(3)?.expect("Carol");
    let note = Message {
        text: "note".into(),
        ..Default::default()
    }
    .track();
    carol.read()?.received.push(&note)?;
    assert!(note.read()?.recipient.get()? == Some(carol.clone()));
    assert!(note.read()?.sender.get()?.is_none());
    db.forget();
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["INSERT INTO message (text, sender_id, recipient_id) VALUES (?, ?, ?) ('note', NULL, 3)"]
    );
    Ok(())
}
