use super::*;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;

/// One entry of a test archive.
pub(crate) enum Item<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
    /// GitHub's first entry: a pax global header carrying the commit.
    PaxGlobal,
}

/// A `.tar.gz` of `items`. Names are written byte for byte into the
/// header, since the tar crate's builder refuses `..` and absolute
/// paths — which a hostile archive has.
pub(crate) fn tar_gz(items: &[Item]) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    for item in items {
        let mut header = tar::Header::new_ustar();
        header.set_mode(0o644);
        let (name, data): (&str, &[u8]) = match item {
            Item::File(name, data) => {
                header.set_entry_type(tar::EntryType::Regular);
                (name, data)
            }
            Item::Dir(name) => {
                header.set_entry_type(tar::EntryType::Directory);
                (name, b"")
            }
            Item::Symlink(name, target) | Item::HardLink(name, target) => {
                header.set_entry_type(if matches!(item, Item::Symlink(..)) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                });
                header.set_link_name_literal(target).unwrap();
                (name, b"")
            }
            Item::PaxGlobal => {
                header.set_entry_type(tar::EntryType::XGlobalHeader);
                (
                    "pax_global_header",
                    b"52 comment=1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d\n",
                )
            }
        };
        let slot = &mut header.as_old_mut().name;
        slot.fill(0);
        slot[..name.len()].copy_from_slice(name.as_bytes());
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// A `.zip` of `items` (no pax headers or hard links in a zip).
pub(crate) fn zip(items: &[Item]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for item in items {
        match item {
            Item::File(name, data) => {
                zip.start_file(*name, options).unwrap();
                zip.write_all(data).unwrap();
            }
            Item::Dir(name) => zip.add_directory(*name, options).unwrap(),
            Item::Symlink(name, target) => zip.add_symlink(*name, *target, options).unwrap(),
            Item::HardLink(..) | Item::PaxGlobal => unreachable!("not in a zip"),
        }
    }
    zip.finish().unwrap().into_inner()
}

/// A `.tar.gz` holding `path`: 200 MiB of zeros, compressed as it is
/// streamed so that the test neither holds nor writes it whole.
pub(crate) fn gzip_bomb(path: &str) -> Vec<u8> {
    const SIZE: u64 = 200 << 20;
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    let mut header = tar::Header::new_ustar();
    header.set_path(path).unwrap();
    header.set_mode(0o644);
    header.set_size(SIZE);
    header.set_cksum();
    gz.write_all(header.as_bytes()).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..SIZE >> 20 {
        gz.write_all(&zeros).unwrap();
    }
    // The end-of-archive marker: two zero blocks.
    gz.write_all(&[0; 1024]).unwrap();
    gz.finish().unwrap()
}

fn all(_: &str) -> Wanted {
    Wanted::Bytes { limit: 1 << 20 }
}

fn paths(files: &Files) -> Vec<&str> {
    files.files.keys().map(String::as_str).collect()
}

const TOP: &str = "octo-skills-1a2b3c4";

fn github() -> Vec<Item<'static>> {
    vec![
        Item::PaxGlobal,
        Item::Dir("octo-skills-1a2b3c4/"),
        Item::File("octo-skills-1a2b3c4/README.md", b"# repo"),
        Item::Dir("octo-skills-1a2b3c4/skills/a/"),
        Item::File("octo-skills-1a2b3c4/skills/a/SKILL.md", b"a"),
        Item::File("octo-skills-1a2b3c4/skills/a/references/r.md", b"r"),
        Item::File("octo-skills-1a2b3c4/skills/a/.hidden/x.md", b"h"),
        Item::File("octo-skills-1a2b3c4/skills/a/references/.DS_Store", b"d"),
        Item::Symlink("octo-skills-1a2b3c4/skills/a/alias.md", "references/r.md"),
        Item::File("octo-skills-1a2b3c4/skills/b/SKILL.md", b"b"),
    ]
}

#[test]
fn kinds_come_from_the_path_ending() {
    assert_eq!(
        ArchiveKind::from_path("/o/r/x.TAR.GZ"),
        Some(ArchiveKind::TarGz)
    );
    assert_eq!(ArchiveKind::from_path("x.tgz"), Some(ArchiveKind::TarGz));
    assert_eq!(
        ArchiveKind::from_path("/a/skill.Zip"),
        Some(ArchiveKind::Zip)
    );
    assert_eq!(ArchiveKind::from_path("/a/x.tar"), None);
    assert_eq!(ArchiveKind::from_path("/a/SKILL.md"), None);
}

#[test]
fn a_github_tarball_loses_its_top_folder_and_metadata() {
    let bytes = tar_gz(&github());
    let files = read(&bytes, ArchiveKind::TarGz, Some("skills/a"), all).unwrap();
    assert_eq!(files.top.as_deref(), Some(TOP));
    assert_eq!(
        paths(&files),
        [
            "README.md",
            "skills/a/SKILL.md",
            "skills/a/references/r.md",
            "skills/b/SKILL.md"
        ]
    );
    assert_eq!(files.files["skills/a/SKILL.md"].as_deref(), Some(&b"a"[..]));
    // Without a folder, hidden files are the caller's to judge.
    let files = read(&bytes, ArchiveKind::TarGz, None, all).unwrap();
    assert!(files.files.contains_key("skills/a/.hidden/x.md"));
}

#[test]
fn an_archive_without_one_top_folder_keeps_its_paths() {
    // The first entry proposes `references` as the top folder; SKILL.md
    // at the root disproves it, and the archive is read again.
    let items = [
        Item::File("./references/a.md", b"a"),
        Item::File("./SKILL.md", b"s"),
        Item::File(".DS_Store", b"d"),
    ];
    for bytes in [tar_gz(&items), zip(&items)] {
        let kind = if bytes.starts_with(b"PK") {
            ArchiveKind::Zip
        } else {
            ArchiveKind::TarGz
        };
        let files = read(&bytes, kind, Some(""), all).unwrap();
        assert_eq!(files.top, None);
        assert_eq!(paths(&files), ["SKILL.md", "references/a.md"]);
    }
}

#[test]
fn a_zip_of_a_folder_is_read_like_a_tarball() {
    let bytes = zip(&[
        Item::Dir("pdf/"),
        Item::File("pdf/SKILL.md", b"s"),
        Item::File("pdf/scripts/run.py", b"print()"),
        Item::File("__MACOSX/pdf/._SKILL.md", b"junk"),
    ]);
    let files = read(&bytes, ArchiveKind::Zip, Some(""), |path| {
        if path.starts_with("scripts/") {
            Wanted::Name
        } else {
            all(path)
        }
    })
    .unwrap();
    assert_eq!(files.top.as_deref(), Some("pdf"));
    assert_eq!(files.files["SKILL.md"].as_deref(), Some(&b"s"[..]));
    assert_eq!(files.files["scripts/run.py"], None);
}

#[test]
fn hostile_paths_refuse_the_whole_archive_by_name() {
    for (name, reason) in [
        ("../evil", "`..`"),
        ("top/a/../../evil", "`..`"),
        ("/etc/passwd", "absolute"),
        ("C:/Windows/evil", "drive"),
        ("top\\evil", "backslash"),
    ] {
        let items = [Item::File("top/SKILL.md", b"s"), Item::File(name, b"x")];
        for (kind, bytes) in [
            (ArchiveKind::TarGz, tar_gz(&items)),
            (ArchiveKind::Zip, zip(&items)),
        ] {
            // Even when the entry is outside the folder selected.
            let err = read(&bytes, kind, Some(""), |_| Wanted::Skip).unwrap_err();
            assert!(
                matches!(&err, ArchiveError::BadPath { path, .. } if path == name),
                "{name}: {err}"
            );
            assert!(err.to_string().contains(reason), "{name}: {err}");
        }
    }
}

#[test]
fn links_out_of_the_folder_are_refused_and_links_inside_skipped() {
    for (target, hard) in [
        ("../../../etc/passwd", false),
        ("../../b/SKILL.md", false),
        ("/etc/passwd", false),
        ("top/b/SKILL.md", true),
    ] {
        let link = if hard {
            Item::HardLink("top/a/references/x.md", target)
        } else {
            Item::Symlink("top/a/references/x.md", target)
        };
        let items = [Item::File("top/a/SKILL.md", b"s"), link];
        let bytes = tar_gz(&items);
        let err = read(&bytes, ArchiveKind::TarGz, Some("a"), all).expect_err(target);
        assert_eq!(
            err,
            ArchiveError::LinkOutside {
                path: "top/a/references/x.md".into(),
                target: target.into()
            }
        );
        assert!(err.to_string().contains("links outside the skill folder"));
        // The same link is no concern when another folder is read.
        read(&bytes, ArchiveKind::TarGz, Some("b"), all).unwrap();
        if !hard {
            let err = read(&zip(&items), ArchiveKind::Zip, Some("a"), all).unwrap_err();
            assert!(matches!(err, ArchiveError::LinkOutside { .. }), "{err}");
        }
    }
    let items = [
        Item::File("top/a/SKILL.md", b"s"),
        Item::Symlink("top/a/references/x.md", "../SKILL.md"),
        Item::HardLink("top/a/y.md", "top/a/SKILL.md"),
    ];
    let files = read(&tar_gz(&items), ArchiveKind::TarGz, Some("a"), all).unwrap();
    assert_eq!(paths(&files), ["a/SKILL.md"]);
    let files = read(&zip(&items[..2]), ArchiveKind::Zip, Some("a"), all).unwrap();
    assert_eq!(paths(&files), ["a/SKILL.md"]);
}

#[test]
fn a_gzip_bomb_stops_at_the_budget() {
    let bytes = gzip_bomb("top/big.bin");
    assert!(bytes.len() < 2 << 20, "{} bytes", bytes.len());
    let budget = Budget::default();
    let err = pass(
        &bytes,
        ArchiveKind::TarGz,
        Top::Open,
        Some(&[]),
        &mut |_: &str| Wanted::Skip,
        &budget,
    )
    .unwrap_err();
    assert_eq!(
        err,
        ArchiveError::TooLarge {
            limit: MAX_DECOMPRESSED_BYTES
        }
    );
    assert_eq!(budget.used.get(), MAX_DECOMPRESSED_BYTES + 1);
}

#[test]
fn a_file_over_its_limit_refuses_or_is_named() {
    let bytes = tar_gz(&[Item::File("top/SKILL.md", &[b'x'; 100])]);
    let err = read(&bytes, ArchiveKind::TarGz, None, |_| Wanted::Bytes {
        limit: 99,
    })
    .unwrap_err();
    assert_eq!(
        err,
        ArchiveError::FileTooLarge {
            path: "top/SKILL.md".into(),
            limit: 99
        }
    );
    let files = read(&bytes, ArchiveKind::TarGz, None, |_| Wanted::BytesIfFits {
        limit: 99,
    })
    .unwrap();
    assert_eq!(files.files["SKILL.md"], None);
    let files = read(&bytes, ArchiveKind::TarGz, None, |_| Wanted::Bytes {
        limit: 100,
    })
    .unwrap();
    assert_eq!(files.files["SKILL.md"].as_ref().map(Vec::len), Some(100));
}

#[test]
fn too_many_entries_and_garbage_are_refused() {
    let names: Vec<String> = (0..=MAX_ENTRIES).map(|i| format!("top/{i}")).collect();
    let items: Vec<Item> = names.iter().map(|n| Item::File(n, b"")).collect();
    assert_eq!(
        read(&tar_gz(&items), ArchiveKind::TarGz, None, all).unwrap_err(),
        ArchiveError::TooManyEntries { limit: MAX_ENTRIES }
    );
    for kind in [ArchiveKind::TarGz, ArchiveKind::Zip] {
        let err = read(b"<html>Not found</html>", kind, None, all).unwrap_err();
        assert!(matches!(err, ArchiveError::Unreadable { .. }), "{err}");
    }
}
