//! End-to-end sandbox tests: real components in wasmtime, each capability
//! shown granted and refused, and every hostile guest contained. After each
//! attack the same engine must still serve a normal call.
use serde_json::json;
use skillhost::InvokeError;
use skillhost::capability::{Grant, GuestPath, NetworkPattern};
use skillhost::manifest::LimitRequest;
use skillhost_tests::{Upstream, err_kind, fixture, ok_body, work_dir};
use std::time::{Duration, Instant};

fn grant() -> Grant {
    Grant::default()
}

fn mount(grant: &mut Grant, guest: &str, host: &std::path::Path) {
    grant.mounts.insert(
        GuestPath::parse(guest).unwrap(),
        skillhost_tests::volume_mount(host),
    );
}

/// The engine still serves a plain call correctly.
async fn assert_healthy() {
    let inv = fixture().call("hostile", "ok", json!({}), &grant()).await;
    assert_eq!(ok_body(&inv), "ok");
}

#[tokio::test]
async fn text_tools_compute_and_schema_violations_are_invalid_input() {
    let f = fixture();
    let inv = f
        .call(
            "text-tools",
            "word_count",
            json!({"text": "one two\nthree"}),
            &grant(),
        )
        .await;
    let counts: serde_json::Value = serde_json::from_str(ok_body(&inv)).unwrap();
    assert_eq!(
        counts,
        json!({"words": 3, "lines": 2, "characters": 13, "bytes": 13})
    );
    assert!(inv.receipt.peak_memory_bytes > 0 && inv.receipt.output_bytes == ok_body(&inv).len());

    let inv = f
        .call(
            "text-tools",
            "slugify",
            json!({"text": "Hello, World! 2024"}),
            &grant(),
        )
        .await;
    assert_eq!(ok_body(&inv), "hello-world-2024");

    let inv = f
        .call(
            "text-tools",
            "json_query",
            json!({"document": {"a": [1, {"b": "x"}]}, "pointer": "/a/1/b"}),
            &grant(),
        )
        .await;
    assert_eq!(ok_body(&inv), "\"x\"");

    let inv = f
        .call(
            "text-tools",
            "regex_extract",
            json!({"text": "a1 b22 c333", "pattern": "[a-z](\\d+)", "group": 1}),
            &grant(),
        )
        .await;
    assert_eq!(ok_body(&inv), "[\"1\",\"22\",\"333\"]");

    let inv = f
        .call("text-tools", "word_count", json!({"txt": 1}), &grant())
        .await;
    match &inv.outcome {
        Err(InvokeError::InvalidInput { message }) => {
            assert!(
                message.contains("text") && message.contains("required"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    // The guest's own input check reports invalid_input too.
    let inv = f
        .call(
            "text-tools",
            "regex_extract",
            json!({"text": "x", "pattern": "("}),
            &grant(),
        )
        .await;
    assert_eq!(err_kind(&inv), "invalid_input");

    let inv = f
        .call("text-tools", "no_such_ability", json!({}), &grant())
        .await;
    match &inv.outcome {
        Err(InvokeError::NotFound { message }) => {
            assert!(message.contains("word_count"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn network_granted_reaches_the_declared_host() {
    let server = Upstream::start("127.0.0.1");
    let mut g = grant();
    g.allow_private_network = true;
    let url = server.localhost_url("/echo/v1/status?x=1");
    let inv = fixture()
        .call("fetch", "request", json!({"url": url}), &g)
        .await;
    let reply: serde_json::Value = serde_json::from_str(ok_body(&inv)).unwrap();
    assert_eq!(reply["status"], 200);
    assert_eq!(reply["body"]["method"], "GET");
    assert_eq!(reply["body"]["path"], "/echo/v1/status?x=1");
    assert_eq!(
        reply["body"]["headers"]["host"],
        format!("localhost:{}", server.addr.port())
    );
    assert_eq!(server.hits(), 1);
    assert!(inv.denials.is_empty());
}

#[tokio::test]
async fn network_refuses_an_undeclared_host() {
    let server = Upstream::start("127.0.0.1");
    let mut g = grant();
    g.allow_private_network = true;
    // Same server, but named by IP literal: `127.0.0.1` is not `localhost`.
    let url = format!("http://127.0.0.1:{}/", server.addr.port());
    let inv = fixture()
        .call("fetch", "request", json!({"url": url}), &g)
        .await;
    match &inv.outcome {
        Err(InvokeError::CapabilityDenied {
            capability, target, ..
        }) => {
            assert_eq!(capability, "network");
            assert_eq!(target, &format!("http://127.0.0.1:{}", server.addr.port()));
        }
        other => panic!("{other:?}"),
    }
    // Undeclared scheme and an internet host are refused before any lookup.
    for url in ["https://localhost/", "http://example.com/"] {
        let inv = fixture()
            .call("fetch", "request", json!({"url": url}), &g)
            .await;
        assert_eq!(err_kind(&inv), "capability_denied", "{url}");
    }
    assert_eq!(server.hits(), 0);
    assert_healthy().await;
}

#[tokio::test]
async fn network_refuses_an_allowed_name_resolving_to_loopback_without_the_override() {
    let server = Upstream::start("127.0.0.1");
    let url = format!("http://localhost:{}/", server.addr.port());
    let inv = fixture()
        .call("fetch", "request", json!({"url": url}), &grant())
        .await;
    skillhost_tests::assert_network_denied(&inv, "loopback");
    assert_eq!(server.hits(), 0, "the refused request must never connect");
    assert_healthy().await;
}

#[tokio::test]
async fn network_refuses_the_cloud_metadata_address() {
    let inv = fixture()
        .call(
            "hostile",
            "fetch",
            json!({"target": "http://169.254.169.254/latest/meta-data/"}),
            &grant(),
        )
        .await;
    match &inv.outcome {
        Err(InvokeError::CapabilityDenied { message, .. }) => {
            assert!(message.contains("cloud metadata"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_healthy().await;
}

#[tokio::test]
async fn network_grant_can_narrow_the_declaration_to_nothing() {
    let server = Upstream::start("127.0.0.1");
    let mut g = grant();
    g.allow_private_network = true;
    g.network = Some(vec![]);
    let url = format!("http://localhost:{}/", server.addr.port());
    let inv = fixture()
        .call("fetch", "request", json!({"url": url}), &g)
        .await;
    assert_eq!(err_kind(&inv), "capability_denied");
    // Narrowed to another port: still refused.
    g.network = Some(vec![NetworkPattern::parse("http://localhost:1").unwrap()]);
    let inv = fixture()
        .call("fetch", "request", json!({"url": url}), &g)
        .await;
    assert_eq!(err_kind(&inv), "capability_denied");
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn filesystem_read_only_and_read_write_mounts() {
    let docs = work_dir("docs");
    let notes = work_dir("notes");
    std::fs::write(docs.join("guide.md"), "# Guide\n").unwrap();
    let mut g = grant();
    mount(&mut g, "/docs", &docs);
    mount(&mut g, "/notes", &notes);
    let f = fixture();
    assert_eq!(
        ok_body(&f.call("files", "list_docs", json!({}), &g).await),
        "[\"guide.md\"]"
    );
    assert_eq!(
        ok_body(
            &f.call("files", "read_doc", json!({"path": "guide.md"}), &g)
                .await
        ),
        "# Guide\n"
    );
    let inv = f
        .call(
            "files",
            "write_note",
            json!({"path": "todo.md", "text": "buy milk"}),
            &g,
        )
        .await;
    ok_body(&inv);
    assert_eq!(
        std::fs::read_to_string(notes.join("todo.md")).unwrap(),
        "buy milk"
    );
    assert_eq!(
        ok_body(
            &f.call("files", "read_note", json!({"path": "todo.md"}), &g)
                .await
        ),
        "buy milk"
    );
}

#[tokio::test]
async fn filesystem_refuses_writes_to_a_read_only_mount() {
    let data = work_dir("ro");
    std::fs::write(data.join("keep.txt"), "original").unwrap();
    let mut g = grant();
    mount(&mut g, "/data", &data);
    let f = fixture();
    for target in ["/data/new.txt", "/data/keep.txt"] {
        let inv = f
            .call(
                "hostile",
                "write_file",
                json!({"target": target, "text": "pwned"}),
                &g,
            )
            .await;
        match &inv.outcome {
            Err(InvokeError::CapabilityDenied { capability, .. }) => {
                assert_eq!(capability, "filesystem")
            }
            other => panic!("{target}: {other:?}"),
        }
    }
    assert!(!data.join("new.txt").exists());
    assert_eq!(
        std::fs::read_to_string(data.join("keep.txt")).unwrap(),
        "original"
    );
    assert_healthy().await;
}

#[tokio::test]
async fn filesystem_nothing_outside_the_mounts_exists() {
    let data = work_dir("escape");
    std::fs::write(data.join("inside.txt"), "inside").unwrap();
    let outside = work_dir("outside");
    std::fs::write(outside.join("secret.txt"), "outside-secret").unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), data.join("link.txt")).unwrap();
    std::os::unix::fs::symlink("/etc", data.join("etc")).unwrap();
    let mut g = grant();
    mount(&mut g, "/data", &data);
    let f = fixture();
    assert_eq!(
        ok_body(
            &f.call(
                "hostile",
                "read_file",
                json!({"target": "/data/inside.txt"}),
                &g
            )
            .await
        ),
        "inside"
    );
    // Outside every mount nothing exists (WASI ENOENT, 44); a path that
    // would leave the mount by `..` or a symlink is refused by the
    // filesystem capability (WASI ENOTCAPABLE, 63). Neither says anything
    // of what is outside.
    let missing = || InvokeError::Failed {
        message: "No such file or directory (os error 44)".into(),
        exit_code: None,
    };
    let escape = || InvokeError::CapabilityDenied {
        capability: "filesystem".into(),
        target: String::new(),
        message: "Operation not permitted (os error 63)".into(),
    };
    for (target, refusal) in [
        ("/etc/passwd", missing()),
        ("/data/../etc/passwd", escape()),
        ("/data/../../etc/passwd", escape()),
        ("/data/link.txt", escape()),
        ("/data/etc/passwd", escape()),
        ("../etc/passwd", missing()),
        ("/proc/self/environ", missing()),
    ] {
        let inv = f
            .call("hostile", "read_file", json!({"target": target}), &g)
            .await;
        assert_eq!(inv.outcome, Err(refusal), "{target}");
    }
    // Not even the root: only the mounts are there.
    let inv = f
        .call("hostile", "list_dir", json!({"target": "/"}), &g)
        .await;
    assert_eq!(inv.outcome, Err(missing()));
    // Without a mount, even the declared path does not exist.
    let inv = f
        .call(
            "hostile",
            "read_file",
            json!({"target": "/data/inside.txt"}),
            &grant(),
        )
        .await;
    assert_eq!(inv.outcome, Err(missing()));
    assert_healthy().await;
}

#[tokio::test]
async fn env_only_declared_names_with_granted_values() {
    let mut g = grant();
    g.env.insert("ALLOWED_VAR".into(), "yes".into());
    let inv = fixture().call("hostile", "env_all", json!({}), &g).await;
    let vars: Vec<(String, String)> = serde_json::from_str(ok_body(&inv)).unwrap();
    assert_eq!(vars, vec![("ALLOWED_VAR".to_owned(), "yes".to_owned())]);
    // Nothing of the host's environment leaks in without a grant.
    let inv = fixture()
        .call("hostile", "env_all", json!({}), &grant())
        .await;
    assert_eq!(ok_body(&inv), "[]");
}

#[tokio::test]
async fn secrets_declared_are_readable_and_undeclared_are_denied_without_values() {
    let g = grant();
    let secrets = [("DECLARED_SECRET", "s3cr3t-value")];
    let f = fixture();
    // The guest reads the value; what it returns is redacted on the way out.
    let inv = f
        .call_with_secrets(
            "hostile",
            "secret",
            json!({"target": "DECLARED_SECRET"}),
            &g,
            &secrets,
        )
        .await;
    assert_eq!(ok_body(&inv), "[secret:DECLARED_SECRET]");
    let inv = f
        .call_with_secrets(
            "hostile",
            "secret_reversed",
            json!({"target": "DECLARED_SECRET"}),
            &g,
            &secrets,
        )
        .await;
    assert_eq!(ok_body(&inv), "eulav-t3rc3s");

    let inv = f
        .call_with_secrets(
            "hostile",
            "secret",
            json!({"target": "OTHER_SECRET"}),
            &g,
            &secrets,
        )
        .await;
    match &inv.outcome {
        Err(
            e @ InvokeError::CapabilityDenied {
                capability, target, ..
            },
        ) => {
            assert_eq!(
                (capability.as_str(), target.as_str()),
                ("secret", "OTHER_SECRET")
            );
            assert!(!format!("{e} {e:?} {:?}", inv.denials).contains("s3cr3t-value"));
        }
        other => panic!("{other:?}"),
    }
    // Declared but not supplied.
    let inv = f
        .call(
            "hostile",
            "secret",
            json!({"target": "DECLARED_SECRET"}),
            &grant(),
        )
        .await;
    assert_eq!(err_kind(&inv), "capability_denied");
    assert!(inv.denials[0].reason.contains("not supplied"));
}

/// A `tracing` writer that keeps what is written, to read back.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn what_a_guest_logs_reaches_the_host_log_with_its_secrets_hidden() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // This test's thread only (a current-thread runtime runs the guest
    // here too), so other tests' logs do not mix in.
    let _guard = tracing::subscriber::set_default(subscriber);
    let value = "l0gged-s3cr3t/value";
    let inv = fixture()
        .call_with_secrets(
            "hostile",
            "secret_logged",
            json!({"target": "DECLARED_SECRET"}),
            &grant(),
            &[("DECLARED_SECRET", value)],
        )
        .await;
    assert_eq!(ok_body(&inv), "logged");
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The record arrived, with the secret's name where its value was.
    assert!(
        log.contains("the secret is [secret:DECLARED_SECRET], encoded [secret:DECLARED_SECRET]"),
        "{log}"
    );
    assert!(log.contains("skillhost::guest"), "{log}");
    assert!(!log.contains(value), "{log}");
    assert!(!log.contains("bDBnZ2VkLXMzY3IzdC92YWx1ZQ"), "{log}");
    // Asking for a secret named by the value: refused, and the refusal
    // names the secret, not its value, in the log and in the receipt.
    assert_eq!(inv.denials.len(), 1, "{:?}", inv.denials);
    assert_eq!(
        (inv.denials[0].capability, inv.denials[0].target.as_str()),
        ("secret", "[secret:DECLARED_SECRET]")
    );
    assert!(log.contains("capability denied"), "{log}");
}

#[tokio::test]
async fn config_reaches_the_guest() {
    let mut g = grant();
    g.config.insert("units".into(), "metric".into());
    let inv = fixture()
        .call("hostile", "config", json!({"target": "units"}), &g)
        .await;
    assert_eq!(ok_body(&inv), "metric");
    let inv = fixture()
        .call("hostile", "config", json!({"target": "units"}), &grant())
        .await;
    assert_eq!(err_kind(&inv), "failed");
}

#[tokio::test]
async fn session_state_persists_within_a_session_and_is_isolated_between_sessions() {
    let f = fixture();
    let g = grant();
    for expected in 1..=3 {
        let inv = f
            .call_in_session("scratchpad", "increment", json!({}), &g, Some("alpha"))
            .await;
        assert_eq!(ok_body(&inv), expected.to_string());
    }
    f.call_in_session(
        "scratchpad",
        "add_note",
        json!({"text": "remember"}),
        &g,
        Some("alpha"),
    )
    .await;
    let inv = f
        .call_in_session("scratchpad", "show", json!({}), &g, Some("beta"))
        .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(ok_body(&inv)).unwrap(),
        json!({"count": 0, "notes": []})
    );
    let inv = f
        .call_in_session("scratchpad", "show", json!({}), &g, Some("alpha"))
        .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(ok_body(&inv)).unwrap(),
        json!({"count": 3, "notes": ["remember"]})
    );
    // Without a session there is no state to write.
    let inv = f.call("scratchpad", "increment", json!({}), &g).await;
    match &inv.outcome {
        Err(InvokeError::Failed { message, .. }) => {
            assert!(message.contains("no session"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_infinite_loop_times_out_near_its_limit() {
    let mut g = grant();
    g.limits = LimitRequest {
        timeout_ms: Some(300),
        ..Default::default()
    };
    let started = Instant::now();
    let inv = fixture().call("hostile", "spin", json!({}), &g).await;
    let elapsed = started.elapsed();
    assert_eq!(inv.outcome, Err(InvokeError::Timeout { limit_ms: 300 }));
    // Not before the limit; and the grant's 300 ms, not the manifest's
    // 2000 ms, is the one that fired (the error says which). The upper
    // bound only rules out a call that runs on unchecked: it leaves room
    // for two busy cores.
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(10),
        "{elapsed:?}"
    );
    assert_healthy().await;
}

#[tokio::test]
async fn a_memory_bomb_is_out_of_memory() {
    // The manifest asks for 32 MiB; the bomb wants 512.
    let inv = fixture()
        .call("hostile", "allocate", json!({"n": 512u64 << 20}), &grant())
        .await;
    assert_eq!(
        inv.outcome,
        Err(InvokeError::OutOfMemory {
            limit_bytes: 32 << 20
        })
    );
    assert!(inv.receipt.peak_memory_bytes <= 32 << 20 && inv.receipt.peak_memory_bytes > 16 << 20);
    // Within the limit it works.
    let inv = fixture()
        .call("hostile", "allocate", json!({"n": 4u64 << 20}), &grant())
        .await;
    assert_eq!(ok_body(&inv), format!("allocated {}", 4u64 << 20));
    assert_healthy().await;
}

#[tokio::test]
async fn deep_recursion_is_a_stack_overflow_trap() {
    let inv = fixture()
        .call(
            "hostile",
            "recurse_deep",
            json!({"n": 10_000_000u64}),
            &grant(),
        )
        .await;
    match &inv.outcome {
        Err(InvokeError::GuestTrap { message }) => {
            assert!(message.contains("stack overflow"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_healthy().await;
}

#[tokio::test]
async fn output_floods_are_output_too_large() {
    let mut g = grant();
    g.limits = LimitRequest {
        output_kb: Some(64),
        ..Default::default()
    };
    // The return value and stdout are both bounded.
    for ability in ["flood", "flood_stdout"] {
        let inv = fixture()
            .call("hostile", ability, json!({"n": 1u64 << 20}), &g)
            .await;
        assert_eq!(
            inv.outcome,
            Err(InvokeError::OutputTooLarge {
                limit_bytes: 64 << 10
            }),
            "{ability}"
        );
    }
    let inv = fixture()
        .call("hostile", "flood", json!({"n": 1000}), &g)
        .await;
    assert_eq!(ok_body(&inv).len(), 1000);
    assert_healthy().await;
}

#[tokio::test]
async fn a_command_that_exits_after_its_output_write_fails_is_output_too_large() {
    let mut g = grant();
    g.limits = LimitRequest {
        output_kb: Some(64),
        ..Default::default()
    };
    // Exits non-zero, or zero as if nothing happened: the host saw the
    // limit hit either way.
    for code in ["3", "0"] {
        let inv = fixture()
            .call("flood-cmd", "flood", json!(["1000000", code]), &g)
            .await;
        assert_eq!(
            inv.outcome,
            Err(InvokeError::OutputTooLarge {
                limit_bytes: 64 << 10
            }),
            "exit code {code}: stderr {}",
            inv.stderr
        );
    }
    // Exactly the limit is not too large.
    let inv = fixture()
        .call(
            "flood-cmd",
            "flood",
            json!([(64 << 10).to_string(), "3"]),
            &g,
        )
        .await;
    assert_eq!(ok_body(&inv).len(), 64 << 10);
    assert_healthy().await;
}

#[tokio::test]
async fn a_panic_is_a_guest_trap_with_its_message() {
    let inv = fixture()
        .call("hostile", "panic", json!({}), &grant())
        .await;
    match &inv.outcome {
        Err(InvokeError::GuestTrap { message }) => {
            assert!(message.contains("panicked on purpose"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_healthy().await;
}

#[tokio::test]
async fn command_skill_takes_arguments_or_stdin_and_reports_failure() {
    let f = fixture();
    let inv = f
        .call(
            "calc",
            "evaluate",
            json!(["1+2*3", "2^10", "7/2"]),
            &grant(),
        )
        .await;
    assert_eq!(ok_body(&inv), "7\n1024\n3.5\n");
    assert_eq!(inv.outcome.as_ref().unwrap().exit_code, Some(0));
    let inv = f
        .call(
            "calc",
            "evaluate_json",
            json!({"expression": "(1+2)*4"}),
            &grant(),
        )
        .await;
    assert_eq!(ok_body(&inv).trim(), "{\"result\":12.0}");
    let inv = f.call("calc", "evaluate", json!(["1/0"]), &grant()).await;
    match &inv.outcome {
        // WASI 0.2 `exit` carries success or failure only: any failure is 1.
        Err(InvokeError::Failed { message, exit_code }) => {
            assert_eq!(*exit_code, Some(1));
            assert!(message.contains("division by zero"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let inv = f.call("calc", "evaluate", json!([]), &grant()).await;
    assert_eq!(err_kind(&inv), "invalid_input");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_are_isolated() {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..16u64 {
        tasks.spawn(async move {
            let f = fixture();
            let session = format!("concurrent-{i}");
            for _ in 0..=i % 3 {
                ok_body(
                    &f.call_in_session(
                        "scratchpad",
                        "increment",
                        json!({}),
                        &grant(),
                        Some(&session),
                    )
                    .await,
                );
            }
            let inv = f
                .call_in_session("scratchpad", "show", json!({}), &grant(), Some(&session))
                .await;
            let pad: serde_json::Value = serde_json::from_str(ok_body(&inv)).unwrap();
            assert_eq!(pad["count"], (i % 3) + 1);
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}
