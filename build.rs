//! Converts the built-in rule catalog (`checks/*.yaml`) to JSON at build time: reading JSON at
//! start-up takes a fraction of a millisecond, the YAML would take most of a small scan's time.
//! The YAML stays the source; a test proves both readings give the same rules.

use std::path::Path;

fn main() {
    println!("cargo::rerun-if-changed=checks");
    let mut files: Vec<_> = std::fs::read_dir("checks")
        .expect("checks/ is readable")
        .map(|e| e.expect("checks/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut catalog = serde_json::Map::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("catalog file is readable");
        let rules: serde_json::Value = serde_saphyr::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not valid YAML: {e}", path.display()));
        let name = format!("checks/{}", path.file_name().unwrap().to_string_lossy());
        catalog.insert(name, rules);
    }
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_rules.json");
    std::fs::write(out, serde_json::to_string(&catalog).unwrap()).unwrap();
}
