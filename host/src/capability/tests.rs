use super::*;
use crate::manifest::Manifest;
use std::time::Duration;

fn in_volume(path: &str) -> MountSource {
    MountSource::Volume(VolumeMount {
        volume: "vol".into(),
        path: path.into(),
    })
}

fn manifest() -> Manifest {
    Manifest::from_toml(
        r#"
name = "t"
version = "1.0.0"
description = "d"
[capabilities]
network = ["https://*.example.com", "http://localhost:*"]
fs_read = ["/data"]
fs_write = ["/out"]
env = ["TZ"]
secrets = ["KEY"]
[limits]
timeout_ms = 999999
memory_mb = 32
"#,
    )
    .unwrap()
}

#[test]
fn empty_grant_gives_declared_network_and_nothing_else() {
    let p = Policy::resolve(&manifest(), &Grant::default(), &LimitPolicy::default()).unwrap();
    assert_eq!(p.network.len(), 2);
    assert!(!p.allow_private_network);
    assert!(p.mounts.is_empty() && p.env.is_empty() && p.secrets.is_empty());
    // The manifest's timeout is capped at the maximum; memory honoured.
    assert_eq!(p.limits.timeout, Duration::from_secs(60));
    assert_eq!(p.limits.memory_bytes, 32 << 20);
}

#[test]
fn grant_may_narrow_network() {
    let grant = Grant {
        network: Some(vec![
            NetworkPattern::parse("https://api.example.com").unwrap(),
        ]),
        ..Grant::default()
    };
    let p = Policy::resolve(&manifest(), &grant, &LimitPolicy::default()).unwrap();
    assert_eq!(
        p.network,
        vec![NetworkPattern::parse("https://api.example.com").unwrap()]
    );
    let grant = Grant {
        network: Some(vec![]),
        ..Grant::default()
    };
    assert!(
        Policy::resolve(&manifest(), &grant, &LimitPolicy::default())
            .unwrap()
            .network
            .is_empty()
    );
}

#[test]
fn grant_may_not_widen() {
    let cases = [
        Grant {
            network: Some(vec![NetworkPattern::parse("https://evil.net").unwrap()]),
            ..Grant::default()
        },
        Grant {
            mounts: [(GuestPath::parse("/etc").unwrap(), in_volume(""))].into(),
            ..Grant::default()
        },
        Grant {
            env: [("HOME".into(), "/root".into())].into(),
            ..Grant::default()
        },
        Grant {
            secrets: [(
                "OTHER".into(),
                SecretBinding {
                    secret_id: "s".into(),
                },
            )]
            .into(),
            ..Grant::default()
        },
        Grant {
            inject: vec![InjectBinding {
                origin: NetworkPattern::parse("https://other.org").unwrap(),
                header: "Authorization".into(),
                secret_id: "s".into(),
            }],
            ..Grant::default()
        },
        Grant {
            inject: vec![InjectBinding {
                origin: NetworkPattern::parse("https://api.example.com").unwrap(),
                header: "Host".into(),
                secret_id: "s".into(),
            }],
            ..Grant::default()
        },
    ];
    for grant in cases {
        let err = Policy::resolve(&manifest(), &grant, &LimitPolicy::default()).unwrap_err();
        assert!(matches!(err, GrantError::Widens(_)), "{err}");
    }
}

#[test]
fn mounts_get_their_declared_mode_and_must_exist_in_a_volume() {
    let root =
        std::env::temp_dir().join(format!("skillhost-mounts-{}", crate::runtime::unique_id()));
    std::fs::create_dir_all(root.join("in")).unwrap();
    let volume = in_volume;
    let grant = Grant {
        mounts: [
            (GuestPath::parse("/data").unwrap(), volume("in")),
            (GuestPath::parse("/out").unwrap(), volume("")),
        ]
        .into(),
        ..Grant::default()
    };
    let p = Policy::resolve(&manifest(), &grant, &LimitPolicy::default()).unwrap();
    assert_eq!(
        p.mounts
            .iter()
            .map(|m| (m.guest.as_str(), m.writable))
            .collect::<Vec<_>>(),
        [("/data", false), ("/out", true)]
    );
    let read_only = Volumes::new([("vol".to_owned(), root.clone(), false)], &[]).unwrap();
    let err = p.verify_mounts(&read_only).unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    let writable = Volumes::new([("vol".to_owned(), root.clone(), true)], &[]).unwrap();
    p.verify_mounts(&writable).unwrap();

    let grant = Grant {
        mounts: [(
            GuestPath::parse("/data").unwrap(),
            volume("no-such-dir-here"),
        )]
        .into(),
        ..Grant::default()
    };
    let policy = Policy::resolve(&manifest(), &grant, &LimitPolicy::default()).unwrap();
    let err = policy.verify_mounts(&writable).unwrap_err();
    assert!(matches!(err, GrantError::Mount { .. }));
    assert!(
        !err.to_string().contains(root.to_str().unwrap()),
        "host paths stay out of messages: {err}"
    );

    let legacy = Grant {
        mounts: [(
            GuestPath::parse("/data").unwrap(),
            MountSource::HostPath(root.clone()),
        )]
        .into(),
        ..Grant::default()
    };
    let err = Policy::resolve(&manifest(), &legacy, &LimitPolicy::default()).unwrap_err();
    assert!(err.to_string().contains("operator volume"), "{err}");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn explicit_limits_above_the_maximum_are_refused() {
    let grant = Grant {
        limits: LimitRequest {
            timeout_ms: Some(61_000),
            ..Default::default()
        },
        ..Grant::default()
    };
    let err = Policy::resolve(&manifest(), &grant, &LimitPolicy::default()).unwrap_err();
    assert_eq!(
        err,
        GrantError::LimitTooHigh {
            what: "timeout_ms",
            asked: 61_000,
            max: 60_000
        }
    );
}

#[test]
fn narrowing_only_takes_away() {
    let grant = Grant {
        allow_private_network: true,
        mounts: [
            (GuestPath::parse("/data").unwrap(), in_volume("")),
            (GuestPath::parse("/out").unwrap(), in_volume("")),
        ]
        .into(),
        ..Grant::default()
    };
    let base = Policy::resolve(&manifest(), &grant, &LimitPolicy::default()).unwrap();
    let mut p = base.clone();
    p.narrow(&Narrowing {
        network: Some(vec![
            NetworkPattern::parse("https://api.example.com").unwrap(),
        ]),
        allow_private_network: Some(false),
        mounts: Some(vec![GuestPath::parse("/data").unwrap()]),
    })
    .unwrap();
    assert_eq!(p.network.len(), 1);
    assert!(!p.allow_private_network);
    assert_eq!(p.mounts.len(), 1);
    let mut none = base.clone();
    none.narrow(&Narrowing {
        network: Some(vec![]),
        ..Default::default()
    })
    .unwrap();
    assert!(none.network.is_empty());
    for widen in [
        Narrowing {
            network: Some(vec![NetworkPattern::parse("https://evil.net").unwrap()]),
            ..Default::default()
        },
        Narrowing {
            mounts: Some(vec![GuestPath::parse("/etc").unwrap()]),
            ..Default::default()
        },
    ] {
        assert!(base.clone().narrow(&widen).is_err());
    }
    let mut strict =
        Policy::resolve(&manifest(), &Grant::default(), &LimitPolicy::default()).unwrap();
    assert!(
        strict
            .narrow(&Narrowing {
                allow_private_network: Some(true),
                ..Default::default()
            })
            .is_err()
    );
}

#[test]
fn secrets_never_print() {
    let s = SecretValue::new("hunter2");
    assert!(!format!("{s:?}").contains("hunter2"));
    let mut policy =
        Policy::resolve(&manifest(), &Grant::default(), &LimitPolicy::default()).unwrap();
    policy.supply_secret("KEY", s).unwrap();
    policy.inject.push(Injection {
        origin: NetworkPattern::parse("https://api.example.com").unwrap(),
        name: http::header::AUTHORIZATION,
        value: http::HeaderValue::from_static("Bearer hunter3"),
        secret: "TOKEN".into(),
        plain: SecretValue::new("hunter3"),
    });
    let printed = format!("{policy:?}");
    assert!(
        !printed.contains("hunter2") && !printed.contains("hunter3"),
        "{printed}"
    );
    assert!(
        policy
            .supply_secret("UNDECLARED", SecretValue::new("x"))
            .is_err()
    );
    let redactor = policy.redactor();
    assert_eq!(
        redactor.text("hunter2 and Bearer hunter3"),
        "[secret:KEY] and [secret:TOKEN]"
    );
}

#[test]
fn grants_speak_camel_case_and_accept_the_old_spelling() {
    let new: Grant = serde_json::from_str(
            r#"{"allowPrivateNetwork": true, "limits": {"timeoutMs": 5}, "secrets": {"KEY": {"secretId": "s1"}}}"#,
        )
        .unwrap();
    let old: Grant =
            serde_json::from_str(r#"{"allow_private_network": true, "limits": {"timeout_ms": 5}, "secrets": {"KEY": {"secretId": "s1"}}}"#)
                .unwrap();
    assert_eq!(new, old);
    assert!(new.allow_private_network);
    let written = serde_json::to_string(&new).unwrap();
    assert!(
        written.contains("allowPrivateNetwork") && written.contains("timeoutMs"),
        "{written}"
    );
}

#[test]
fn guest_paths_are_normalised_or_refused() {
    assert_eq!(GuestPath::parse("/data/").unwrap().as_str(), "/data");
    for bad in ["data", "/", "/a/../b", "/a//b", "/./a"] {
        assert!(GuestPath::parse(bad).is_err(), "{bad}");
    }
}
