use super::*;
use crate::sources::archive::tests::{Item, gzip_bomb, tar_gz, zip};

fn skill_md(name: &str, description: &str) -> String {
    format!("---\nname: {name}\ndescription: {description}\n---\n\n# {name}\n\nDo it.\n")
}

fn rule_of(err: BundleError) -> &'static str {
    match err {
        BundleError::Rule { rule, .. } => rule,
        other => panic!("not a rule: {other}"),
    }
}

#[test]
fn a_lone_skill_md_is_a_bundle() {
    let text = "---\nname: pdf\ndescription: >\n  Fills PDF forms.\n  Use for PDFs.\nlicense: Apache-2.0\ncompatibility: needs python3\nmetadata:\n  version: 1.2\n  beta: true\n  author: me\n  nested: {a: 1}\nallowed-tools: Read Bash(git add:*), Grep\nx-vendor: ignored\n---\nBody\n";
    let bundle = from_skill_md(text).unwrap();
    let fm = &bundle.frontmatter;
    assert_eq!(fm.name, "pdf");
    assert_eq!(fm.description, "Fills PDF forms. Use for PDFs.");
    assert_eq!(fm.license.as_deref(), Some("Apache-2.0"));
    assert_eq!(fm.compatibility.as_deref(), Some("needs python3"));
    assert_eq!(
        fm.metadata,
        BTreeMap::from([
            ("author".to_owned(), "me".to_owned()),
            ("beta".to_owned(), "true".to_owned()),
            ("version".to_owned(), "1.2".to_owned()),
        ])
    );
    assert_eq!(fm.allowed_tools, ["Read", "Bash(git add:*)", "Grep"]);
    assert_eq!(bundle.docs.instructions(), Some("Body"));
    assert!(bundle.assets.is_empty());
    let list_form =
        from_skill_md("---\nname: t\ndescription: d\nallowed-tools: [Read, Write]\n---\n").unwrap();
    assert_eq!(list_form.frontmatter.allowed_tools, ["Read", "Write"]);
    // The form stored in a skill's detail round-trips, but for the
    // contents, which go to the store instead.
    let json = serde_json::to_string(&bundle).unwrap();
    let stored = Bundle {
        contents: Vec::new(),
        ..bundle.clone()
    };
    assert_eq!(serde_json::from_str::<Bundle>(&json).unwrap(), stored);
}

#[test]
fn names_breaking_the_rule_are_refused_naming_it() {
    for name in [
        "My_Skill",
        "Pdf",
        "-pdf",
        "pdf-",
        "pdf--forms",
        &"a".repeat(65),
        "\"\"",
    ] {
        let err = from_skill_md(&skill_md(name, "d")).unwrap_err();
        let message = err.to_string();
        assert_eq!(rule_of(err), "name", "{name}");
        assert!(message.contains("breaks the name rule"), "{message}");
    }
    assert!(
        from_skill_md(&skill_md("My_Skill", "d"))
            .unwrap_err()
            .to_string()
            .contains("`My_Skill`")
    );
    from_skill_md(&skill_md(&"a".repeat(64), "d")).unwrap();
    from_skill_md(&skill_md("pdf-forms-2", "d")).unwrap();
    let missing = from_skill_md("---\ndescription: d\n---\n").unwrap_err();
    assert_eq!(rule_of(missing), "name");
}

#[test]
fn descriptions_are_required_and_bounded() {
    let err = from_skill_md("---\nname: t\n---\nBody\n").unwrap_err();
    assert!(err.to_string().contains("no `description`"), "{err}");
    assert_eq!(rule_of(err), "description");
    assert_eq!(
        rule_of(from_skill_md("---\nname: t\ndescription: \"  \"\n---\n").unwrap_err()),
        "description"
    );
    let err = from_skill_md(&skill_md("t", &"d".repeat(1025))).unwrap_err();
    assert!(err.to_string().contains("1025 characters"), "{err}");
    assert_eq!(rule_of(err), "description");
    from_skill_md(&skill_md("t", &"é".repeat(1024))).unwrap();
    let long = format!(
        "---\nname: t\ndescription: d\ncompatibility: {}\n---\n",
        "c".repeat(501)
    );
    assert_eq!(rule_of(from_skill_md(&long).unwrap_err()), "compatibility");
}

#[test]
fn a_skill_md_without_frontmatter_says_how_to_start_one() {
    let err = from_skill_md("# Just a body\n").unwrap_err();
    assert_eq!(err, BundleError::NoFrontmatter);
    assert!(err.to_string().contains("start it with a `---` line"));
    assert!(matches!(
        from_skill_md("---\nname: t\n"),
        Err(BundleError::Docs(DocsError::Frontmatter))
    ));
    assert!(matches!(
        from_skill_md("---\n- a\n- b\n---\n"),
        Err(BundleError::Yaml(_))
    ));
    assert!(matches!(
        from_skill_md("---\nname: [unclosed\n---\n"),
        Err(BundleError::Yaml(_))
    ));
    let bomb = format!(
        "---\nname: t\ndescription: d\n{}---\n",
        crate::untrusted::tests::alias_bomb(10, 8)
    );
    let err = from_skill_md(&bomb).unwrap_err();
    assert!(
        err.to_string()
            .contains("its aliases (`*name`) expand it to more than"),
        "{err}"
    );
}

fn github() -> Vec<u8> {
    let a = skill_md("a", "Does a.");
    let b = skill_md("b", "Does b.");
    tar_gz(&[
        Item::PaxGlobal,
        Item::Dir("octo-skills-1a2b3c4/"),
        Item::File("octo-skills-1a2b3c4/README.md", b"# The repository"),
        Item::File("octo-skills-1a2b3c4/skills/a/SKILL.md", a.as_bytes()),
        Item::File("octo-skills-1a2b3c4/skills/a/FORMS.md", b"forms"),
        Item::File("octo-skills-1a2b3c4/skills/a/LICENSE.txt", b"text"),
        Item::File("octo-skills-1a2b3c4/skills/a/references/guide.md", b"guide"),
        Item::File("octo-skills-1a2b3c4/skills/a/references/.DS_Store", b"\xff"),
        Item::File("octo-skills-1a2b3c4/skills/a/scripts/fill.py", b"\xff\x00"),
        Item::File(
            "octo-skills-1a2b3c4/skills/a/assets/logo.png",
            b"\x89PNG\xff",
        ),
        Item::File("octo-skills-1a2b3c4/skills/b/SKILL.md", b.as_bytes()),
        Item::File("octo-skills-1a2b3c4/skills/bad/SKILL.md", b"no frontmatter"),
    ])
}

#[test]
fn one_skill_is_selected_from_a_github_tarball() {
    let bytes = github();
    let bundle = from_archive(&bytes, ArchiveKind::TarGz, "/skills/a/").unwrap();
    assert_eq!(bundle.frontmatter.name, "a");
    assert_eq!(bundle.frontmatter.description, "Does a.");
    assert_eq!(
        bundle.docs.references.keys().collect::<Vec<_>>(),
        ["FORMS.md", "references/guide.md"]
    );
    assert_eq!(bundle.docs.scripts, ["scripts/fill.py"]);
    assert_eq!(bundle.assets, ["assets/logo.png"]);
    assert_eq!(bundle.docs.instructions(), Some("# a\n\nDo it."));
    let b = from_archive(&bytes, ArchiveKind::TarGz, "skills/b").unwrap();
    assert_eq!(b.frontmatter.name, "b");
    assert!(b.docs.references.is_empty());
}

#[test]
fn a_folder_without_skill_md_points_at_those_with_one() {
    let err = from_archive(&github(), ArchiveKind::TarGz, "skills").unwrap_err();
    assert_eq!(
        err,
        BundleError::NoSkillMd {
            folder: "skills".into(),
            found: vec!["skills/a".into(), "skills/b".into(), "skills/bad".into()],
        }
    );
    assert!(err.to_string().contains("`skills/a`, `skills/b`"), "{err}");
    let err = from_archive(&github(), ArchiveKind::TarGz, "").unwrap_err();
    assert!(err.to_string().contains("at the root"), "{err}");
    assert!(matches!(
        from_archive(&github(), ArchiveKind::TarGz, "skills/../a"),
        Err(BundleError::Folder(_))
    ));
}

#[test]
fn the_name_must_be_the_folders() {
    let text = skill_md("other", "d");
    let bytes = tar_gz(&[Item::File("top/skills/a/SKILL.md", text.as_bytes())]);
    let err = from_archive(&bytes, ArchiveKind::TarGz, "skills/a").unwrap_err();
    assert!(err.to_string().contains("folder's name `a`"), "{err}");
    assert_eq!(rule_of(err), "name-folder");
    // At the root the stripped folder's name says nothing.
    let bytes = tar_gz(&[Item::File("owner-repo-1a2b3c4/SKILL.md", text.as_bytes())]);
    let bundle = from_archive(&bytes, ArchiveKind::TarGz, "").unwrap();
    assert_eq!(bundle.frontmatter.name, "other");
}

#[test]
fn a_zip_of_a_folder_is_a_bundle() {
    let text = skill_md("pdf", "Fills forms.");
    let bytes = zip(&[
        Item::Dir("pdf/"),
        Item::File("pdf/SKILL.md", text.as_bytes()),
        Item::File("pdf/references/fields.md", b"fields"),
        Item::File("pdf/scripts/fill.py", b"print()"),
        Item::File("__MACOSX/pdf/._SKILL.md", b"\x00\x05"),
    ]);
    let bundle = from_archive(&bytes, ArchiveKind::Zip, "").unwrap();
    assert_eq!(bundle.frontmatter.name, "pdf");
    assert_eq!(
        bundle.docs.reference("fields.md"),
        Some(("references/fields.md", "fields"))
    );
    assert_eq!(bundle.docs.scripts, ["scripts/fill.py"]);
}

#[test]
fn binary_references_and_oversized_files_are_refused() {
    let text = skill_md("a", "d");
    let bytes = tar_gz(&[
        Item::File("top/SKILL.md", text.as_bytes()),
        Item::File("top/references/logo.png", b"\x89PNG\xff"),
    ]);
    assert_eq!(
        from_archive(&bytes, ArchiveKind::TarGz, "").unwrap_err(),
        BundleError::Docs(DocsError::NotText("references/logo.png".into()))
    );
    let big = format!("{text}{}", "x".repeat(docs::MAX_SKILL_MD_BYTES));
    let bytes = tar_gz(&[Item::File("top/SKILL.md", big.as_bytes())]);
    assert!(matches!(
        from_archive(&bytes, ArchiveKind::TarGz, ""),
        Err(BundleError::Archive(ArchiveError::FileTooLarge { .. }))
    ));
}

#[test]
fn hostile_archives_are_refused() {
    let text = skill_md("a", "d");
    // Zip has no hard links.
    for (evil, in_zip) in [
        (Item::File("../evil", b"x"), true),
        (Item::File("/etc/passwd", b"x"), true),
        (
            Item::Symlink("top/a/references/x.md", "../../../etc/passwd"),
            true,
        ),
        (
            Item::HardLink("top/a/references/x.md", "/etc/passwd"),
            false,
        ),
    ] {
        let name = match &evil {
            Item::File(name, _) | Item::Symlink(name, _) | Item::HardLink(name, _) => *name,
            _ => unreachable!(),
        };
        let items = [Item::File("top/a/SKILL.md", text.as_bytes()), evil];
        let mut archives = vec![(ArchiveKind::TarGz, tar_gz(&items))];
        if in_zip {
            archives.push((ArchiveKind::Zip, zip(&items)));
        }
        for (kind, bytes) in archives {
            let err = from_archive(&bytes, kind, "a").unwrap_err();
            assert!(
                matches!(
                    &err,
                    BundleError::Archive(
                        ArchiveError::BadPath { path, .. }
                            | ArchiveError::LinkOutside { path, .. }
                    ) if path == name
                ),
                "{kind:?} {name}: {err}"
            );
        }
    }
}

#[test]
fn a_gzip_bomb_is_refused_by_the_byte_limit() {
    let bytes = gzip_bomb("top/a/assets/big.bin");
    assert!(matches!(
        from_archive(&bytes, ArchiveKind::TarGz, "a"),
        Err(BundleError::Archive(ArchiveError::TooLarge { .. }))
    ));
}

#[test]
fn an_archive_lists_its_valid_skills_in_path_order() {
    let listed = list_archive(&github(), ArchiveKind::TarGz).unwrap();
    let names: Vec<(&str, &str)> = listed
        .iter()
        .map(|(folder, fm)| (folder.as_str(), fm.name.as_str()))
        .collect();
    assert_eq!(names, [("skills/a", "a"), ("skills/b", "b")]);

    let c = skill_md("c", "d");
    let ab = skill_md("a-b", "d");
    let wrong = skill_md("wrong", "d");
    let bytes = zip(&[
        Item::File("repo/.claude/skills/c/SKILL.md", c.as_bytes()),
        Item::File("repo/a-b/SKILL.md", ab.as_bytes()),
        Item::File("repo/a/SKILL.md", skill_md("a", "d").as_bytes()),
        Item::File("repo/x/SKILL.md", wrong.as_bytes()),
        Item::File("repo/y/SKILL.md", b"\xff\xfe"),
    ]);
    let listed = list_archive(&bytes, ArchiveKind::Zip).unwrap();
    let folders: Vec<&str> = listed.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(folders, [".claude/skills/c", "a", "a-b"]);
    assert!(
        list_archive(b"not an archive", ArchiveKind::Zip).is_err(),
        "garbage is an error, not an empty list"
    );
}

#[test]
fn every_file_but_hidden_ones_is_kept_with_its_digest() {
    let bundle = from_archive(&github(), ArchiveKind::TarGz, "skills/a").unwrap();
    let mut files: Vec<(&str, u64)> = bundle
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.size))
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            ("FORMS.md", 5),
            ("LICENSE.txt", 4),
            ("SKILL.md", skill_md("a", "Does a.").len() as u64),
            ("assets/logo.png", 5),
            ("references/guide.md", 5),
            ("scripts/fill.py", 2),
        ]
    );
    let script = bundle
        .files
        .iter()
        .find(|f| f.path == "scripts/fill.py")
        .unwrap();
    assert_eq!(
        script.sha256,
        hex::encode(sha2::Sha256::digest(b"\xff\x00"))
    );
    // Each distinct content once, under its digest.
    assert!(
        bundle
            .contents
            .contains(&(script.sha256.clone(), b"\xff\x00".to_vec()))
    );
    assert_eq!(bundle.contents.len(), 6);
    // The contents are never part of what is stored as JSON.
    let json = serde_json::to_string(&bundle).unwrap();
    assert!(!json.contains("contents"), "{json}");
    // A lone SKILL.md is its one file.
    let lone = from_skill_md(&skill_md("a", "Does a.")).unwrap();
    assert_eq!(lone.files.len(), 1);
    assert_eq!(lone.files[0].path, "SKILL.md");
}

#[test]
fn a_folder_past_the_kept_limits_installs_with_no_files_kept() {
    let skill = skill_md("big", "Is big.");
    let names: Vec<String> = (0..=MAX_KEPT_FILES)
        .map(|i| format!("top/big/data/{i}.txt"))
        .collect();
    let mut items = vec![Item::File("top/big/SKILL.md", skill.as_bytes())];
    items.extend(names.iter().map(|n| Item::File(n, b"x")));
    let bundle = from_archive(&tar_gz(&items), ArchiveKind::TarGz, "big").unwrap();
    assert!(bundle.files.is_empty() && bundle.contents.is_empty());
    assert!(bundle.docs.skill_md.is_some());

    let megabyte = vec![0u8; 1 << 20];
    let names: Vec<String> = (0..=MAX_KEPT_BYTES >> 20)
        .map(|i| format!("top/big/blob{i}.bin"))
        .collect();
    let mut items = vec![Item::File("top/big/SKILL.md", skill.as_bytes())];
    items.extend(names.iter().map(|n| Item::File(n, &megabyte)));
    let bundle = from_archive(&tar_gz(&items), ArchiveKind::TarGz, "big").unwrap();
    assert!(bundle.files.is_empty() && bundle.contents.is_empty());
}
