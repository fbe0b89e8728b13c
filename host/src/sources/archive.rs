//! Reading untrusted `.tar.gz` and `.zip` archives of skill folders, held in
//! memory, within limits: every entry's path is checked, the one top folder
//! most archives have (GitHub's `owner-repo-sha/`) is stripped, and only
//! the files the caller selects are read.
//!
//! Nothing is written to disk and no link is ever followed: a symlink or
//! hard link inside the skill folder is skipped, and one leading out of it
//! refuses the archive, since a folder that reaches outside itself is
//! either broken or hostile.
use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{self, Cursor, Read};

/// Most entries looked at, metadata included. A skill folder has tens of
/// files and a large repository a few thousand; past this the archive is
/// not a skill's, and reading on is work for nothing.
pub const MAX_ENTRIES: usize = 20_000;

/// Most bytes decompressed in one reading, counted as they come out of the
/// decompressor. The documents kept are at most 1 MiB
/// ([`crate::docs::MAX_TOTAL_BYTES`]), but a tar stream has to be inflated
/// through every file to reach the next header, so a whole repository's
/// worth is allowed; a gzip bomb stops here rather than at its end.
pub const MAX_DECOMPRESSED_BYTES: u64 = 64 << 20;

/// Longest symlink target read from a zip, where the target is the entry's
/// content: Linux's `PATH_MAX`.
const MAX_LINK_BYTES: usize = 4096;

/// Unix file-type bits in a zip entry's mode.
const S_IFMT: u32 = 0o170_000;
const S_IFLNK: u32 = 0o120_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;

/// The archive formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArchiveKind {
    /// A gzip-compressed tar (`.tar.gz`, `.tgz`), as GitHub serves a
    /// repository.
    TarGz,
    /// A zip (`.zip`), deflated or stored.
    Zip,
}

impl ArchiveKind {
    /// The format a path (a URL's path, a file name) names by its ending,
    /// in any case.
    pub fn from_path(path: &str) -> Option<ArchiveKind> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
            Some(ArchiveKind::TarGz)
        } else if lower.ends_with(".zip") {
            Some(ArchiveKind::Zip)
        } else {
            None
        }
    }

    /// The format's usual name, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveKind::TarGz => ".tar.gz",
            ArchiveKind::Zip => ".zip",
        }
    }
}

/// What the caller wants of one regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// Nothing.
    Skip,
    /// Its path only: the file is never decompressed.
    Name,
    /// Its bytes; a file over `limit` bytes refuses the archive.
    Bytes {
        /// The most bytes it may have.
        limit: usize,
    },
    /// Its bytes when it has at most `limit`; a larger file is kept by
    /// name only.
    BytesIfFits {
        /// The most bytes read.
        limit: usize,
    },
}

/// The files selected from an archive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files {
    /// The top folder every entry sat under, stripped from the paths.
    pub top: Option<String>,
    /// Path (relative to the archive's root once the top folder is
    /// stripped) → bytes, `None` when only the name was wanted (or the file
    /// did not fit). In path order; a path the archive holds twice keeps
    /// its last entry, as `tar` does when extracting.
    pub files: BTreeMap<String, Option<Vec<u8>>>,
}

/// Why an archive cannot be read. Each message names the entry and what to
/// change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    /// The bytes are not an archive of the kind, or are damaged.
    #[error(
        "the download is not a readable {format} archive ({message}); check that the URL serves the archive itself"
    )]
    Unreadable {
        /// `.tar.gz` or `.zip`.
        format: &'static str,
        /// The decoder's reason.
        message: String,
    },
    /// One entry cannot be read (a zip's encryption or compression method).
    #[error(
        "`{path}` in the archive cannot be read ({message}); it may be damaged, encrypted, or compressed other than with deflate: make the archive again, unencrypted, with deflate"
    )]
    Entry {
        /// The entry's path as the archive writes it.
        path: String,
        /// The decoder's reason.
        message: String,
    },
    /// More entries than [`MAX_ENTRIES`].
    #[error(
        "the archive has more than {limit} entries; use an archive of the skill folder, or of a smaller repository"
    )]
    TooManyEntries {
        /// The limit.
        limit: usize,
    },
    /// More decompressed bytes than [`MAX_DECOMPRESSED_BYTES`].
    #[error(
        "the archive decompresses to more than {limit} bytes (reading stopped there); use an archive of the skill folder alone"
    )]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// A selected file over the size it may have.
    #[error("`{path}` in the archive is larger than {limit} bytes, the most it may have")]
    FileTooLarge {
        /// The entry's path as the archive writes it.
        path: String,
        /// The limit.
        limit: usize,
    },
    /// An entry's path that could land outside wherever it is unpacked.
    #[error("the archive entry `{path}` {reason}, so the whole archive is refused")]
    BadPath {
        /// The entry's path as the archive writes it.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A symlink or hard link in the skill folder leading out of it.
    #[error(
        "the archive entry `{path}` links to `{target}`: links outside the skill folder are refused; put the file itself in the folder"
    )]
    LinkOutside {
        /// The link's path as the archive writes it.
        path: String,
        /// Where it leads, as written.
        target: String,
    },
}

/// Reads the files `select` wants from an archive.
///
/// Every entry's path is checked first: an absolute path, a Windows drive,
/// a backslash, a NUL or a `..` component refuses the whole archive.
/// Directories, pax and GNU metadata entries, devices and sparse files are
/// skipped, as are hidden files at the archive's root and macOS's
/// `__MACOSX/` folder. When every other entry sits under one top folder, it
/// is stripped from the paths.
///
/// `folder` is the skill folder, relative to the stripped root (`""` for
/// the root). Inside it, hidden files and folders (a part starting with
/// `.`) are skipped, and a link is skipped unless it leads outside the
/// folder, which refuses the archive; the folder's own path may be hidden
/// (`.claude/skills/pdf`). Outside it, and everywhere when `folder` is
/// `None`, nothing more is skipped and links are ignored.
///
/// `select` is asked about each regular file that is left, by its path
/// relative to the stripped root. A streamed tar's top folder is known only
/// at its end, so the archive is read a second time (and `select` asked
/// again) when an entry outside the folder first taken for the top turns
/// up; each reading has its own [`MAX_DECOMPRESSED_BYTES`].
pub fn read(
    bytes: &[u8],
    kind: ArchiveKind,
    folder: Option<&str>,
    mut select: impl FnMut(&str) -> Wanted,
) -> Result<Files, ArchiveError> {
    let folder: Option<Vec<&str>> = folder.map(|f| {
        f.split('/')
            .filter(|part| !part.is_empty() && *part != ".")
            .collect()
    });
    let folder = folder.as_deref();
    let budget = Budget::default();
    if let Some(files) = pass(bytes, kind, Top::Open, folder, &mut select, &budget)? {
        return Ok(files);
    }
    let budget = Budget::default();
    let files = pass(bytes, kind, Top::Keep, folder, &mut select, &budget)?;
    Ok(files.expect("a reading that keeps the top folder never starts over"))
}

/// One reading of the archive; `None` when the top folder guessed from the
/// first entry turned out wrong.
fn pass<S: FnMut(&str) -> Wanted>(
    bytes: &[u8],
    kind: ArchiveKind,
    top: Top,
    folder: Option<&[&str]>,
    select: &mut S,
    budget: &Budget,
) -> Result<Option<Files>, ArchiveError> {
    let mut state = Pass {
        top,
        folder,
        select,
        files: BTreeMap::new(),
    };
    let complete = match kind {
        ArchiveKind::TarGz => tar_pass(bytes, &mut state, budget)?,
        ArchiveKind::Zip => zip_pass(bytes, &mut state, budget)?,
    };
    Ok(complete.then_some(Files {
        top: match state.top {
            Top::Strip(top) => Some(top),
            Top::Open | Top::Keep => None,
        },
        files: state.files,
    }))
}

fn tar_pass<S: FnMut(&str) -> Wanted>(
    bytes: &[u8],
    state: &mut Pass<'_, S>,
    budget: &Budget,
) -> Result<bool, ArchiveError> {
    let failed = |e: io::Error| budget.error(e, ArchiveKind::TarGz);
    let inflated = Counted {
        inner: flate2::read::GzDecoder::new(bytes),
        budget,
    };
    let mut archive = tar::Archive::new(inflated);
    for (index, entry) in archive.entries().map_err(failed)?.enumerate() {
        if index >= MAX_ENTRIES {
            return Err(ArchiveError::TooManyEntries { limit: MAX_ENTRIES });
        }
        let mut entry = entry.map_err(failed)?;
        let raw = utf8_path(&entry.path_bytes())?;
        let kind = entry.header().entry_type();
        let link = || {
            let target = entry.link_name_bytes().unwrap_or_default();
            String::from_utf8_lossy(&target).into_owned()
        };
        let kind = if kind.is_file() || kind.is_contiguous() {
            Kind::File
        } else if kind.is_dir() {
            Kind::Dir
        } else if kind.is_symlink() {
            Kind::Symlink(link())
        } else if kind.is_hard_link() {
            Kind::HardLink(link())
        } else if kind.is_pax_global_extensions()
            || kind.is_pax_local_extensions()
            || kind.is_gnu_longname()
            || kind.is_gnu_longlink()
        {
            Kind::Meta
        } else {
            // Devices, FIFOs, and GNU sparse files, whose holes the tar
            // crate fills without reading anything (so no budget counts
            // them): none belongs in a skill.
            Kind::Special
        };
        match state.place(&raw, &kind)? {
            Step::Next => {}
            Step::Restart => return Ok(false),
            Step::Read { path, limit, fits } => {
                let data = read_limited(&mut entry, limit).map_err(failed)?;
                state.keep(&raw, path, data, limit, fits)?;
            }
        }
    }
    Ok(true)
}

fn zip_pass<S: FnMut(&str) -> Wanted>(
    bytes: &[u8],
    state: &mut Pass<'_, S>,
    budget: &Budget,
) -> Result<bool, ArchiveError> {
    let unreadable = |e: zip::result::ZipError| ArchiveError::Unreadable {
        format: ArchiveKind::Zip.as_str(),
        message: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    if archive.len() > MAX_ENTRIES {
        return Err(ArchiveError::TooManyEntries { limit: MAX_ENTRIES });
    }
    for index in 0..archive.len() {
        let (raw, mode, dir) = {
            let entry = archive.by_index_data(index).map_err(unreadable)?;
            // The name as written (CP437 or UTF-8), not `enclosed_name`,
            // which drops `..` and leading `/` instead of reporting them.
            let raw = entry.name().map_err(unreadable)?.into_owned();
            (raw, entry.unix_mode(), entry.is_dir())
        };
        let mut open = |limit: usize| -> Result<Option<Vec<u8>>, ArchiveError> {
            let failed = |e: &dyn std::fmt::Display| {
                if budget.passed() {
                    ArchiveError::TooLarge {
                        limit: MAX_DECOMPRESSED_BYTES,
                    }
                } else {
                    ArchiveError::Entry {
                        path: raw.clone(),
                        message: e.to_string(),
                    }
                }
            };
            let file = archive.by_index(index).map_err(|e| failed(&e))?;
            let mut file = Counted {
                inner: file,
                budget,
            };
            read_limited(&mut file, limit).map_err(|e| failed(&e))
        };
        let kind = match mode.map(|m| m & S_IFMT) {
            Some(S_IFLNK) => {
                let target = open(MAX_LINK_BYTES)?.unwrap_or_default();
                Kind::Symlink(String::from_utf8_lossy(&target).into_owned())
            }
            Some(S_IFDIR) => Kind::Dir,
            _ if dir => Kind::Dir,
            Some(0 | S_IFREG) | None => Kind::File,
            Some(_) => Kind::Special,
        };
        match state.place(&raw, &kind)? {
            Step::Next => {}
            Step::Restart => return Ok(false),
            Step::Read { path, limit, fits } => {
                let data = open(limit)?;
                state.keep(&raw, path, data, limit, fits)?;
            }
        }
    }
    Ok(true)
}

/// An entry as the formats have it in common.
enum Kind {
    File,
    Dir,
    /// With its target, relative to the link's folder.
    Symlink(String),
    /// With its target, relative to the archive's root.
    HardLink(String),
    /// Pax and GNU headers: their names are not paths.
    Meta,
    Special,
}

/// The top folder, as far as it is known.
enum Top {
    /// Nothing seen yet: the first entry under a folder proposes it.
    Open,
    /// Stripped so far.
    Strip(String),
    /// None is stripped.
    Keep,
}

/// What to do after an entry is placed.
enum Step {
    Next,
    /// The guessed top folder is wrong; read again keeping it.
    Restart,
    /// Read the file's bytes (at most `limit`) and keep them under `path`.
    Read {
        path: String,
        limit: usize,
        fits: bool,
    },
}

struct Pass<'a, S> {
    top: Top,
    folder: Option<&'a [&'a str]>,
    select: &'a mut S,
    files: BTreeMap<String, Option<Vec<u8>>>,
}

impl<S: FnMut(&str) -> Wanted> Pass<'_, S> {
    fn place(&mut self, raw: &str, kind: &Kind) -> Result<Step, ArchiveError> {
        if matches!(kind, Kind::Meta) {
            return Ok(Step::Next);
        }
        let parts = parts(raw)?;
        let is_dir = matches!(kind, Kind::Dir);
        let Some(&first) = parts.first() else {
            return Ok(Step::Next);
        };
        // Finder's resource forks and root `.DS_Store`s ride along in
        // hand-made archives; counting them would hide the top folder.
        if first == "__MACOSX" || (parts.len() == 1 && !is_dir && first.starts_with('.')) {
            return Ok(Step::Next);
        }
        let under_folder = parts.len() > 1 || is_dir;
        let skip = match &self.top {
            Top::Open if under_folder => {
                self.top = Top::Strip(first.to_owned());
                1
            }
            Top::Open => {
                self.top = Top::Keep;
                0
            }
            Top::Strip(top) if first == top && under_folder => 1,
            Top::Strip(_) => return Ok(Step::Restart),
            Top::Keep => 0,
        };
        let rel = &parts[skip..];
        if rel.is_empty() || matches!(kind, Kind::Dir | Kind::Special) {
            return Ok(Step::Next);
        }
        let folder = self
            .folder
            .filter(|f| rel.len() > f.len() && rel.starts_with(f));
        if let Some(f) = folder
            && rel[f.len()..].iter().any(|part| part.starts_with('.'))
        {
            return Ok(Step::Next);
        }
        let outside = |target: &str| ArchiveError::LinkOutside {
            path: raw.to_owned(),
            target: target.to_owned(),
        };
        match kind {
            Kind::Symlink(target) => {
                if let Some(f) = folder
                    && !symlink_stays(&rel[..rel.len() - 1], f, target)
                {
                    return Err(outside(target));
                }
                Ok(Step::Next)
            }
            Kind::HardLink(target) => {
                if let Some(f) = folder
                    && !self.hard_link_stays(f, target)
                {
                    return Err(outside(target));
                }
                Ok(Step::Next)
            }
            Kind::File => {
                let path = rel.join("/");
                match (self.select)(&path) {
                    Wanted::Skip => {}
                    Wanted::Name => {
                        self.files.insert(path, None);
                    }
                    Wanted::Bytes { limit } => {
                        return Ok(Step::Read {
                            path,
                            limit,
                            fits: false,
                        });
                    }
                    Wanted::BytesIfFits { limit } => {
                        return Ok(Step::Read {
                            path,
                            limit,
                            fits: true,
                        });
                    }
                }
                Ok(Step::Next)
            }
            Kind::Dir | Kind::Special | Kind::Meta => Ok(Step::Next),
        }
    }

    /// Keeps a file read for [`Step::Read`]; `data` is `None` when it had
    /// more than `limit` bytes.
    fn keep(
        &mut self,
        raw: &str,
        path: String,
        data: Option<Vec<u8>>,
        limit: usize,
        fits: bool,
    ) -> Result<(), ArchiveError> {
        if data.is_none() && !fits {
            return Err(ArchiveError::FileTooLarge {
                path: raw.to_owned(),
                limit,
            });
        }
        self.files.insert(path, data);
        Ok(())
    }

    /// Whether a hard link's target — a path from the archive's root, top
    /// folder included — lies inside `folder`.
    fn hard_link_stays(&self, folder: &[&str], target: &str) -> bool {
        let Ok(parts) = parts(target) else {
            return false;
        };
        let rel = match &self.top {
            Top::Strip(top) if parts.first() == Some(&top.as_str()) => &parts[1..],
            Top::Strip(_) => return false,
            Top::Open | Top::Keep => &parts[..],
        };
        rel.len() > folder.len() && rel.starts_with(folder)
    }
}

/// Whether a symlink in `dir` (relative to the stripped root) pointing at
/// `target` stays inside `folder`, resolved by name only: links are never
/// followed, so this only decides whether the archive is refused.
fn symlink_stays(dir: &[&str], folder: &[&str], target: &str) -> bool {
    if target.starts_with('/') || target.contains(['\\', '\0']) || has_drive(target) {
        return false;
    }
    let mut at: Vec<&str> = dir.to_vec();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if at.len() <= folder.len() {
                    return false;
                }
                at.pop();
            }
            part => at.push(part),
        }
    }
    true
}

/// An entry's path checked and split into its parts, `.` and empty parts
/// dropped (`./a//b/` is `a`, `b`).
fn parts(raw: &str) -> Result<Vec<&str>, ArchiveError> {
    let refuse = |reason| {
        Err(ArchiveError::BadPath {
            path: raw.to_owned(),
            reason,
        })
    };
    if raw.starts_with('/') {
        return refuse("is an absolute path");
    }
    if has_drive(raw) {
        return refuse("names a Windows drive");
    }
    if raw.contains('\\') {
        return refuse("has a backslash (archives separate folders with `/`)");
    }
    if raw.contains('\0') {
        return refuse("has a NUL character");
    }
    let parts: Vec<&str> = raw
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    if parts.contains(&"..") {
        return refuse("has a `..` part, which leads out of the folder it is unpacked in");
    }
    Ok(parts)
}

/// `C:`, `c:/…`: a path Windows reads from a drive's root or current folder.
fn has_drive(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

fn utf8_path(bytes: &[u8]) -> Result<String, ArchiveError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| ArchiveError::BadPath {
        path: String::from_utf8_lossy(bytes).into_owned(),
        reason: "is not UTF-8",
    })
}

/// Reads at most `limit` bytes; `None` when there are more. Reads one byte
/// past the limit to tell, whatever size the header claims.
fn read_limited(data: &mut dyn Read, limit: usize) -> io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    data.take(cap).read_to_end(&mut out)?;
    Ok((out.len() <= limit).then_some(out))
}

/// Decompressed bytes counted against [`MAX_DECOMPRESSED_BYTES`].
#[derive(Default)]
struct Budget {
    used: Cell<u64>,
}

impl Budget {
    fn passed(&self) -> bool {
        self.used.get() > MAX_DECOMPRESSED_BYTES
    }

    /// The error for a failed read: the budget, when it is what stopped it.
    fn error(&self, error: io::Error, kind: ArchiveKind) -> ArchiveError {
        if self.passed() {
            ArchiveError::TooLarge {
                limit: MAX_DECOMPRESSED_BYTES,
            }
        } else {
            ArchiveError::Unreadable {
                format: kind.as_str(),
                message: error.to_string(),
            }
        }
    }
}

/// A decompressing reader whose output is counted, failing as soon as the
/// count passes the budget.
struct Counted<'b, R> {
    inner: R,
    budget: &'b Budget,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Asking for at most one byte past what is left keeps the
        // decompressor from inflating more than that.
        let left = MAX_DECOMPRESSED_BYTES.saturating_sub(self.budget.used.get());
        let ask = usize::try_from(left.saturating_add(1)).map_or(buf.len(), |n| n.min(buf.len()));
        let n = self.inner.read(&mut buf[..ask])?;
        self.budget
            .used
            .set(self.budget.used.get().saturating_add(n as u64));
        if self.budget.passed() {
            return Err(io::Error::other("the decompressed size limit is passed"));
        }
        Ok(n)
    }
}

/// Archive builders for this module's tests and `skill_md`'s.
#[cfg(test)]
pub(crate) mod tests;
