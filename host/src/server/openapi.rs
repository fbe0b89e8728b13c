//! The REST API's contract: an OpenAPI 3.1 document assembled from the
//! `#[utoipa::path]` annotation beside each handler (each surface's router
//! collects its handlers with `routes!`, so a route and its description
//! cannot part), completed here with what every operation shares, and
//! served at `GET /openapi.json`.
//!
//! What is added to every operation, unless its annotation says otherwise:
//! 401 where a token is needed, 403 where a scope is named, 404 where the path names something,
//! 400 where it takes a query or a body, 413 where it takes a body,
//! and 500. MCP endpoints speak MCP, not REST: `x-mcp-endpoints` names them.
use crate::server::auth::SCOPES;
use crate::server::error::ErrorBody;
use utoipa::OpenApi as _;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// The name of the bearer scheme operations refer to.
pub const BEARER: &str = "bearer";

/// MCP's endpoints, outside the document's paths.
const MCP_ENDPOINTS: &[(&str, &str)] = &[
    (
        "/mcp/agents/{agent}",
        "An agent's skills as MCP tools (Streamable HTTP; bearer token)",
    ),
    (
        "/integration/mcpserver/{id}/mcp",
        "A skillset's MCP server integration (Streamable HTTP; the integration's access token)",
    ),
    (
        "/.well-known/oauth-protected-resource",
        "OAuth protected-resource metadata for MCP clients (RFC 9728)",
    ),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "skillhost",
        description = "Skills in WebAssembly sandboxes: the management API, seed 003's agent skills, the skill server and the audit. Every error answers `{error, code}`. Every request body is a JSON object, and no string in it may hold NUL (U+0000).",
        license(name = "Apache-2.0")
    ),
    components(schemas(ErrorBody))
)]
struct Base;

/// The document's frame, before the surfaces add their paths.
pub fn base() -> OpenApi {
    let mut api = Base::openapi();
    api.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(format!(
                    "An API token (`Authorization: Bearer sk_…`), a JWT signed with the server's secret, or for the skill server an integration's access token. Operations name the scope they need, one of: {}; `admin` implies the others.",
                    SCOPES.join(", ")
                )))
                .build(),
        ),
    );
    api
}

/// Adds what every operation shares, and the MCP endpoints.
pub fn finish(mut api: OpenApi) -> OpenApi {
    for item in api.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            complete(operation);
            // Handlers in different files share names (`list`, `create`):
            // the surface's tag makes the id unique, as OpenAPI requires.
            if let (Some(tag), Some(id)) = (
                operation.tags.as_ref().and_then(|t| t.first()),
                &operation.operation_id,
            ) {
                operation.operation_id = Some(format!("{tag}.{id}"));
            }
        }
    }
    let endpoints: serde_json::Map<String, serde_json::Value> = MCP_ENDPOINTS
        .iter()
        .map(|(path, what)| ((*path).to_owned(), serde_json::Value::from(*what)))
        .collect();
    api.extensions
        .get_or_insert_with(Default::default)
        .insert("x-mcp-endpoints".into(), endpoints.into());
    api
}

fn complete(operation: &mut Operation) {
    let requirements = operation.security.as_deref().unwrap_or_default();
    let secured = !requirements.is_empty();
    // A scope can be lacking only where one is named (`/metrics` takes a
    // bare optional token).
    let scoped = requirements.iter().any(|requirement| {
        serde_json::to_value(requirement)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .is_some_and(|schemes| {
                schemes
                    .values()
                    .any(|scopes| scopes.as_array().is_some_and(|s| !s.is_empty()))
            })
    });
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let in_path = parameters
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
    let in_query = parameters
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
    let body = operation.request_body.is_some();
    let common = [
        (secured, "401", "No token, or one that is not valid"),
        (
            scoped,
            "403",
            "The token lacks the scope, or is bound to another agent",
        ),
        (in_path, "404", "Absent, or another tenant's"),
        (
            in_query || body,
            "400",
            "The query or body is malformed; `error` says what to fix",
        ),
        (body, "413", "The body exceeds the limit"),
        (
            true,
            "500",
            "A failure of the server's; the detail is logged",
        ),
    ];
    for (applies, status, description) in common {
        if applies && !operation.responses.responses.contains_key(status) {
            operation
                .responses
                .responses
                .insert(status.to_owned(), error_response(description));
        }
    }
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

/// The document as served: built once, at start-up.
pub fn render(api: &OpenApi) -> String {
    api.to_pretty_json()
        .expect("the OpenAPI document serialises")
}
