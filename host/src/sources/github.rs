//! Where a SKILL.md folder comes from: a GitHub repository (fetched as the
//! repository's archive through the REST API, so GitHub Enterprise and a
//! local test server work by changing two addresses), or a direct URL to
//! a `SKILL.md` or to a `.tar.gz`/`.zip` of the folder.
use super::archive::ArchiveKind;

/// The GitHub addresses: the web address repository URLs start with, and
/// the REST API archives are fetched from.
#[derive(Debug, Clone)]
pub struct GithubConfig {
    /// e.g. `https://github.com` (GitHub Enterprise: `https://ghe.example.com`).
    pub web: url::Url,
    /// e.g. `https://api.github.com` (GitHub Enterprise: `https://ghe.example.com/api/v3`).
    pub api: url::Url,
}

impl Default for GithubConfig {
    fn default() -> Self {
        GithubConfig {
            web: url::Url::parse("https://github.com").expect("a URL"),
            api: url::Url::parse("https://api.github.com").expect("a URL"),
        }
    }
}

/// A folder in a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoFolder {
    /// The owner.
    pub owner: String,
    /// The repository.
    pub repo: String,
    /// A branch, tag or commit; `None` for the default branch.
    pub reference: Option<String>,
    /// The folder inside the repository (`""` for its root).
    pub path: String,
}

impl RepoFolder {
    /// Seed 004's `sourceRef`: `owner/repo/path`.
    pub fn source_ref(&self) -> String {
        if self.path.is_empty() {
            format!("{}/{}", self.owner, self.repo)
        } else {
            format!("{}/{}/{}", self.owner, self.repo, self.path)
        }
    }

    /// The repository's web URL.
    pub fn repo_url(&self, config: &GithubConfig) -> String {
        format!(
            "{}/{}/{}",
            config.web.as_str().trim_end_matches('/'),
            self.owner,
            self.repo
        )
    }

    /// The REST API address of the repository's `.tar.gz` archive (it
    /// redirects to the archive itself).
    pub fn archive_url(&self, config: &GithubConfig) -> String {
        let mut url = format!(
            "{}/repos/{}/{}/tarball",
            config.api.as_str().trim_end_matches('/'),
            self.owner,
            self.repo
        );
        if let Some(reference) = &self.reference {
            url.push('/');
            url.push_str(&percent_encoding::utf8_percent_encode(reference, SEGMENT).to_string());
        }
        url
    }
}

/// Escapes what would change a path: everything but unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// Where a SKILL.md folder is fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderSource {
    /// A folder of a GitHub repository.
    Github(RepoFolder),
    /// A direct URL to a lone `SKILL.md`.
    SkillMd(url::Url),
    /// A direct URL to an archive of the folder.
    Archive(url::Url, ArchiveKind),
}

fn part_ok(part: &str) -> bool {
    !part.is_empty()
        && part != "."
        && part != ".."
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Reads seed 004's `sourceUrl` and `sourceRef` for a `skill_md` install:
/// a repository URL (`https://github.com/owner/repo`, optionally
/// `/tree/<ref>/<path>`) with `sourceRef` `owner/repo/path`, or a direct
/// URL to a `SKILL.md`, `.tar.gz` or `.zip`.
pub fn folder_source(
    source_url: &str,
    source_ref: Option<&str>,
    config: &GithubConfig,
) -> Result<FolderSource, String> {
    let url = url::Url::parse(source_url).map_err(|e| format!("`sourceUrl` is not a URL: {e}"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err("`sourceUrl` must be an http or https URL".into());
    }
    let base = config.web.path().trim_end_matches('/');
    let on_github = url.origin() == config.web.origin()
        && (base.is_empty() || url.path() == base || url.path().starts_with(&format!("{base}/")));
    if !on_github {
        let path = url.path().to_ascii_lowercase();
        if path.ends_with(".md") {
            return Ok(FolderSource::SkillMd(url));
        }
        if let Some(kind) = ArchiveKind::from_path(&path) {
            return Ok(FolderSource::Archive(url, kind));
        }
        return Err(format!(
            "`sourceUrl` is neither a repository on {} nor a direct URL to a SKILL.md, .tar.gz or .zip",
            config.web
        ));
    }
    let rest = url.path().strip_prefix(base).unwrap_or(url.path());
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let (owner, repo) = match parts.as_slice() {
        [owner, repo, ..] => (*owner, repo.trim_end_matches(".git")),
        _ => {
            return Err(format!(
                "`sourceUrl` must name a repository: {}/OWNER/REPO",
                config.web.as_str().trim_end_matches('/')
            ));
        }
    };
    let (mut reference, mut path) = (None, String::new());
    if let [_, _, "tree", r, folder @ ..] = parts.as_slice() {
        reference = Some((*r).to_owned());
        path = folder.join("/");
    }
    if let Some(source_ref) = source_ref.map(str::trim).filter(|s| !s.is_empty()) {
        let mut pieces = source_ref.trim_matches('/').splitn(3, '/');
        let (o, r) = (pieces.next().unwrap_or(""), pieces.next().unwrap_or(""));
        if !o.eq_ignore_ascii_case(owner) || !r.eq_ignore_ascii_case(repo) {
            return Err(format!(
                "`sourceRef` `{source_ref}` must start with the repository of `sourceUrl` ({owner}/{repo})"
            ));
        }
        path = pieces.next().unwrap_or("").trim_matches('/').to_owned();
    }
    for part in [owner, repo]
        .into_iter()
        .chain(path.split('/').filter(|p| !p.is_empty()))
    {
        if !part_ok(part) {
            return Err(format!(
                "`{part}` in the repository path is not allowed (letters, digits, `-`, `_`, `.`; no `..`)"
            ));
        }
    }
    if let Some(r) = &reference
        && (r.is_empty() || r.contains(".."))
    {
        return Err(format!("`{r}` is not a usable git reference"));
    }
    Ok(FolderSource::Github(RepoFolder {
        owner: owner.to_owned(),
        repo: repo.to_owned(),
        reference,
        path,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_urls_and_refs_are_read() {
        let config = GithubConfig::default();
        let got = folder_source(
            "https://github.com/anthropics/skills",
            Some("anthropics/skills/superpowers/git"),
            &config,
        )
        .unwrap();
        let FolderSource::Github(folder) = got else {
            panic!("{got:?}")
        };
        assert_eq!(folder.path, "superpowers/git");
        assert_eq!(folder.source_ref(), "anthropics/skills/superpowers/git");
        assert_eq!(
            folder.archive_url(&config),
            "https://api.github.com/repos/anthropics/skills/tarball"
        );
        let tree = folder_source("https://github.com/o/r/tree/v1.2/a/b", None, &config).unwrap();
        let FolderSource::Github(tree) = tree else {
            panic!()
        };
        assert_eq!(
            (tree.reference.as_deref(), tree.path.as_str()),
            (Some("v1.2"), "a/b")
        );
        assert!(
            tree.archive_url(&config)
                .ends_with("/repos/o/r/tarball/v1.2")
        );
    }

    #[test]
    fn direct_urls_and_refusals() {
        let config = GithubConfig::default();
        assert!(matches!(
            folder_source("https://example.com/x/SKILL.md", None, &config),
            Ok(FolderSource::SkillMd(_))
        ));
        assert!(matches!(
            folder_source("https://example.com/x.tar.gz", None, &config),
            Ok(FolderSource::Archive(_, ArchiveKind::TarGz))
        ));
        for (url, r) in [
            ("https://github.com/o/r", Some("other/r/x")),
            ("https://github.com/o/r", Some("o/r/../../etc")),
            ("https://github.com/o", None),
            ("https://example.com/page", None),
            ("ftp://github.com/o/r", None),
        ] {
            assert!(folder_source(url, r, &config).is_err(), "{url} {r:?}");
        }
    }
}
