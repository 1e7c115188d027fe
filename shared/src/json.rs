//! JSON input rules shared by every JSON the outside world sends: documents
//! and records are objects (never arrays filling fields by position), and
//! text never carries U+0000 (Postgres cannot store it in `text`).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

/// `T` deserialized only from a JSON object. serde's derived structs also
/// accept an array of field values in declaration order, which would let
/// `["Comet","Arab",2015,"notes"]` stand for a horse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectOnly<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(V(PhantomData)).map(ObjectOnly)
    }
}

/// True when a JSON text has a string containing U+0000. In valid JSON that
/// character can only be written as the escape `\u0000` inside a string
/// (raw control characters are not allowed), so one linear scan that
/// follows string boundaries and escapes finds it.
pub fn has_nul_in_strings(json: &[u8]) -> bool {
    let mut in_string = false;
    let mut i = 0;
    while i < json.len() {
        match json[i] {
            b'"' => in_string = !in_string,
            b'\\' if in_string => {
                if json.get(i + 1) == Some(&b'u') && json.get(i + 2..i + 6) == Some(b"0000") {
                    return true;
                }
                i += 1; // skip the escaped character
            }
            _ => {}
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Horse {
        name: String,
        year: Option<i32>,
    }

    #[test]
    fn objects_only() {
        let ok: ObjectOnly<Horse> =
            serde_json::from_str(r#"{"name":"Comet","year":2015}"#).unwrap();
        assert_eq!(ok.0.name, "Comet");
        let err = serde_json::from_str::<ObjectOnly<Horse>>(r#"["Comet",2015]"#).unwrap_err();
        assert!(err.to_string().contains("expected a JSON object"), "{err}");
        let err = serde_json::from_str::<ObjectOnly<Horse>>(r#"{"name":"C","x":1}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `x`"), "{err}");
        assert!(serde_json::from_str::<ObjectOnly<Horse>>("null").is_err());
    }

    #[test]
    fn nul_only_inside_strings_and_not_when_escaped() {
        assert!(has_nul_in_strings(br#"{"name":"a\u0000b"}"#));
        assert!(has_nul_in_strings(br#"{"a\u0000":1}"#));
        assert!(!has_nul_in_strings(br#"{"name":"a\\u0000b"}"#)); // an escaped backslash
        assert!(!has_nul_in_strings(br#"{"name":"a\"\\","n":"\u0001"}"#));
        assert!(has_nul_in_strings(br#"{"name":"a\"\\\u0000"}"#));
        assert!(!has_nul_in_strings(b"{}"));
    }
}

/// `value` with every U+0000 removed from its strings and keys, for storing
/// JSON that came from elsewhere (e.g. AMQP headers) in a `jsonb` column,
/// which cannot hold that character.
#[must_use]
pub fn strip_nul(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Value::String(s.replace('\0', "")),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nul).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k.replace('\0', ""), strip_nul(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod strip_nul_tests {
    #[test]
    fn removes_nul_from_strings_and_keys() {
        let v = serde_json::json!({"a\u{0}b": ["x\u{0}", 1, {"k": "v\u{0}v"}]});
        assert_eq!(
            super::strip_nul(v),
            serde_json::json!({"ab": ["x", 1, {"k": "vv"}]})
        );
    }
}
