//! The admin's approval of what an instruction ability reaches (seed
//! 002): only its origin, with or without private networks, within the
//! operator's limits.
use super::abilities::{AbilityView, find, view};
use crate::capability::Grant;
use crate::server::auth::Principal;
use crate::server::error::{ApiError, ErrorBody};
use crate::services::AppState;
use crate::store::{AbilityStatus, ApprovalRecord, now};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(approve))
}

/// What approving an instruction grants (camelCase; the first release's
/// snake_case is accepted too). An empty body grants its origin as
/// declared. An instruction declares no mounts, env, secret bindings or
/// injections, so those stay empty.
// Shape of `parse_grant`'s input (a `Grant`) as an instruction may give
// it; the handler parses a `Grant`. Schemathesis checks it.
#[derive(ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct InstructionGrant {
    /// Patterns (`[scheme://]host[:port]`) within the ability's origin;
    /// absent or `null` grants the origin.
    #[schema(inline)]
    network: Option<Vec<NetworkPatternText>>,
    /// Lets the origin resolve to private addresses; the tenant must be
    /// allowed to approve that.
    #[schema(nullable = false, default = false)]
    allow_private_network: Option<bool>,
    /// Always empty for an instruction.
    #[schema(nullable = false)]
    mounts: Option<NoEntries>,
    /// Always empty for an instruction.
    #[schema(nullable = false)]
    env: Option<NoEntries>,
    /// Always empty for an instruction.
    #[schema(nullable = false)]
    secrets: Option<NoEntries>,
    /// Always empty for an instruction.
    #[schema(nullable = false, max_items = 0)]
    inject: Option<Vec<Value>>,
    /// Configuration values by key.
    #[schema(nullable = false)]
    config: Option<BTreeMap<String, String>>,
    /// Limits within the operator's maxima.
    #[schema(nullable = false)]
    limits: Option<InstructionLimits>,
}

/// An object that must stay empty: `{}`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
struct NoEntries {}

/// A network pattern: `[http(s)://]host[:port]`, `*.` for subdomains.
#[derive(ToSchema)]
#[schema(pattern = r"^(https?://)?(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?$")]
#[allow(dead_code)]
struct NetworkPatternText(String);

/// Per-call limits an approval sets.
#[derive(ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct InstructionLimits {
    /// Wall-clock milliseconds per call, up to the operator's maximum.
    #[schema(minimum = 0)]
    timeout_ms: Option<u64>,
    /// Memory per call in MiB, up to the operator's maximum.
    #[schema(minimum = 0)]
    memory_mb: Option<u64>,
    /// Output per call in KiB, up to the operator's maximum.
    #[schema(minimum = 0)]
    output_kb: Option<u64>,
}

/// Approves what an instruction reaches, with the grant body a skill's
/// approval takes (camelCase; the old snake_case accepted). Only its
/// origin can be granted, with or without private networks.
#[utoipa::path(post, path = "/api/v1/skillset/{skillset}/ability/{id}/approve", tag = "abilities",
    summary = "Approves what an instruction ability reaches",
    params(("skillset" = String, Path, description = "The skillset's id"), ("id" = String, Path, description = "The ability's id")),
    request_body(content = Option<InstructionGrant>, content_type = "application/json",
        description = "The grant; no body, or `null`, grants the origin as declared"),
    responses(
        (status = 200, description = "Approved: the ability, now active", body = AbilityView),
        (status = 403, description = "The token lacks `admin`, or the tenant may not approve private networks", body = ErrorBody),
        (status = 409, description = "The ability runs an installed skill: approve the skill (`not_an_instruction`)", body = ErrorBody),
        (status = 422, description = "The grant reaches beyond the ability's origin, gives mounts, env, secrets or injections, or exceeds the operator's limits (`invalid_grant`)", body = ErrorBody),
    ),
    security(("bearer" = ["admin"])))]
async fn approve(
    State(state): State<AppState>,
    principal: Principal,
    Path((skillset, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<AbilityView>, ApiError> {
    principal.require("admin")?;
    let mut row = find(&state, &principal, &skillset, &id).await?;
    let Some(origin) = row.declaration.origin.clone() else {
        return Err(ApiError::Conflict {
            code: "not_an_instruction",
            message: "this ability runs an installed skill under that skill's approval; approve the skill".into(),
        });
    };
    // No body, or `null`, grants the declaration as it stands; anything
    // else must be an object, since serde would also read a `Grant` (whose
    // fields all have defaults) from an array.
    let grant = match body.trim_ascii() {
        b"" | b"null" => Grant::default(),
        object @ [b'{', ..] => {
            // The same holds for `limits`, the one nested struct an
            // instruction's grant may give.
            if let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(object)
                && fields
                    .get("limits")
                    .is_some_and(|limits| !limits.is_object())
            {
                return Err(ApiError::bad_request(
                    "invalid_body",
                    "invalid grant: `limits` must be an object, e.g. {\"timeoutMs\": 5000}",
                ));
            }
            crate::server::catalog::view::parse_grant(object)?
        }
        _ => {
            return Err(ApiError::bad_request(
                "invalid_body",
                "invalid grant: send a JSON object, e.g. {\"allowPrivateNetwork\": false}, or no body",
            ));
        }
    };
    let invalid = |message: String| ApiError::Unprocessable {
        code: "invalid_grant",
        message,
    };
    if !grant.mounts.is_empty()
        || !grant.env.is_empty()
        || !grant.secrets.is_empty()
        || !grant.inject.is_empty()
    {
        return Err(invalid(
            "an instruction declares no mounts, env, secret bindings or injections: it names its secrets in the template".into(),
        ));
    }
    if let Some(network) = &grant.network {
        let declared =
            crate::capability::NetworkPattern::parse(&origin).map_err(|_| ApiError::Internal)?;
        if let Some(p) = network.iter().find(|p| !p.is_within(&declared)) {
            return Err(invalid(format!(
                "network pattern `{p}` is not this ability's origin {origin}"
            )));
        }
    }
    grant
        .limits
        .check_maxima(state.loader.runtime().limits())
        .map_err(|e| invalid(e.to_string()))?;
    if grant.allow_private_network {
        crate::server::decisions::may_open_private_networks(&state, &principal).await?;
    }
    let mut record = ApprovalRecord::new(
        &principal.tenant_id,
        &principal.token_id,
        "ability",
        &row.id,
        "approved",
    );
    record.detail = json!({
        "origin": origin,
        "grant": crate::server::catalog::view::redacted(&grant),
    });
    row.status = AbilityStatus::Active;
    row.grant = Some(grant);
    row.updated_at = now();
    state.store.update_ability(&row).await?;
    crate::server::decisions::record(&state, record).await?;
    tracing::info!(ability_id = %row.id, "ability approved");
    Ok(Json(view(row)))
}
