//! `THIRD-PARTY-NOTICES` names every crate compiled into the esaudit binary (the normal
//! dependencies of the default features, and those the `fips` feature adds, marked as such, on
//! Linux; proc-macros and build tools are not shipped)
//! with its licence, and carries the licence and notice texts those crates publish, each text
//! once with the crates that use it. It goes into the container image and release archives.
//! This test fails when a dependency is added, removed or changes licence without the file
//! following; `ESAUDIT_BLESS=1 cargo test --test notices` writes it anew.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Command;

struct Shipped {
    name: String,
    version: String,
    license: String,
    authors: Vec<String>,
    dir: PathBuf,
}

/// The MIT licence's standard text, for crates that name it but publish no licence file.
const MIT: &str = "Permission is hereby granted, free of charge, to any person obtaining a copy of this \
software and associated documentation files (the \"Software\"), to deal in the Software without \
restriction, including without limitation the rights to use, copy, modify, merge, publish, \
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the \
Software is furnished to do so, subject to the following conditions:\n\n\
The above copyright notice and this permission notice shall be included in all copies or \
substantial portions of the Software.\n\n\
THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, \
INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR \
PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR \
ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, \
ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE \
SOFTWARE.";

/// The crates in the binary built with `features` (beside the default ones), from `cargo
/// metadata` (which fetches a crate the build has not, such as the FIPS module's).
fn shipped(root: &Path, features: &str) -> Vec<Shipped> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--features",
            features,
            "--filter-platform",
            "x86_64-unknown-linux-gnu",
        ])
        .current_dir(root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages: BTreeMap<&str, &Value> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p))
        .collect();
    let nodes: BTreeMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let is_proc_macro = |p: &Value| {
        p["targets"].as_array().unwrap().iter().any(|t| {
            t["kind"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k == "proc-macro")
        })
    };
    let root_id = meta["resolve"]["root"].as_str().unwrap();
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([root_id]);
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id) {
            continue;
        }
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            let pkg = dep["pkg"].as_str().unwrap();
            if normal && !is_proc_macro(packages[pkg]) {
                queue.push_back(pkg);
            }
        }
    }
    seen.remove(root_id);
    let mut out: Vec<Shipped> = seen
        .into_iter()
        .map(|id| {
            let p = packages[id];
            Shipped {
                name: p["name"].as_str().unwrap().to_string(),
                version: p["version"].as_str().unwrap().to_string(),
                license: p["license"]
                    .as_str()
                    .unwrap_or("(no licence expression; see its files)")
                    .to_string(),
                authors: p["authors"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default(),
                dir: Path::new(p["manifest_path"].as_str().unwrap())
                    .parent()
                    .unwrap()
                    .to_path_buf(),
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    out
}

/// C libraries that crates bundle under a licence of their own, whose text lies in a subfolder
/// of the crate: (crate, file).
const BUNDLED: &[(&str, &str)] = &[("tikv-jemalloc-sys", "jemalloc/COPYING")];

/// The licence and notice files a crate publishes (`LICENSE*`, `LICENCE*`, `COPYING*`,
/// `NOTICE*`, `UNLICENSE`), by name, and those of the C library it bundles.
fn crate_licence_files(name: &str, dir: &Path) -> Vec<(String, String)> {
    let mut files = licence_files(dir);
    for (_, file) in BUNDLED.iter().filter(|(c, _)| *c == name) {
        let text = std::fs::read_to_string(dir.join(file))
            .unwrap_or_else(|e| panic!("{name}: the bundled licence {file}: {e}"));
        files.push((file.to_string(), text));
    }
    files
}

/// The licence and notice files in a crate's own folder, by name.
fn licence_files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().to_string();
                    let upper = name.to_ascii_uppercase();
                    let wanted = ["LICENSE", "LICENCE", "COPYING", "NOTICE", "UNLICENSE"]
                        .iter()
                        .any(|p| upper.starts_with(p));
                    let text = std::fs::read_to_string(e.path()).ok()?;
                    wanted.then_some((name, text))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn notices(root: &Path) -> String {
    let standard: BTreeSet<(String, String)> = shipped(root, "")
        .into_iter()
        .map(|c| (c.name, c.version))
        .collect();
    let crates = shipped(root, "fips");
    let mut out = String::from(
        "THIRD-PARTY-NOTICES for esaudit\n\n\
         esaudit is licensed under Apache-2.0 (LICENSE). Its binary contains the crates below, each\n\
         under the licence its authors chose; their licence and notice texts follow, each text once\n\
         with the crates that publish it. Crates marked [fips] are only in the build with the\n\
         `fips` feature. Generated by tests/notices.rs from `cargo metadata` (default features and\n\
         `fips`, x86_64 Linux); do not edit by hand.\n\n\
         == Crates ==\n\n",
    );
    for c in &crates {
        let only_fips = match standard.contains(&(c.name.clone(), c.version.clone())) {
            true => "",
            false => " [fips]",
        };
        out.push_str(&format!(
            "{} {}: {}{only_fips}\n",
            c.name, c.version, c.license
        ));
    }
    // Each distinct text (whitespace aside) once, with the crates and file names it comes from.
    let mut texts: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    let mut without = Vec::new();
    for c in &crates {
        let mut files = crate_licence_files(&c.name, &c.dir);
        if files.is_empty() && c.license.contains("MIT") {
            // The standard MIT text, with the authors the crate names as holders.
            let holders = match c.authors.is_empty() {
                true => format!("the {} authors", c.name),
                false => c.authors.join(", "),
            };
            files.push((
                "MIT, standard text".into(),
                format!("MIT License\n\nCopyright (c) {holders}\n\n{MIT}"),
            ));
        }
        if files.is_empty() {
            without.push(format!("{} {} ({})", c.name, c.version, c.license));
        }
        for (file, text) in files {
            let key = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let entry = texts
                .entry(key)
                .or_insert_with(|| (text.trim_end().to_string(), BTreeSet::new()));
            entry.1.insert(format!("{} {} ({file})", c.name, c.version));
        }
    }
    if !without.is_empty() {
        out.push_str(
            "\nThese crates publish no licence file in their package; the standard text of the \
             licence they name applies:\n",
        );
        for w in &without {
            out.push_str(&format!("  {w}\n"));
        }
    }
    out.push_str("\n== Licence and notice texts ==\n");
    for (text, users) in texts.values() {
        out.push_str("\n----------------------------------------------------------------------\n");
        out.push_str("Used by: ");
        out.push_str(&users.iter().cloned().collect::<Vec<_>>().join(", "));
        out.push_str("\n\n");
        out.push_str(text);
        out.push('\n');
    }
    out
}

#[test]
fn third_party_notices_name_every_shipped_crate_with_its_licence() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("THIRD-PARTY-NOTICES");
    let expected = notices(root);
    if std::env::var_os("ESAUDIT_BLESS").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    if actual != expected {
        let listed = |text: &str| -> BTreeSet<String> {
            text.split("== Licence and notice texts ==")
                .next()
                .unwrap_or_default()
                .lines()
                .filter(|l| l.contains(": ") && !l.starts_with(' '))
                .map(String::from)
                .collect()
        };
        let (want, have) = (listed(&expected), listed(&actual));
        panic!(
            "THIRD-PARTY-NOTICES is out of date (bless with ESAUDIT_BLESS=1 cargo test --test \
             notices)\nmissing: {:?}\nno longer shipped: {:?}",
            want.difference(&have).collect::<Vec<_>>(),
            have.difference(&want).collect::<Vec<_>>()
        );
    }
}
