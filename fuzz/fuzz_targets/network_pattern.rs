//! A network pattern (`https://*.example.com:8443`), as a manifest, a grant,
//! an instruction's origin or an injection names it:
//! `NetworkPattern::parse`, then matching and containment, and the
//! round trip a stored grant takes (Display, then parse again).
#![no_main]
use libfuzzer_sys::fuzz_target;
use skillhost::capability::{NetworkPattern, Scheme};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Two patterns, split at the first newline: each checked against the other.
    let (a, b) = text
        .split_once('\n')
        .unwrap_or((text, "https://*.example.com"));
    let Ok(pa) = NetworkPattern::parse(a) else {
        return;
    };
    let shown = pa.to_string();
    let again = NetworkPattern::parse(&shown)
        .unwrap_or_else(|e| panic!("`{a}` is shown as `{shown}`, which does not parse: {e}"));
    assert_eq!(
        again, pa,
        "`{a}` does not survive its own display `{shown}`"
    );
    // Serde form: what a stored grant holds.
    let json = serde_json::to_string(&pa).expect("a pattern serialises");
    let back: NetworkPattern = serde_json::from_str(&json).expect("a pattern reads back");
    assert_eq!(back, pa);
    assert!(pa.is_within(&pa), "`{a}` is not within itself");
    for host in [b, "example.com", "a.example.com", "127.0.0.1", "[::1]", ""] {
        for scheme in [Scheme::Http, Scheme::Https] {
            let _ = pa.matches(scheme, host, scheme.default_port());
            let _ = pa.matches(scheme, host, 8443);
        }
    }
    if let Ok(pb) = NetworkPattern::parse(b) {
        let _ = pa.is_within(&pb);
        let _ = pb.is_within(&pa);
    }
});
