//! The skill.toml every new skill starts from, whatever its language.

/// The manifest every new skill starts from; `secret_reader` names how the
/// language reads a secret.
pub(super) fn skill_toml(name: &str, secret_reader: &str) -> String {
    format!(
        r#"name = "{name}"
version = "0.1.0"
description = "Greets people by name"
# category = "demo"

# Everything not declared here is denied. For example:
[capabilities]
# network = ["https://api.example.com"]   # outgoing HTTP destinations
# fs_read = ["/data"]                      # read-only mounts (the operator maps them)
# fs_write = ["/scratch"]                  # read-write mounts
# env = ["TZ"]                             # environment variables
# secrets = ["API_KEY"]                    # secrets, read with {secret_reader}

# [limits]
# timeout_ms = 5000
# memory_mb = 64
"#
    )
}
