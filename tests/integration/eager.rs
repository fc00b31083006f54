//! Eager loading: `selectin` (one more statement for all parents, 500 keys a statement),
//! `joined` (a many-to-one in the query's own statement), nested options, options on `get`,
//! defaults declared on the relationship (`lazy = "selectin" | "joined" | "raise"`), and what
//! they leave alone. Checked with the statements run, the objects returned (the identity-map
//! objects) and both sides in memory.

use crate::common;

use common::one_to_many::{Hero, Team};
use common::Db;
use orm::prelude::*;
use orm::Error;

const HERO_COLUMNS: &str = "hero.id, hero.name, hero.secret_name, hero.age, hero.team_id";

/// `teams` teams of `per_team` heroes each, plus a hero with no team; committed.
fn world(teams: usize, per_team: usize) -> orm::Result<Db> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    for t in 0..teams {
        let team = Team {
            name: format!("team {t}"),
            headquarters: format!("hq {t}"),
            ..Default::default()
        }
        .track();
        for h in 0..per_team {
            let hero = Hero {
                name: format!("hero {t}.{h}"),
                secret_name: "x".into(),
                age: Some(20 + i64::try_from(h).expect("small")),
                ..Default::default()
            }
            .track();
            team.read()?.heroes.push(&hero)?;
        }
        session.add(&team)?;
    }
    session.add(
        &Hero {
            name: "loner".into(),
            secret_name: "x".into(),
            ..Default::default()
        }
        .track(),
    )?;
    session.commit()?;
    db.forget();
    Ok(db)
}

fn names(heroes: &[Tracked<Hero>]) -> orm::Result<Vec<String>> {
    heroes.iter().map(|h| Ok(h.read()?.name.clone())).collect()
}

#[test]
fn statement_counts_on_100_teams_lazy_selectin_joined() -> orm::Result<()> {
    let db = world(100, 3)?;

    // Lazily: one SELECT for the teams, one per team.
    let session = db.session();
    let teams = session.exec(select::<Team>())?.all();
    for team in &teams {
        assert_eq!(team.read()?.heroes.len()?, 3);
    }
    assert_eq!(db.sql().len(), 101);

    // selectin: two statements, whatever the number of teams.
    let session = db.session();
    let teams = session
        .exec(select::<Team>().options(selectin(Team::heroes)))?
        .all();
    for team in &teams {
        assert!(team.read()?.heroes.is_loaded());
        assert_eq!(team.read()?.heroes.len()?, 3);
    }
    assert_eq!(db.sql().len(), 2);

    // joined: the heroes with their team, in one statement.
    let session = db.session();
    let heroes = session
        .exec(select::<Hero>().options(joined(Hero::team)))?
        .all();
    assert_eq!(heroes.len(), 301);
    for hero in &heroes {
        assert!(hero.read()?.team.is_loaded());
        let _ = hero.read()?.team.get()?;
    }
    assert_eq!(db.sql().len(), 1);
    Ok(())
}

#[test]
fn selectin_sql_and_members_are_the_identity_map_objects() -> orm::Result<()> {
    let db = world(3, 2)?;
    let session = db.session();
    let teams = session
        .exec(
            select::<Team>()
                .filter(Team::name.ne("team 1"))
                .options(selectin(Team::heroes)),
        )?
        .all();
    assert_eq!(
        db.sql(),
        [
            "SELECT team.id, team.name, team.headquarters FROM team WHERE team.name != ? ('team 1',)".to_owned(),
            format!("SELECT {HERO_COLUMNS} FROM hero WHERE hero.team_id IN (?, ?) (1, 3)"),
        ]
    );
    let heroes = teams[1].read()?.heroes.to_vec()?;
    assert_eq!(names(&heroes)?, ["hero 2.0", "hero 2.1"]);
    // The members are the session's objects: a get is a hit, and the other side points back
    // without SQL.
    assert_eq!(session.get::<Hero>(5)?, Some(heroes[0].clone()));
    assert_eq!(heroes[0].read()?.team.get()?, Some(teams[1].clone()));
    assert!(db.sql().is_empty());
    Ok(())
}

#[test]
fn joined_renders_a_left_outer_join_and_sets_none_for_no_row() -> orm::Result<()> {
    let db = world(2, 1)?;
    let session = db.session();
    let heroes = session
        .exec(
            select::<Hero>()
                .options(joined(Hero::team))
                .order_by(Hero::id),
        )?
        .all();
    assert_eq!(
        db.sql(),
        [format!(
            "SELECT {HERO_COLUMNS}, team_1.id, team_1.name, team_1.headquarters FROM hero LEFT OUTER JOIN team AS team_1 ON team_1.id = hero.team_id ORDER BY hero.id"
        )]
    );
    assert_eq!(names(&heroes)?, ["hero 0.0", "hero 1.0", "loner"]);
    let team0 = heroes[0].read()?.team.get()?.expect("team");
    assert_eq!(team0.read()?.name, "team 0");
    assert_eq!(heroes[2].read()?.team.get()?, None);
    assert_eq!(session.get::<Team>(1)?, Some(team0));
    assert!(
        db.sql().is_empty(),
        "everything came with the one statement"
    );

    // With a join of the user's own on the same table: the loaded one has its alias.
    let session = db.session();
    let found = session
        .exec(
            select::<Hero>()
                .join(Hero::team)
                .filter(Team::name.eq("team 1"))
                .options(joined(Hero::team)),
        )?
        .all();
    assert_eq!(names(&found)?, ["hero 1.0"]);
    assert_eq!(
        db.sql(),
        [format!(
            "SELECT {HERO_COLUMNS}, team_1.id, team_1.name, team_1.headquarters FROM hero JOIN team ON team.id = hero.team_id LEFT OUTER JOIN team AS team_1 ON team_1.id = hero.team_id WHERE team.name = ? ('team 1',)"
        )]
    );
    assert!(found[0].read()?.team.is_loaded());
    Ok(())
}

#[test]
fn selectin_binds_500_keys_a_statement() -> orm::Result<()> {
    let db = world(1201, 0)?;
    let session = db.session();
    let teams = session
        .exec(select::<Team>().options(selectin(Team::heroes)))?
        .all();
    assert_eq!(teams.len(), 1201);
    let sql = db.log.take();
    let loads: Vec<usize> = sql
        .iter()
        .filter(|s| s.sql.starts_with("SELECT hero."))
        .map(|s| s.params.len())
        .collect();
    assert_eq!(loads, [500, 500, 201]);
    assert!(teams
        .iter()
        .all(|t| t.read().is_ok_and(|t| t.heroes.is_loaded())));
    Ok(())
}

#[test]
fn selectin_of_a_many_to_one_reads_only_targets_not_in_the_session() -> orm::Result<()> {
    let db = world(3, 2)?;
    let session = db.session();
    let team2 = session.get::<Team>(2)?.expect("team");
    db.forget();
    let heroes = session
        .exec(select::<Hero>().options(selectin(Hero::team)))?
        .all();
    assert_eq!(
        db.sql(),
        [
            format!("SELECT {HERO_COLUMNS} FROM hero"),
            "SELECT team.id, team.name, team.headquarters FROM team WHERE team.id IN (?, ?) (1, 3)"
                .to_owned(),
        ]
    );
    assert_eq!(heroes[2].read()?.team.get()?, Some(team2));
    assert_eq!(heroes[6].read()?.team.get()?, None, "the loner");
    assert!(db.sql().is_empty());
    Ok(())
}

#[test]
fn nested_options_load_level_by_level() -> orm::Result<()> {
    let db = world(2, 2)?;
    let session = db.session();
    // Heroes, their team (joined), the team's heroes (selectin), and their team again,
    // which is in the session already: three statements in all.
    let heroes = session
        .exec(
            select::<Hero>()
                .filter(Hero::name.eq("hero 0.0"))
                .options(joined(Hero::team).then(selectin(Team::heroes).then(joined(Hero::team)))),
        )?
        .all();
    let team = heroes[0].read()?.team.get()?.expect("team");
    let mates = team.read()?.heroes.to_vec()?;
    assert_eq!(names(&mates)?, ["hero 0.0", "hero 0.1"]);
    assert_eq!(mates[0], heroes[0]);
    assert_eq!(mates[1].read()?.team.get()?, Some(team.clone()));
    assert_eq!(db.sql().len(), 2);
    Ok(())
}

#[test]
fn loaded_and_changed_relationships_are_left_as_they_are() -> orm::Result<()> {
    let db = world(2, 2)?;
    let session = db.session().autoflush(false);
    let team = session.get::<Team>(1)?.expect("team");
    let first = team.read()?.heroes.to_vec()?;
    // Changed in memory, not flushed.
    let newcomer = Hero {
        name: "newcomer".into(),
        secret_name: "x".into(),
        ..Default::default()
    }
    .track();
    team.read()?.heroes.push(&newcomer)?;
    team.read()?.heroes.remove(&first[0])?;
    // Not loaded, but holding an unflushed change (a push onto an unloaded collection).
    let other = session.get::<Team>(2)?.expect("team");
    let moved = session.get::<Hero>(1)?.expect("hero");
    assert!(!other.read()?.heroes.is_loaded());
    moved.read()?.team.set(&other)?;
    db.forget();

    let teams = session
        .exec(select::<Team>().options(selectin(Team::heroes)))?
        .all();
    assert_eq!(teams, [team.clone(), other.clone()]);
    assert_eq!(
        db.sql(),
        ["SELECT team.id, team.name, team.headquarters FROM team"],
        "no collection needed loading"
    );
    assert_eq!(
        names(&team.read()?.heroes.to_vec()?)?,
        ["hero 0.1", "newcomer"]
    );
    assert!(!other.read()?.heroes.is_loaded());
    // It loads later, merging the pending member in.
    assert_eq!(
        names(&other.read()?.heroes.to_vec()?)?,
        ["hero 1.0", "hero 1.1", "hero 0.0"]
    );
    Ok(())
}

#[test]
fn options_apply_to_get() -> orm::Result<()> {
    let db = world(2, 2)?;
    let session = db.session();
    let team = session
        .get_with::<Team>(2, selectin(Team::heroes))?
        .expect("team");
    assert_eq!(
        db.sql(),
        [
            "SELECT team.id, team.name, team.headquarters FROM team WHERE team.id = ? (2,)"
                .to_owned(),
            format!("SELECT {HERO_COLUMNS} FROM hero WHERE hero.team_id IN (?) (2,)"),
        ]
    );
    assert_eq!(team.read()?.heroes.len()?, 2);
    // A hit: nothing left to load.
    assert_eq!(
        session.get_with::<Team>(2, selectin(Team::heroes))?,
        Some(team.clone())
    );
    // A hit whose relationship is not loaded yet: the option loads it, here from the
    // identity map.
    let member = session
        .get_with::<Hero>(3, joined(Hero::team))?
        .expect("hero");
    assert!(member.read()?.team.is_loaded());
    assert_eq!(db.sql(), Vec::<String>::new());
    // A miss: the row, then its team (several options at once, in a tuple).
    let hero = session
        .get_with::<Hero>(1, (joined(Hero::team), lazyload(Hero::team)))?
        .expect("hero");
    assert!(hero.read()?.team.is_loaded());
    assert_eq!(
        db.sql(),
        [
            format!("SELECT {HERO_COLUMNS} FROM hero WHERE hero.id = ? (1,)"),
            "SELECT team.id, team.name, team.headquarters FROM team WHERE team.id IN (?) (1,)"
                .to_owned(),
        ]
    );
    Ok(())
}

/// Relationships that declare how they load.
mod declared {
    use orm::prelude::*;

    #[derive(Table, Debug, Default)]
    pub struct Guild {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub name: String,
        #[orm(relationship(back_populates = "guild", lazy = "selectin", order_by = Member::name.desc()))]
        pub members: Many<Member>,
        #[orm(relationship(back_populates = "guild", lazy = "raise"))]
        pub banners: Many<Banner>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Member {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub name: String,
        #[orm(foreign_key = "guild.id")]
        pub guild_id: Option<i64>,
        #[orm(relationship(back_populates = "members", lazy = "joined"))]
        pub guild: One<Guild>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Banner {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub color: String,
        #[orm(foreign_key = "guild.id")]
        pub guild_id: Option<i64>,
        #[orm(relationship(back_populates = "banners", lazy = "raise"))]
        pub guild: One<Guild>,
    }

    pub type Models = (Guild, Member, Banner);
}

fn guilds() -> orm::Result<Db> {
    use declared::*;
    let db = Db::new::<Models>();
    let session = db.session();
    for g in 0..2 {
        let guild = Guild {
            name: format!("guild {g}"),
            ..Default::default()
        }
        .track();
        for m in 0..2 {
            let member = Member {
                name: format!("member {g}.{m}"),
                guild: One::to(&guild),
                ..Default::default()
            }
            .track();
            session.add(&member)?;
        }
        let banner = Banner {
            color: format!("color {g}"),
            guild: One::to(&guild),
            ..Default::default()
        }
        .track();
        session.add(&banner)?;
    }
    session.commit()?;
    db.forget();
    Ok(db)
}

#[test]
fn declared_defaults_load_with_every_query() -> orm::Result<()> {
    use declared::*;
    let db = guilds()?;
    let session = db.session();
    let guilds = session.exec(select::<Guild>())?.all();
    // The guilds, then their members (selectin); the members' guild (joined) is each
    // member's owner, already in the session: no third statement.
    assert_eq!(
        db.sql(),
        [
            "SELECT guild.id, guild.name FROM guild".to_owned(),
            "SELECT member.id, member.name, member.guild_id FROM member WHERE member.guild_id IN (?, ?) ORDER BY member.name DESC (1, 2)".to_owned(),
        ]
    );
    let members = guilds[0].read()?.members.to_vec()?;
    let names: Vec<String> = members
        .iter()
        .map(|m| Ok(m.read()?.name.clone()))
        .collect::<orm::Result<_>>()?;
    assert_eq!(names, ["member 0.1", "member 0.0"], "declared order_by");
    assert_eq!(members[0].read()?.guild.get()?, Some(guilds[0].clone()));
    assert!(db.sql().is_empty());

    // Members on their own come with their guild in the same statement, and the guild's
    // members with one more.
    let session = db.session();
    let members = session.exec(select::<Member>())?.all();
    assert_eq!(db.sql().len(), 2);
    let guild = members[3].read()?.guild.get()?.expect("guild");
    assert_eq!(guild.read()?.members.len()?, 2);
    assert!(db.sql().is_empty());

    // An option overrides the default.
    let session = db.session();
    let guilds = session
        .exec(select::<Guild>().options(lazyload(Guild::members)))?
        .all();
    assert_eq!(db.sql().len(), 1);
    assert!(!guilds[0].read()?.members.is_loaded());
    // Lazily, in the declared order too.
    let members = guilds[1].read()?.members.to_vec()?;
    assert_eq!(
        db.sql(),
        ["SELECT member.id, member.name, member.guild_id FROM member WHERE ? = member.guild_id ORDER BY member.name DESC (2,)"]
    );
    assert_eq!(members[0].read()?.name, "member 1.1");
    Ok(())
}

#[test]
fn raise_refuses_a_lazy_select_and_names_the_relationship() -> orm::Result<()> {
    use declared::*;
    let db = guilds()?;
    let session = db.session();
    let guild = session.get::<Guild>(1)?.expect("guild");
    db.forget();
    let err = guild.read()?.banners.len().expect_err("raise");
    assert!(matches!(
        err,
        Error::LazyLoadRaised {
            table: "Guild",
            field: "banners"
        }
    ));
    assert_eq!(
        err.to_string(),
        "Guild.banners is not loaded and is declared lazy = \"raise\"; load it with the query, e.g. .options(selectin(Guild::banners))"
    );
    assert!(db.sql().is_empty(), "no SQL ran");

    // Loaded with an option, it reads; its many-to-one finds the guild in the session.
    let guilds = session
        .exec(select::<Guild>().options(selectin(Guild::banners)))?
        .all();
    let banners = guilds[0].read()?.banners.to_vec()?;
    assert_eq!(banners[0].read()?.guild.get()?, Some(guild.clone()));

    // A many-to-one whose target is not in the session refuses too.
    let session = db.session();
    let banner = session.get::<Banner>(2)?.expect("banner");
    let err = banner.read()?.guild.get().expect_err("raise");
    assert!(matches!(
        err,
        Error::LazyLoadRaised {
            table: "Banner",
            field: "guild"
        }
    ));
    // Deleting still loads what it must (the session's own loads are not lazy loads): the
    // guild's banners and members get a NULL guild_id.
    let guild = session.get::<Guild>(2)?.expect("guild");
    session.delete(&guild)?;
    session.commit()?;
    assert_eq!(
        db.table("SELECT id, guild_id FROM banner"),
        ["1, 1", "2, NULL"]
    );
    Ok(())
}

/// Many-to-many through a link table, and an association object with fields of its own.
mod linked {
    use orm::prelude::*;

    #[derive(Table, Debug, Default)]
    pub struct Membership {
        #[orm(primary_key, foreign_key = "club.id")]
        pub club_id: Option<i64>,
        #[orm(primary_key, foreign_key = "person.id")]
        pub person_id: Option<i64>,
        pub is_admin: bool,
        #[orm(relationship(back_populates = "memberships"))]
        pub club: One<Club>,
        #[orm(relationship(back_populates = "memberships"))]
        pub person: One<Person>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Club {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub name: String,
        #[orm(relationship(
            back_populates = "clubs",
            link_model = Membership,
            order_by = (Membership::is_admin.desc(), Person::name)
        ))]
        pub people: Many<Person>,
        #[orm(relationship(back_populates = "club"))]
        pub memberships: Many<Membership>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Person {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub name: String,
        #[orm(relationship(back_populates = "people", link_model = Membership))]
        pub clubs: Many<Club>,
        #[orm(relationship(back_populates = "person"))]
        pub memberships: Many<Membership>,
    }

    pub type Models = (Club, Person, Membership);
}

/// Clubs 1..=3 and people 1..=3; person p is in clubs 1..=p, admin of the last one.
fn clubs() -> orm::Result<Db> {
    use linked::*;
    let db = Db::new::<Models>();
    let session = db.session();
    let clubs: Vec<Tracked<Club>> = (1..=3)
        .map(|c| {
            Club {
                name: format!("club {c}"),
                ..Default::default()
            }
            .track()
        })
        .collect();
    for p in 1..=3 {
        let person = Person {
            name: format!("person {p}"),
            ..Default::default()
        }
        .track();
        for (c, club) in clubs.iter().enumerate().take(p) {
            session.add(
                &Membership {
                    club: One::to(club),
                    person: One::to(&person),
                    is_admin: c + 1 == p,
                    ..Default::default()
                }
                .track(),
            )?;
        }
    }
    session.commit()?;
    db.forget();
    Ok(db)
}

#[test]
fn selectin_through_a_link_table_and_nested() -> orm::Result<()> {
    use linked::*;
    let db = clubs()?;
    let session = db.session();
    let people = session
        .exec(select::<Person>().options(selectin(Person::clubs).then(selectin(Club::people))))?
        .all();
    assert_eq!(
        db.sql(),
        [
            "SELECT person.id, person.name FROM person",
            "SELECT club.id, club.name, membership.person_id FROM club JOIN membership ON club.id = membership.club_id WHERE membership.person_id IN (?, ?, ?) (1, 2, 3)",
            "SELECT person.id, person.name, membership.club_id FROM person JOIN membership ON person.id = membership.person_id WHERE membership.club_id IN (?, ?, ?) ORDER BY membership.is_admin DESC, person.name (1, 2, 3)",
        ]
    );
    let clubs_of_3 = people[2].read()?.clubs.to_vec()?;
    assert_eq!(clubs_of_3.len(), 3);
    let members_of_1 = clubs_of_3[0].read()?.people.to_vec()?;
    assert_eq!(
        members_of_1, people,
        "the same objects, every person in club 1"
    );
    // Ordered as declared: the admin first, then by name.
    let members_of_2 = clubs_of_3[1].read()?.people.to_vec()?;
    assert_eq!(members_of_2, [people[1].clone(), people[2].clone()]);
    assert_eq!(clubs_of_3[2].read()?.people.to_vec()?, [people[2].clone()]);
    assert_eq!(people[0].read()?.clubs.to_vec()?, [clubs_of_3[0].clone()]);
    assert!(db.sql().is_empty());
    Ok(())
}

#[test]
fn association_objects_load_with_their_other_side() -> orm::Result<()> {
    use linked::*;
    let db = clubs()?;
    let session = db.session();
    let clubs = session
        .exec(
            select::<Club>()
                .filter(Club::id.eq(2))
                .options(selectin(Club::memberships).then(joined(Membership::person))),
        )?
        .all();
    assert_eq!(
        db.sql(),
        [
            "SELECT club.id, club.name FROM club WHERE club.id = ? (2,)",
            "SELECT membership.club_id, membership.person_id, membership.is_admin FROM membership WHERE membership.club_id IN (?) (2,)",
            "SELECT person.id, person.name FROM person WHERE person.id IN (?, ?) (2, 3)",
        ]
    );
    let memberships = clubs[0].read()?.memberships.to_vec()?;
    let admins: Vec<(String, bool)> = memberships
        .iter()
        .map(|m| {
            let m = m.read()?;
            let person = m.person.get()?.expect("person");
            let name = person.read()?.name.clone();
            Ok((name, m.is_admin))
        })
        .collect::<orm::Result<_>>()?;
    assert_eq!(
        admins,
        [
            ("person 2".to_owned(), true),
            ("person 3".to_owned(), false)
        ]
    );
    assert_eq!(memberships[0].read()?.club.get()?, Some(clubs[0].clone()));
    assert!(db.sql().is_empty());
    Ok(())
}

#[test]
fn a_write_borrowed_owner_is_left_unloaded_not_loaded_empty() -> orm::Result<()> {
    let db = world(2, 1)?;
    let session = db.session().autoflush(false);
    let hero = session.get::<Hero>(1)?.expect("hero");
    {
        let mut guard = hero.write()?;
        guard.age = Some(3);
        session.exec(select::<Hero>().options(selectin(Hero::team)))?;
    }
    assert!(!hero.read()?.team.is_loaded(), "left to load when read");
    let team = hero.read()?.team.get()?.expect("its team");
    assert_eq!(team.read()?.name, "team 0");
    Ok(())
}
