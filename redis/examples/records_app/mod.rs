//! The service of the axum example (`examples/axum_records.rs`), shared with its test
//! (`tests/axum.rs`, which includes this file): `GET /records` answers the records whose
//! facility the request's session may see, checked by the records' facility ObjectIds through
//! the tenant's facility dictionary; `GET /facilities/{oid}` answers whether it may see one.
//! `GET /legacy/records` does what the services did before: read the legacy JSON session from
//! Redis and parse it on every request (for the benchmark beside it).
#![allow(dead_code)]

use std::sync::{Arc, RwLock};

use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use sessionpack_redis::axum::AccessState;
use sessionpack_redis::redis::AsyncCommands;
use sessionpack_redis::{AsyncAccess, Error};
use sessionpack_synth::{legacy_contains, LegacySession, Probe};

/// A record of the database, with the ObjectId of its facility.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Record {
    pub id: u32,
    pub facility: String,
}

impl Record {
    /// The "database": one record per probe of the generated workload, in order, its
    /// facility the probe's ObjectId.
    pub fn from_probes(probes: &[Probe]) -> Vec<Record> {
        (0u32..)
            .zip(probes)
            .map(|(id, p)| Record {
                id,
                facility: p.object_id.clone(),
            })
            .collect()
    }
}

/// The app's state: how sessions are loaded, and the "database".
#[derive(Clone)]
pub struct App {
    pub access: AccessState,
    pub records: Arc<RwLock<Vec<Record>>>,
    /// Where the legacy handler reads JSON sessions (`legacy:<token>`).
    pub legacy: Option<sessionpack_redis::redis::aio::MultiplexedConnection>,
}

impl FromRef<App> for AccessState {
    fn from_ref(app: &App) -> AccessState {
        app.access.clone()
    }
}

fn all(app: &App) -> Vec<Record> {
    app.records
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

async fn records(State(app): State<App>, access: AsyncAccess) -> Result<Json<Vec<Record>>, Error> {
    let visible = access
        .filter(all(&app), |r| r.facility.as_str().into())
        .await?;
    Ok(Json(visible))
}

#[derive(Serialize)]
struct Visible {
    visible: bool,
}

async fn facility(access: AsyncAccess, Path(oid): Path<String>) -> Result<Json<Visible>, Error> {
    Ok(Json(Visible {
        visible: access.can_see(oid.as_str()).await?,
    }))
}

/// The legacy way: `GET legacy:<bearer token>`, parse the whole JSON session, filter.
async fn legacy_records(
    State(app): State<App>,
    headers: axum::http::HeaderMap,
) -> Result<Json<Vec<Record>>, StatusCode> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let mut conn = app.legacy.clone().ok_or(StatusCode::NOT_FOUND)?;
    let json: Option<String> = conn
        .get(format!("legacy:{token}"))
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    let json = json.ok_or(StatusCode::UNAUTHORIZED)?;
    let session = LegacySession::from_json(&json).map_err(|_| StatusCode::UNAUTHORIZED)?;
    let visible = all(&app)
        .into_iter()
        .filter(|r| legacy_contains(&session, &r.facility))
        .collect();
    Ok(Json(visible))
}

/// The service's routes.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/records", get(records))
        .route("/facilities/{oid}", get(facility))
        .route("/legacy/records", get(legacy_records))
        .with_state(app)
}

/// Serves `app` on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, app: App) -> std::io::Result<()> {
    axum::serve(listener, router(app)).await
}
