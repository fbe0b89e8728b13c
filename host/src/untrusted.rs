//! Bounds on parsing what tenants and callers send: the limits every
//! parser of untrusted text shares, and YAML read within them.
//!
//! Where each parser is bounded:
//! - JSON (request bodies, documents, schemas, cursors): serde_json stops at
//!   128 levels of nesting on its own, and every body it reads is already
//!   capped in size by the surface that received it.
//! - TOML (`skill.toml` in a package): the toml crate stops at its own
//!   nesting limit, and a package's manifest section has a size cap.
//! - Archives: [`crate::sources::archive`] caps entries, each file and the
//!   decompressed total.
//! - JSON schemas: an OpenAPI operation's input schema is capped in bytes,
//!   nodes, nesting and `$ref` hops (`sources::openapi::schema`); other
//!   schemas arrive in size-capped bodies and serde_json's depth limit.
//! - Instruction templates: the rendered request stops at
//!   [`MAX_RENDERED_BYTES`], however often a placeholder repeats its input.
//! - YAML (OpenAPI documents, SKILL.md frontmatter, an instruction's `y`
//!   operand and YAML request form): aliases replay what an anchor names, so
//!   a few kilobytes can expand to gigabytes. [`yaml`] refuses a document
//!   whose expansion passes [`yaml_budget`] before anything is built.
//!   yaml_serde stops at 128 levels of nesting itself, aliases included,
//!   like serde_json.
use serde::de::{self, DeserializeOwned, DeserializeSeed, Visitor};
use std::cell::Cell;
use std::fmt;

/// The largest request an instruction's template may render to: the
/// largest body the outbound guard sends (`outbound::Limits`), checked as
/// each placeholder is filled so the text never grows much past it.
pub const MAX_RENDERED_BYTES: usize = 32 << 20;

/// How many times larger than its text a YAML document may become once
/// its aliases are expanded. Anchors in real documents name a parameter or
/// a header block used a handful of times; an alias bomb needs thousands.
pub const YAML_EXPANSION_FACTOR: usize = 8;

/// The least expansion any document is allowed, so a short document that
/// reuses an anchor a few times is never refused.
pub const YAML_EXPANSION_FLOOR: usize = 64 << 10;

/// What a YAML document of `len` bytes may expand to, counted in nodes
/// plus scalar bytes (roughly what it costs in memory once built).
pub fn yaml_budget(len: usize) -> usize {
    len.saturating_mul(YAML_EXPANSION_FACTOR)
        .max(YAML_EXPANSION_FLOOR)
}

/// Why YAML text was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YamlError {
    /// Not YAML, or not of the expected shape: yaml_serde's reason.
    #[error("{0}")]
    Syntax(String),
    /// Its aliases expand past [`yaml_budget`].
    #[error(
        "its aliases (`*name`) expand it to more than {limit} nodes and bytes, the most a document of its size may become ({factor} times its size, at least {YAML_EXPANSION_FLOOR}); write the repeated parts out or use fewer aliases"
    )]
    Expansion {
        /// The budget it passed.
        limit: usize,
        /// [`YAML_EXPANSION_FACTOR`].
        factor: usize,
    },
}

/// YAML read within the limits.
pub mod yaml {
    use super::*;

    /// `text` as a `T`, refused when its expansion or depth passes the
    /// limits. The limits are checked first by walking the document
    /// without building anything, so a bomb costs only its budget.
    pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
        from_slice(text.as_bytes())
    }

    /// [`from_str`] for bytes.
    pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, YamlError> {
        check(bytes)?;
        yaml_serde::from_slice(bytes).map_err(|e| YamlError::Syntax(e.to_string()))
    }

    /// Walks the document as yaml_serde would build it, aliases replayed,
    /// counting nodes and scalar bytes; stops at the first limit passed.
    pub fn check(bytes: &[u8]) -> Result<(), YamlError> {
        let budget = Budget {
            left: Cell::new(yaml_budget(bytes.len())),
            limit: yaml_budget(bytes.len()),
            passed: Cell::new(None),
        };
        let walked =
            Walk { budget: &budget }.deserialize(yaml_serde::Deserializer::from_slice(bytes));
        match (walked, budget.passed.take()) {
            (_, Some(limit)) => Err(limit),
            (Err(e), None) => Err(YamlError::Syntax(e.to_string())),
            (Ok(()), None) => Ok(()),
        }
    }
}

/// What is left of one document's allowance, and which limit it passed.
struct Budget {
    left: Cell<usize>,
    limit: usize,
    passed: Cell<Option<YamlError>>,
}

impl Budget {
    fn spend<E: de::Error>(&self, units: usize) -> Result<(), E> {
        match self.left.get().checked_sub(units) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => {
                let passed = YamlError::Expansion {
                    limit: self.limit,
                    factor: YAML_EXPANSION_FACTOR,
                };
                let message = passed.to_string();
                self.passed.set(Some(passed));
                Err(E::custom(message))
            }
        }
    }
}

/// One node of the walk: counts itself and its children, builds nothing.
#[derive(Clone, Copy)]
struct Walk<'a> {
    budget: &'a Budget,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.budget.spend(1)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.budget.spend(1)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.budget.spend(1)
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        self.budget.spend(1)
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        self.budget.spend(1)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.budget.spend(1)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.budget.spend(1 + v.len())
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<(), E> {
        self.budget.spend(1 + v.len())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.budget.spend(1)
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.budget.spend(1)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.budget.spend(1)?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.budget.spend(1)?;
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        // A tagged node (`!tag value`): the tag, then what it tags.
        use de::VariantAccess;
        self.budget.spend(1)?;
        let ((), variant) = data.variant_seed(self)?;
        variant.newtype_variant_seed(self)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::Value;

    /// An anchor of `width` strings, then `levels` anchors each holding
    /// `width` aliases of the one before: `width^levels` strings expanded.
    pub(crate) fn alias_bomb(width: usize, levels: usize) -> String {
        let mut out = format!("a0: &a0 [{}]\n", vec!["\"lol\""; width].join(", "));
        for level in 1..=levels {
            let refs = vec![format!("*a{}", level - 1); width].join(", ");
            out.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
        }
        out
    }

    #[test]
    fn an_alias_bomb_is_refused_before_it_is_built() {
        let bomb = alias_bomb(10, 9);
        assert!(bomb.len() < 2_000);
        let started = std::time::Instant::now();
        let err = yaml::from_str::<Value>(&bomb).unwrap_err();
        assert_eq!(
            err,
            YamlError::Expansion {
                limit: YAML_EXPANSION_FLOOR,
                factor: YAML_EXPANSION_FACTOR
            }
        );
        assert!(err.to_string().contains("aliases"), "{err}");
        // Stopped at the budget, not after walking 10^9 nodes.
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn one_long_anchor_repeated_is_refused_too() {
        let mut doc = format!("s: &s \"{}\"\nl:\n", "x".repeat(4000));
        for _ in 0..3000 {
            doc.push_str("  - *s\n");
        }
        assert!(matches!(
            yaml::from_str::<Value>(&doc),
            Err(YamlError::Expansion { .. })
        ));
    }

    #[test]
    fn ordinary_anchors_and_documents_are_read() {
        let doc =
            "base: &b {type: string, maxLength: 10}\nx: *b\ny: *b\nlist: [1, 2.5, true, null, ~]\n";
        let v: Value = yaml::from_str(doc).unwrap();
        assert_eq!(v["y"]["maxLength"], 10);
        assert_eq!(v["list"][1], 2.5);
        // Tagged nodes are walked like any other.
        let v: Value = yaml::from_str("k: !!str 12\n").unwrap();
        assert_eq!(v["k"], "12");
    }

    #[test]
    fn nesting_past_serde_jsons_depth_is_refused() {
        let depth = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(matches!(
            yaml::check(depth(130).as_bytes()),
            Err(YamlError::Syntax(_))
        ));
        assert!(yaml::check(depth(100).as_bytes()).is_ok());
    }

    #[test]
    fn syntax_errors_keep_yaml_serdes_reason() {
        assert!(matches!(
            yaml::from_str::<Value>("a: [1, 2"),
            Err(YamlError::Syntax(_))
        ));
    }
}
