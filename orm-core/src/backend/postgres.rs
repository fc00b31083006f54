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

impl PgConn {
    /// The prepared statement for `sql`, prepared on first use.
    fn statement(&mut self, sql: &str) -> Result<Statement, DbError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    pub(crate) fn control(&mut self, sql: &str) -> Result<(), DbError> {
        Ok(self.client.batch_execute(sql)?)
    }

    pub(crate) fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize, DbError> {
        let stmt = self.statement(sql)?;
        let n = self.client.execute(&stmt, &refs(params))?;
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
        let row = self.client.query_one(&stmt, &refs(params))?;
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
        let result = (|| {
            let mut rows = self
                .client
                .query_raw(&stmt, params.iter())
                .map_err(DbError::from)?;
            while let Some(row) = rows.next().map_err(DbError::from)? {
                values.clear();
                for i in 0..width {
                    values.push(row.try_get::<_, Decoded>(i).map_err(DbError::from)?.0);
                }
                f(&Row::Postgres(&values))?;
            }
            Ok(())
        })();
        self.row = values;
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
/// fits `i64` (`sum()` of integers), a real otherwise (`avg()`).
fn numeric(raw: &[u8]) -> Result<Value, BoxError> {
    let word = |i: usize| -> Result<i64, BoxError> {
        let b = raw.get(i..i + 2).ok_or("truncated numeric")?;
        Ok(i64::from(i16::from_be_bytes([b[0], b[1]])))
    };
    let ndigits = usize::try_from(word(0)?)?;
    let weight = word(2)?;
    let sign = word(4)? as u16;
    let dscale = word(6)?;
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let negative = sign == 0x4000;
    let mut int: Option<i64> = Some(0);
    let mut real = 0.0f64;
    for d in 0..ndigits {
        let digit = word(8 + 2 * d)?;
        let power = weight - i64::try_from(d)?;
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        {
            real += digit as f64 * 10000f64.powi(power as i32);
        }
        int = match (int, u32::try_from(power)) {
            (Some(acc), Ok(p)) => 10000i64
                .checked_pow(p)
                .and_then(|m| digit.checked_mul(m))
                .and_then(|v| acc.checked_add(v)),
            _ if digit == 0 => int,
            _ => None,
        };
    }
    Ok(match int {
        Some(i) if dscale == 0 => Value::Integer(if negative { -i } else { i }),
        _ => Value::Real(if negative { -real } else { real }),
    })
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
            } else if code.code().starts_with("08") {
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
            return DbError::new(kind, message, constraint, Some(Box::new(e)));
        }
        let kind = if e.is_closed() {
            DbErrorKind::ConnectionLost
        } else {
            DbErrorKind::Other
        };
        DbError::new(kind, e.to_string(), None, Some(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerics_become_integers_or_reals() {
        // 12345 = [1, 2345], weight 1, scale 0
        let raw = [0, 2, 0, 1, 0, 0, 0, 0, 0, 1, 0x09, 0x29];
        assert_eq!(numeric(&raw).unwrap(), Value::Integer(12345));
        // -2.5 = [2, 5000], weight 0, negative, scale 1
        let raw = [0, 2, 0, 0, 0x40, 0, 0, 1, 0, 2, 0x13, 0x88];
        assert_eq!(numeric(&raw).unwrap(), Value::Real(-2.5));
    }
}
