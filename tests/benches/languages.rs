//! Skills in Python and JavaScript beside Rust: prints figures, asserts
//! nothing. `tests/benches/languages.sh` builds the packages with the
//! pinned tool chains and runs this with `SKILLHOST_BENCH_LANGS` naming
//! their folder. In one run, each a fresh store and instance per call on
//! one thread:
//! - the same word count as a Rust, a JavaScript and a Python skill
//!   (p50, p99, calls/s, and each p50 as a multiple of Rust's);
//! - the same program as a code skill in each language, through its
//!   interpreter, against the packaged skill of that language;
//! - what a code skill's create costs: the declaration made and the
//!   source compiled by its interpreter.
use serde_json::{Value, json};
use skillhost::ability::code::{self, Interpreters};
use skillhost::capability::{Grant, Policy};
use skillhost::runtime::{Call, LoadedSkill, Loader};
use skillhost::sources::code::{CodeBody, CodeSpec, Language};
use skillhost_tests::figures::{Figures, summarise};
use skillhost_tests::fixture;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rounds per configuration; the median round is printed.
const ROUNDS: usize = 3;

fn print(label: &str, f: &Figures, base: Option<Duration>, base_name: &str) {
    let ratio = base
        .map(|b| {
            format!(
                "  = {:>5.1}x {base_name}",
                f.p50.as_secs_f64() / b.as_secs_f64()
            )
        })
        .unwrap_or_default();
    println!(
        "{label:<40} p50={:>9.2?}  p99={:>9.2?}  calls/s={:>8.0}{ratio}",
        f.p50, f.p99, f.per_sec
    );
}

/// The median (by p50) of `ROUNDS` rounds of `calls` calls of `one`.
async fn measure<F, Fut>(calls: usize, mut one: F) -> Figures
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..calls / 10 + 1 {
        one().await;
    }
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        let mut samples = Vec::with_capacity(calls);
        let started = Instant::now();
        for _ in 0..calls {
            let t = Instant::now();
            one().await;
            samples.push(t.elapsed());
        }
        rounds.push(summarise(samples, started.elapsed()));
    }
    rounds.sort_by_key(|f| f.p50);
    rounds.swap_remove(ROUNDS / 2)
}

async fn packaged(
    loader: &Loader,
    skill: &Arc<LoadedSkill>,
    ability: &'static str,
    input: &Value,
    calls: usize,
) -> Figures {
    let runtime = loader.runtime();
    let policy = Arc::new(
        Policy::resolve(&skill.package.manifest, &Grant::default(), runtime.limits()).unwrap(),
    );
    measure(calls, || {
        let policy = policy.clone();
        async move {
            let call = Call {
                ability,
                input,
                session: None,
            };
            let invocation = runtime.invoke(skill, policy, call).await;
            assert!(invocation.outcome.is_ok(), "{:?}", invocation.outcome);
        }
    })
    .await
}

/// The word count as code: the input arrives as JSON on stdin.
fn program(language: Language) -> &'static str {
    match language {
        Language::Python => {
            "import json, sys\ntext = json.load(sys.stdin)['text']\nprint(json.dumps({'words': len(text.split()), 'lines': len(text.splitlines()), 'characters': len(text), 'bytes': len(text.encode())}))\n"
        }
        Language::Javascript => {
            "const { text } = JSON.parse(stdin);\nconsole.log(JSON.stringify({ words: text.split(/\\s+/).filter(Boolean).length, lines: text === '' ? 0 : text.split('\\n').length, characters: [...text].length, bytes: new TextEncoder().encode(text).length }));\n"
        }
    }
}

fn load(dir: &std::path::Path, name: &str) -> Vec<u8> {
    let path = dir.join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run tests/benches/languages.sh, which builds it",
            path.display()
        )
    })
}

fn main() {
    let dir = PathBuf::from(std::env::var("SKILLHOST_BENCH_LANGS").expect(
        "SKILLHOST_BENCH_LANGS: the folder tests/benches/languages.sh builds the packages into",
    ));
    let f = fixture();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let loader = Loader::new(f.runtime.clone());
        let rust = f.skill("text-tools").clone();
        let python = loader
            .load_bytes(load(&dir, "py-bench.skill.wasm"))
            .await
            .unwrap();
        let javascript = loader
            .load_bytes(load(&dir, "js-bench.skill.wasm"))
            .await
            .unwrap();
        let interpreters = Interpreters::load(&loader, &dir.join("interpreters"))
            .await
            .unwrap();
        let input = json!({"text": "the quick brown fox\njumps over the lazy dog"});

        // `SKILLHOST_BENCH_ONLY=javascript:noop` (or python:word_count, …)
        // calls just that, for ten seconds, to be profiled.
        if let Ok(only) = std::env::var("SKILLHOST_BENCH_ONLY") {
            let (language, ability) = only.split_once(':').expect("language:ability");
            let skill = if language == "python" {
                &python
            } else {
                &javascript
            };
            let ability: &'static str = Box::leak(ability.to_owned().into_boxed_str());
            let deadline = Instant::now() + Duration::from_secs(10);
            let input = if ability == "noop" { json!({}) } else { input };
            let mut calls = 0;
            while Instant::now() < deadline {
                packaged(&loader, skill, ability, &input, 100).await;
                calls += 100 * (ROUNDS + 1);
            }
            println!("{only}: {calls} calls");
            return;
        }
        println!("== one fresh store + instance per call, 1 thread (release build) ==");
        let rust_figures = packaged(&loader, &rust, "word_count", &input, 20_000).await;
        print("rust text-tools.word_count", &rust_figures, None, "");
        let base = Some(rust_figures.p50);
        let js_figures = packaged(&loader, &javascript, "word_count", &input, 3_000).await;
        print("javascript js-bench.word_count", &js_figures, base, "rust");
        let py_figures = packaged(&loader, &python, "word_count", &input, 1_000).await;
        print("python py-bench.word_count", &py_figures, base, "rust");
        // What a call costs before the ability does anything: the floor
        // each language's runtime sets.
        let empty = json!({});
        let js_noop = packaged(&loader, &javascript, "noop", &empty, 3_000).await;
        print("javascript js-bench.noop", &js_noop, base, "rust");
        let py_noop = packaged(&loader, &python, "noop", &empty, 1_000).await;
        print("python py-bench.noop", &py_noop, base, "rust");

        println!("== the same program as a code skill (interpreter + source) ==");
        for (language, packaged, calls) in [
            (Language::Javascript, &js_figures, 3_000),
            (Language::Python, &py_figures, 1_000),
        ] {
            let interpreter = interpreters.get(language).unwrap();
            let body = CodeBody {
                language,
                code: program(language).to_owned(),
            };
            let policy = loader.runtime().nothing_granted();
            let figures = measure(calls, || {
                let (body, policy, input) = (&body, policy.clone(), &input);
                let loader = &loader;
                async move {
                    let executed =
                        code::execute(loader, interpreter, body, policy, input, None).await;
                    let output = executed.result.expect("the code skill runs");
                    assert!(
                        output.body.contains("\"words\": 9") || output.body.contains("\"words\":9"),
                        "{}",
                        output.body
                    );
                }
            })
            .await;
            let label = format!("{} code skill", language.as_str());
            print(&label, &figures, Some(packaged.p50), "packaged");
        }

        println!("== a code skill's create: declaration + compile check ==");
        for language in Language::ALL {
            let interpreter = interpreters.get(language).unwrap();
            let figures = measure(50, || async {
                let spec: CodeSpec = serde_json::from_value(json!({
                    "name": "bench", "description": "Counts words", "code": program(language),
                    "language": language.as_str(),
                }))
                .unwrap();
                let made = skillhost::sources::make::code_skill(
                    spec,
                    language,
                    semver::Version::new(1, 0, 0),
                )
                .unwrap();
                assert!(!made.digest.is_empty());
                let checked = code::check(&loader, interpreter, program(language))
                    .await
                    .unwrap();
                assert!(matches!(checked, code::Checked::Compiles));
            })
            .await;
            print(&format!("{} create", language.as_str()), &figures, None, "");
        }
    });
}
