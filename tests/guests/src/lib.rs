//! Paths of the guest components built by this crate's build script, and
//! of their `skill.toml` files.

/// A guest: its bare component and its manifest.
#[derive(Debug, Clone, Copy)]
pub struct Guest {
    /// Crate name in `skills/`.
    pub name: &'static str,
    /// Path of the bare component (not yet packaged).
    pub component: &'static str,
    /// Path of its skill.toml.
    pub manifest: &'static str,
}

macro_rules! guest {
    ($const:ident, $name:literal, $var:literal) => {
        /// The guest built from `skills/` of that name.
        pub const $const: Guest = Guest {
            name: $name,
            component: env!(concat!("GUEST_", $var)),
            manifest: env!(concat!("MANIFEST_", $var)),
        };
    };
}

guest!(TEXT_TOOLS, "text-tools", "TEXT_TOOLS");
guest!(FETCH, "fetch", "FETCH");
guest!(FILES, "files", "FILES");
guest!(SCRATCHPAD, "scratchpad", "SCRATCHPAD");
guest!(CALC, "calc", "CALC");
guest!(HOSTILE, "hostile", "HOSTILE");
guest!(SOCKETS_PROBE, "sockets-probe", "SOCKETS_PROBE");
guest!(FLOOD_CMD, "flood-cmd", "FLOOD_CMD");

impl Guest {
    /// The bare component's bytes.
    pub fn component_bytes(&self) -> Vec<u8> {
        std::fs::read(self.component).expect("guest component")
    }

    /// The manifest text.
    pub fn manifest_text(&self) -> String {
        std::fs::read_to_string(self.manifest).expect("guest manifest")
    }
}
