//! `audit`: admin actions, newest first.

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
                .filter(|f| !f.is_null())
                .map_or_else(String::new, |f| truncate(&f.to_string(), 80)),
        ]);
    }
    println!("{}", t.render());
    if page.next_cursor.is_some() {
        println!("… more: raise --limit (up to 500)");
    }
    Ok(Outcome::Done)
}
