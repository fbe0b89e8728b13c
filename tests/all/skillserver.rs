//! Skillsets, instruction abilities and the skill server (seeds 002 and
//! 000) end to end: a real server (SQLite, or PostgreSQL with
//! `SKILLHOST_TEST_DATABASE_URL`), instructions calling Python's
//! `http.server` on 127.0.0.1, which records what it receives.
use serde_json::{Value, json};
use skillhost_tests::Upstream;
use skillhost_tests::http::{Reply, TestServer};

const SECRET: &str = "wk-91c2e8d4b7";

struct Fixture {
    server: TestServer,
    upstream: Upstream,
    admin: String,
    writer: String,
    other: String,
    skillset: String,
}

async fn fixture(name: &str) -> Fixture {
    let upstream = Upstream::start("127.0.0.1");
    let server = TestServer::start(name).await;
    let admin = server.tenant("acme").await;
    let other = server.tenant("globex").await;
    let writer = server.token(&admin, &["skills:read", "skills:write"]).await;
    let r = server
        .request(
            "POST",
            "/api/v1/secret/create",
            Some(&admin),
            Some(json!({"name": "weather key", "value": SECRET, "type": "bearer"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = server
        .request(
            "POST",
            "/api/v1/skillset/create",
            Some(&writer),
            Some(json!({"name": "Weather", "description": "Weather lookups", "meta": {"team": "ops"}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let skillset = r.json["id"].as_str().unwrap().to_owned();
    Fixture {
        server,
        upstream,
        admin,
        writer,
        other,
        skillset,
    }
}

impl Fixture {
    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.upstream.addr.port())
    }

    async fn ability(&self, token: &str, body: Value) -> Reply {
        self.server
            .request(
                "POST",
                &format!("/api/v1/skillset/{}/ability/create", self.skillset),
                Some(token),
                Some(body),
            )
            .await
    }

    async fn approve(&self, id: &str, grant: Value) -> Reply {
        self.server
            .request(
                "POST",
                &format!("/api/v1/skillset/{}/ability/{id}/approve", self.skillset),
                Some(&self.admin),
                Some(grant),
            )
            .await
    }

    fn recorded(&self) -> Vec<Value> {
        serde_json::from_str::<Value>(&self.upstream.get("/recorded"))
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    /// Calls the skill server at `path` with raw headers.
    async fn runtime(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        accept: Option<&str>,
    ) -> (u16, String, Option<String>) {
        let body = body.map(|b| b.to_string());
        let mut headers = Vec::new();
        if let Some(a) = accept {
            headers.push(("accept", a));
        }
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        let r = self
            .server
            .send(
                method,
                path,
                token,
                &headers,
                body.as_deref().map(str::as_bytes),
            )
            .await;
        let content_type = r
            .headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        (r.status, r.text, content_type)
    }
}

#[tokio::test]
async fn skillsets_and_abilities_follow_seed_002_and_refuse_what_cannot_run() {
    let f = fixture("skillsets-crud").await;
    let s = &f.server;
    let origin = f.origin();
    let fetch_skillset = format!("/api/v1/skillset/{}/fetch", f.skillset);

    // Refusals on every surface: no token, wrong token, missing scope, other tenant.
    let reader = s.token(&f.admin, &["skills:read"]).await;
    let r = s
        .request(
            "POST",
            "/api/v1/skillset/create",
            None,
            Some(json!({"name": "x", "description": "y"})),
        )
        .await;
    assert_eq!(r.status, 401);
    let r = s
        .request("GET", &fetch_skillset, Some("shk_nope"), None)
        .await;
    assert_eq!(r.status, 401);
    let r = s
        .request(
            "POST",
            "/api/v1/skillset/create",
            Some(&reader),
            Some(json!({"name": "x", "description": "y"})),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = s
        .request("GET", &fetch_skillset, Some(&f.other), None)
        .await;
    assert_eq!(r.status, 404);
    let r = f.ability(&f.other, json!({"name": "x", "description": "y", "instruction": format!("```fetch\n{origin}/echo\n```")})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = s
        .request("GET", "/api/v1/skillset/list", Some(&f.other), None)
        .await;
    assert_eq!(r.json["items"], json!([]));
    let r = s.request("GET", &fetch_skillset, Some(&reader), None).await;
    assert_eq!(
        (r.json["name"].as_str(), r.json["meta"]["team"].as_str()),
        (Some("Weather"), Some("ops"))
    );

    // What cannot run is refused with the line and column.
    for (instruction, code, needle) in [
        (
            "```fetch\nGET http://$[host]:8080/x\n```".to_owned(),
            "invalid_instruction",
            "ine 2, column 12",
        ),
        (
            "Look it up.\n```search/datasetId=d1\n$[q]\n```".to_owned(),
            "invalid_instruction",
            "supported actions: fetch",
        ),
        (
            format!("```fetch\n{origin}/echo?q=$[q shout]\n```"),
            "invalid_instruction",
            "unknown operand `shout`",
        ),
    ] {
        let r = f
            .ability(
                &f.writer,
                json!({"name": "bad", "description": "d", "instruction": instruction}),
            )
            .await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (422, Some(code)),
            "{}",
            r.text
        );
        assert!(r.text.contains(needle), "{needle}: {}", r.text);
    }
    for body in [
        json!({"name": "x", "description": "d"}),
        json!({"name": "x", "description": "d", "instruction": "```fetch\nhttps://a.example/\n```", "skillId": "s"}),
        json!({"name": "x", "description": "d", "skillId": "no-such-skill"}),
        json!({"name": "x", "description": "d", "instruction": "```fetch\nhttps://a.example/\n```", "secretId": "nope"}),
        json!({"name": "", "description": "d", "instruction": "```fetch\nhttps://a.example/\n```"}),
    ] {
        let r = f.ability(&f.writer, body.clone()).await;
        assert!(r.status == 400 || r.status == 422, "{body}: {}", r.text);
    }

    // Paging, newest first; the blueprint filter; export has the same items.
    let mut ids = Vec::new();
    for n in 0..3 {
        let r = f
            .ability(&f.admin, json!({"name": format!("Get Thing {n}"), "description": "d", "blueprintId": if n == 1 { "bp1" } else { "bp0" },
                "instruction": format!("```fetch\n{origin}/echo?n={n}\n```")}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        ids.push(r.json["id"].as_str().unwrap().to_owned());
    }
    let base = format!("/api/v1/skillset/{}/ability", f.skillset);
    let r = s
        .request("GET", &format!("{base}/list?take=2"), Some(&reader), None)
        .await;
    let page: Vec<&str> = r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(page, [ids[2].as_str(), ids[1].as_str()]);
    assert_eq!(r.json["items"][0]["toolName"], "get_thing_2");
    assert_eq!(r.json["items"][0]["skillsetId"], f.skillset.as_str());
    for key in [
        "secretId",
        "fileId",
        "botId",
        "blueprintId",
        "meta",
        "createdAt",
        "updatedAt",
        "instruction",
    ] {
        assert!(r.json["items"][0].get(key).is_some(), "{key}");
    }
    let r = s
        .request(
            "GET",
            &format!("{base}/list?cursor={}", ids[1]),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 1);
    let r = s
        .request(
            "GET",
            &format!("{base}/export?blueprintId=bp1"),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 1, "{}", r.text);
    let r = f.ability(&f.admin, json!({"name": "get_thing_2", "description": "d", "instruction": format!("```fetch\n{origin}/echo\n```")})).await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (409, Some("ability_exists")),
        "{}",
        r.text
    );

    // A writer's instruction waits for an admin; a new origin sends it back.
    let r = f.ability(&f.writer, json!({"name": "pending one", "description": "d", "instruction": format!("```fetch\n{origin}/echo\n```")})).await;
    let pending = r.json["id"].as_str().unwrap().to_owned();
    let r = s
        .request(
            "GET",
            &format!("{base}/{pending}/fetch"),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.json["status"], "pending");
    assert_eq!(r.json["declaration"]["origin"], origin.as_str());
    let r = s
        .request(
            "POST",
            &format!("{base}/{pending}/approve"),
            Some(&f.writer),
            None,
        )
        .await;
    assert_eq!(r.status, 403);
    let r = f
        .approve(&pending, json!({"network": ["https://elsewhere.example"]}))
        .await;
    assert_eq!(r.json["code"], "invalid_grant", "{}", r.text);
    // Limits above the operator's maxima are refused, and named.
    let r = f
        .approve(&pending, json!({"limits": {"outputKb": 1_000_000_000u64}}))
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("invalid_grant")),
        "{}",
        r.text
    );
    assert!(r.text.contains("output_kb"), "{}", r.text);
    let r = f
        .approve(&pending, json!({"allow_private_network": true}))
        .await;
    assert_eq!(
        (
            r.status,
            r.json["status"].as_str(),
            r.json["allowPrivateNetwork"].as_bool()
        ),
        (200, Some("active"), Some(true)),
        "{}",
        r.text
    );
    let r = s
        .request(
            "POST",
            &format!("{base}/{pending}/update"),
            Some(&f.writer),
            Some(json!({"description": "same origin"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s
        .request(
            "GET",
            &format!("{base}/{pending}/fetch"),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.json["status"], "active");
    let r = s
        .request(
            "POST",
            &format!("{base}/{pending}/update"),
            Some(&f.writer),
            Some(json!({"instruction": "```fetch\nhttps://other.example/x\n```"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s
        .request(
            "GET",
            &format!("{base}/{pending}/fetch"),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(
        (
            r.json["status"].as_str(),
            r.json["declaration"]["origin"].as_str()
        ),
        (Some("pending"), Some("https://other.example"))
    );

    // Which secret `${SECRET_DEFAULT}` stands for is part of the approval:
    // pointing an approved ability at another secret waits for an admin.
    let mut secrets = Vec::new();
    for name in ["key one", "key two"] {
        let r = s
            .request(
                "POST",
                "/api/v1/secret/create",
                Some(&f.admin),
                Some(json!({"name": name, "value": format!("{name}-value")})),
            )
            .await;
        secrets.push(r.json["id"].as_str().unwrap().to_owned());
    }
    let r = f
        .ability(&f.admin, json!({"name": "uses default", "description": "d", "secretId": secrets[0],
            "instruction": format!("```fetch\nGET {origin}/echo\nX-Key: ${{SECRET_DEFAULT}}\n```")}))
        .await;
    let default_user = r.json["id"].as_str().unwrap().to_owned();
    let r = s
        .request(
            "GET",
            &format!("{base}/{default_user}/fetch"),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(
        (
            r.json["status"].as_str(),
            r.json["declaration"]["defaultSecretId"].as_str()
        ),
        (Some("active"), Some(secrets[0].as_str())),
        "{}",
        r.text
    );
    let r = s
        .request(
            "POST",
            &format!("{base}/{default_user}/update"),
            Some(&f.writer),
            Some(json!({"secretId": secrets[1]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s
        .request(
            "GET",
            &format!("{base}/{default_user}/fetch"),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(
        (
            r.json["status"].as_str(),
            r.json["declaration"]["defaultSecretId"].as_str()
        ),
        (Some("pending"), Some(secrets[1].as_str())),
        "{}",
        r.text
    );

    let r = s
        .request(
            "POST",
            &format!("{base}/{pending}/delete"),
            Some(&f.writer),
            None,
        )
        .await;
    assert_eq!(r.json["id"], pending.as_str());
    let r = s
        .request(
            "GET",
            &format!("{base}/{pending}/fetch"),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    let r = s
        .request(
            "POST",
            &format!("/api/v1/skillset/{}/delete", f.skillset),
            Some(&f.writer),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let r = s.request("GET", &fetch_skillset, Some(&reader), None).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn the_skill_server_serves_a_manual_an_agent_can_follow_and_every_call_is_audited() {
    let f = fixture("skillserver-e2e").await;
    let s = &f.server;
    let origin = f.origin();

    // Instruction abilities in all three forms, with operands and a secret.
    let raw = format!(
        "Use it for the current weather.\n```fetch\nPOST {origin}/echo?city=$[city euc!|the city name]\nAuthorization: ${{SECRET_WEATHER_KEY}}\nContent-Type: application/json\n\n{{\"city\": \"$[city js]\", \"units\": \"$[units enum<metric,imperial> default<metric>|unit system]\", \"days\": $[days num default<1>]}}\n```"
    );
    let yaml = format!(
        "```fetch\nmethod: PUT\nurl: {origin}/echo\npath: /items/((item! euc|item id))\nquery:\n  verbose: $[verbose bool default<false>]\n  tag?: $[tag]\nheaders:\n  X-Note: $[note rn ys|a note]\nbody:\n  note: $[note ys]\n  size?: ''\n```"
    );
    let bare = format!("```fetch\n{origin}/keepalive?size=$[size num default<10>]\n```");
    let mut ids = Vec::new();
    for (name, instruction) in [
        ("Current Weather", raw),
        ("put_item", yaml),
        ("pattern", bare),
    ] {
        let r = f.ability(&f.admin, json!({"name": name, "description": format!("{name} ability"), "instruction": instruction})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        ids.push(r.json["id"].as_str().unwrap().to_owned());
    }
    // A skill-backed ability with session state.
    let r = s.install(&f.admin, "scratchpad").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let skill = r.json["skill"]["id"].as_str().unwrap().to_owned();
    let r = s
        .request(
            "POST",
            &format!("/api/skills/{skill}/approve"),
            Some(&f.admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = f.ability(&f.writer, json!({"name": "count", "description": "Counts per session", "skillId": skill, "ability": "increment"})).await;
    assert_eq!(r.status, 200, "{}", r.text);

    // The integration: the token is shown at create and to admins only.
    let r = s
        .request(
            "POST",
            "/api/v1/integration/skillserver/create",
            Some(&f.writer),
            Some(
                json!({"skillsetId": f.skillset, "name": "Weather desk", "meta": {"env": "test"}}),
            ),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let server_id = r.json["id"].as_str().unwrap().to_owned();
    let token = r.json["accessToken"].as_str().unwrap().to_owned();
    let r = s
        .request(
            "GET",
            "/api/v1/integration/skillserver/list",
            Some(&f.writer),
            None,
        )
        .await;
    assert_eq!(r.json["items"][0]["id"], server_id.as_str());
    assert!(!r.text.contains(&token));
    let r = s
        .request(
            "GET",
            "/api/v1/integration/skillserver/list?meta=%7B%22env%22%3A%22prod%22%7D",
            Some(&f.writer),
            None,
        )
        .await;
    assert_eq!(r.json["items"], json!([]), "{}", r.text);
    let fetch = format!("/api/v1/integration/skillserver/{server_id}/fetch");
    let r = s.request("GET", &fetch, Some(&f.writer), None).await;
    assert!(r.json.get("accessToken").is_none() && !r.text.contains(&token));
    let r = s.request("GET", &fetch, Some(&f.admin), None).await;
    assert_eq!(r.json["accessToken"], token.as_str());
    let r = s.request("GET", &fetch, Some(&f.other), None).await;
    assert_eq!(r.status, 404);
    // The management surface's refusals: no token, a wrong one, a missing
    // scope, another tenant.
    let reader = s.token(&f.admin, &["skills:read"]).await;
    let update = format!("/api/v1/integration/skillserver/{server_id}/update");
    let delete = format!("/api/v1/integration/skillserver/{server_id}/delete");
    for (method, path, body) in [
        (
            "POST",
            "/api/v1/integration/skillserver/create",
            Some(json!({"skillsetId": f.skillset})),
        ),
        ("GET", "/api/v1/integration/skillserver/list", None),
        ("GET", fetch.as_str(), None),
        ("POST", update.as_str(), Some(json!({"name": "x"}))),
        ("POST", delete.as_str(), None),
    ] {
        for token in [None, Some("shk_wrong")] {
            let r = s.request(method, path, token, body.clone()).await;
            assert_eq!(r.status, 401, "{path}: {}", r.text);
        }
        if method == "POST" {
            let r = s.request(method, path, Some(&reader), body.clone()).await;
            assert_eq!(r.status, 403, "{path}: {}", r.text);
        }
        if path.contains(&server_id) {
            let r = s.request(method, path, Some(&f.other), body.clone()).await;
            assert_eq!(r.status, 404, "{path}: {}", r.text);
        }
    }
    let r = s
        .request(
            "POST",
            "/api/v1/integration/skillserver/create",
            Some(&f.other),
            Some(json!({"skillsetId": f.skillset})),
        )
        .await;
    assert_eq!(r.status, 404, "another tenant's skillset: {}", r.text);

    let url = format!("/integration/skillserver/{server_id}");
    // The admin's instruction is approved as declared, without private
    // networks: 127.0.0.1 is refused until an admin allows it.
    let (status, text, _) = f
        .runtime(
            "POST",
            &url,
            Some(&token),
            Some(json!({"ability": "pattern", "input": {}})),
            None,
        )
        .await;
    assert_eq!(status, 502, "{text}");
    assert!(text.starts_with("error (capability_denied)"), "{text}");
    for id in &ids {
        let r = f.approve(id, json!({"allowPrivateNetwork": true})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    // The manual, read and followed.
    let (status, manual, content_type) = f.runtime("GET", &url, Some(&token), None, None).await;
    assert_eq!(status, 200, "{manual}");
    assert!(content_type.unwrap().starts_with("text/plain"));
    for needle in [
        "# Weather desk",
        "## current_weather",
        "- city (string, required): the city name",
        "- units (string, optional, default \"metric\", one of \"metric\", \"imperial\"): unit system",
        "- days (number, optional, default 1)",
        "Guidance:\nUse it for the current weather.",
        "## put_item",
        "- item (string, required): item id",
        "## count",
        "?format=json",
        "?session=",
        "curl -s -X POST",
    ] {
        assert!(manual.contains(needle), "missing {needle:?} in:\n{manual}");
    }
    assert!(
        !manual.contains(SECRET) && !manual.contains("SECRET_WEATHER_KEY"),
        "{manual}"
    );
    let (_, manual_again, _) = f
        .runtime("GET", &format!("{url}/manual"), Some(&token), None, None)
        .await;
    assert_eq!(manual, manual_again);
    // Follow the manual's example for current_weather, filling the city.
    let section = manual.split("## current_weather").nth(1).unwrap();
    let example = section
        .split("-d '")
        .nth(1)
        .unwrap()
        .split("'\n")
        .next()
        .unwrap();
    let mut body: Value = serde_json::from_str(example).unwrap();
    body["input"]["city"] = json!("São Paulo \"SP\"");
    let (status, text, content_type) = f
        .runtime("POST", &url, Some(&token), Some(body), None)
        .await;
    assert_eq!(status, 200, "{text}");
    assert!(content_type.unwrap().starts_with("text/plain"));
    // The upstream echoes the Authorization header: redacted on the way back.
    assert!(
        !text.contains(SECRET) && text.contains("[secret:weather key]"),
        "{text}"
    );
    let last = f.recorded().last().cloned().unwrap();
    assert_eq!(last["method"], "POST");
    assert_eq!(last["path"], "/echo?city=S%C3%A3o%20Paulo%20%22SP%22");
    assert_eq!(last["headers"]["authorization"], format!("Bearer {SECRET}"));
    let sent: Value = serde_json::from_str(last["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        sent,
        json!({"city": "São Paulo \"SP\"", "units": "metric", "days": 1})
    );

    // YAML form: path, typed query, `?` keys, headers, JSON body; JSON answers.
    let (status, text, _) = f
        .runtime(
            "POST",
            &format!("{url}?format=json"),
            Some(&token),
            Some(json!({"name": "put_item", "input": {"item": "a/b", "note": "two\nlines"}})),
            None,
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["error"], Value::Null);
    assert_eq!(answer["result"]["method"], "PUT");
    let last = f.recorded().last().cloned().unwrap();
    assert_eq!(last["path"], "/echo/items/a%2Fb?verbose=false");
    assert_eq!(last["headers"]["x-note"], "two lines");
    assert_eq!(
        serde_json::from_str::<Value>(last["body"].as_str().unwrap()).unwrap(),
        json!({"note": "two\nlines"})
    );
    // Bare URL form, text answer, Accept: application/json.
    let (status, text, _) = f
        .runtime(
            "POST",
            &url,
            Some(&token),
            Some(json!({"ability": "pattern", "input": {"size": 64}})),
            Some("application/json"),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["result"].as_str().unwrap().len(), 64);

    // Input that does not fit is refused before any request, naming the field.
    let before = f.recorded().len();
    let (status, text, _) = f
        .runtime(
            "POST",
            &format!("{url}?format=json"),
            Some(&token),
            Some(json!({"ability": "current_weather", "input": {"city": "x", "units": "kelvin"}})),
            None,
        )
        .await;
    assert_eq!(status, 422, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["error"]["code"], "invalid_input");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/units"),
        "{text}"
    );
    let (status, text, _) = f
        .runtime(
            "POST",
            &url,
            Some(&token),
            Some(json!({"ability": "current_weather", "input": {"days": 2}})),
            None,
        )
        .await;
    assert_eq!(status, 422);
    assert!(text.contains("city"), "{text}");
    assert_eq!(f.recorded().len(), before);
    let (status, text, _) = f
        .runtime(
            "POST",
            &url,
            Some(&token),
            Some(json!({"ability": "nope"})),
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert!(
        text.contains("current_weather") && text.contains("put_item"),
        "{text}"
    );
    let (status, _, _) = f
        .runtime("POST", &url, Some(&token), Some(json!({"input": {}})), None)
        .await;
    assert_eq!(status, 400);

    // A skill-backed ability keeps state per session.
    for (session, expected) in [("s1", 1), ("s1", 2), ("s2", 1)] {
        let (status, text, _) = f
            .runtime(
                "POST",
                &format!("{url}/invoke?format=json&session={session}"),
                Some(&token),
                Some(json!({"ability": "count"})),
                None,
            )
            .await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap()["result"],
            expected,
            "{session}"
        );
    }

    // Tokens: none, wrong, another integration's, deleted → 401, in either format.
    let r = s
        .request(
            "POST",
            "/api/v1/integration/skillserver/create",
            Some(&f.admin),
            Some(json!({"skillsetId": f.skillset})),
        )
        .await;
    let (second, second_token) = (
        r.json["id"].as_str().unwrap().to_owned(),
        r.json["accessToken"].as_str().unwrap().to_owned(),
    );
    for bad in [None, Some("sks_wrong"), Some(second_token.as_str())] {
        let (status, text, _) = f.runtime("GET", &url, bad, None, None).await;
        assert_eq!(status, 401, "{text}");
        let (status, text, _) = f
            .runtime(
                "POST",
                &format!("{url}?format=json"),
                bad,
                Some(json!({"ability": "pattern"})),
                None,
            )
            .await;
        assert_eq!(status, 401, "{text}");
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap()["error"]["code"],
            "unauthorized"
        );
    }
    // A new skillset applies to the next request; the token is unchanged.
    let r = s
        .request(
            "POST",
            "/api/v1/skillset/create",
            Some(&f.admin),
            Some(json!({"name": "Empty", "description": "nothing"})),
        )
        .await;
    let empty = r.json["id"].as_str().unwrap().to_owned();
    let r = s
        .request(
            "POST",
            &format!("/api/v1/integration/skillserver/{server_id}/update"),
            Some(&f.writer),
            Some(json!({"skillsetId": empty})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (status, manual, _) = f.runtime("GET", &url, Some(&token), None, None).await;
    assert_eq!(status, 200);
    assert!(manual.contains("offers 0 abilities"), "{manual}");
    let r = s
        .request(
            "POST",
            &format!("/api/v1/integration/skillserver/{second}/delete"),
            Some(&f.writer),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let (status, _, _) = f
        .runtime(
            "GET",
            &format!("/integration/skillserver/{second}"),
            Some(&second_token),
            None,
            None,
        )
        .await;
    assert_eq!(status, 401);

    // Every call is audited with the integration as the caller; no secret anywhere.
    let r = s
        .request("GET", "/api/audit?limit=100", Some(&f.admin), None)
        .await;
    let records = r.json["invocations"].as_array().unwrap();
    let ours: Vec<&Value> = records
        .iter()
        .filter(|r| r["surface"] == "skillserver")
        .collect();
    assert!(ours.len() >= 9, "{}", r.text);
    assert!(
        ours.iter()
            .all(|r| r["integrationId"] == server_id.as_str())
    );
    assert!(ours.iter().any(|r| r["ability"] == "current_weather"
        && r["outcome"] == "success"
        && r["requests"][0]["status"] == 200));
    assert!(ours.iter().any(|r| r["outcome"] == "capability_denied"));
    assert!(ours.iter().any(|r| r["outcome"] == "invalid_input"));
    for path in [
        "/api/audit?limit=100",
        "/api/v1/integration/skillserver/list",
        "/api/v1/secret/list",
    ] {
        let r = s.request("GET", path, Some(&f.admin), None).await;
        assert!(
            !r.text.contains(SECRET) && !r.text.contains(&token),
            "{path}"
        );
    }
}

impl Fixture {
    /// Admin-made instruction abilities, approved with private networks
    /// (the upstreams are on loopback), and a skill server for the
    /// skillset: its runtime URL and token.
    async fn serve(&self, abilities: &[(&str, String)]) -> (String, String) {
        for (name, instruction) in abilities {
            let r = self
                .ability(
                    &self.admin,
                    json!({"name": name, "description": format!("{name} ability"), "instruction": instruction}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            let id = r.json["id"].as_str().unwrap().to_owned();
            let r = self
                .approve(&id, json!({"allowPrivateNetwork": true}))
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
        let r = self
            .server
            .request(
                "POST",
                "/api/v1/integration/skillserver/create",
                Some(&self.writer),
                Some(json!({"skillsetId": self.skillset, "name": "desk"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        (
            format!(
                "/integration/skillserver/{}",
                r.json["id"].as_str().unwrap()
            ),
            r.json["accessToken"].as_str().unwrap().to_owned(),
        )
    }
}

#[tokio::test]
async fn a_secret_is_hidden_in_every_form_the_host_encoded_it_when_an_upstream_echoes_it() {
    let f = fixture("skillserver-encoded-secret").await;
    // `-`, `.` and `~` stay as they are in `euc` and `%7E` in form
    // encoding; `/`, `+` and `=` are escaped by both.
    const KEY: &str = "k-1.Zq/+Xy==~";
    let r = f
        .server
        .request(
            "POST",
            "/api/v1/secret/create",
            Some(&f.admin),
            Some(json!({"name": "enc key", "value": KEY})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let origin = f.origin();
    let (url, token) = f
        .serve(&[
            (
                "echo_euc",
                format!("```fetch\nGET {origin}/echo?k=${{SECRET_ENC_KEY euc}}\n```"),
            ),
            (
                "missing_euc",
                format!("```fetch\nGET {origin}/echo?status=404&k=${{SECRET_ENC_KEY euc}}\n```"),
            ),
            (
                "echo_form",
                format!("```fetch\nmethod: GET\nurl: {origin}/echo\nquery:\n  k: ${{SECRET_ENC_KEY}}\n```"),
            ),
        ])
        .await;
    for (ability, sent, status) in [
        ("echo_euc", "k=k-1.Zq%2F%2BXy%3D%3D~", 200),
        ("missing_euc", "k=k-1.Zq%2F%2BXy%3D%3D~", 502),
        ("echo_form", "k=k-1.Zq%2F%2BXy%3D%3D%7E", 200),
    ] {
        let (got, text, _) = f
            .runtime(
                "POST",
                &url,
                Some(&token),
                Some(json!({"ability": ability, "input": {}})),
                None,
            )
            .await;
        assert_eq!(got, status, "{ability}: {text}");
        // The upstream was sent the encoded key and echoed it back.
        let path = f.recorded().last().unwrap()["path"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(path.contains(sent), "{ability}: sent {path}");
        assert!(text.contains("[secret:enc key]"), "{ability}: {text}");
        for form in [KEY, "Zq/+", "Zq%2F", "Zq%2f", "Xy%3D", "Xy=="] {
            assert!(!text.contains(form), "{ability}: `{form}` in {text}");
        }
    }
}

#[tokio::test]
async fn an_instruction_to_an_ipv6_literal_origin_runs() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let f = fixture("skillserver-ipv6").await;
    let v6 = Upstream::start("::1");
    let port = v6.addr.port();
    let (url, token) = f
        .serve(&[(
            "echo_v6",
            format!("```fetch\nGET http://[::1]:{port}/echo?q=$[q euc!|what to echo]\n```"),
        )])
        .await;
    let (status, text, _) = f
        .runtime(
            "POST",
            &url,
            Some(&token),
            Some(json!({"ability": "echo_v6", "input": {"q": "over six"}})),
            Some("application/json"),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("/echo?q=over%20six"), "{text}");
    assert_eq!(v6.requests(), ["GET /echo?q=over%20six"]);
}

#[tokio::test]
async fn a_yaml_alias_bomb_given_to_y_is_refused_and_nothing_is_sent() {
    let f = fixture("skillserver-y-bomb").await;
    let origin = f.origin();
    let (url, token) = f
        .serve(&[(
            "post_conf",
            format!("```fetch\nPOST {origin}/echo\nContent-Type: application/json\n\n{{\"conf\": $[conf y|configuration as YAML]}}\n```"),
        )])
        .await;
    // One anchor of 800 strings named 1,600 times: 1.28 million strings
    // once expanded, from 12 KB (the shape yaml_serde's own repetition
    // limit lets through).
    let bomb = format!(
        "a: &a [{}]\nb: [{}]\n",
        vec!["\"lol\""; 800].join(", "),
        vec!["*a"; 1600].join(", ")
    );
    assert!((11_000..13_000).contains(&bomb.len()));
    let before = f.upstream.hits();
    let started = std::time::Instant::now();
    let (status, text, _) = f
        .runtime(
            "POST",
            &url,
            Some(&token),
            Some(json!({"ability": "post_conf", "input": {"conf": bomb}})),
            None,
        )
        .await;
    assert_eq!(status, 422, "{text}");
    assert!(
        text.contains("`conf` is refused as YAML: its aliases (`*name`) expand it to more than"),
        "{text}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(f.upstream.hits(), before, "nothing reached the upstream");
    // A YAML input with an anchor used twice is still sent.
    let (status, text, _) = f
        .runtime(
            "POST",
            &url,
            Some(&token),
            Some(json!({"ability": "post_conf", "input": {"conf": "a: &x [1, 2]\nb: *x\n"}})),
            None,
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let last = f.recorded().last().cloned().unwrap();
    assert_eq!(last["body"], r#"{"conf": {"a":[1,2],"b":[1,2]}}"#);
}

#[tokio::test]
async fn metrics_never_carry_a_skillset_or_ability_name() {
    let f = fixture("skillserver-metrics-names").await;
    // The fixture's skillset is called `Weather`; the ability's name is
    // as distinctive.
    let origin = f.origin();
    let (url, token) = f
        .serve(&[(
            "quokka_ledger_7731",
            format!("```fetch\n{origin}/keepalive?size=5\n```"),
        )])
        .await;
    let (status, text, _) = f
        .runtime(
            "POST",
            &url,
            Some(&token),
            Some(json!({"ability": "quokka_ledger_7731", "input": {}})),
            None,
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let r = f.server.request("GET", "/metrics", None, None).await;
    assert_eq!(r.status, 200);
    assert!(
        r.text
            .contains("skillhost_invocations_total{kind=\"skillset\",outcome=\"success\",surface=\"skillserver\"}"),
        "{}",
        r.text
    );
    for name in ["quokka", "Weather", "acme"] {
        assert!(!r.text.contains(name), "`{name}` in /metrics:\n{}", r.text);
    }
}
