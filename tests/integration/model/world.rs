//! The world a model-based run acts on: a session over a fresh database, and the plain model
//! of what the application asked for (heroes with their age and team, teams, and which hero
//! trains with which team). `apply` runs one step on both; `check_memory` compares both sides
//! of every relationship in memory with the model, and after a commit `check_rows` compares
//! the rows, link rows included.

use std::collections::BTreeSet;

use crate::common;

use common::training::{hero, team, Hero, Models, Team};
use common::Db;
use orm::prelude::*;

use super::{Op, Side, FIRST_TEAMS};

/// What the application asked for, for one hero.
#[derive(Clone, Debug, PartialEq)]
struct Want {
    name: String,
    age: Option<i64>,
    /// The name of its team.
    team: Option<String>,
}

/// What the application asked for: the heroes and teams alive in the session, and which hero
/// trains with which team.
#[derive(Clone, Default)]
struct Model {
    heroes: Vec<(Tracked<Hero>, Want)>,
    /// Each with its name.
    teams: Vec<(Tracked<Team>, String)>,
    /// (hero, team) names.
    links: BTreeSet<(String, String)>,
}

impl Model {
    fn pick_hero(&self, n: usize) -> Option<usize> {
        (!self.heroes.is_empty()).then(|| n % self.heroes.len())
    }

    fn pick_team(&self, n: usize) -> Option<usize> {
        (!self.teams.is_empty()).then(|| n % self.teams.len())
    }

    fn team_named(&self, name: &str) -> Tracked<Team> {
        let found = self.teams.iter().find(|t| t.1 == name);
        found.expect("a live team").0.clone()
    }

    /// The names of the teams `hero` trains with.
    fn teams_of(&self, hero: &str) -> BTreeSet<String> {
        let links = self.links.iter().filter(|l| l.0 == hero);
        links.map(|l| l.1.clone()).collect()
    }

    /// The names of the heroes training with `team`.
    fn trainees_of(&self, team: &str) -> BTreeSet<String> {
        let links = self.links.iter().filter(|l| l.1 == team);
        links.map(|l| l.0.clone()).collect()
    }
}

/// A session and the model, stepped together.
pub(super) struct World {
    /// Before `db`: dropped first, so its transaction does not hold locks that make the drop
    /// of a PostgreSQL test schema wait.
    session: Session,
    db: Db,
    live: Model,
    /// The same as of the last commit (what a rollback goes back to).
    committed: Model,
    /// Objects deleted since the last commit or rollback: a loaded collection or many-to-one
    /// keeps one until it is expired, as in SQLAlchemy.
    deleted_heroes: Vec<Tracked<Hero>>,
    deleted_teams: Vec<Tracked<Team>>,
    /// The number in the last new name.
    next: usize,
}

impl World {
    pub(super) fn new() -> orm::Result<World> {
        let db = Db::new::<Models>();
        let session = db.session();
        let teams: Vec<_> = (0..FIRST_TEAMS)
            .map(|t| (team(&format!("t{t}")), format!("t{t}")))
            .collect();
        session.add_all(teams.iter().map(|t| &t.0))?;
        session.commit()?;
        let live = Model {
            teams,
            ..Model::default()
        };
        Ok(World {
            session,
            db,
            committed: live.clone(),
            live,
            deleted_heroes: Vec::new(),
            deleted_teams: Vec::new(),
            next: FIRST_TEAMS,
        })
    }

    fn new_name(&mut self, prefix: char) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    /// The hero and team a step names, if there are heroes and teams.
    fn pair(&self, hero: usize, team: usize) -> Option<(usize, usize)> {
        Some((self.live.pick_hero(hero)?, self.live.pick_team(team)?))
    }

    pub(super) fn apply(&mut self, op: &Op) -> orm::Result<()> {
        match *op {
            Op::AddHero { team } => {
                let name = self.new_name('h');
                let h = hero(&name);
                let team = team.and_then(|t| self.live.pick_team(t));
                if let Some(t) = team {
                    h.write()?.team = One::to(&self.live.teams[t].0);
                }
                self.session.add(&h)?;
                let team = team.map(|t| self.live.teams[t].1.clone());
                let want = Want {
                    name,
                    age: None,
                    team,
                };
                self.live.heroes.push((h, want));
            }
            Op::AddTeam => {
                let name = self.new_name('t');
                let t = team(&name);
                self.session.add(&t)?;
                self.live.teams.push((t, name));
            }
            Op::Modify { hero, age } => {
                if let Some(h) = self.live.pick_hero(hero) {
                    self.live.heroes[h].0.write()?.age = Some(age);
                    self.live.heroes[h].1.age = Some(age);
                }
            }
            Op::Push { team, hero } => {
                if let Some((h, t)) = self.pair(hero, team) {
                    let (team, name) = &self.live.teams[t];
                    team.read()?.heroes.push(&self.live.heroes[h].0)?;
                    self.live.heroes[h].1.team = Some(name.clone());
                }
            }
            Op::Remove { team, hero } => {
                if let Some((h, t)) = self.pair(hero, team) {
                    let (team, name) = &self.live.teams[t];
                    let removed = team.read()?.heroes.remove(&self.live.heroes[h].0)?;
                    let want = &mut self.live.heroes[h].1;
                    let member = want.team.as_ref() == Some(name);
                    assert_eq!(removed, member, "remove says whether it was a member");
                    if member {
                        want.team = None;
                    }
                }
            }
            Op::Move { hero, team } => {
                if let Some(h) = self.live.pick_hero(hero) {
                    let team = team.and_then(|t| self.live.pick_team(t));
                    {
                        let data = self.live.heroes[h].0.read()?;
                        match team {
                            Some(t) => data.team.set(&self.live.teams[t].0)?,
                            None => data.team.clear()?,
                        }
                    }
                    self.live.heroes[h].1.team = team.map(|t| self.live.teams[t].1.clone());
                }
            }
            Op::Link {
                hero,
                team,
                through,
                unloaded,
            } => {
                if let Some((h, t)) = self.pair(hero, team) {
                    let (hero, want) = &self.live.heroes[h];
                    let (team, name) = &self.live.teams[t];
                    if unloaded {
                        self.session.flush()?;
                        match through {
                            Side::Hero => self.session.expire(hero),
                            Side::Team => self.session.expire(team),
                        }
                    }
                    match through {
                        Side::Hero => hero.read()?.trains_with.push(team)?,
                        Side::Team => team.read()?.trainees.push(hero)?,
                    }
                    self.live.links.insert((want.name.clone(), name.clone()));
                }
            }
            Op::Unlink {
                hero,
                team,
                through,
            } => {
                if let Some((h, t)) = self.pair(hero, team) {
                    let (hero, want) = &self.live.heroes[h];
                    let (team, name) = &self.live.teams[t];
                    let removed = match through {
                        Side::Hero => hero.read()?.trains_with.remove(team)?,
                        Side::Team => team.read()?.trainees.remove(hero)?,
                    };
                    let link = (want.name.clone(), name.clone());
                    let member = self.live.links.remove(&link);
                    assert_eq!(removed, member, "unlink says whether they were linked");
                }
            }
            Op::Replace {
                through,
                owner,
                members,
            } => self.replace(through, owner, members)?,
            Op::DeleteHero(hero) => {
                if let Some(h) = self.live.pick_hero(hero) {
                    let (obj, want) = self.live.heroes.remove(h);
                    self.session.delete(&obj)?;
                    self.live.links.retain(|l| l.0 != want.name);
                    self.deleted_heroes.push(obj);
                }
            }
            Op::DeleteTeam(team) => {
                if let Some(t) = self.live.pick_team(team) {
                    let (obj, name) = self.live.teams.remove(t);
                    self.take_out_new_heroes(&obj)?;
                    self.session.delete(&obj)?;
                    for (_, want) in &mut self.live.heroes {
                        if want.team.as_ref() == Some(&name) {
                            want.team = None;
                        }
                    }
                    self.live.links.retain(|l| l.1 != name);
                    self.deleted_teams.push(obj);
                }
            }
            Op::Flush => self.session.flush()?,
            Op::Commit => {
                self.session.commit()?;
                self.committed = self.live.clone();
                self.forget_deleted();
                self.check_rows();
            }
            Op::Rollback => {
                self.session.rollback()?;
                self.live = self.committed.clone();
                self.forget_deleted();
            }
            Op::Query => {
                let heroes = self.session.exec(select::<Hero>())?.all();
                let heroes = heroes.iter().map(|h| Ok(h.read()?.name.clone()));
                let heroes: BTreeSet<String> = heroes.collect::<orm::Result<_>>()?;
                let want: BTreeSet<String> =
                    self.live.heroes.iter().map(|h| h.1.name.clone()).collect();
                assert_eq!(heroes, want, "a query sees the model's heroes");
                let teams = self.session.exec(select::<Team>())?.all();
                let teams = teams.iter().map(|t| Ok(t.read()?.name.clone()));
                let teams: BTreeSet<String> = teams.collect::<orm::Result<_>>()?;
                let want: BTreeSet<String> = self.live.teams.iter().map(|t| t.1.clone()).collect();
                assert_eq!(teams, want, "a query sees the model's teams");
            }
        }
        Ok(())
    }

    /// `Op::Replace`: the owner's collection becomes the chosen heroes or teams.
    fn replace(&mut self, through: Side, owner: usize, members: u8) -> orm::Result<()> {
        let chosen = |j: usize| members >> (j % 8) & 1 == 1;
        match through {
            Side::Hero => {
                let Some(h) = self.live.pick_hero(owner) else {
                    return Ok(());
                };
                let name = self.live.heroes[h].1.name.clone();
                let teams: Vec<_> = self
                    .live
                    .teams
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| chosen(*j))
                    .map(|(_, t)| t.clone())
                    .collect();
                let objs = teams.iter().map(|t| t.0.clone());
                self.live.heroes[h].0.read()?.trains_with.replace(objs)?;
                self.live.links.retain(|l| l.0 != name);
                let links = teams.into_iter().map(|t| (name.clone(), t.1));
                self.live.links.extend(links);
            }
            Side::Team => {
                let Some(t) = self.live.pick_team(owner) else {
                    return Ok(());
                };
                let name = self.live.teams[t].1.clone();
                let heroes: Vec<_> = self
                    .live
                    .heroes
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| chosen(*j))
                    .map(|(_, h)| (h.0.clone(), h.1.name.clone()))
                    .collect();
                let objs = heroes.iter().map(|h| h.0.clone());
                self.live.teams[t].0.read()?.trainees.replace(objs)?;
                self.live.links.retain(|l| l.1 != name);
                let links = heroes.into_iter().map(|h| (h.1, name.clone()));
                self.live.links.extend(links);
            }
        }
        Ok(())
    }

    /// Before `team` is deleted: takes out of it the heroes put in since the last flush, as an
    /// application must. Their rows do not point at the team yet, so the delete does not set
    /// their key to NULL: the flush would write the deleted team's key into them and the
    /// DELETE would break the foreign key (SQLAlchemy does the same: a deleted parent's
    /// children added since the last flush are not unset).
    fn take_out_new_heroes(&self, team: &Tracked<Team>) -> orm::Result<()> {
        let id = team.read()?.id;
        for (hero, _) in &self.live.heroes {
            let data = hero.read()?;
            let joined = data.team.get()?.as_ref() == Some(team);
            if joined && (id.is_none() || data.team_id != id) {
                data.team.clear()?;
            }
        }
        Ok(())
    }

    /// After a commit or a rollback every collection is expired: none holds a deleted object.
    fn forget_deleted(&mut self) {
        self.deleted_heroes.clear();
        self.deleted_teams.clear();
    }

    /// Both sides of every relationship, in memory, as the model says.
    pub(super) fn check_memory(&self) -> orm::Result<()> {
        self.session.no_autoflush(|_| {
            let heroes = || self.live.heroes.iter().map(|h| (&h.0, h.1.name.as_str()));
            let teams = || self.live.teams.iter().map(|t| (&t.0, t.1.as_str()));
            for (h, want) in &self.live.heroes {
                let data = h.read()?;
                assert_eq!((&data.name, data.age), (&want.name, want.age));
                let team = data.team.get()?;
                let trains_with = data.trains_with.to_vec()?;
                drop(data);
                let expected = want.team.as_ref().map(|t| self.live.team_named(t));
                // A team deleted since the last commit may still be the hero's until then.
                let stale = want.team.is_none()
                    && team
                        .as_ref()
                        .is_some_and(|t| self.deleted_teams.contains(t));
                assert!(team == expected || stale, "{}.team", want.name);
                if let Some(t) = &want.team {
                    let listed = self.live.team_named(t).read()?.heroes.contains(h)?;
                    assert!(listed, "{} in {t}.heroes", want.name);
                }
                let what = format!("{}.trains_with", want.name);
                let names = live_names(&what, &trains_with, teams(), &self.deleted_teams);
                assert_eq!(names, self.live.teams_of(&want.name), "{what}");
            }
            for (team, name) in &self.live.teams {
                let (members, trainees) = {
                    let data = team.read()?;
                    (data.heroes.to_vec()?, data.trainees.to_vec()?)
                };
                let what = format!("{name}.heroes");
                for listed in live_names(&what, &members, heroes(), &self.deleted_heroes) {
                    let want = &self.live.heroes.iter().find(|h| h.1.name == listed);
                    let team = want.expect("a live hero").1.team.as_ref();
                    assert_eq!(team, Some(name), "{listed} listed in {what}");
                }
                let what = format!("{name}.trainees");
                let names = live_names(&what, &trainees, heroes(), &self.deleted_heroes);
                assert_eq!(names, self.live.trainees_of(name), "{what}");
            }
            Ok(())
        })
    }

    /// After a commit: the rows are the model. A foreign key to a missing row shows as
    /// `'missing …'`.
    fn check_rows(&self) {
        let mut heroes: Vec<String> = self
            .live
            .heroes
            .iter()
            .map(|(_, w)| {
                let age = w.age.map_or("NULL".into(), |a| a.to_string());
                let team = w.team.as_ref().map_or("NULL".into(), |t| format!("'{t}'"));
                format!("'{}', {age}, {team}", w.name)
            })
            .collect();
        heroes.sort();
        let mut rows = self.db.table(
            "SELECT hero.name, hero.age, coalesce(team.name, 'missing ' || hero.team_id) \
             FROM hero LEFT JOIN team ON team.id = hero.team_id",
        );
        rows.sort();
        assert_eq!(rows, heroes, "hero rows after commit");

        let mut teams: Vec<String> = self
            .live
            .teams
            .iter()
            .map(|t| format!("'{}'", t.1))
            .collect();
        teams.sort();
        let mut rows = self.db.table("SELECT name FROM team");
        rows.sort();
        assert_eq!(rows, teams, "team rows after commit");

        let links: Vec<String> = self
            .live
            .links
            .iter()
            .map(|(h, t)| format!("'{h}', '{t}'"))
            .collect();
        let mut rows = self.db.table(
            "SELECT coalesce(hero.name, 'missing'), coalesce(team.name, 'missing') \
             FROM training LEFT JOIN hero ON hero.id = training.hero_id \
             LEFT JOIN team ON team.id = training.team_id",
        );
        rows.sort();
        assert_eq!(rows, links, "link rows after commit");
    }
}

/// The names of the `members` of a collection (`what`) that are alive in the model. The
/// others must have been deleted since the last commit; none may be listed twice.
fn live_names<'a, T: Table>(
    what: &str,
    members: &[Tracked<T>],
    live: impl Iterator<Item = (&'a Tracked<T>, &'a str)> + Clone,
    deleted: &[Tracked<T>],
) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, member) in members.iter().enumerate() {
        assert!(
            !members[..i].contains(member),
            "{what} lists a member twice"
        );
        match live.clone().find(|l| l.0 == member) {
            Some((_, name)) => {
                names.insert(name.to_owned());
            }
            None => assert!(deleted.contains(member), "{what} lists an unknown object"),
        }
    }
    names
}
