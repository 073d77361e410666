//! The bundled fonts are the files their manifest names, byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use sha2::{Digest, Sha256};

#[test]
fn the_bundled_fonts_are_the_files_the_manifest_names() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fonts");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let mut checked = Vec::new();
    for line in manifest.lines().filter(|line| !line.starts_with('#')).skip(1) {
        let columns: Vec<&str> = line.split('\t').collect();
        let [file, _source, _path, sha256] = columns[..] else {
            panic!("a manifest line has four columns: {line}");
        };
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let digest: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest, sha256, "{file} is not the file the manifest names");
        checked.push(file);
    }
    assert_eq!(checked, ["NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "copyright.debian"]);
    // Every file in the folder is in the manifest (or is the manifest and its README).
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            checked.contains(&name.as_str()) || name == "MANIFEST.tsv" || name == "README.md",
            "{name} is bundled but not in the manifest"
        );
    }
}
