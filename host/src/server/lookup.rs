//! Finding what a request names, in the caller's tenant only: another
//! tenant's agent, skill or skillset is as absent as one that never was
//! (404, never told apart). For a token bound to one agent, every other
//! agent of its tenant is absent in the same way.
use crate::server::auth::Principal;
use crate::server::error::ApiError;
use crate::services::AppState;
use crate::store::{SkillRow, SkillsetRow};

/// Which principals a management route serves.
pub(crate) trait Kind: Send + Sync + 'static {
    /// The stored kind.
    const KIND: &'static str;
    /// The JSON key of one.
    const ONE: &'static str;
    /// The word in messages.
    const NOUN: &'static str;
}

/// Seed 001/003's agents.
pub(crate) struct Agents;

/// Seed 004's runners.
pub(crate) struct Runners;

impl Kind for Agents {
    const KIND: &'static str = "agent";
    const ONE: &'static str = "agent";
    const NOUN: &'static str = "Agent";
}

impl Kind for Runners {
    const KIND: &'static str = "runner";
    const ONE: &'static str = "runner";
    const NOUN: &'static str = "Runner";
}

/// A tenant's agent or runner by id or name that `principal` may act as,
/// or 404: the call surfaces serve both.
pub(crate) async fn find_agent(
    state: &AppState,
    principal: &Principal,
    key: &str,
) -> Result<crate::store::Agent, ApiError> {
    state
        .store
        .agent(&principal.tenant_id, key)
        .await?
        .filter(|a| principal.may_act_as(a))
        .ok_or(ApiError::NotFound("agent"))
}

/// A tenant's principal of kind `K` by id or name that `principal` may act
/// as, or 404.
pub(crate) async fn find_kind<K: Kind>(
    state: &AppState,
    principal: &Principal,
    key: &str,
) -> Result<crate::store::Agent, ApiError> {
    state
        .store
        .agent(&principal.tenant_id, key)
        .await?
        .filter(|a| a.kind == K::KIND && principal.may_act_as(a))
        .ok_or(ApiError::NotFound(K::ONE))
}

pub(crate) async fn find_skill(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<SkillRow, ApiError> {
    state
        .store
        .skill(&principal.tenant_id, id)
        .await?
        .ok_or(ApiError::NotFound("skill"))
}

/// A tenant's skillset, or 404.
pub(crate) async fn find_skillset(
    state: &AppState,
    tenant_id: &str,
    id: &str,
) -> Result<SkillsetRow, ApiError> {
    state
        .store
        .skillset(tenant_id, id)
        .await?
        .ok_or(ApiError::NotFound("skillset"))
}
