mod common;
use common::one_to_many::{hero, team, Hero, Team};
use common::Db;
use orm::prelude::*;

#[test]
fn probe() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let s = db.session();
    let a = team("A");
    let h = hero("h");
    h.read()?.team.set(&a)?;
    s.add(&h)?;
    s.commit()?;
    println!("{:#?}", db.all_sql());
    println!("{}", a.read()?.heroes.len()?);
    h.read()?.team.clear()?;
    s.flush()?;
    println!("{:#?}", db.all_sql());
    println!("{:?}", db.table("SELECT * FROM hero"));
    Ok(())
}
