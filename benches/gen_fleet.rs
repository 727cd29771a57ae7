//! Writes N realistic node folders (`node-00001/config/elasticsearch.yml`, `jvm.options`,
//! `log4j2.properties`), a mix of hardened and insecure settings chosen deterministically.
//! Also usable on its own: `cargo run --release --example gen_fleet -- DIR N`.

use std::io::Write;
use std::path::Path;

const HARDENED: &str = "xpack.security.enabled: true
xpack.security.http.ssl:
  enabled: true
  key: certs/http.key
  certificate: certs/http.crt
  certificate_authorities: [certs/ca.crt]
  supported_protocols: [TLSv1.3, TLSv1.2]
xpack.security.transport.ssl:
  enabled: true
  verification_mode: full
  client_authentication: required
  key: certs/node.key
  certificate: certs/node.crt
  certificate_authorities: [certs/ca.crt]
xpack.security.transport.filter.allow: [\"10.0.0.0/8\"]
xpack.security.transport.filter.deny: _all
xpack.security.audit.enabled: true
";

const WEAK_TLS: &str = "xpack.security.enabled: true
xpack.security.http.ssl.enabled: true
xpack.security.http.ssl.keystore.path: certs/http.p12
xpack.security.http.ssl.supported_protocols: TLSv1.1,TLSv1.2
xpack.security.transport.ssl:
  enabled: true
  verification_mode: none
  client_authentication: optional
  keystore.path: certs/transport.p12
xpack.security.audit.enabled: true
xpack.security.audit.logfile.events.include: [access_granted]
";

const OPEN: &str = "xpack.security.enabled: false
http.cors.enabled: true
http.cors.allow-origin: \"*\"
";

const AUTH: &str = "xpack.security.enabled: true
xpack.security.transport.ssl.enabled: true
xpack.security.transport.ssl.key: certs/node.key
xpack.security.transport.ssl.certificate: certs/node.crt
xpack.security.authc.anonymous.roles: [viewer]
xpack.security.authc.realms.ldap.corp:
  order: 1
  url: ldap://ldap.example.com
  bind_dn: cn=es,dc=example,dc=com
  user_search.base_dn: dc=example,dc=com
";

const JVM: &str = "-Xms4g\n-Xmx4g\n-XX:+UseG1GC\n17-:-Xlog:gc*:file=gc.log\n";

const LOG4J: &str = "appender.audit_rolling.type = RollingFile
appender.audit_rolling.fileName = ${sys:es.logs.cluster_name}_audit.json
logger.xpack_security_audit_logfile.name = org.elasticsearch.xpack.security.audit.logfile.LoggingAuditTrail
";

/// Writes `n` node folders under `root`.
pub fn write_fleet(root: &Path, n: usize) -> std::io::Result<()> {
    for i in 0..n {
        let dir = root.join(format!("node-{i:05}")).join("config");
        std::fs::create_dir_all(&dir)?;
        let body = match i % 10 {
            0 => OPEN,
            1 | 2 => WEAK_TLS,
            3 => AUTH,
            _ => HARDENED,
        };
        let mut yml = std::fs::File::create(dir.join("elasticsearch.yml"))?;
        writeln!(
            yml,
            "cluster.name: fleet-{}\nnode.name: node-{i:05}\nnetwork.host: 10.{}.{}.{}\n{body}",
            i / 100,
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        )?;
        std::fs::write(dir.join("jvm.options"), JVM)?;
        std::fs::write(dir.join("log4j2.properties"), LOG4J)?;
    }
    Ok(())
}
