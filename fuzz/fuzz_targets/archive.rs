//! A SKILL.md folder's archive (tar.gz or zip bytes, as fetched from GitHub
//! or a direct URL): `skill_md::from_archive` (an install of one folder),
//! `skill_md::list_archive` (listing the skills in it), both on
//! `sources::archive::read`.
//!
//! The first byte picks the kind and the call: bits 0-1: 0 tar.gz as
//! given, 1 a plain tar the harness gzips (so the fuzzer reaches the tar
//! reader), 2 zip, 3 a plain tar gzipped, read with folder `skill`;
//! bit 2: list instead of install.
#![no_main]
use flate2::{Compression, write::GzEncoder};
use libfuzzer_sys::fuzz_target;
use skillhost::sources::archive::ArchiveKind;
use skillhost::sources::skill_md;
use std::io::Write;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).expect("writes to a Vec");
    encoder.finish().expect("writes to a Vec")
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (bytes, kind, folder) = match mode & 3 {
        0 => (rest.to_vec(), ArchiveKind::TarGz, ""),
        1 => (gzip(rest), ArchiveKind::TarGz, ""),
        2 => (rest.to_vec(), ArchiveKind::Zip, ""),
        _ => (gzip(rest), ArchiveKind::TarGz, "skill"),
    };
    if mode & 4 != 0 {
        let _ = skill_md::list_archive(&bytes, kind);
    } else {
        let _ = skill_md::from_archive(&bytes, kind, folder);
    }
});
