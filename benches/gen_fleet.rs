//! Writes N realistic node folders, a folder per cluster of 100 nodes:
//! `fleet-000/node-00001/config/elasticsearch.yml`, `jvm.options`,
//! `log4j2.properties` and three PEM files (`certs/ca.crt`, `certs/node.crt`, `certs/node.key`),
//! a mix of hardened and insecure settings chosen deterministically. Nodes come in clusters of
//! 100 sharing one CA; certificates are made now (rcgen), some close to expiry, so the fleet's
//! findings do not change with the calendar.
//! Also usable on its own: `cargo run --release --example gen_fleet -- DIR N`.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use std::io::Write;
use std::path::Path;

const HARDENED: &str = "xpack.security.enabled: true
xpack.security.http.ssl:
  enabled: true
  key: certs/node.key
  certificate: certs/node.crt
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
xpack.security.http.ssl.key: certs/node.key
xpack.security.http.ssl.certificate: certs/node.crt
xpack.security.http.ssl.supported_protocols: TLSv1.1,TLSv1.2
xpack.security.transport.ssl:
  enabled: true
  verification_mode: none
  client_authentication: optional
  key: certs/node.key
  certificate: certs/node.crt
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

/// One cluster's CA.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    pem: String,
}

fn ca(cluster: usize) -> Ca {
    let now = time::OffsetDateTime::now_utc();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, format!("fleet-{cluster} CA"));
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.not_before = now - time::Duration::days(30);
    p.not_after = now + time::Duration::days(3650);
    let issuer = CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap();
    let pem = issuer.pem();
    Ca { issuer, pem }
}

/// A node certificate and its key, in PEM. Every 25th node's certificate expires in ten days.
fn node_cert(ca: &Ca, i: usize) -> (String, String) {
    let now = time::OffsetDateTime::now_utc();
    let name = format!("node-{i:05}.fleet.example");
    let mut p = CertificateParams::new(vec![name.clone()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.not_before = now - time::Duration::days(30);
    p.not_after = now + time::Duration::days(if i % 25 == 7 { 10 } else { 365 });
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, &ca.issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// Writes `n` node folders under `root`.
pub fn write_fleet(root: &Path, n: usize) -> std::io::Result<()> {
    let mut cluster_ca: Option<(usize, Ca)> = None;
    for i in 0..n {
        let cluster = i / 100;
        let dir = root
            .join(format!("fleet-{cluster:03}"))
            .join(format!("node-{i:05}"))
            .join("config");
        std::fs::create_dir_all(dir.join("certs"))?;
        if cluster_ca.as_ref().is_none_or(|(c, _)| *c != cluster) {
            cluster_ca = Some((cluster, ca(cluster)));
        }
        let ca = &cluster_ca.as_ref().unwrap().1;
        let (cert, key) = node_cert(ca, i);
        std::fs::write(dir.join("certs/ca.crt"), &ca.pem)?;
        std::fs::write(dir.join("certs/node.crt"), cert)?;
        std::fs::write(dir.join("certs/node.key"), key)?;
        let body = match i % 10 {
            0 => OPEN,
            1 | 2 => WEAK_TLS,
            3 => AUTH,
            _ => HARDENED,
        };
        let mut yml = std::fs::File::create(dir.join("elasticsearch.yml"))?;
        writeln!(
            yml,
            "cluster.name: fleet-{cluster:03}\nnode.name: node-{i:05}\nnetwork.host: 10.{}.{}.{}\n{body}",
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        )?;
        std::fs::write(dir.join("jvm.options"), JVM)?;
        std::fs::write(dir.join("log4j2.properties"), LOG4J)?;
    }
    Ok(())
}
