// A link model with two foreign keys to the same table (followers / following) needs each
// relationship to say which key is its owner's side (`local`) and which its target's (`remote`).
use orm::prelude::*;

#[derive(Table)]
pub struct Follow {
    #[orm(primary_key, foreign_key = "account.id")]
    pub follower_id: Option<i64>,
    #[orm(primary_key, foreign_key = "account.id")]
    pub followed_id: Option<i64>,
}

#[derive(Table)]
pub struct Account {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(relationship(link_model = Follow))]
    pub following: Many<Account>,
}

fn main() {}
