//! Every form and operand against a table of inputs and expected requests;
//! every refusal with its line and column.
use super::*;
use serde_json::json;

struct Expect {
    method: &'static str,
    url: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: Option<&'static str>,
}

fn render(instruction: &str, input: Value) -> Result<FetchRequest, RenderError> {
    let parsed = Instruction::parse(instruction).unwrap_or_else(|e| panic!("{instruction}: {e}"));
    let Value::Object(input) = input else {
        panic!("input must be an object")
    };
    parsed.render(&input, &mut |name| match name {
        "API_KEY" => Some("Bearer k-123".to_owned()),
        "DEFAULT" => Some("d-456".to_owned()),
        _ => None,
    })
}

#[test]
fn every_form_and_operand_builds_the_expected_request() {
    let cases: Vec<(&str, Value, Expect)> = vec![
        // Bare URL.
        (
            "```fetch\nhttps://api.example.com/v1/current?location=$[location euc!|the city]\n```",
            json!({"location": "São Paulo & co"}),
            Expect {
                method: "GET",
                url: "https://api.example.com/v1/current?location=S%C3%A3o%20Paulo%20%26%20co",
                headers: &[],
                body: None,
            },
        ),
        // Raw: the seed's own example, with a secret reference.
        (
            "Use it for weather.\n```fetch\nGET https://api.weather.com/v1/current?location=$[location euc!|the city name]\nAuthorization: ${SECRET_API_KEY}\n```",
            json!({"location": "Oslo"}),
            Expect {
                method: "GET",
                url: "https://api.weather.com/v1/current?location=Oslo",
                headers: &[("Authorization", "Bearer k-123")],
                body: None,
            },
        ),
        // Raw with a JSON body; `js` inside quotes escapes, outside writes a literal.
        (
            "```fetch\nPOST https://api.example.com/data\nContent-Type: application/json\n\n{ \"query\": \"$[query js|the search query]\", \"raw\": $[query js], \"limit\": $[limit num default<10>] }\n```",
            json!({"query": "say \"hi\""}),
            Expect {
                method: "POST",
                url: "https://api.example.com/data",
                headers: &[("Content-Type", "application/json")],
                body: Some(r#"{ "query": "say \"hi\"", "raw": "say \"hi\"", "limit": 10 }"#),
            },
        ),
        // Raw body may hold line breaks; dq, sq, edq, esq, rn, trim, ?op.
        (
            "```fetch\nPUT https://api.example.com/notes\n\n$[a dq] $[b sq] $[c edq] $[d esq] $[e rn] [$[f trim]] <$[g ?dq]> <$[h ?sq]>\n```",
            json!({"a": "x\"y", "b": "it's", "c": "q\"", "d": "o'k", "e": "one\ntwo", "f": "  pad  ", "g": "", "h": "v"}),
            Expect {
                method: "PUT",
                url: "https://api.example.com/notes",
                headers: &[],
                body: Some(r#""x\"y" 'it\'s' q\" o\'k one two [pad] <> <'v'>"#),
            },
        ),
        // YAML: method, url, path, query map, headers, authorization, JSON body, `?` keys.
        (
            "```fetch\nmethod: POST\nurl: https://api.example.com/v2\npath: /items/((id! euc|item id))\nquery:\n  q: ((location! ys|the location to query))\n  units: metric\n  page?: $[page]\nheaders:\n  X-Trace: t1\nauthorization: ${SECRET_DEFAULT}\nbody:\n  name: $[name ys]\n  tags?: ''\n  limit: 5\n```",
            json!({"id": "a/b", "location": "New York", "name": "Ann"}),
            Expect {
                method: "POST",
                url: "https://api.example.com/v2/items/a%2Fb?q=New+York&units=metric",
                headers: &[
                    ("X-Trace", "t1"),
                    ("Authorization", "d-456"),
                    ("Content-Type", "application/json"),
                ],
                body: Some(r#"{"limit":5,"name":"Ann"}"#),
            },
        ),
        // YAML: query as a list, a form body, `j` and `y`.
        (
            "```fetch\nmethod: post\nurl: http://api.example.com:8080/form\nquery:\n  - a=1\n  - b: $[b]\nheaders:\n  Content-Type: application/x-www-form-urlencoded\nbody:\n  doc: '$[doc j]'\n  conf: '$[conf y]'\n```",
            json!({"b": "two", "doc": "{ \"k\" : [1, 2] }", "conf": "k: v"}),
            Expect {
                method: "POST",
                url: "http://api.example.com:8080/form?a=1&b=two",
                headers: &[("Content-Type", "application/x-www-form-urlencoded")],
                body: Some("conf=%7B%22k%22%3A%22v%22%7D&doc=%7B%22k%22%3A%5B1%2C2%5D%7D"),
            },
        ),
        // The other placeholder spellings and a required enum's default.
        (
            "```fetch\nhttps://api.example.com/s?u=[[units! enum<metric,imperial>]]&d=$(day default<mon>)&t={{SECRET_API_KEY euc}}\n```",
            json!({}),
            Expect {
                method: "GET",
                url: "https://api.example.com/s?u=metric&d=mon&t=Bearer%20k-123",
                headers: &[],
                body: None,
            },
        ),
    ];
    for (instruction, input, expect) in cases {
        let request = render(instruction, input).unwrap_or_else(|e| panic!("{instruction}: {e}"));
        assert_eq!(request.method.as_str(), expect.method, "{instruction}");
        assert_eq!(request.url.as_str(), expect.url, "{instruction}");
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(headers, expect.headers, "{instruction}");
        assert_eq!(
            request
                .body
                .as_deref()
                .map(|b| std::str::from_utf8(b).unwrap()),
            expect.body,
            "{instruction}"
        );
    }
}

#[test]
fn parameters_become_the_input_schema() {
    let i = Instruction::parse(
        "Look things up.\n```fetch\nGET https://api.example.com/?q=$[q euc!|what to find]&n=$[n num min<1> max<50> default<5>|how many]&u=$[units! enum<c,f>]&v=$[verbose bool]&h=$[_hidden default<x>]&q2=$[q euc]\n```\nAsk before ordering.",
    )
    .unwrap();
    assert_eq!(i.guidance, "Look things up.\nAsk before ordering.");
    assert_eq!(i.origin.to_string(), "https://api.example.com");
    assert_eq!(
        i.input_schema(),
        json!({
            "type": "object",
            "properties": {
                "q": {"type": "string", "description": "what to find"},
                "n": {"type": "number", "description": "how many", "default": 5, "minimum": 1, "maximum": 50},
                "units": {"type": "string", "default": "c", "enum": ["c", "f"]},
                "verbose": {"type": "boolean"},
            },
            "required": ["q"],
            "additionalProperties": false,
        })
    );
    let secrets = Instruction::parse(
        "```fetch\nGET https://a.example/x\nA: ${SECRET_ONE}\nB: {{SECRET_DEFAULT}}\n```",
    )
    .unwrap()
    .secrets;
    assert_eq!(secrets.into_iter().collect::<Vec<_>>(), ["DEFAULT", "ONE"]);
}

#[test]
fn what_cannot_run_is_refused_with_line_and_column() {
    let cases = [
        ("just words", (1, 1), "needs one action block"),
        (
            "```search/datasetId=d\n$[q]\n```",
            (1, 4),
            "`search` has no meaning",
        ),
        (
            "```email/to=a@b.c\nhi\n```",
            (1, 4),
            "supported actions: fetch",
        ),
        (
            "```fetch\nhttps://$[host]/x\n```",
            (2, 9),
            "must be literal",
        ),
        (
            "```fetch\nGET https://api.example.com:$[port]/x\n```",
            (2, 29),
            "must be literal",
        ),
        ("```fetch\nGET $[url]\n```", (2, 5), "must be literal"),
        (
            "```fetch\nmethod: GET\nurl: https://${SECRET_HOST}.example.com/\n```",
            (3, 14),
            "must be literal",
        ),
        (
            "```fetch\nmethod: GET\nheaders:\n  a: b\n```",
            (2, 1),
            "no URL",
        ),
        (
            "```fetch\nftp://files.example.com/x\n```",
            (2, 1),
            "http or https",
        ),
        (
            "```fetch\nhttps://u:p@api.example.com/\n```",
            (2, 1),
            "credentials",
        ),
        (
            "```fetch\nhttps://api.example.com/?q=$[q shout]\n```",
            (2, 28),
            "unknown operand `shout`",
        ),
        (
            "```fetch\nhttps://api.example.com/?q=$[q\n```",
            (2, 28),
            "never closed",
        ),
        (
            "```fetch\nhttps://api.example.com/?c=${CONTACT_NAME}\n```",
            (2, 28),
            "unknown reference",
        ),
        (
            "```fetch\nhttps://api.example.com/?c=$[_h]\n```",
            (2, 28),
            "needs a default",
        ),
        (
            "```fetch\nhttps://api.example.com/?a=$[n num]&b=$[n]\n```",
            (2, 39),
            "different types",
        ),
        (
            "```fetch\nhttps://a.example/\n```\n```fetch\nhttps://b.example/\n```",
            (4, 4),
            "one action block",
        ),
        ("```fetch\nhttps://a.example/\n", (1, 1), "never closed"),
        ("```fetch\n```", (2, 1), "empty"),
    ];
    for (text, (line, column), needle) in cases {
        let err = Instruction::parse(text).unwrap_err();
        assert!(err.message.contains(needle), "{text:?}: {err}");
        assert_eq!((err.line, err.column), (line, column), "{text:?}: {err}");
    }
}

#[test]
fn input_that_would_change_the_request_structure_is_refused() {
    let raw = "```fetch\nGET https://api.example.com/?q=$[q]\nX-Note: $[note]\n\n$[body]\n```";
    let err = render(raw, json!({"q": "a", "note": "x\r\nEvil: 1", "body": "ok"})).unwrap_err();
    assert!(
        matches!(&err, RenderError::InvalidInput { field, .. } if field == "note"),
        "{err}"
    );
    // A line break in the body is fine.
    assert!(render(raw, json!({"q": "a", "note": "x", "body": "line\nbreak"})).is_ok());
    let yaml = "```fetch\nmethod: GET\nurl: https://api.example.com/\nquery:\n  q: $[q]\n```";
    let err = render(yaml, json!({"q": "a\nurl: https://evil.example/"})).unwrap_err();
    assert!(matches!(err, RenderError::InvalidInput { .. }), "{err}");
    // A placeholder right after the host could add a port or user info:
    // refused when written.
    let err = Instruction::parse("```fetch\nGET https://api.example.com$[p]\n```").unwrap_err();
    assert!(err.message.contains("must be literal"), "{err}");
    // Whatever a path value says, the request stays on the literal origin.
    let request = render(
        "```fetch\nGET https://api.example.com/$[p]\n```",
        json!({"p": "@evil.example/x"}),
    )
    .unwrap();
    assert_eq!(request.url.host_str(), Some("api.example.com"));
    let err = render("```fetch\nhttps://api.example.com/?q=$[q!]\n```", json!({})).unwrap_err();
    assert_eq!(
        err,
        RenderError::InvalidInput {
            field: "q".into(),
            message: "is required".into()
        }
    );
    let err = render(
        "```fetch\nhttps://api.example.com/?k=${SECRET_NOPE}\n```",
        json!({}),
    )
    .unwrap_err();
    assert!(matches!(err, RenderError::MissingSecret { .. }), "{err}");
}

#[test]
fn a_yaml_alias_bomb_given_to_y_is_refused_before_it_is_expanded() {
    let raw = "```fetch\nPOST https://api.example.com/\nContent-Type: application/json\n\n{\"conf\": $[conf y]}\n```";
    let bomb = crate::untrusted::tests::alias_bomb(10, 6);
    let err = render(raw, json!({ "conf": bomb })).unwrap_err();
    let RenderError::InvalidInput { field, message } = &err else {
        panic!("{err}")
    };
    assert_eq!(field, "conf");
    assert!(
        message.starts_with("is refused as YAML: its aliases (`*name`) expand it"),
        "{message}"
    );
    // An anchor used a few times is still YAML like any other.
    let request = render(raw, json!({"conf": "a: &x [1, 2]\nb: *x\n"})).unwrap();
    assert_eq!(
        request.body.as_deref(),
        Some(br#"{"conf": {"a":[1,2],"b":[1,2]}}"#.as_slice())
    );
}

#[test]
fn an_ipv6_literal_origin_renders_to_itself() {
    let request = render(
        "```fetch\nGET http://[::1]:8080/x?q=$[q]\n```",
        json!({"q": "a"}),
    )
    .unwrap();
    assert_eq!(request.url.as_str(), "http://[::1]:8080/x?q=a");
    let parsed = Instruction::parse("```fetch\nGET http://[0:0::1]:8080/\n```").unwrap();
    assert_eq!(parsed.origin.to_string(), "http://[::1]:8080");
}

#[test]
fn a_placeholder_repeated_until_the_request_passes_its_limit_is_refused() {
    let body = "$[x]".repeat(1000);
    let raw = format!("```fetch\nPOST https://api.example.com/\n\n{body}\n```");
    let big = "a".repeat(crate::untrusted::MAX_RENDERED_BYTES / 1000 + 1024);
    let err = render(&raw, json!({ "x": big })).unwrap_err();
    let RenderError::InvalidInput { field, message } = &err else {
        panic!("{err}")
    };
    assert_eq!(field, "x");
    assert!(
        message.starts_with("makes the request larger than 33554432 bytes"),
        "{message}"
    );
    // Just under the limit is sent.
    let fits = "a".repeat(crate::untrusted::MAX_RENDERED_BYTES / 1000 - 16);
    assert!(render(&raw, json!({ "x": fits })).is_ok());
}

#[test]
fn an_alias_bomb_substituted_into_the_yaml_form_is_refused() {
    let yaml = "```fetch\nmethod: POST\nurl: https://api.example.com/\nbody:\n  q: $[q]\n```";
    let bomb = format!(
        "[&a [{}], {}]",
        vec!["lol"; 1000].join(", "),
        vec!["*a"; 2000].join(", ")
    );
    let err = render(yaml, json!({ "q": bomb })).unwrap_err();
    assert!(
        err.to_string()
            .contains("the YAML is refused: its aliases (`*name`) expand it"),
        "{err}"
    );
}
