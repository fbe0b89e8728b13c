//! A SKILL.md install's `sourceUrl` and `sourceRef`:
//! `sources::github::folder_source`, then the repository and archive URLs
//! made from it. (GitHub's answer itself is an archive: see the `archive`
//! target.) Input: the URL, then optionally a newline and the ref.
#![no_main]
use libfuzzer_sys::fuzz_target;
use skillhost::sources::github::{FolderSource, GithubConfig, folder_source};
use std::sync::LazyLock;

static CONFIGS: LazyLock<[GithubConfig; 2]> = LazyLock::new(|| {
    [
        GithubConfig::default(),
        GithubConfig {
            web: url::Url::parse("https://ghe.example.com/git/").expect("a URL"),
            api: url::Url::parse("https://ghe.example.com/api/v3").expect("a URL"),
        },
    ]
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (url, reference) = match text.split_once('\n') {
        Some((url, r)) => (url, Some(r)),
        None => (text, None),
    };
    for config in CONFIGS.iter() {
        if let Ok(FolderSource::Github(folder)) = folder_source(url, reference, config) {
            let _ = folder.source_ref();
            for made in [folder.repo_url(config), folder.archive_url(config)] {
                url::Url::parse(&made).unwrap_or_else(|e| {
                    panic!("`{url}` {reference:?} makes `{made}`, not a URL: {e}")
                });
            }
        }
    }
});
