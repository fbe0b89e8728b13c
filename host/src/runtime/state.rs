//! What each store holds: the WASI contexts built from the call's policy,
//! the memory limiter, and the record of what the sandbox refused.
// Recorded by the outgoing-HTTP hooks, the lower module; `state::Denial`
// is where the rest of the runtime names it.
pub use super::http_hooks::Denial;

use super::http_hooks::{Denials, GuestText, OutboundHooks};
use super::session::{SessionScope, SessionStore};
use crate::capability::Policy;
use crate::outbound::{Exchanges, Outbound};
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Enforces the call's memory limit and records what happened, so that an
/// out-of-memory outcome is reported from fact, not guessed from a trap.
pub struct MemoryLimiter {
    limit: usize,
    total: usize,
    /// Highest total linear memory reached.
    pub peak: usize,
    /// Set when a growth was refused.
    pub refused: bool,
}

/// The most table elements any one table may hold; a function table this
/// large is already absurd for a skill.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

impl MemoryLimiter {
    fn new(limit: usize) -> Self {
        MemoryLimiter {
            limit,
            total: 0,
            peak: 0,
            refused: false,
        }
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.total - current.min(self.total) + desired;
        if total > self.limit {
            self.refused = true;
            return Ok(false);
        }
        self.total = total;
        self.peak = self.peak.max(total);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// Identity of a call, for logs.
#[derive(Debug, Clone)]
pub struct CallInfo {
    /// Skill name.
    pub skill: Arc<str>,
    /// Invocation id.
    pub invocation: Arc<str>,
}

/// The data of one store: built fresh for every call.
pub struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) http: WasiHttpCtx,
    pub(crate) hooks: OutboundHooks,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) policy: Arc<Policy>,
    pub(crate) session: Option<SessionScope>,
    pub(crate) sessions: Arc<dyn SessionStore>,
    pub(crate) denials: Denials,
    pub(crate) exchanges: Exchanges,
    pub(crate) info: CallInfo,
    /// Log records the guest may still write in this call.
    pub(crate) log_budget: u32,
    /// Redacts what the guest writes that reaches the host's log (its log
    /// records, its denials): its secrets are hidden there as in its
    /// output.
    pub(crate) guest_text: GuestText,
    /// Set when a host service failed during the call.
    pub(crate) host_failed: bool,
}

/// Guest log records per call; enough for diagnostics, not enough to flood
/// the host's log.
const LOG_BUDGET: u32 = 1000;

impl HostState {
    pub(crate) fn new(
        wasi: WasiCtx,
        policy: Arc<Policy>,
        session: Option<SessionScope>,
        sessions: Arc<dyn SessionStore>,
        outbound: Outbound,
        info: CallInfo,
    ) -> Self {
        let guest_text = GuestText::new(policy.clone());
        let denials = Denials::new(guest_text.clone());
        let exchanges = Exchanges::default();
        HostState {
            wasi,
            table: ResourceTable::new(),
            http: WasiHttpCtx::new(),
            hooks: OutboundHooks::new(outbound, policy.clone(), denials.clone(), exchanges.clone()),
            limiter: MemoryLimiter::new(policy.limits.memory_bytes),
            policy,
            session,
            sessions,
            denials,
            exchanges,
            info,
            log_budget: LOG_BUDGET,
            guest_text,
            host_failed: false,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}
