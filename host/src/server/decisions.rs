//! What only the operator may allow a tenant's admins, and the trail of
//! every approval: shared by the skill, ability and MCP server approvals.
use crate::server::auth::Principal;
use crate::server::error::ApiError;
use crate::services::AppState;
use crate::store::ApprovalRecord;
use axum::http::StatusCode;

/// Private networks open for a tenant only where the operator allows it:
/// the operator's token always may, a tenant's admins when the operator
/// has marked the tenant.
pub(crate) async fn may_open_private_networks(
    state: &AppState,
    principal: &Principal,
) -> Result<(), ApiError> {
    if principal.operator {
        return Ok(());
    }
    let tenant = state.store.tenant(&principal.tenant_id).await?;
    if tenant.is_some_and(|t| t.allow_private_network) {
        return Ok(());
    }
    Err(ApiError::Call {
        status: StatusCode::FORBIDDEN,
        code: "private_network_not_allowed",
        message: "the operator has not allowed this tenant to approve private networks: ask the operator to allow it (PATCH /api/tenants/{id} with {\"allowPrivateNetwork\": true}) or to open the one internal range with --allow-private-range".into(),
    })
}

/// Records a decision. A failure to write it fails the request (500),
/// so the caller retries and no decision goes unrecorded.
pub(crate) async fn record(state: &AppState, record: ApprovalRecord) -> Result<(), ApiError> {
    tracing::info!(
        subject = record.subject,
        subject_id = %record.subject_id,
        action = record.action,
        token_id = %record.token_id,
        reviewed = record.reviewed,
        "decision recorded"
    );
    Ok(state.store.record_approval(&record).await?)
}
