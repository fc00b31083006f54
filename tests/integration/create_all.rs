//! `create_all` checks every model before creating anything and names the field at fault;
//! it takes any number of tables (tuples nest).

use orm::prelude::*;
use orm::Error;

mod typo {
    use orm::prelude::*;

    #[derive(Table, Debug, Default)]
    pub struct Team {
        #[orm(primary_key)]
        pub id: Option<i64>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Hero {
        #[orm(primary_key)]
        pub id: Option<i64>,
        #[orm(foreign_key = "team.idd")]
        pub team_id: Option<i64>,
    }
}

mod mistyped {
    use orm::prelude::*;

    #[derive(Table, Debug, Default)]
    pub struct Team {
        #[orm(primary_key)]
        pub id: Option<i64>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Hero {
        #[orm(primary_key)]
        pub id: Option<i64>,
        #[orm(foreign_key = "team.id")]
        pub team_id: Option<String>,
    }
}

/// The statements starting with `prefix` among those captured since the last call.
fn statements(log: &orm::Captured, prefix: &str) -> Vec<String> {
    log.take_lines()
        .into_iter()
        .filter(|l| l.starts_with(prefix))
        .collect()
}

#[test]
fn a_foreign_key_to_a_missing_column_fails_before_anything_is_created() -> orm::Result<()> {
    let engine = Engine::memory()?;
    let log = engine.capture();
    let err = engine
        .create_all::<(typo::Team, typo::Hero)>()
        .expect_err("team.idd does not exist");
    assert!(matches!(err, Error::Schema(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "schema error: `Hero.team_id`: foreign_key = \"team.idd\" names a column table `team` does not have; name one of its columns (id)"
    );
    assert!(statements(&log, "CREATE").is_empty());
    Ok(())
}

#[test]
fn a_foreign_key_of_another_type_fails_and_says_which_type_to_use() -> orm::Result<()> {
    let engine = Engine::memory()?;
    let log = engine.capture();
    let err = engine
        .create_all::<(mistyped::Team, mistyped::Hero)>()
        .expect_err("VARCHAR referencing INTEGER");
    assert!(
        err.to_string().contains(
            "`Hero.team_id` is VARCHAR but its foreign key `team.id` is INTEGER; give the field the type of `Team.id`"
        ),
        "{err}"
    );
    assert!(statements(&log, "CREATE").is_empty());
    Ok(())
}

/// Heroes whose team table was created earlier (by another program, or another
/// `create_all`): the foreign key is checked against the table the database has.
mod later {
    use orm::prelude::*;

    #[derive(Table, Debug, Default)]
    pub struct Hero {
        #[orm(primary_key)]
        pub id: Option<i64>,
        #[orm(foreign_key = "team.id")]
        pub team_id: Option<i64>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Typo {
        #[orm(primary_key)]
        pub id: Option<i64>,
        #[orm(foreign_key = "team.idd")]
        pub team_id: Option<i64>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Mistyped {
        #[orm(primary_key)]
        pub id: Option<i64>,
        #[orm(foreign_key = "team.id")]
        pub team_id: Option<String>,
    }

    #[derive(Table, Debug, Default)]
    pub struct ByName {
        #[orm(primary_key)]
        pub id: Option<i64>,
        #[orm(foreign_key = "team.code")]
        pub team_code: Option<String>,
    }
}

#[test]
fn a_foreign_key_to_a_table_already_in_the_database_is_checked_against_its_columns(
) -> orm::Result<()> {
    let engine = Engine::memory()?;
    let session = Session::new(&engine);
    session.execute_sql(
        "CREATE TABLE team (id INTEGER PRIMARY KEY, code TEXT UNIQUE)",
        (),
    )?;
    session.commit()?;
    let log = engine.capture();

    let err = engine
        .create_all::<later::Typo>()
        .expect_err("no column idd");
    assert_eq!(
        err.to_string(),
        "schema error: `Typo.team_id`: foreign_key = \"team.idd\" names a column table `team` (in the database) does not have; name one of its columns (id, code)"
    );
    let err = engine
        .create_all::<later::Mistyped>()
        .expect_err("text to integer");
    assert_eq!(
        err.to_string(),
        "schema error: `Mistyped.team_id` is VARCHAR but its foreign key `team.id` is INTEGER in the database; give the field a type stored as INTEGER"
    );
    assert!(statements(&log, "CREATE").is_empty());

    // A compatible type (VARCHAR to TEXT, INTEGER to INTEGER) is created.
    engine.create_all::<(later::Hero, later::ByName)>()?;
    assert_eq!(statements(&log, "CREATE TABLE").len(), 2);
    Ok(())
}

macro_rules! tables {
    ($($name:ident),*) => {
        $(
            #[derive(Table, Debug, Default)]
            pub struct $name {
                #[orm(primary_key)]
                pub id: Option<i64>,
            }
        )*
    };
}
tables!(T01, T02, T03, T04, T05, T06, T07, T08, T09, T10, T11, T12, T13, T14);

#[test]
fn any_number_of_tables_by_nesting_tuples() -> orm::Result<()> {
    let engine = Engine::memory()?;
    let log = engine.capture();
    type All = (
        (T01, T02, T03, T04, T05, T06, T07, T08, T09, T10, T11, T12),
        (T13, T14),
    );
    engine.create_all::<All>()?;
    assert_eq!(statements(&log, "CREATE TABLE").len(), 14);
    engine.drop_all::<T01>()?; // one table needs no tuple
    engine.create_all::<T01>()?;
    assert_eq!(
        statements(&log, "CREATE TABLE"),
        ["CREATE TABLE t01 (id INTEGER NOT NULL, PRIMARY KEY (id))"]
    );
    engine.drop_all::<All>()?;
    assert_eq!(statements(&log, "DROP TABLE").len(), 14);
    Ok(())
}
