//! The fuzz harnesses: one function per parser family, taking arbitrary bytes. The cargo-fuzz
//! targets in `fuzz/` call them, and `tests/fuzz_inputs.rs` replays the committed seeds and every
//! input that once crashed (`fixtures/fuzz-regressions/`) through them, so `cargo test` keeps
//! those inputs alive without cargo-fuzz. A harness must never panic, whatever the bytes: a
//! panic is a bug in the parser it drives. Where a byte picks a variant, it is the first one.

use crate::collect::components::{Embed, component_settings, pipeline_plugins, pipelines_yml};
use crate::collect::security_files::{StorePassword, read_bytes};
use crate::collect::snapshot::{ApiSnapshot, CALLS, answer_from_body};
use crate::collect::{
    es_config, es_keystore, file_realm, jks, manifests, pipeline, suppressions, tls_probe,
};
use crate::evidence::{FileKind, es_cluster, rbac};
use std::path::Path;

/// The targets, by name (also the folder names under `fuzz/corpus/` and
/// `fixtures/fuzz-regressions/`).
pub const TARGETS: &[&str] = &[
    "yaml_config",
    "certificates",
    "jks",
    "es_keystore",
    "pipeline",
    "tls_record",
    "api_answers",
    "file_realm",
    "components",
    "clients",
];

/// A fixed "now" so runs are reproducible (14 Nov 2023).
const NOW_MS: i64 = 1_700_000_000_000;

/// The YAML reader and the Elasticsearch settings built from it.
pub fn yaml_config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::yaml::parse(&text);
    let _ = es_config::parse_settings(&text, "fuzz/elasticsearch.yml");
}

/// PEM, DER, PKCS#12 (tried with the empty password) and whatever the content says it is; the
/// first byte stands for the kind a file name would suggest.
pub fn certificates(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let hint = match pick % 5 {
        0 => None,
        1 => Some(FileKind::Pem),
        2 => Some(FileKind::Der),
        3 => Some(FileKind::Pkcs12),
        _ => Some(FileKind::Jks),
    };
    let passwords = [StorePassword {
        source: "the empty password".into(),
        value: String::new(),
    }];
    let _ = read_bytes(bytes, "fuzz/input".into(), hint, &passwords);
}

/// The JKS / JCEKS reader, then the certificates it found.
pub fn jks(data: &[u8]) {
    if jks::read(data).is_ok() {
        let _ = read_bytes(data, "fuzz/store.jks".into(), Some(FileKind::Jks), &[]);
    }
}

/// `elasticsearch.keystore`. First byte: 0 the container as given; 1 the container with its
/// checksum made right (so mutations get past it); 2 the decrypted payload, for every format.
pub fn es_keystore(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    match pick % 3 {
        0 => {
            let _ = es_keystore::read_with_passwords(bytes);
        }
        1 => {
            let mut fixed = bytes.to_vec();
            if fixed.len() >= 16 {
                let footer = fixed.len() - 16;
                let crc = u64::from(crc32(&fixed[..footer + 8]));
                fixed[footer + 8..].copy_from_slice(&crc.to_be_bytes());
            }
            let _ = es_keystore::read_with_passwords(&fixed);
        }
        _ => {
            for version in 3..=6 {
                let _ = es_keystore::payload_entries(bytes, version);
            }
        }
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// The Logstash pipeline parser, the plugin options read from it, and `pipelines.yml`.
pub fn pipeline(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = pipeline::parse(&text);
    let _ = pipeline_plugins(&text, &Embed::file("fuzz/pipeline.conf"));
    let _ = pipelines_yml(&text, "fuzz/pipelines.yml");
}

/// What a TLS server sends back to the prober's ClientHello, whole and as every state the
/// prober can see it in.
pub fn tls_record(data: &[u8]) {
    let whole = tls_probe::parse_answer(data, true);
    let _ = tls_probe::parse_answer(data, false);
    if whole.is_some() {
        let mut longer = data.to_vec();
        longer.extend_from_slice(&[0x17, 3, 3, 0, 0]);
        let _ = tls_probe::parse_answer(&longer, true);
    }
}

const STATUSES: [u16; 6] = [200, 200, 200, 403, 404, 500];

/// Elasticsearch API answers through everything built from them (cluster, nodes, publish
/// endpoints, RBAC analysis). The input is answers separated by 0xFF (never in UTF-8 JSON);
/// an answer's first byte picks the call it replaces in `base` (past the last call: a service
/// account's credentials), the second its HTTP status, the rest is the body.
pub fn api_answers(base: &ApiSnapshot, data: &[u8]) {
    let mut s = base.clone();
    for part in data.split(|b| *b == 0xFF) {
        let [pick, status, body @ ..] = part else {
            continue;
        };
        let status = STATUSES[usize::from(*status) % STATUSES.len()];
        let answer = answer_from_body(status, body);
        let pick = usize::from(*pick);
        match CALLS.get(pick) {
            Some(call) => {
                s.calls.insert(call.key.to_string(), answer);
            }
            None => {
                s.service_credentials
                    .insert(format!("elastic/fuzz-{pick}"), answer);
            }
        }
    }
    let _ = es_cluster::publish_endpoints(&s);
    let model = rbac::from_api(&s);
    let _ = rbac::analyse(&model, NOW_MS);
    let _ = es_cluster::build(s, NOW_MS);
}

/// The file realm; the first byte picks `roles.yml`, `role_mapping.yml`, `users_roles` or
/// `service_tokens`.
pub fn file_realm(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(bytes);
    match pick % 4 {
        0 => {
            if let Ok(roles) = file_realm::parse_roles(&text, "fuzz/roles.yml") {
                let model = rbac::Rbac {
                    roles,
                    ..Default::default()
                };
                let _ = rbac::analyse(&model, NOW_MS);
            }
        }
        1 => {
            let _ = file_realm::parse_role_mappings(&text, "fuzz/role_mapping.yml");
        }
        2 => {
            let _ = file_realm::parse_users_roles(&text, "fuzz/users_roles");
        }
        _ => {
            let _ = file_realm::parse_service_tokens(&text, "fuzz/service_tokens");
        }
    }
}

/// Kibana / Logstash / Beats configs, Docker Compose files, Kubernetes manifests and Helm values
/// (with the configs embedded in them), and inline suppressions; the first byte picks which.
pub fn components(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(bytes);
    match pick % 4 {
        0 => {
            let _ = component_settings(&text, &Embed::file("fuzz/kibana.yml"));
        }
        1 => {
            let _ = manifests::load_text(Path::new("fuzz/docker-compose.yml"), &text, true);
        }
        2 => {
            let _ = manifests::load_text(Path::new("fuzz/deploy.yaml"), &text, false);
        }
        _ => {
            let _ = suppressions::parse(&text, "fuzz/kibana.yml");
        }
    }
}

/// Client configurations (Fluent Bit classic and YAML, Fluentd, Vector TOML and YAML, Grafana,
/// Spring properties and YAML, application code in every language, `.env`), each connection
/// found then derived into its facts; the first byte picks the format.
pub fn clients(data: &[u8]) {
    const NAMES: &[&str] = &[
        "fuzz/fluent-bit.conf",
        "fuzz/fluent.conf",
        "fuzz/vector.toml",
        "fuzz/vector.yaml",
        "fuzz/datasources.yaml",
        "fuzz/fluent-bit.yaml",
        "fuzz/application.properties",
        "fuzz/application.yml",
        "fuzz/app.py",
        "fuzz/app.js",
        "fuzz/app.ts",
        "fuzz/main.go",
        "fuzz/Client.java",
        "fuzz/Client.cs",
        "fuzz/client.rb",
        "fuzz/client.php",
        "fuzz/client.rs",
        "fuzz/setup.sh",
        "fuzz/Dockerfile",
        "fuzz/Makefile",
        "fuzz/.env",
    ];
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(bytes);
    let name = NAMES[pick as usize % NAMES.len()];
    if let Ok(found) = crate::collect::clients::parse(Path::new(name), &text, name) {
        for c in &found {
            let _ = crate::evidence::client::client_facts(c);
        }
    }
}

/// The recorded cluster `api_answers` mutates: `fixtures/api/well-run-8x` under `root` (the
/// repository).
pub fn recorded_cluster(root: &Path) -> ApiSnapshot {
    crate::collect::snapshot::read(&root.join("fixtures/api/well-run-8x"), "well-run-8x")
        .expect("fixtures/api/well-run-8x reads")
}

/// Runs the harness of `target` on `data`; `base` is the snapshot for `api_answers`.
pub fn run(target: &str, base: &ApiSnapshot, data: &[u8]) {
    match target {
        "yaml_config" => yaml_config(data),
        "certificates" => certificates(data),
        "jks" => jks(data),
        "es_keystore" => es_keystore(data),
        "pipeline" => pipeline(data),
        "tls_record" => tls_record(data),
        "api_answers" => api_answers(base, data),
        "file_realm" => file_realm(data),
        "components" => components(data),
        "clients" => clients(data),
        other => panic!("no fuzz target {other}"),
    }
}
