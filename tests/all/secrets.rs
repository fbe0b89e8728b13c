//! Tenant secrets end to end on a real server (SQLite or, with
//! `SKILLHOST_TEST_DATABASE_URL`, PostgreSQL): the API never returns a
//! value, values are sealed at rest, grants bind secrets by id, the host
//! injects them into requests to one origin (checked against Python's
//! `http.server`), and every output is redacted.
use serde_json::{Value, json};
use skillhost_tests::Upstream;
use skillhost_tests::backend;
use skillhost_tests::http::TestServer;
use sqlx::Row;

const VALUE: &str = "sk-live-4f9a1c7e2b";

async fn create_secret(server: &TestServer, token: &str, body: Value) -> String {
    let r = server
        .request("POST", "/api/v1/secret/create", Some(token), Some(body))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn secrets_are_write_only_sealed_and_scoped_to_their_tenant() {
    let server = TestServer::start("secrets-crud").await;
    let admin = server.tenant("acme").await;
    let other = server.tenant("globex").await;
    let writer = server.token(&admin, &["skills:write"]).await;

    let id = create_secret(
        &server,
        &admin,
        json!({"name": "Stripe key", "value": VALUE, "type": "bearer", "description": "live", "meta": {"team": "billing"}}),
    )
    .await;
    let r = server
        .request(
            "GET",
            &format!("/api/v1/secret/{id}/fetch"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["name"], "Stripe key");
    assert_eq!(r.json["reference"], "STRIPE_KEY");
    assert_eq!(r.json["type"], "bearer");
    assert_eq!(r.json["meta"]["team"], "billing");
    assert!(
        r.json.get("value").is_none() && !r.text.contains(VALUE),
        "{}",
        r.text
    );

    // Refusals: no token, a wrong one, a missing scope, another tenant.
    let fetch = format!("/api/v1/secret/{id}/fetch");
    let update = format!("/api/v1/secret/{id}/update");
    let delete = format!("/api/v1/secret/{id}/delete");
    for (method, path) in [
        ("GET", "/api/v1/secret/list"),
        ("GET", fetch.as_str()),
        ("POST", update.as_str()),
        ("POST", delete.as_str()),
        ("POST", "/api/v1/secret/create"),
    ] {
        let body = (method == "POST").then(|| json!({"name": "x", "value": "abcdefgh"}));
        let r = server.request(method, path, None, body.clone()).await;
        assert_eq!(r.status, 401, "{path}: {}", r.text);
        let r = server
            .request(method, path, Some("shk_wrong"), body.clone())
            .await;
        assert_eq!(r.status, 401, "{path}: {}", r.text);
        let r = server
            .request(method, path, Some(&writer), body.clone())
            .await;
        assert_eq!(r.status, 403, "{path}: {}", r.text);
        if path.contains(&id) {
            let r = server.request(method, path, Some(&other), body).await;
            assert_eq!(r.status, 404, "{path}: {}", r.text);
        }
    }
    let r = server
        .request("GET", "/api/v1/secret/list", Some(&other), None)
        .await;
    assert_eq!(r.json["items"], json!([]), "{}", r.text);

    // Hostile and mistaken input: precise errors that never echo a value.
    let cases = [
        (json!({"name": "a", "value": "ab"}), 400, "invalid_value"),
        (
            json!({"name": "a", "value": "line\nbreak-value"}),
            400,
            "invalid_value",
        ),
        (
            json!({"name": "a", "value": "no-colon-here", "type": "basic"}),
            400,
            "invalid_value",
        ),
        (
            json!({"name": "a", "value": "abcdefgh", "type": "oauth"}),
            400,
            "invalid_body",
        ),
        (
            json!({"name": "a", "value": "abcdefgh", "extra": 1}),
            400,
            "invalid_body",
        ),
        (
            json!({"name": "---", "value": "abcdefgh"}),
            400,
            "invalid_name",
        ),
        (
            json!({"name": "a", "value": "abcdefgh", "meta": [1]}),
            400,
            "invalid_meta",
        ),
        (
            json!({"name": "stripe-KEY", "value": "abcdefgh"}),
            409,
            "secret_exists",
        ),
    ];
    for (body, status, code) in cases {
        let r = server
            .request(
                "POST",
                "/api/v1/secret/create",
                Some(&admin),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (status, Some(code)),
            "{body}: {}",
            r.text
        );
        if let Some(value) = body["value"].as_str() {
            assert!(!r.text.contains(value), "{}", r.text);
        }
    }

    // Update: a new value, a new type that must suit the stored value.
    let r = server
        .request(
            "POST",
            &update,
            Some(&admin),
            Some(json!({"type": "basic"})),
        )
        .await;
    assert_eq!(r.json["code"], "invalid_value", "{}", r.text);
    let r = server
        .request(
            "POST",
            &update,
            Some(&admin),
            Some(json!({"type": "basic", "value": "user:pa55word", "name": "Stripe login"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = server.request("GET", &fetch, Some(&admin), None).await;
    assert_eq!(
        (r.json["type"].as_str(), r.json["reference"].as_str()),
        (Some("basic"), Some("STRIPE_LOGIN"))
    );

    // Paging as seed 002 describes: newest first, the cursor is the last id.
    let mut ids = vec![id.clone()];
    for n in 1..=3 {
        ids.push(
            create_secret(
                &server,
                &admin,
                json!({"name": format!("k{n}"), "value": format!("value-{n}-xyz")}),
            )
            .await,
        );
    }
    let r = server
        .request("GET", "/api/v1/secret/list?take=2", Some(&admin), None)
        .await;
    let page: Vec<&str> = r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(page, [ids[3].as_str(), ids[2].as_str()]);
    let r = server
        .request(
            "GET",
            &format!("/api/v1/secret/list?take=2&cursor={}", ids[2]),
            Some(&admin),
            None,
        )
        .await;
    let page: Vec<&str> = r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(page, [ids[1].as_str(), ids[0].as_str()]);
    let r = server
        .request(
            "GET",
            "/api/v1/secret/list?order=asc&take=1",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.json["items"][0]["id"], ids[0].as_str());
    for bad in ["take=0", "take=101", "order=up", "cursor=nope", "take=ten"] {
        let r = server
            .request(
                "GET",
                &format!("/api/v1/secret/list?{bad}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
    let listed = server
        .request("GET", "/api/v1/secret/list?take=100", Some(&admin), None)
        .await;
    assert!(!listed.text.contains("pa55word") && !listed.text.contains("value-1-xyz"));

    // At rest: the sealed bytes hold no value, in any copy of the database.
    let mut db = backend::raw_connection(&server.data_dir).await;
    let rows = sqlx::query("SELECT sealed FROM secrets")
        .fetch_all(&mut db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 4);
    for row in rows {
        let sealed: Vec<u8> = row.get("sealed");
        for plain in ["pa55word", "value-1-xyz", "value-2-xyz", "value-3-xyz"] {
            assert!(!sealed.windows(plain.len()).any(|w| w == plain.as_bytes()));
        }
    }
    if backend::postgres_url().is_none() {
        // The database file must be there; the write-ahead log may have
        // been checkpointed away. What was written in the same request,
        // the secret's name, must be in one of them: proof that these are
        // the bytes the server wrote, and that a value would show.
        let db = std::fs::read(server.data_dir.join("skillhost.db")).expect("the SQLite file");
        let wal = match std::fs::read(server.data_dir.join("skillhost.db-wal")) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => panic!("reading the WAL: {e}"),
        };
        let holds =
            |bytes: &[u8], text: &str| bytes.windows(text.len()).any(|w| w == text.as_bytes());
        assert!(
            holds(&db, "Stripe login") || holds(&wal, "Stripe login"),
            "the secret's name is in neither file"
        );
        for (file, bytes) in [("skillhost.db", &db), ("skillhost.db-wal", &wal)] {
            assert!(!holds(bytes, "pa55word"), "{file}");
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(server.data_dir.join("secret.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let r = server.request("POST", &delete, Some(&admin), None).await;
    assert_eq!(r.json["id"], id.as_str(), "{}", r.text);
    for (method, path) in [("GET", &fetch), ("POST", &delete)] {
        let r = server.request(method, path, Some(&admin), None).await;
        assert_eq!(r.status, 404, "{}", r.text);
    }
}

#[tokio::test]
async fn an_injected_credential_reaches_only_its_origin_and_never_the_guest_or_the_answer() {
    let upstream = Upstream::start("127.0.0.1");
    let server = TestServer::start("secrets-inject").await;
    let admin = server.tenant("acme").await;
    let other = server.tenant("globex").await;
    let r = server.install(&admin, "fetch").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let skill = r.json["skill"]["id"].as_str().unwrap().to_owned();
    let secret = create_secret(
        &server,
        &admin,
        json!({"name": "api token", "value": VALUE, "type": "bearer"}),
    )
    .await;
    let foreign = create_secret(
        &server,
        &other,
        json!({"name": "api token", "value": "globex-value"}),
    )
    .await;
    let approve = format!("/api/skills/{skill}/approve");
    let inject = |origin: &str, header: &str, id: &str| json!({"allowPrivateNetwork": true, "inject": [{"origin": origin, "header": header, "secretId": id}]});
    for (body, code) in [
        (
            inject("https://api.example.com", "Authorization", &secret),
            "invalid_grant",
        ),
        (
            inject("http://localhost:*", "Host", &secret),
            "invalid_grant",
        ),
        (
            inject("http://localhost:*", "Authorization", "no-such-secret"),
            "invalid_grant",
        ),
        (
            inject("http://localhost:*", "Authorization", &foreign),
            "invalid_grant",
        ),
        (
            json!({"secrets": {"UNDECLARED": {"secretId": secret}}}),
            "invalid_grant",
        ),
        (
            json!({"secrets": {"UNDECLARED": "a value"}}),
            "invalid_body",
        ),
    ] {
        let r = server
            .request("POST", &approve, Some(&admin), Some(body.clone()))
            .await;
        assert_eq!(r.json["code"], code, "{body}: {}", r.text);
        assert!(!r.text.contains(VALUE));
    }
    let r = server
        .request(
            "POST",
            &approve,
            Some(&admin),
            Some(json!({"secrets": {"API_TOKEN": "a value"}})),
        )
        .await;
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .contains("grants no longer hold secret values"),
        "{}",
        r.text
    );
    let r = server
        .request(
            "POST",
            &approve,
            Some(&admin),
            Some(inject("http://localhost:*", "Authorization", &secret)),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["skill"]["grant"]["inject"][0]["secretId"],
        secret.as_str()
    );
    assert!(!r.text.contains(VALUE));
    server.agent(&admin, "bot").await;
    server
        .assign(&admin, &skill, json!({"agentId": "bot"}))
        .await;

    // The guest sets its own Authorization; the host's replaces it.
    let r = server
        .request(
            "POST",
            "/api/agents/bot/skills/fetch/invoke",
            Some(&admin),
            Some(json!({"ability": "request", "args": {
                "url": upstream.localhost_url("/echo"),
                "headers": {"Authorization": "Bearer guest-own", "X-Probe": "1"}
            }})),
        )
        .await;
    assert_eq!(r.json["success"], true, "{}", r.text);
    assert!(!r.text.contains(VALUE), "{}", r.text);
    let output: Value = serde_json::from_str(r.json["output"].as_str().unwrap()).unwrap();
    let echoed = &output["body"];
    assert_eq!(
        echoed["headers"]["authorization"], "[secret:api token]",
        "{echoed}"
    );
    assert_eq!(echoed["headers"]["x-probe"], "1");
    let recorded: Value = serde_json::from_str(&upstream.get("/recorded")).unwrap();
    let last = recorded.as_array().unwrap().last().unwrap();
    assert_eq!(last["headers"]["authorization"], format!("Bearer {VALUE}"));

    // Another origin the skill may reach gets no credential.
    let r = server
        .request(
            "POST",
            "/api/agents/bot/skills/fetch/invoke",
            Some(&admin),
            Some(json!({"ability": "request", "args": {"url": upstream.url("/echo")}})),
        )
        .await;
    // 127.0.0.1 is not `localhost`: refused before anything is sent.
    assert_eq!(r.json["success"], false, "{}", r.text);
    assert_eq!(
        recorded.as_array().unwrap().len(),
        serde_json::from_str::<Value>(&upstream.get("/recorded"))
            .unwrap()
            .as_array()
            .unwrap()
            .len()
    );

    for path in [
        "/api/audit",
        &format!("/api/skills/{skill}"),
        "/api/skills",
        "/api/v1/secret/list",
    ] {
        let r = server.request("GET", path, Some(&admin), None).await;
        assert!(!r.text.contains(VALUE), "{path}: {}", r.text);
    }
}

#[tokio::test]
async fn grant_values_of_the_first_release_move_into_tenant_secrets() {
    let server = TestServer::start("secrets-move").await;
    let admin = server.tenant("acme").await;
    let skill = server.install_for_agent(&admin, "hostile", "bot").await;
    let data_dir = server.stop().await;

    // As the first release stored it: the value inside the grant.
    let mut db = backend::raw_connection(&data_dir).await;
    sqlx::query("UPDATE skills SET grant_json = $1 WHERE id = $2")
        .bind(r#"{"network":null,"allow_private_network":false,"mounts":{},"env":{},"secrets":{"DECLARED_SECRET":"legacy-value-1"},"config":{},"limits":{}}"#)
        .bind(&skill)
        .execute(&mut db)
        .await
        .unwrap();
    drop(db);

    let server = TestServer::start_in(data_dir).await;
    let r = server
        .request("GET", &format!("/api/skills/{skill}"), Some(&admin), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains("legacy-value-1"));
    let secret_id = r.json["skill"]["grant"]["secrets"]["DECLARED_SECRET"]["secretId"]
        .as_str()
        .unwrap_or_else(|| panic!("grant not moved: {}", r.text))
        .to_owned();
    let r = server
        .request(
            "GET",
            &format!("/api/v1/secret/{secret_id}/fetch"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.json["name"], "hostile-DECLARED_SECRET", "{}", r.text);
    let r = server
        .request(
            "POST",
            "/api/agents/bot/skills/hostile/invoke",
            Some(&admin),
            Some(json!({"ability": "secret_reversed", "args": {"target": "DECLARED_SECRET"}})),
        )
        .await;
    assert_eq!(r.json["output"], "1-eulav-ycagel", "{}", r.text);
    let mut db = backend::raw_connection(&server.data_dir).await;
    let grant: String = sqlx::query("SELECT grant_json FROM skills WHERE id = $1")
        .bind(&skill)
        .fetch_one(&mut db)
        .await
        .unwrap()
        .get(0);
    assert!(!grant.contains("legacy-value-1"), "{grant}");
}

#[tokio::test]
async fn a_key_rotation_reseals_every_secret_and_token_under_the_new_key() {
    use skillhost::store::{NewIntegration, NewSecret, SecretKind, Store};
    use skillhost::vault::Vault;
    let dir = skillhost_tests::work_dir("rotation");
    backend::fresh_database(&dir).await;
    let store = Store::connect(&dir, &backend::store_config(&dir))
        .await
        .unwrap();
    let tenant = store.create_tenant("acme").await.unwrap();
    let old = Vault::from_keys(&[1; 32], None);
    let meta = json!({});
    let secret = store
        .create_secret(
            &old,
            &tenant.id,
            &NewSecret {
                name: "k",
                kind: SecretKind::Plain,
                description: None,
                meta: &meta,
                value: "rotate-me-1",
            },
        )
        .await
        .unwrap();
    let skillset = store
        .create_skillset(&tenant.id, "s", "d", None, &meta)
        .await
        .unwrap();
    let integration = store
        .create_integration(
            &old,
            &tenant.id,
            &NewIntegration {
                kind: "skillserver",
                skillset_id: &skillset.id,
                name: None,
                description: None,
                blueprint_id: None,
                meta: &meta,
                token: "sks_token-1",
                token_hash: "h1",
            },
        )
        .await
        .unwrap();

    // A server with only the new key cannot read them, and says so.
    let new_only = Vault::from_keys(&[2; 32], None);
    assert_eq!(
        store.secrets_under_unknown_keys(&new_only).await.unwrap(),
        [old.key_id().to_owned()]
    );
    // New key plus the previous one: everything is re-sealed, once.
    let rotating = Vault::from_keys(&[2; 32], Some(&[1; 32]));
    assert_eq!(store.reseal_secrets(&rotating).await.unwrap(), 2);
    assert_eq!(store.reseal_secrets(&rotating).await.unwrap(), 0);
    // The old key can go.
    assert_eq!(
        store.secrets_under_unknown_keys(&new_only).await.unwrap(),
        Vec::<String>::new()
    );
    let row = store.secret(&tenant.id, &secret.id).await.unwrap().unwrap();
    assert_eq!(
        new_only
            .open_sealed(&tenant.id, &row.id, &row.sealed)
            .unwrap(),
        "rotate-me-1"
    );
    let row = store
        .integration(&tenant.id, "skillserver", &integration.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        new_only
            .open_sealed(&tenant.id, &row.id, &row.token)
            .unwrap(),
        "sks_token-1"
    );
    // The old key alone no longer opens it: it is sealed under the new one.
    match old.open_sealed(&tenant.id, &row.id, &row.token) {
        Err(skillhost::vault::VaultError::UnknownKey { key_id }) => {
            assert_eq!(key_id, new_only.key_id())
        }
        other => panic!("expected an unknown key, got {other:?}"),
    }
}
