//! What the MCP endpoints' authorisation middleware admitted, read back
//! by the handlers from the request's extensions.
use crate::store::Agent;

/// Who is calling an agent's MCP endpoint, put into the request's
/// extensions by [`authorize`] for the handler.
#[derive(Debug, Clone)]
pub(crate) struct McpCaller {
    /// The caller's tenant.
    pub tenant_id: String,
    /// The agent whose tools these are.
    pub agent: Agent,
    /// The token (its id, or a JWT's subject) calling: an MCP task is its
    /// alone.
    pub owner: String,
    /// The store's change generation when the request was admitted: a
    /// subscription compares against it, since it is acknowledged before
    /// the server has looked at the tools.
    pub admitted_at: u64,
}

/// What [`authorize`] or [`authorize_integration`] put into the request
/// for the handler, and the request id.
pub(crate) fn admitted<T: Clone + Send + Sync + 'static>(
    ctx: &rmcp::service::RequestContext<rmcp::RoleServer>,
) -> Result<(T, Option<String>), rmcp::ErrorData> {
    let parts = ctx
        .extensions
        .get::<http::request::Parts>()
        .ok_or_else(|| rmcp::ErrorData::internal_error("not served over HTTP", None))?;
    let caller = parts
        .extensions
        .get::<T>()
        .cloned()
        .ok_or_else(|| rmcp::ErrorData::internal_error("request not authorized", None))?;
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok((caller, request_id))
}
