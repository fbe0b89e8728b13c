//! Opening what a call may use, in one place: the secrets a component's
//! grant binds (released to the guest or injected by the host), the
//! credential of a source skill or a skillset ability (its `secretId`),
//! the secrets an instruction names, and a remote MCP server's. Each comes
//! with the redactor for every form the host sends it in.
use crate::ability::instruction::Instruction;
use crate::ability::instruction::execute::TemplateSecret;
use crate::ability::outcome::{Category, Failure};
use crate::capability::{Grant, Injection, Policy, Redactor, SecretValue, injectable_header};
use crate::services::{Internal, OpenedSecret, Services};
use http::{HeaderName, HeaderValue};

/// Gives `policy` the values of the tenant secrets `grant` binds: declared
/// secrets the guest may read, and headers the host injects. A binding to
/// a deleted secret leaves the name unset (the guest is told so) and is
/// logged. The runtime redacts what it released from the call's output.
pub async fn supply_grant(
    services: &Services,
    tenant_id: &str,
    grant: &Grant,
    policy: &mut Policy,
) -> Result<(), Internal> {
    for (name, binding) in &grant.secrets {
        match services.open_secret(tenant_id, &binding.secret_id).await? {
            Some(opened) => policy
                .supply_secret(name, SecretValue::new(opened.value))
                .map_err(|e| {
                    tracing::error!(error = %e, secret = %name, "an approved grant binds an undeclared secret");
                    Internal
                })?,
            None => tracing::warn!(secret = %name, "a grant binds a secret that was deleted"),
        }
    }
    for binding in &grant.inject {
        let Some(opened) = services.open_secret(tenant_id, &binding.secret_id).await? else {
            tracing::warn!(header = %binding.header, "an injection binds a secret that was deleted");
            continue;
        };
        let name = injectable_header(&binding.header).map_err(|_| Internal)?;
        let mut header = HeaderValue::from_str(&opened.rendered()).map_err(|_| Internal)?;
        header.set_sensitive(true);
        policy.inject.push(Injection {
            origin: binding.origin.clone(),
            name,
            value: header,
            secret: opened.row.name,
            plain: SecretValue::new(opened.value),
        });
    }
    Ok(())
}

/// A credential secret (an attachment's `credentialId`, a skillset
/// ability's `secretId`) and the redactor for it; `None` when none is
/// named, or it was deleted (logged: the call goes on without one and the
/// upstream says what it misses).
pub async fn credential(
    services: &Services,
    tenant_id: &str,
    secret_id: Option<&str>,
) -> Result<(Option<OpenedSecret>, Redactor), Internal> {
    let Some(id) = secret_id else {
        return Ok((None, Redactor::default()));
    };
    let Some(opened) = services.open_secret(tenant_id, id).await? else {
        tracing::warn!(secret_id = %id, "a call names a credential that was deleted");
        return Ok((None, Redactor::default()));
    };
    let redactor = redactor_for(&opened);
    Ok((Some(opened), redactor))
}

/// The secrets an instruction's template names, read once and rendered by
/// their kind: `DEFAULT` is the ability's own `secretId`, any other name a
/// tenant secret by reference. One that is not set is left out; the
/// template then says which.
pub async fn template_secrets(
    services: &Services,
    tenant_id: &str,
    instruction: &Instruction,
    default_secret: Option<&str>,
) -> Result<(Vec<TemplateSecret>, Redactor), Internal> {
    let mut secrets = Vec::new();
    let mut opened_all = Vec::new();
    for reference in &instruction.secrets {
        let id = if reference == "DEFAULT" {
            default_secret.map(str::to_owned)
        } else {
            services
                .store
                .secret_by_reference(tenant_id, reference)
                .await?
                .map(|s| s.id)
        };
        let Some(id) = id else { continue };
        if let Some(opened) = services.open_secret(tenant_id, &id).await? {
            secrets.push(TemplateSecret {
                reference: reference.clone(),
                rendered: opened.rendered(),
            });
            opened_all.push(opened);
        }
    }
    let rendered: Vec<(String, String)> = opened_all
        .iter()
        .flat_map(|o| {
            [
                (o.row.name.clone(), o.rendered()),
                (o.row.name.clone(), o.value.clone()),
            ]
        })
        .collect();
    let redactor = Redactor::new(rendered.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    Ok((secrets, redactor))
}

/// A remote MCP server's credential header (`header`, `Authorization`
/// when unset) from `secret_id`, and its redactor. A secret that was
/// deleted is the caller's to fix, said plainly.
pub async fn mcp_credential(
    services: &Services,
    tenant_id: &str,
    server: &str,
    secret_id: Option<&str>,
    header: Option<&str>,
) -> Result<Result<(Option<(HeaderName, HeaderValue)>, Redactor), Failure>, Internal> {
    let Some(id) = secret_id else {
        return Ok(Ok((None, Redactor::default())));
    };
    let Some(opened) = services.open_secret(tenant_id, id).await? else {
        return Ok(Err(Failure::new(
            Category::SecretNotSet,
            format!(
                "MCP server `{server}` uses secret {id}, which no longer exists: create it again or update the server"
            ),
        )));
    };
    let name = HeaderName::from_bytes(header.unwrap_or("authorization").as_bytes())
        .map_err(|_| Internal)?;
    let mut value = HeaderValue::from_str(&opened.rendered()).map_err(|_| Internal)?;
    value.set_sensitive(true);
    Ok(Ok((Some((name, value)), redactor_for(&opened))))
}

/// The redactor for one secret: its plain value in every form the
/// redactor knows (a rendered `Bearer …` keeps its scheme readable, and a
/// Basic credential's base64 is one of those forms).
fn redactor_for(opened: &OpenedSecret) -> Redactor {
    Redactor::new([(opened.row.name.as_str(), opened.value.as_str())])
}
