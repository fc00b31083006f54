//! A small social network: users, one profile each (a one-to-one: `One` on both sides),
//! followers through a self-referential link model, and messages with a sender and a
//! recipient (two foreign keys to `user`). Runs with echo on: every statement is printed.
//!
//! `cargo run --example social`

use orm::prelude::*;

#[derive(Table, Debug, Default)]
pub struct User {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(unique)]
    pub name: String,
    /// Whom this user follows (link rows whose `follower_id` is this user).
    #[orm(relationship(
        link_model = Follow,
        local = "follower_id",
        remote = "followed_id",
        back_populates = "followers"
    ))]
    pub following: Many<User>,
    /// Who follows this user (the keys come from `following`, its partner).
    #[orm(relationship(link_model = Follow, back_populates = "following"))]
    pub followers: Many<User>,
    /// Messages this user sent; deleting the user leaves them to the database.
    #[orm(relationship(back_populates = "sender", foreign_key = "sender_id", passive_deletes))]
    pub sent: Many<Message>,
    #[orm(relationship(back_populates = "recipient", passive_deletes))]
    pub received: Many<Message>,
    /// The reverse side of a one-to-one: `Profile` holds the (unique) key.
    #[orm(relationship(back_populates = "user", passive_deletes))]
    pub profile: One<Profile>,
}

/// One per user: the foreign key is UNIQUE.
#[derive(Table, Debug, Default)]
pub struct Profile {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub bio: String,
    #[orm(unique, foreign_key = "user.id", ondelete = "CASCADE")]
    pub user_id: Option<i64>,
    #[orm(relationship(back_populates = "profile"))]
    pub user: One<User>,
}

#[derive(Table, Debug, Default)]
pub struct Follow {
    #[orm(primary_key, foreign_key = "user.id", ondelete = "CASCADE")]
    pub follower_id: Option<i64>,
    #[orm(primary_key, foreign_key = "user.id", ondelete = "CASCADE")]
    pub followed_id: Option<i64>,
}

#[derive(Table, Debug, Default)]
pub struct Message {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub text: String,
    #[orm(foreign_key = "user.id", ondelete = "CASCADE")]
    pub sender_id: Option<i64>,
    #[orm(foreign_key = "user.id", ondelete = "SET NULL")]
    pub recipient_id: Option<i64>,
    #[orm(relationship(back_populates = "sent", foreign_key = "sender_id"))]
    pub sender: One<User>,
    #[orm(relationship(back_populates = "received", foreign_key = "recipient_id"))]
    pub recipient: One<User>,
}

fn user(name: &str) -> Tracked<User> {
    User {
        name: name.into(),
        ..Default::default()
    }
    .track()
}

fn names(users: &Many<User>) -> orm::Result<Vec<String>> {
    let all = users.to_vec()?;
    all.iter().map(|u| Ok(u.read()?.name.clone())).collect()
}

fn main() -> orm::Result<()> {
    // An in-memory SQLite database, or the database DATABASE_URL names (postgres://...).
    let engine = Engine::connect(
        &std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned()),
    )?
    .echo(true);
    engine.create_all::<(User, Profile, Follow, Message)>()?;
    let session = Session::new(&engine);

    let alice = user("alice");
    let bob = user("bob");
    let carol = user("carol");
    let profile = Profile {
        bio: "Writes Rust".into(),
        ..Default::default()
    }
    .track();
    alice.read()?.profile.set(&profile)?; // profile.user is alice, at once
    alice.read()?.following.push(&bob)?;
    alice.read()?.following.push(&carol)?;
    bob.read()?.following.push(&alice)?;
    let hello = Message {
        text: "hello bob".into(),
        sender: One::to(&alice),
        recipient: One::to(&bob),
        ..Default::default()
    }
    .track();
    let reply = Message {
        text: "hi alice".into(),
        sender: One::to(&bob),
        recipient: One::to(&alice),
        ..Default::default()
    }
    .track();
    session.add_all([&alice, &bob, &carol])?; // and alice's profile
    session.add_all([&hello, &reply])?;
    session.commit()?;

    println!("alice follows {:?}", names(&alice.read()?.following)?);
    println!("bob's followers {:?}", names(&bob.read()?.followers)?);
    println!("carol's followers {:?}", names(&carol.read()?.followers)?);
    for m in bob.read()?.received.to_vec()? {
        let sender = m.read()?.sender.get()?.expect("a sender");
        println!("bob got {:?} from {}", m.read()?.text, sender.read()?.name);
    }
    let profile = alice.read()?.profile.get()?.expect("a profile");
    println!("alice's profile: {:?}", profile.read()?.bio);
    // A new profile for alice: the old one's key is unset, the new one takes it.
    let fresh = Profile {
        bio: "Writes Rust and SQL".into(),
        ..Default::default()
    }
    .track();
    alice.read()?.profile.set(&fresh)?;
    session.commit()?;
    println!("old profile's user: {:?}", profile.read()?.user_id);

    // Bob leaves: one DELETE; the database deletes his follows and sent messages and
    // unsets the recipient of the messages he received.
    session.delete(&bob)?;
    session.commit()?;
    println!("alice follows {:?}", names(&alice.read()?.following)?);
    // The messages in memory followed: bob's reply is gone, alice's has no recipient.
    println!("bob's reply: {:?}", reply.status());
    println!(
        "alice's message: {:?}, recipient {:?}",
        hello.read()?.text,
        hello.read()?.recipient_id
    );
    Ok(())
}
