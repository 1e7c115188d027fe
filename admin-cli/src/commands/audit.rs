//! `audit`: admin actions, newest first.

use serde_json::Value;

use crate::client::{self, Api};
use crate::commands::print_json;
use crate::error::{CliResult, Outcome};
use crate::model::AuditPage;
use crate::table::{Table, or_dash, truncate};

/// `audit`.
pub async fn run(api: &Api, limit: u32, json: bool) -> CliResult {
    let v = api
        .get("/v1/admin/audit", &[("limit".into(), limit.to_string())])
        .await?;
    if json {
        print_json(&v);
        return Ok(Outcome::Done);
    }
    let page: AuditPage = client::decode(&v, "GET /v1/admin/audit")?;
    if page.entries.is_empty() {
        println!("no admin actions recorded");
        return Ok(Outcome::Done);
    }
    let mut t = Table::new(&["ID", "AT", "ADMIN", "ACTION", "AFFECTED", "FILTER"]);
    for e in &page.entries {
        t.row(vec![
            e.id.to_string(),
            e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            or_dash(e.admin_email.as_deref()),
            e.action.clone(),
            or_dash(e.affected),
            e.filter
                .as_ref()
                .map_or_else(String::new, |f| truncate(&describe(f), 80)),
        ]);
    }
    println!("{}", t.render());
    if page.next_cursor.is_some() {
        println!("… more: raise --limit (up to 500)");
    }
    Ok(Outcome::Done)
}

/// A filter as `status=dead since=…`, its empty fields left out.
pub fn describe(filter: &Value) -> String {
    match filter {
        Value::Null => String::new(),
        Value::Object(m) => m
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_read_as_pairs() {
        assert_eq!(
            describe(
                &json!({"status": "dead", "kind": null, "since": "2026-12-02T08:00:00Z", "max": 5})
            ),
            "max=5 since=2026-12-02T08:00:00Z status=dead"
        );
        assert_eq!(describe(&Value::Null), "");
        assert_eq!(describe(&json!({"kind": null})), "");
    }
}
