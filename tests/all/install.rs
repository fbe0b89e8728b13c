//! Install-time checks on real components: undeclared imports are refused
//! with the import named, packages are self-describing, and the compile
//! cache serves a second load.
use skillhost::error::LoadError;
use skillhost::pack::{PackError, pack};
use skillhost::package::{self, PackageError};
use skillhost_tests::{fixture, guests, new_runtime};

fn manifest_without_network() -> String {
    guests::HOSTILE.manifest_text().replace(
        "network = [\"http://localhost:*\", \"http://169.254.169.254\", \"http://metadata.test:*\"]",
        "",
    )
}

#[tokio::test]
async fn an_http_import_without_declared_network_is_refused() {
    let f = fixture();
    let err = pack(
        &f.runtime,
        &guests::HOSTILE.component_bytes(),
        &manifest_without_network(),
    )
    .await
    .unwrap_err();
    match err {
        PackError::Package(PackageError::UndeclaredImport(message)) => {
            assert!(message.contains("wasi:http/"), "{message}");
            assert!(message.contains("declares no network"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_tampered_package_is_refused_at_load() {
    // Re-embed a manifest that drops the network declaration into the
    // packaged bytes' component: loading must refuse it, not trust it.
    let f = fixture();
    let manifest = skillhost::manifest::Manifest::from_toml(&manifest_without_network()).unwrap();
    let mut with_abilities = manifest.clone();
    with_abilities.abilities = f.skill("hostile").package.manifest.abilities.clone();
    let err = package::embed(
        &guests::HOSTILE.component_bytes(),
        skillhost::manifest::SkillKind::Sdk,
        &with_abilities,
    )
    .unwrap_err();
    assert!(matches!(err, PackageError::UndeclaredImport(_)), "{err:?}");
}

#[tokio::test]
async fn a_sockets_import_is_linked_and_every_socket_refused() {
    // CPython's components import wasi:sockets whatever the skill does:
    // they install, and the sockets they get refuse everything, whatever
    // network the skill is granted.
    let f = fixture();
    let toml = "name = \"probe\"\nversion = \"1.0.0\"\ndescription = \"d\"\n\
        [capabilities]\nnetwork = [\"http://127.0.0.1:*\"]\n\
        [[abilities]]\nname = \"run\"\ndescription = \"d\"\ninput_schema = {}\n";
    let bytes = pack(&f.runtime, &guests::SOCKETS_PROBE.component_bytes(), toml)
        .await
        .unwrap();
    let skill = f.runtime.load(&bytes).unwrap();
    let grant = skillhost::capability::Grant {
        allow_private_network: true,
        ..Default::default()
    };
    let policy =
        skillhost::capability::Policy::resolve(&skill.package.manifest, &grant, f.runtime.limits())
            .unwrap();
    let input = serde_json::json!([]);
    let inv = f
        .runtime
        .invoke(
            &skill,
            std::sync::Arc::new(policy),
            skillhost::runtime::Call {
                ability: "run",
                input: &input,
                session: None,
            },
        )
        .await;
    assert_eq!(inv.outcome.unwrap().body, "false\n");
}

#[tokio::test]
async fn unpackaged_and_non_components_are_refused() {
    let f = fixture();
    let err = f
        .runtime
        .load(&guests::TEXT_TOOLS.component_bytes())
        .err()
        .unwrap();
    assert!(
        matches!(err, LoadError::Package(PackageError::NoManifest)),
        "{err:?}"
    );
    let err = f.runtime.load(b"\0asm\x01\0\0\0").err().unwrap();
    assert!(err.to_string().contains("core module"), "{err}");
    let err = f.runtime.load(b"not wasm at all").err().unwrap();
    assert!(
        matches!(err, LoadError::Package(PackageError::NotAComponent(_))),
        "{err:?}"
    );
    // Packing twice is refused rather than stacking manifests.
    let packed = &f.packed["text-tools"];
    let err = pack(&f.runtime, packed, &guests::TEXT_TOOLS.manifest_text())
        .await
        .unwrap_err();
    assert!(
        matches!(err, PackError::Package(PackageError::AlreadyPacked)),
        "{err:?}"
    );
}

#[tokio::test]
async fn sdk_and_command_manifests_must_match_their_kind() {
    let f = fixture();
    // SDK skills take abilities from code, not from skill.toml.
    let toml = format!(
        "{}\n[[abilities]]\nname = \"x\"\ndescription = \"d\"\ninput_schema = {{}}\n",
        guests::TEXT_TOOLS.manifest_text()
    );
    let err = pack(&f.runtime, &guests::TEXT_TOOLS.component_bytes(), &toml)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("come from the code"), "{err}");
    // A command needs them.
    let toml = "name = \"calc\"\nversion = \"1.0.0\"\ndescription = \"d\"\n";
    let err = pack(&f.runtime, &guests::CALC.component_bytes(), toml)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("[[abilities]]"), "{err}");
}

#[tokio::test]
async fn packages_describe_themselves_without_running() {
    let f = fixture();
    let p = package::read(&f.packed["text-tools"]).unwrap();
    assert_eq!(p.manifest.name, "text-tools");
    let names: Vec<_> = p
        .manifest
        .abilities
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["word_count", "slugify", "json_query", "regex_extract"]
    );
    assert!(
        p.manifest.abilities[0]
            .description
            .starts_with("Counts the words")
    );
    assert_eq!(
        p.manifest.abilities[0].input_schema["required"],
        serde_json::json!(["text"])
    );
    assert_eq!(p.digest, package::digest(&f.packed["text-tools"]));
    let fetch = package::read(&f.packed["fetch"]).unwrap();
    assert!(
        fetch
            .imports
            .iter()
            .any(|i| i.starts_with("wasi:http/outgoing-handler"))
    );
}

#[tokio::test]
async fn the_compile_cache_serves_a_second_load() {
    // A cache of its own: this test corrupts what is in it.
    // The cache's key file goes beside the cache folder: both inside the
    // test's directory.
    let work = skillhost_tests::work_dir("cache-test");
    let dir = work.join("cache");
    let bytes = fixture().packed["calc"].clone();
    let first = new_runtime(Some(dir.clone())).load(&bytes).unwrap();
    assert!(!first.from_cache);
    // A new runtime (as after a restart) loads the stored machine code.
    // (How much faster that is, is a benchmark figure: `cargo bench -p
    // skillhost-tests --bench invoke` prints compile against cached load.)
    let runtime = new_runtime(Some(dir.clone()));
    let second = runtime.load(&bytes).unwrap();
    assert!(second.from_cache, "second load should come from the cache");
    let policy = skillhost::capability::Policy::resolve(
        &second.package.manifest,
        &Default::default(),
        runtime.limits(),
    )
    .unwrap();
    let input = serde_json::json!(["6*7"]);
    let inv = runtime
        .invoke(
            &second,
            std::sync::Arc::new(policy),
            skillhost::runtime::Call {
                ability: "evaluate",
                input: &input,
                session: None,
            },
        )
        .await;
    assert_eq!(inv.outcome.unwrap().body, "42\n");
    drop((first, second, runtime));
    // A corrupt artifact is discarded and recompiled, not trusted. (Replace
    // the file rather than truncate it: the cache itself only ever renames
    // new files into place, so live memory maps stay valid.)
    for entry in walk(&dir) {
        std::fs::remove_file(&entry).unwrap();
        std::fs::write(&entry, b"garbage").unwrap();
    }
    let third = new_runtime(Some(dir.clone())).load(&bytes).unwrap();
    assert!(!third.from_cache);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_compile_cache_loads_only_what_this_server_wrote() {
    // An artifact is machine code loaded by unsafe deserialisation: one
    // planted in the directory (here a genuine wasmtime artifact, written
    // under another key) must be compiled over, never loaded.
    let bytes = fixture().packed["calc"].clone();
    let runtime_with = |dir: &std::path::Path, key: u8| {
        let config = skillhost::runtime::RuntimeConfig {
            cache_key: Some([key; 32]),
            ..skillhost_tests::runtime_config(Some(dir.to_owned()))
        };
        skillhost::runtime::Runtime::new(
            config,
            std::sync::Arc::new(skillhost::runtime::MemorySessions::default()),
        )
        .unwrap()
    };
    let ours = skillhost_tests::work_dir("cache-ours");
    assert!(!runtime_with(&ours, 1).load(&bytes).unwrap().from_cache);
    assert!(runtime_with(&ours, 1).load(&bytes).unwrap().from_cache);
    let planted = skillhost_tests::work_dir("cache-planted");
    for file in walk(&ours) {
        let to = planted.join(file.strip_prefix(&ours).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&file, &to).unwrap();
    }
    let loaded = runtime_with(&planted, 2).load(&bytes).unwrap();
    assert!(
        !loaded.from_cache,
        "an artifact under another key was loaded"
    );
    // What it wrote in its place is its own, and loads.
    assert!(runtime_with(&planted, 2).load(&bytes).unwrap().from_cache);
    let _ = std::fs::remove_dir_all(&ours);
    let _ = std::fs::remove_dir_all(&planted);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

#[tokio::test]
async fn the_service_keeps_a_bounded_number_of_skills_loaded() {
    let f = fixture();
    let loader = skillhost::server::Loader::with_capacity(new_runtime(None), 2);
    let digest = |name: &str| package::read(&f.packed[name]).unwrap().digest;
    for name in ["text-tools", "calc", "scratchpad"] {
        loader.load_bytes(f.packed[name].clone()).await.unwrap();
        assert!(loader.loaded_count() <= 2);
    }
    // The least recently used (text-tools) made room; the newest stayed.
    assert!(!loader.is_loaded(&digest("text-tools")));
    assert!(loader.is_loaded(&digest("calc")) && loader.is_loaded(&digest("scratchpad")));
    // Loading it again evicts the next oldest, and it still runs.
    let skill = loader
        .load_bytes(f.packed["text-tools"].clone())
        .await
        .unwrap();
    assert!(!loader.is_loaded(&digest("calc")));
    let policy = skillhost::capability::Policy::resolve(
        &skill.package.manifest,
        &Default::default(),
        loader.runtime().limits(),
    )
    .unwrap();
    let out = loader
        .runtime()
        .invoke(
            &skill,
            std::sync::Arc::new(policy),
            skillhost::runtime::Call {
                ability: "slugify",
                input: &serde_json::json!({"text": "A B"}),
                session: None,
            },
        )
        .await;
    assert_eq!(out.outcome.unwrap().body, "a-b");
}
