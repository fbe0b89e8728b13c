//! A skill compiled, linked and ready to instantiate.
use super::bindings;
use super::state::HostState;
use crate::package::Package;
use std::collections::HashMap;
use wasmtime_wasi::p2::bindings::CommandPre;

/// A skill compiled, linked and ready to instantiate.
pub struct LoadedSkill {
    /// The package it was loaded from.
    pub package: Package,
    /// Whether the machine code came from the on-disk cache.
    pub from_cache: bool,
    pub(super) entry: Entry,
    pub(super) validators: HashMap<String, jsonschema::Validator>,
}

/// How a skill is entered: the SDK world or a WASI command.
pub(super) enum Entry {
    Sdk(bindings::SkillPre<HostState>),
    Command(CommandPre<HostState>),
}

impl LoadedSkill {
    /// The skill's name.
    pub fn name(&self) -> &str {
        &self.package.manifest.name
    }
}
