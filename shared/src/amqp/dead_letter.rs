//! Reading a dead-lettered message: why and where it died ([`DeathInfo`],
//! from RabbitMQ's `x-first-death-*` and `x-death` headers or the worker's
//! own `x-hoofbeat-reason`), and its headers as plain JSON for humans.

use chrono::{DateTime, Utc};
use lapin::types::{AMQPValue, FieldTable};
use serde_json::{Map, Number, Value};

use super::{DEAD_REASON_HEADER, REASON_HEADER};
use crate::jobs::DeadReason;

/// Why and where a message was dead-lettered, as far as its headers say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeathInfo {
    /// The broker's reason (`delivery_limit`, `rejected`, `expired`,
    /// `maxlen`): `x-first-death-reason`, else the first `x-death` entry's.
    pub broker_reason: Option<String>,
    /// The queue it died in.
    pub queue: Option<String>,
    /// How many times it died there (`x-death[0].count`).
    pub count: Option<i64>,
    /// When (`x-death[0].time`, whole seconds).
    pub time: Option<DateTime<Utc>>,
    /// The worker's own explanation when it gave up on the job
    /// ([`REASON_HEADER`], published with [`super::publish_dead`]).
    pub worker_reason: Option<String>,
    /// The worker's reason code ([`DEAD_REASON_HEADER`]).
    pub worker_code: Option<String>,
}

impl DeathInfo {
    /// The job's [`DeadReason`]: the worker's code, else the broker's
    /// reason; a reason nobody recognises counts as `rejected`.
    #[must_use]
    pub fn dead_reason(&self) -> DeadReason {
        self.worker_code
            .as_deref()
            .and_then(DeadReason::from_code)
            .or_else(|| {
                self.broker_reason
                    .as_deref()
                    .and_then(DeadReason::from_broker)
            })
            .unwrap_or(DeadReason::Rejected)
    }

    /// What to store as the job's `last_error`.
    #[must_use]
    pub fn describe(&self) -> String {
        if let Some(reason) = &self.worker_reason {
            return reason.clone();
        }
        let reason = self.broker_reason.as_deref().unwrap_or("unknown reason");
        let queue = self.queue.as_deref().unwrap_or("an unknown queue");
        match self.count {
            Some(n) => format!("dead-lettered by the broker ({reason}) from {queue}, {n} time(s)"),
            None => format!("dead-lettered by the broker ({reason}) from {queue}"),
        }
    }
}

impl DeathInfo {
    /// Reads the headers of a dead-lettered message (`None`: no headers).
    #[must_use]
    pub fn from_headers(headers: Option<&FieldTable>) -> Self {
        let Some(headers) = headers else {
            return Self::default();
        };
        let map = headers.inner();
        let text = |key: &str| map.get(key).and_then(as_text);
        let first_death = map
            .get("x-death")
            .and_then(|v| match v {
                AMQPValue::FieldArray(a) => a.as_slice().first(),
                _ => None,
            })
            .and_then(|v| match v {
                AMQPValue::FieldTable(t) => Some(t.inner()),
                _ => None,
            });
        let from_death = |key: &str| first_death.and_then(|t| t.get(key));
        Self {
            broker_reason: text("x-first-death-reason")
                .or_else(|| from_death("reason").and_then(as_text)),
            queue: text("x-first-death-queue").or_else(|| from_death("queue").and_then(as_text)),
            count: from_death("count").and_then(as_int),
            time: from_death("time").and_then(|v| match v {
                AMQPValue::Timestamp(t) => DateTime::from_timestamp(i64::try_from(*t).ok()?, 0),
                other => DateTime::from_timestamp(as_int(other)?, 0),
            }),
            worker_reason: text(REASON_HEADER),
            worker_code: text(DEAD_REASON_HEADER),
        }
    }
}

fn as_text(v: &AMQPValue) -> Option<String> {
    match v {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

fn as_int(v: &AMQPValue) -> Option<i64> {
    match v {
        AMQPValue::ShortShortInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortShortUInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortUInt(n) => Some(i64::from(*n)),
        AMQPValue::LongInt(n) => Some(i64::from(*n)),
        AMQPValue::LongUInt(n) => Some(i64::from(*n)),
        AMQPValue::LongLongInt(n) => Some(*n),
        AMQPValue::Timestamp(n) => i64::try_from(*n).ok(),
        _ => None,
    }
}

/// The headers as plain JSON (strings, numbers, booleans, arrays, objects;
/// byte arrays as lossy UTF-8), for the `dead_letters` table.
#[must_use]
pub fn headers_json(headers: Option<&FieldTable>) -> Value {
    headers.map_or_else(|| Value::Object(Map::new()), table_json)
}

fn table_json(table: &FieldTable) -> Value {
    Value::Object(
        table
            .inner()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), value_json(v)))
            .collect(),
    )
}

fn value_json(v: &AMQPValue) -> Value {
    match v {
        AMQPValue::Boolean(b) => Value::Bool(*b),
        AMQPValue::Float(f) => Number::from_f64(f64::from(*f)).map_or(Value::Null, Value::Number),
        AMQPValue::Double(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        AMQPValue::DecimalValue(d) => Value::String(format!("{d:?}")),
        AMQPValue::FieldArray(a) => Value::Array(a.as_slice().iter().map(value_json).collect()),
        AMQPValue::FieldTable(t) => table_json(t),
        AMQPValue::ByteArray(b) => {
            Value::String(String::from_utf8_lossy(b.as_slice()).into_owned())
        }
        AMQPValue::Void => Value::Null,
        other => as_text(other)
            .map(Value::String)
            .or_else(|| as_int(other).map(|n| Value::Number(n.into())))
            .unwrap_or(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use lapin::types::{FieldArray, LongString, ShortString};

    use super::*;

    fn s(v: &str) -> AMQPValue {
        AMQPValue::LongString(LongString::from(v))
    }

    #[test]
    fn reads_rabbitmq_death_headers() {
        let mut death = FieldTable::default();
        death.insert(ShortString::from("reason"), s("delivery_limit"));
        death.insert(ShortString::from("queue"), s("p.jobs"));
        death.insert(ShortString::from("count"), AMQPValue::LongLongInt(1));
        death.insert(
            ShortString::from("time"),
            AMQPValue::Timestamp(1_764_600_000),
        );
        let mut headers = FieldTable::default();
        headers.insert(
            ShortString::from("x-death"),
            AMQPValue::FieldArray(FieldArray::from(vec![AMQPValue::FieldTable(death)])),
        );
        let info = DeathInfo::from_headers(Some(&headers));
        assert_eq!(info.broker_reason.as_deref(), Some("delivery_limit"));
        assert_eq!(info.queue.as_deref(), Some("p.jobs"));
        assert_eq!(info.count, Some(1));
        assert_eq!(info.time.map(|t| t.timestamp()), Some(1_764_600_000));
        assert_eq!(info.dead_reason(), DeadReason::DeliveryLimit);
        assert!(
            info.describe().contains("delivery_limit"),
            "{}",
            info.describe()
        );
        let json = headers_json(Some(&headers));
        assert_eq!(json["x-death"][0]["reason"], "delivery_limit");
        assert_eq!(json["x-death"][0]["count"], 1);
    }

    #[test]
    fn first_death_headers_win_and_worker_reason_is_read() {
        let mut headers = FieldTable::default();
        headers.insert(ShortString::from("x-first-death-reason"), s("rejected"));
        headers.insert(ShortString::from(REASON_HEADER), s("gave up"));
        let info = DeathInfo::from_headers(Some(&headers));
        assert_eq!(info.broker_reason.as_deref(), Some("rejected"));
        assert_eq!(info.worker_reason.as_deref(), Some("gave up"));
        assert_eq!(info.dead_reason(), DeadReason::Rejected);
        headers.insert(
            ShortString::from(DEAD_REASON_HEADER),
            s("attempts_exhausted"),
        );
        let info = DeathInfo::from_headers(Some(&headers));
        assert_eq!(info.dead_reason(), DeadReason::AttemptsExhausted);
        assert_eq!(info.describe(), "gave up");
        assert_eq!(DeathInfo::from_headers(None), DeathInfo::default());
    }
}
