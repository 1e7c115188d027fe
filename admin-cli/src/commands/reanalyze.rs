//! `reanalyze`: fresh analyses (or trends) for results of an older algorithm version.

use crate::cli::{ReanalyzeArgs, Target};
use crate::client::{self, Api};
use crate::commands::confirm;
use crate::error::{CliResult, Outcome};
use crate::model::Reanalysis;

/// `reanalyze`: dry run, confirmation, then the real call.
pub async fn run(api: &Api, a: &ReanalyzeArgs) -> CliResult {
    let what = "POST /v1/admin/reanalysis";
    let dry: Reanalysis = client::decode(
        &api.post("/v1/admin/reanalysis", Some(&a.body(true)))
            .await?,
        what,
    )?;
    let noun = match (a.target, dry.matched) {
        (Target::Analysis, 1) => "session",
        (Target::Analysis, _) => "sessions",
        (Target::Trend, 1) => "horse",
        (Target::Trend, _) => "horses",
    };
    let have = if dry.matched == 1 { "has" } else { "have" };
    let target = dry
        .target_version
        .clone()
        .unwrap_or_else(|| "the current version".into());
    let older = a.older_than.as_deref().map_or_else(
        || format!("older than {target}"),
        |v| format!("older than {v}"),
    );
    println!(
        "{} {noun} {have} a result {older} (new results: {target})",
        dry.matched
    );
    if dry.matched == 0 {
        println!("nothing to re-analyze");
        return Ok(Outcome::Done);
    }
    if !confirm(
        &format!("Enqueue re-analysis of {} {noun}?", dry.matched),
        a.yes,
    )? {
        println!("nothing enqueued");
        return Ok(Outcome::Incomplete);
    }
    let done: Reanalysis = client::decode(
        &api.post("/v1/admin/reanalysis", Some(&a.body(false)))
            .await?,
        what,
    )?;
    println!(
        "enqueued {} job{} ({} matched){}",
        done.enqueued,
        if done.enqueued == 1 { "" } else { "s" },
        done.matched,
        if done.enqueued < done.matched {
            "; run again (or raise --max) for the rest"
        } else {
            ""
        }
    );
    for id in &done.job_ids {
        println!("{id}");
    }
    Ok(Outcome::Done)
}
