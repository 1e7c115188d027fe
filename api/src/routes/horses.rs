//! Horses: create, list, get, update, delete. Every query is scoped to the
//! caller, so another user's horse is indistinguishable from a missing one (404).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use sqlx::AssertSqlSafe;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_horse, list_horses))
        .routes(routes!(get_horse, update_horse, delete_horse))
}

/// A horse.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Horse {
    /// Id.
    pub id: Uuid,
    /// Name (1–100 characters).
    pub name: String,
    /// Breed.
    pub breed: Option<String>,
    /// Year of birth.
    pub birth_year: Option<i32>,
    /// Free notes.
    pub notes: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A new horse.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHorse {
    /// Name: 1–100 characters, not all white space (leading and trailing
    /// white space is trimmed; the pattern asks for one character that
    /// `str::trim` keeps).
    #[schema(
        example = "Comet",
        min_length = 1,
        max_length = 100,
        pattern = r"[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub name: String,
    /// Breed (≤ 100 characters).
    #[schema(example = "Hanoverian", max_length = 100)]
    pub breed: Option<String>,
    /// Year of birth: 1950 to the current year.
    #[serde(default, deserialize_with = "year")]
    #[schema(example = 2015, schema_with = birth_year_schema)]
    pub birth_year: Option<i32>,
    /// Free notes (≤ 2000 characters).
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

/// Changes to a horse: absent fields stay, `null` clears an optional field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HorseChanges {
    /// New name (as for a new horse; `null` leaves it).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub name: Option<String>,
    /// New breed (≤ 100 characters), or null to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub breed: Option<Option<String>>,
    /// New year of birth (1950 to the current year), or null to clear.
    #[serde(default, deserialize_with = "present_year")]
    #[schema(schema_with = birth_year_schema)]
    pub birth_year: Option<Option<i32>>,
    /// New notes (≤ 2000 characters), or null to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
}

/// `birth_year` in the schema: an integer (or null) from 1950 to the
/// current year, computed when the document is built.
fn birth_year_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .minimum(Some(1950))
        .maximum(Some(Utc::now().year()))
        .build()
}

/// A year as JSON Schema's `integer`: a number with no fractional part, so
/// `2015.0` is read as 2015 (as JSON Schema validators and generators do).
fn year<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e18)
            .map(|f| f as i64)
    });
    whole
        .and_then(|y| i32::try_from(y).ok())
        .map(Some)
        .ok_or_else(|| {
            serde::de::Error::custom(format_args!("invalid year {n}, expected an integer"))
        })
}

/// [`year`] telling "absent" from "null", as [`present`].
fn present_year<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i32>>, D::Error> {
    year(d).map(Some)
}

/// Tells "field absent" (outer `None`, via `default`) from "field null".
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn check_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid_field(
            "name",
            "must be 1 to 100 characters",
        ));
    }
    Ok(name.to_owned())
}

fn check_optional(field: &str, value: Option<&str>, max: usize) -> ApiResult<()> {
    match value {
        Some(v) if v.chars().count() > max => Err(ApiError::invalid_field(
            field,
            format!("must be at most {max} characters"),
        )),
        _ => Ok(()),
    }
}

fn check_birth_year(year: Option<i32>) -> ApiResult<()> {
    let now = Utc::now().year();
    match year {
        Some(y) if !(1950..=now).contains(&y) => Err(ApiError::invalid_field(
            "birth_year",
            format!("must be between 1950 and {now}"),
        )),
        _ => Ok(()),
    }
}

/// 404 unless the horse exists and belongs to the caller: the check every
/// route under a horse makes before touching what hangs off it.
pub async fn ensure_owned(state: &AppState, user: &AuthUser, horse_id: Uuid) -> ApiResult<()> {
    let found: Option<(i32,)> =
        sqlx::query_as("SELECT 1 FROM horses WHERE id = $1 AND owner_id = $2")
            .bind(horse_id)
            .bind(user.id)
            .fetch_optional(&state.db)
            .await?;
    found
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found("horse"))
}

const COLUMNS: &str = "id, name, breed, birth_year, notes, created_at, updated_at";

/// Register a horse.
#[utoipa::path(post, path = "/v1/horses", tag = "horses", security(("bearer" = [])), request_body = NewHorse,
    responses((status = 201, body = Horse), (status = 422, body = Problem), (status = 401, body = Problem)))]
async fn create_horse(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<NewHorse>,
) -> ApiResult<impl IntoResponse> {
    let name = check_name(&body.name)?;
    check_optional("breed", body.breed.as_deref(), 100)?;
    check_optional("notes", body.notes.as_deref(), 2000)?;
    check_birth_year(body.birth_year)?;
    let horse: Horse = sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO horses (id, owner_id, name, breed, birth_year, notes) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    )))
    .bind(Uuid::now_v7())
    .bind(user.id)
    .bind(name)
    .bind(body.breed)
    .bind(body.birth_year)
    .bind(body.notes)
    .fetch_one(&state.db)
    .await?;
    let location = format!("/v1/horses/{}", horse.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(horse),
    ))
}

/// The caller's horses, oldest first.
#[utoipa::path(get, path = "/v1/horses", tag = "horses", security(("bearer" = [])),
    responses((status = 200, body = Vec<Horse>), (status = 401, body = Problem)))]
async fn list_horses(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Vec<Horse>>> {
    let horses = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM horses WHERE owner_id = $1 ORDER BY created_at, id LIMIT 1000"
    )))
    .bind(user.id)
    .fetch_all(&state.db)
    .await?;
    Ok(Json(horses))
}

/// One horse.
#[utoipa::path(get, path = "/v1/horses/{horse_id}", tag = "horses", security(("bearer" = [])),
    params(("horse_id" = Uuid, Path)), responses((status = 200, body = Horse), (status = 404, body = Problem)))]
async fn get_horse(
    State(state): State<AppState>,
    user: AuthUser,
    Path(horse_id): Path<Uuid>,
) -> ApiResult<Json<Horse>> {
    let horse = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM horses WHERE id = $1 AND owner_id = $2"
    )))
    .bind(horse_id)
    .bind(user.id)
    .fetch_optional(&state.db)
    .await?;
    horse.map(Json).ok_or_else(|| ApiError::not_found("horse"))
}

/// Change a horse.
#[utoipa::path(patch, path = "/v1/horses/{horse_id}", tag = "horses", security(("bearer" = [])), request_body = HorseChanges,
    params(("horse_id" = Uuid, Path)), responses((status = 200, body = Horse), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_horse(
    State(state): State<AppState>,
    user: AuthUser,
    Path(horse_id): Path<Uuid>,
    Json(body): Json<HorseChanges>,
) -> ApiResult<Json<Horse>> {
    let name = body.name.as_deref().map(check_name).transpose()?;
    if let Some(b) = &body.breed {
        check_optional("breed", b.as_deref(), 100)?;
    }
    if let Some(n) = &body.notes {
        check_optional("notes", n.as_deref(), 2000)?;
    }
    if let Some(y) = body.birth_year {
        check_birth_year(y)?;
    }
    // For each optional field: $k = "was it sent", $k+1 = the new value.
    let horse = sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE horses SET
            name = COALESCE($3, name),
            breed = CASE WHEN $4 THEN $5 ELSE breed END,
            birth_year = CASE WHEN $6 THEN $7 ELSE birth_year END,
            notes = CASE WHEN $8 THEN $9 ELSE notes END,
            updated_at = now()
         WHERE id = $1 AND owner_id = $2 RETURNING {COLUMNS}"
    )))
    .bind(horse_id)
    .bind(user.id)
    .bind(name)
    .bind(body.breed.is_some())
    .bind(body.breed.flatten())
    .bind(body.birth_year.is_some())
    .bind(body.birth_year.flatten())
    .bind(body.notes.is_some())
    .bind(body.notes.flatten())
    .fetch_optional(&state.db)
    .await?;
    horse.map(Json).ok_or_else(|| ApiError::not_found("horse"))
}

/// Delete a horse with all its sessions, samples, results and trends.
#[utoipa::path(delete, path = "/v1/horses/{horse_id}", tag = "horses", security(("bearer" = [])),
    params(("horse_id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
async fn delete_horse(
    State(state): State<AppState>,
    user: AuthUser,
    Path(horse_id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let done = sqlx::query("DELETE FROM horses WHERE id = $1 AND owner_id = $2")
        .bind(horse_id)
        .bind(user.id)
        .execute(&state.db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found("horse"));
    }
    Ok(StatusCode::NO_CONTENT)
}
