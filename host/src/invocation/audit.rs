//! The account of every call and every refusal: one audit record (committed
//! before the caller is answered), one count in
//! `skillhost_invocations_total{kind,outcome,surface}` and one log line.
use super::request::{Caller, Surface};
use crate::ability::outcome::Executed;
use crate::services::{Internal, Services};
use crate::store::{InvocationRow, now};
use crate::telemetry::CounterFamily;
use serde_json::{Value, json};

static REST: CounterFamily = CounterFamily::new(
    "skillhost_invocations_total",
    "kind",
    "outcome",
    &[("surface", "rest")],
);
static MCP: CounterFamily = CounterFamily::new(
    "skillhost_invocations_total",
    "kind",
    "outcome",
    &[("surface", "mcp")],
);
static SKILLSERVER: CounterFamily = CounterFamily::new(
    "skillhost_invocations_total",
    "kind",
    "outcome",
    &[("surface", "skillserver")],
);

fn counter(surface: Surface) -> &'static CounterFamily {
    match surface {
        Surface::Rest => &REST,
        Surface::Mcp => &MCP,
        Surface::SkillServer => &SKILLSERVER,
    }
}

/// The outcome label of a refusal before anything ran.
pub const REFUSED: &str = "refused";

/// What kind of thing was called: the `kind` label of
/// `skillhost_invocations_total`, where a skill's or skillset's name (a
/// tenant's free text) must not go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Called {
    /// An installed skill, through its assignment.
    Skill,
    /// An ability of a skillset (instruction, OpenAPI operation, or a
    /// skill's ability through the skillset).
    Skillset,
    /// A tool of a remote MCP server.
    McpServer,
}

impl Called {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Called::Skill => "skill",
            Called::Skillset => "skillset",
            Called::McpServer => "mcp_server",
        }
    }
}

/// What the record says was called.
pub struct Subject {
    /// What kind of thing it is.
    pub kind: Called,
    /// The skill's id, when a skill was called.
    pub skill_id: Option<String>,
    /// The skill's name, or what stands for it (`skillset:NAME`,
    /// `mcp:SERVER`).
    pub skill_name: String,
    /// The ability or tool.
    pub ability: String,
}

/// Where a call came from and what it was given: what every record of
/// one request shares.
pub struct Context<'a> {
    /// Who called.
    pub caller: &'a Caller,
    /// From where.
    pub surface: Surface,
    /// The HTTP request id.
    pub request_id: Option<&'a str>,
    /// The input, when the operator keeps inputs.
    pub input: Option<&'a Value>,
}

impl Context<'_> {
    fn row(&self, subject: Subject) -> InvocationRow {
        InvocationRow {
            id: String::new(),
            tenant_id: self.caller.tenant_id.clone(),
            agent_id: self.caller.agent.as_ref().map(|a| a.id.clone()),
            agent_name: self.caller.agent.as_ref().map(|a| a.name.clone()),
            skill_id: subject.skill_id,
            skill_name: subject.skill_name,
            ability: subject.ability,
            outcome: String::new(),
            duration_us: 0,
            peak_memory_bytes: 0,
            output_bytes: 0,
            denials: json!([]),
            requests: json!([]),
            input: self.input.cloned(),
            request_id: self.request_id.map(str::to_owned),
            surface: Some(self.surface.as_str().to_owned()),
            integration_id: self.caller.integration_id.clone(),
            created_at: now(),
        }
    }

    /// Records a refusal: nothing ran, `reason` is the denial.
    pub async fn refused(
        &self,
        services: &Services,
        id: &str,
        subject: Subject,
        reason: &str,
    ) -> Result<(), Internal> {
        let kind = subject.kind;
        let mut row = self.row(subject);
        row.id = id.to_owned();
        row.denials =
            json!([{ "capability": "invoke", "target": row.skill_name, "reason": reason }]);
        self.commit(services, row, kind, REFUSED).await
    }

    /// Records a call that reached its executor.
    pub async fn executed(
        &self,
        services: &Services,
        subject: Subject,
        executed: &Executed,
    ) -> Result<(), Internal> {
        let kind = subject.kind;
        let mut row = self.row(subject);
        row.id = executed.id.clone();
        let outcome = match &executed.result {
            Ok(_) => "success",
            Err(failure) => failure.code(),
        };
        row.duration_us = executed.receipt.wall_time_us as i64;
        row.peak_memory_bytes = executed.receipt.peak_memory_bytes as i64;
        row.output_bytes = executed.receipt.output_bytes as i64;
        row.denials = serde_json::to_value(&executed.denials).expect("denials are JSON");
        row.requests = serde_json::to_value(&executed.requests).expect("requests are JSON");
        self.commit(services, row, kind, outcome).await
    }

    /// The record is committed before the caller is answered; the line is
    /// at debug level, since the sandbox already logs each call at info.
    async fn commit(
        &self,
        services: &Services,
        mut row: InvocationRow,
        kind: Called,
        outcome: &'static str,
    ) -> Result<(), Internal> {
        row.outcome = outcome.to_owned();
        tracing::debug!(
            invocation_id = %row.id,
            skill = %row.skill_name,
            ability = %row.ability,
            outcome = %row.outcome,
            surface = self.surface.as_str(),
            request_id = self.request_id.unwrap_or("-"),
            "invocation"
        );
        services.store.record_invocation(row).await?;
        counter(self.surface).increment(kind.as_str(), outcome);
        Ok(())
    }
}
