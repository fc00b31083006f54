//! The PostgreSQL backend, on rust-postgres's synchronous client (`postgres`): connecting
//! from a `postgres://` URL, every statement prepared once per connection and reused (the
//! driver's own `query(&str)` prepares anew on every call, a round trip each), values bound
//! in the type the server expects for each parameter, rows decoded into [`Value`]s, and the
//! server's errors in [`DbError`]'s terms (kind from the SQLSTATE, the constraint it names).

use std::collections::HashMap;
use std::error::Error as StdError;
use std::str::FromStr;

use bytes::{BufMut, BytesMut};
use postgres::error::SqlState;
use postgres::types::{Format, FromSql, IsNull, ToSql, Type};
use postgres::{Client, NoTls, Statement};

use super::error::{DbError, DbErrorKind};
use super::Row;
use crate::error::Result;
use crate::value::Value;

type BoxError = Box<dyn StdError + Sync + Send>;

/// Where a PostgreSQL server is and how to log in, parsed from a URL.
pub(crate) struct PgConfig {
    config: postgres::Config,
    shown: String,
}

impl PgConfig {
    /// Parses `postgres://user:password@host:port/database?options` (or the key=value form).
    pub(crate) fn parse(url: &str) -> Result<PgConfig, DbError> {
        let config = postgres::Config::from_str(url).map_err(DbError::from)?;
        let host = config
            .get_hosts()
            .first()
            .map(|h| match h {
                postgres::config::Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .unwrap_or_default();
        let shown = format!(
            "postgres://{}@{host}/{}",
            config.get_user().unwrap_or(""),
            config.get_dbname().unwrap_or("")
        );
        Ok(PgConfig { config, shown })
    }

    /// The server and database, without the password.
    pub(crate) fn describe(&self) -> String {
        self.shown.clone()
    }

    /// Opens a connection.
    pub(crate) fn connect(&self) -> Result<PgConn, DbError> {
        let client = self.config.connect(NoTls)?;
        Ok(PgConn {
            client,
            statements: HashMap::new(),
            row: Vec::new(),
        })
    }
}

/// One connection, with the statements it has prepared.
pub(crate) struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// The values of the row being read, kept between rows and queries.
    row: Vec<Value>,
}

/// How many prepared statements a connection keeps; past it, they are all let go (the
/// server deallocates each) and prepared again as they come.
const STATEMENT_CACHE: usize = 256;

impl PgConn {
    /// The prepared statement for `sql`, prepared on first use.
    fn statement(&mut self, sql: &str) -> Result<Statement, DbError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        if self.statements.len() >= STATEMENT_CACHE {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    /// A failure of `sql`: a statement whose plan the server can no longer use (a table it
    /// reads was changed, "cached plan must not change result type") is prepared anew next
    /// time.
    fn failed(&mut self, sql: &str, e: postgres::Error) -> DbError {
        if e.code() == Some(&SqlState::FEATURE_NOT_SUPPORTED) {
            self.statements.remove(sql);
        }
        DbError::from(e)
    }

    /// Whether the connection can go back to the pool.
    pub(crate) fn is_usable(&self) -> bool {
        !self.client.is_closed()
    }

    pub(crate) fn control(&mut self, sql: &str) -> Result<(), DbError> {
        Ok(self.client.batch_execute(sql)?)
    }

    pub(crate) fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize, DbError> {
        let stmt = self.statement(sql)?;
        if !stmt.columns().is_empty() {
            // As on SQLite: rows would be dropped unseen.
            return Err(DbError::other(
                "the statement returns rows: run it as a query (query_rows, query_as)",
            ));
        }
        let n = self
            .client
            .execute(&stmt, &refs(params))
            .map_err(|e| self.failed(sql, e))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Runs `INSERT ... RETURNING key`; the key.
    pub(crate) fn insert_returning(
        &mut self,
        sql: &str,
        params: &[Value],
        key: &str,
    ) -> Result<i64, DbError> {
        let stmt = self.statement(sql)?;
        let row = self
            .client
            .query_one(&stmt, &refs(params))
            .map_err(|e| self.failed(sql, e))?;
        match row.try_get::<_, Decoded>(0)?.0 {
            Value::Integer(id) => Ok(id),
            other => Err(DbError::other(format!(
                "the INSERT returned {} for key column `{key}`, not an integer",
                other.to_literal()
            ))),
        }
    }

    pub(crate) fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        mut f: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        use postgres::fallible_iterator::FallibleIterator;
        let stmt = self.statement(sql)?;
        let width = stmt.columns().len();
        let mut values = std::mem::take(&mut self.row);
        let mut stale = None;
        let result = (|| {
            let mut rows = self.client.query_raw(&stmt, params.iter()).map_err(|e| {
                stale = Some(e.code() == Some(&SqlState::FEATURE_NOT_SUPPORTED));
                DbError::from(e)
            })?;
            // A failure of our own (a value that does not decode, the caller's) stops the
            // reading, but the rest of the rows are still read (and dropped): a server error
            // among them must be seen, or the aborted transaction would go unnoticed.
            let mut ours: Option<crate::Error> = None;
            while let Some(row) = rows.next().map_err(DbError::from)? {
                if ours.is_some() {
                    continue;
                }
                values.clear();
                let decoded = (0..width)
                    .map(|i| row.try_get::<_, Decoded>(i).map(|d| d.0))
                    .collect::<Result<Vec<_>, _>>();
                match decoded {
                    Ok(v) => {
                        values.extend(v);
                        if let Err(e) = f(&Row::Postgres(&values)) {
                            ours = Some(e);
                        }
                    }
                    Err(e) => ours = Some(DbError::from(e).into()),
                }
            }
            ours.map_or(Ok(()), Err)
        })();
        self.row = values;
        if stale == Some(true) {
            self.statements.remove(sql);
        }
        result
    }

    pub(crate) fn column_names(&mut self, sql: &str) -> Result<Vec<String>, DbError> {
        let stmt = self.statement(sql)?;
        Ok(stmt.columns().iter().map(|c| c.name().to_owned()).collect())
    }
}

fn refs(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

/// Whether a value goes to the server as text (which the server parses for the parameter's
/// type: dates, numerics, UUIDs, JSON, ...) rather than in binary.
fn as_text(value: &Value, ty: &Type) -> bool {
    match value {
        Value::Null | Value::Blob(_) => false,
        Value::Integer(_) => !matches!(
            *ty,
            Type::INT8
                | Type::INT4
                | Type::INT2
                | Type::BOOL
                | Type::FLOAT8
                | Type::FLOAT4
                | Type::OID
        ),
        Value::Real(_) => !matches!(*ty, Type::FLOAT8 | Type::FLOAT4),
        Value::Text(_) => true,
    }
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        if as_text(self, ty) {
            match self {
                Value::Integer(i) => out.put_slice(i.to_string().as_bytes()),
                Value::Real(f) => out.put_slice(f.to_string().as_bytes()),
                Value::Text(s) => out.put_slice(s.as_bytes()),
                Value::Null | Value::Blob(_) => {}
            }
            return Ok(IsNull::No);
        }
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::OID => u32::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                #[allow(clippy::cast_precision_loss)]
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                #[allow(clippy::cast_precision_loss)]
                _ => (*i as f32).to_sql(ty, out),
            },
            #[allow(clippy::cast_possible_truncation)]
            Value::Real(f) => match *ty {
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => f.to_sql(ty, out),
            },
            Value::Blob(b) => match *ty {
                Type::BYTEA => b.as_slice().to_sql(ty, out),
                _ => Err(format!("bytes cannot be bound to a {ty} parameter").into()),
            },
            Value::Text(_) => unreachable!("text is always sent as text"),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn encode_format(&self, ty: &Type) -> Format {
        if as_text(self, ty) {
            Format::Text
        } else {
            Format::Binary
        }
    }

    postgres::types::to_sql_checked!();
}

/// A result value decoded from the server's binary form into a [`Value`].
struct Decoded(Value);

impl<'a> FromSql<'a> for Decoded {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Decoded, BoxError> {
        let text = |raw: &[u8]| -> Result<Value, BoxError> {
            Ok(Value::Text(std::str::from_utf8(raw)?.to_owned()))
        };
        Ok(Decoded(match *ty {
            Type::BOOL => Value::Integer(i64::from(bool::from_sql(ty, raw)?)),
            Type::INT2 => Value::Integer(i64::from(i16::from_sql(ty, raw)?)),
            Type::INT4 => Value::Integer(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::OID => Value::Integer(i64::from(u32::from_sql(ty, raw)?)),
            Type::FLOAT4 => Value::Real(f64::from(f32::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::JSONB => text(raw.get(1..).unwrap_or_default())?,
            Type::UUID => Value::Text(uuid_text(raw)?),
            Type::DATE => {
                let days = i32::from_sql(ty, raw)?;
                if days == i32::MAX || days == i32::MIN {
                    return Err("an infinite date has no value in Rust".into());
                }
                Value::Text(date_text(i64::from(days)))
            }
            Type::TIME => Value::Text(time_text(i64::from_sql(ty, raw)?)),
            Type::TIMESTAMP | Type::TIMESTAMPTZ => {
                let micros = i64::from_sql(ty, raw)?;
                if micros == i64::MAX || micros == i64::MIN {
                    return Err("an infinite timestamp has no value in Rust".into());
                }
                let (days, time) = (
                    micros.div_euclid(86_400_000_000),
                    micros.rem_euclid(86_400_000_000),
                );
                Value::Text(format!("{} {}", date_text(days), time_text(time)))
            }
            _ if matches!(ty.kind(), postgres::types::Kind::Enum(_)) => text(raw)?,
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::JSON => {
                text(raw)?
            }
            _ => return Err(format!("orm cannot read values of type {ty} yet").into()),
        }))
    }

    fn from_sql_null(_: &Type) -> Result<Decoded, BoxError> {
        Ok(Decoded(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A `NUMERIC` in binary form (base-10000 digits): an integer when it has no fraction and
/// fits `i64` (`sum()` of integers), a real otherwise (`avg()`), read from its decimal text
/// so that it rounds as SQLite's arithmetic would.
fn numeric(raw: &[u8]) -> Result<Value, BoxError> {
    let word = |i: usize| -> Result<i16, BoxError> {
        let b = raw.get(i..i + 2).ok_or("truncated numeric")?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    };
    let ndigits = usize::try_from(word(0)?)?;
    let weight = i64::from(word(2)?);
    let sign = word(4)? as u16;
    let dscale = usize::try_from(word(6)?)?;
    match sign {
        0xC000 => return Ok(Value::Real(f64::NAN)),
        0xD000 => return Ok(Value::Real(f64::INFINITY)),
        0xF000 => return Ok(Value::Real(f64::NEG_INFINITY)),
        _ => {}
    }
    // The base-10000 digit at position `power` (10000^power), zero outside the stored ones.
    let digit = |power: i64| -> Result<i16, BoxError> {
        let index = weight - power;
        match usize::try_from(index) {
            Ok(i) if i < ndigits => word(8 + 2 * i),
            _ => Ok(0),
        }
    };
    let mut text = String::new();
    if sign == 0x4000 {
        text.push('-');
    }
    if weight < 0 {
        text.push('0');
    }
    for power in (0..=weight).rev() {
        if power == weight {
            text.push_str(&digit(power)?.to_string());
        } else {
            text.push_str(&format!("{:04}", digit(power)?));
        }
    }
    if dscale > 0 {
        let mut fraction = String::new();
        let groups = i64::try_from(dscale.div_ceil(4))?;
        for power in 1..=groups {
            fraction.push_str(&format!("{:04}", digit(-power)?));
        }
        fraction.truncate(dscale);
        text.push('.');
        text.push_str(&fraction);
        return Ok(Value::Real(text.parse()?));
    }
    Ok(match text.parse::<i64>() {
        Ok(i) => Value::Integer(i),
        Err(_) => Value::Real(text.parse()?),
    })
}

/// Days since 2000-01-01 (PostgreSQL's epoch) as `YYYY-MM-DD` (the civil-from-days
/// algorithm of Howard Hinnant's date library).
fn date_text(days_since_2000: i64) -> String {
    let z = days_since_2000 + 10_957 + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Microseconds since midnight as `HH:MM:SS.ffffff`.
fn time_text(micros: i64) -> String {
    let (secs, frac) = (micros / 1_000_000, micros % 1_000_000);
    format!(
        "{:02}:{:02}:{:02}.{frac:06}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// A UUID's 16 bytes as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
fn uuid_text(raw: &[u8]) -> Result<String, BoxError> {
    if raw.len() != 16 {
        return Err("a UUID is 16 bytes".into());
    }
    let mut s = String::with_capacity(36);
    for (i, b) in raw.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{b:02x}"));
    }
    Ok(s)
}

impl From<postgres::Error> for DbError {
    fn from(e: postgres::Error) -> DbError {
        if let Some(db) = e.as_db_error() {
            let code = db.code();
            let kind = if *code == SqlState::UNIQUE_VIOLATION {
                DbErrorKind::UniqueViolation
            } else if *code == SqlState::FOREIGN_KEY_VIOLATION {
                DbErrorKind::ForeignKeyViolation
            } else if *code == SqlState::NOT_NULL_VIOLATION {
                DbErrorKind::NotNullViolation
            } else if *code == SqlState::CHECK_VIOLATION {
                DbErrorKind::CheckViolation
            } else if *code == SqlState::T_R_SERIALIZATION_FAILURE {
                DbErrorKind::SerializationFailure
            } else if *code == SqlState::T_R_DEADLOCK_DETECTED {
                DbErrorKind::Deadlock
            } else if code.code().starts_with("08") || code.code().starts_with("57P0") {
                DbErrorKind::ConnectionLost
            } else {
                DbErrorKind::Other
            };
            let mut message = db.message().to_owned();
            if let Some(detail) = db.detail() {
                message.push_str(" (");
                message.push_str(detail);
                message.push(')');
            }
            let constraint = db.constraint().map(str::to_owned);
            return DbError::new(kind, message, constraint, Some(Box::new(e))).reported_by_server();
        }
        let io = StdError::source(&e).is_some_and(|c| c.is::<std::io::Error>());
        if e.is_closed() || io {
            return DbError::new(
                DbErrorKind::ConnectionLost,
                e.to_string(),
                None,
                Some(Box::new(e)),
            )
            .reported_by_server();
        }
        // The driver's own message names the step ("error deserializing column 0"); the
        // reason is in its source.
        let mut message = e.to_string();
        let mut cause = StdError::source(&e);
        while let Some(c) = cause {
            message.push_str(": ");
            message.push_str(&c.to_string());
            cause = c.source();
        }
        DbError::new(DbErrorKind::Other, message, None, Some(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_read_as_the_text_sqlite_stores() {
        assert_eq!(date_text(0), "2000-01-01");
        assert_eq!(date_text(-1), "1999-12-31");
        assert_eq!(date_text(9832), "2026-12-02");
        assert_eq!(date_text(60), "2000-03-01");
        assert_eq!(time_text(54_245_000_123), "15:04:05.000123");
    }

    #[test]
    fn numerics_become_integers_or_reals() {
        // 12345 = [1, 2345], weight 1, scale 0
        let raw = [0, 2, 0, 1, 0, 0, 0, 0, 0, 1, 0x09, 0x29];
        assert_eq!(numeric(&raw).unwrap(), Value::Integer(12345));
        // -2.5 = [2, 5000], weight 0, negative, scale 1
        let raw = [0, 2, 0, 0, 0x40, 0, 0, 1, 0, 2, 0x13, 0x88];
        assert_eq!(numeric(&raw).unwrap(), Value::Real(-2.5));
        // 0.0625 = [625], weight -1, scale 4
        let raw = [0, 1, 0xFF, 0xFF, 0, 0, 0, 4, 0x02, 0x71];
        assert_eq!(numeric(&raw).unwrap(), Value::Real(0.0625));
        // 10000 = [1], weight 1, scale 0 (trailing zero groups are not stored)
        let raw = [0, 1, 0, 1, 0, 0, 0, 0, 0, 1];
        assert_eq!(numeric(&raw).unwrap(), Value::Integer(10000));
    }
}
