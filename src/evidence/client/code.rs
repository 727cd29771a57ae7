//! What a client built in application code amounts to, per client library. The options are
//! the library's own names, flattened by src/collect/code (`basic_auth.1`,
//! `tls.rejectUnauthorized`, `Transport.TLSClientConfig.InsecureSkipVerify`); Java's are the
//! query's `@opt.<key>` captures, numbered by occurrence (`host.0.2`).

use super::{ClientOption, Derivation, Tool, Value, is_off, is_on, normal_tls_version};

/// One host entry: a URL or `host:port` string, or the parts of one (`scheme`, `host`, `port`).
#[derive(Default)]
struct HostEntry {
    url: Option<String>,
    scheme: Option<String>,
    host: Option<String>,
    port: Option<String>,
}

impl Derivation<'_> {
    /// The options under `prefix` (`prefix`, `prefix.N`, `prefix.N.part`, `prefix.part`),
    /// grouped into host entries; scheme-less entries take `default_scheme`.
    /// Returns whether any was written.
    fn hosts_under(&mut self, prefix: &str, default_scheme: &str) -> bool {
        let mut entries: Vec<(String, HostEntry)> = Vec::new();
        let mut first: Option<String> = None;
        // Whether some host is only known when the program runs (a template that writes its
        // scheme and host, `f"https://elastic:{pw}@es:9200"`, names them).
        let mut host_unknown = false;
        let options: Vec<&ClientOption> = self
            .client
            .options
            .iter()
            .filter(|o| o.key == prefix || o.key.starts_with(&format!("{prefix}.")))
            .collect();
        for o in options {
            let rest = o.key[prefix.len()..].trim_start_matches('.');
            let mut parts = rest.split('.');
            let (index, part) = match parts.next() {
                Some(i) if i.parse::<usize>().is_ok() => (i.to_string(), parts.next()),
                Some("") | None => (String::new(), None),
                Some(p) => (String::new(), Some(p)),
            };
            first.get_or_insert_with(|| o.key.clone());
            let value = match self.lookup("hosts", &o.key) {
                Value::Literal(v) | Value::Fallback(v) => v,
                // A template that writes its scheme (`f"https://{host}:9200"`) is known to
                // be https, whatever the host.
                Value::Unresolved(r) => match written_scheme(&r) {
                    Some(url) => {
                        let host = super::host_of(&url);
                        host_unknown |= host.contains(['$', '{', '<']) || host.is_empty();
                        url
                    }
                    None => {
                        host_unknown = true;
                        let why = self.facts.unknown["hosts"].clone();
                        self.facts.unknown.insert("tls".into(), why);
                        format!("<{r}>")
                    }
                },
                Value::Absent => continue,
            };
            let entry = match entries.iter_mut().find(|(i, _)| *i == index) {
                Some((_, e)) => e,
                None => {
                    entries.push((index, HostEntry::default()));
                    &mut entries.last_mut().expect("just pushed").1
                }
            };
            match part {
                None | Some("url" | "node") => entry.url = Some(value),
                Some("scheme" | "protocol") => entry.scheme = Some(value),
                Some("host" | "hostname") => entry.host = Some(value),
                Some("port") => entry.port = Some(value),
                Some(_) => {}
            }
        }
        let Some(first) = first else {
            return false;
        };
        if !host_unknown {
            self.facts.unknown.remove("hosts");
        }
        let mut hosts = Vec::new();
        for (_, e) in entries {
            let url = match (e.url, e.host) {
                (Some(u), _) if u.contains("://") || u.starts_with('<') => u,
                (Some(u), _) => format!("{default_scheme}://{u}"),
                (None, Some(h)) => {
                    let scheme = e.scheme.unwrap_or_else(|| default_scheme.to_string());
                    match e.port {
                        Some(p) => format!("{scheme}://{h}:{p}"),
                        None => format!("{scheme}://{h}"),
                    }
                }
                (None, None) => continue,
            };
            hosts.push(url);
        }
        self.facts.plaintext = hosts
            .iter()
            .any(|h| h.to_ascii_lowercase().starts_with("http://"));
        self.facts.hosts = hosts;
        self.place("hosts", &first, "");
        self.place("tls", &first, "");
        true
    }

    /// Options spread from what the scan cannot see (`**settings`, `...opts`) may switch
    /// anything: what they would decide is unknown unless written beside them.
    fn spread_unknown(&mut self, places: &[(&str, &[&str])]) {
        let Some(spread) = self.client.option("*").map(|o| o.value.clone()) else {
            return;
        };
        for (place, keys) in places {
            if !keys.iter().any(|k| self.client.option(k).is_some()) {
                self.facts
                    .unknown
                    .entry(place.to_string())
                    .or_insert(format!(
                        "the options are spread from `{spread}`, computed when the program runs"
                    ));
            }
        }
    }

    /// The text of an option as written, if any.
    fn text(&self, key: &str) -> Option<String> {
        self.client.option(key).map(|o| o.value.clone())
    }

    /// A pin that the client checks in place of the chain: with verification switched off
    /// beside it, the connection is pinned rather than unverified.
    fn pin_instead_of_chain(&mut self, key: &str) {
        self.pin(key);
        if !self.facts.pin.is_empty() && self.facts.tls_verify == "none" {
            self.facts.tls_verify = "pinned".into();
        }
    }

    /// A certificate pin: the hash its length says (hex, colons allowed); a pin computed at
    /// run time is still a pin, taken as SHA-256.
    fn pin(&mut self, key: &str) {
        let hex: String = match self.client.value(key) {
            Value::Absent => return,
            Value::Literal(v) | Value::Fallback(v) => {
                v.chars().filter(|c| c.is_ascii_hexdigit()).collect()
            }
            Value::Unresolved(_) => String::new(),
        };
        self.facts.pin = match hex.len() {
            32 => "md5",
            40 => "sha1",
            _ => "sha256",
        }
        .into();
        self.place("pin", key, "");
    }

    /// elasticsearch-py (7.x to 9.x), elasticsearch-dsl and django-elasticsearch-dsl; a
    /// PySpark reader or writer is ES-Hadoop's.
    pub(super) fn python(&mut self) {
        if self.client.option("es_hadoop.0").is_some() {
            return self.es_hadoop();
        }
        if self.client.option("apm_agent.0").is_some() {
            return self.apm_agent();
        }
        let https = self.get("tls", "use_ssl").is_some_and(|v| is_on(&v))
            || self.get("tls", "scheme").is_some_and(|v| v == "https");
        let scheme = if https { "https" } else { "http" };
        if !self.hosts_under("hosts", scheme) && !self.cloud_id("cloud_id") {
            self.default_host(
                "http://localhost:9200",
                "hosts not set: http://localhost:9200 by default (7.x)",
            );
        }
        let context = self.text("ssl_context").unwrap_or_default();
        if self.verification_switch("verify_certs", is_off) {
            // Any certificate already: nothing weaker to find.
        } else if context.contains("_create_unverified_context") {
            self.facts.tls_verify = "none".into();
            self.place("verify", "ssl_context", "");
        } else if self
            .text("ssl_context.verify_mode")
            .is_some_and(|v| v.contains("CERT_NONE"))
        {
            self.facts.tls_verify = "none".into();
            self.place("verify", "ssl_context.verify_mode", "");
        } else if self
            .get("verify", "ssl_assert_hostname")
            .is_some_and(|v| is_off(&v))
        {
            self.facts.tls_verify = "no_hostname".into();
            self.place("verify", "ssl_assert_hostname", "");
        } else if self
            .text("ssl_context.check_hostname")
            .is_some_and(|v| is_off(&v))
        {
            self.facts.tls_verify = "no_hostname".into();
            self.place("verify", "ssl_context.check_hostname", "");
        }
        self.pin_instead_of_chain("ssl_assert_fingerprint");
        let version = ["ssl_version", "ssl_context.minimum_version"]
            .into_iter()
            .find(|k| self.client.option(k).is_some());
        if let Some(k) = version {
            let text = self.text(k).unwrap_or_default();
            self.facts.min_tls = python_tls_version(&text);
            self.place("min_tls", k, "");
        }
        self.process_switch("process_verify_off.0");
        self.sniffing(&[
            "sniff_on_start",
            "sniff_before_requests",
            "sniff_on_node_failure",
            "sniff_on_connection_fail",
            "sniffer_timeout",
        ]);
        self.spread_unknown(&[
            (
                "verify",
                &["verify_certs", "ssl_context", "ssl_assert_hostname"],
            ),
            ("min_tls", &["ssl_version", "ssl_context"]),
        ]);
        for auth in ["basic_auth", "http_auth"] {
            if self.client.option(&format!("{auth}.0")).is_some() {
                self.username(&format!("{auth}.0"));
                self.password(&format!("{auth}.1"));
                break;
            }
            // `"user:password"` in one string.
            if let Some(Value::Literal(v) | Value::Fallback(v)) =
                self.client.option(auth).map(|_| self.client.value(auth))
            {
                if let Some((user, _)) = v.split_once(':') {
                    self.facts.username = user.to_string();
                }
                self.password(auth);
                break;
            }
        }
        let key = ["api_key.1", "api_key", "bearer_auth"]
            .into_iter()
            .find(|k| self.client.option(k).is_some());
        if let Some(k) = key {
            self.api_key(k);
        }
    }

    /// @elastic/elasticsearch (7.x `ssl`, 8.x and 9.x `tls`); `elastic-apm-node`'s `start`.
    pub(super) fn javascript(&mut self) {
        if self.client.option("apm_agent.0").is_some() {
            return self.apm_agent();
        }
        let nodes = self.first_under(&["node", "nodes"]);
        let written = nodes.is_some_and(|k| self.hosts_under(k, "http"));
        if !written && !self.cloud_id("cloud.id") {
            self.hosts_unknown("node not written where the client is built");
        }
        let tls = if self
            .client
            .options
            .iter()
            .any(|o| o.key.starts_with("ssl."))
        {
            "ssl"
        } else {
            "tls"
        };
        let reject = format!("{tls}.rejectUnauthorized");
        let identity = format!("{tls}.checkServerIdentity");
        if !self.verification_switch(&reject, is_off)
            && self
                .text(&identity)
                .is_some_and(|f| accepts_any_identity(&f))
        {
            self.facts.tls_verify = "no_hostname".into();
            self.place("verify", &identity, "");
        }
        self.pin_instead_of_chain("caFingerprint");
        for k in [format!("{tls}.minVersion"), format!("{tls}.secureProtocol")] {
            if let Some(v) = self.get("min_tls", &k) {
                let v = v.trim_end_matches("_method").replace("TLSv1_", "TLSv1.");
                self.facts.min_tls = normal_tls_version(&v);
                self.place("min_tls", &k, "");
                break;
            }
        }
        self.process_switch("process_verify_off.0");
        self.sniffing(&["sniffOnStart", "sniffInterval", "sniffOnConnectionFault"]);
        self.debug_logging("redaction.type");
        let agent = self.text("agent").unwrap_or_default();
        let tls_written = self
            .client
            .options
            .iter()
            .any(|o| o.key.starts_with(&format!("{tls}.")) || o.key == "caFingerprint");
        if tls_written && (agent.contains("=>") || agent.starts_with("function")) {
            self.facts.tls_options_ignored = true;
            self.place("agent", "agent", "");
        }
        self.spread_unknown(&[
            (
                "verify",
                &[reject.as_str(), identity.as_str(), "caFingerprint"],
            ),
            ("min_tls", &[]),
        ]);
        self.username("auth.username");
        self.password("auth.password");
        let key = ["auth.apiKey", "auth.apiKey.api_key", "auth.bearer"]
            .into_iter()
            .find(|k| self.client.option(k).is_some());
        if let Some(k) = key {
            self.api_key(k);
        }
    }

    /// go-elasticsearch (`elasticsearch.Config`).
    pub(super) fn go(&mut self) {
        if !self.hosts_under("Addresses", "http") && !self.cloud_id("CloudID") {
            self.hosts_unknown(
                "Addresses not set: the client connects to $ELASTICSEARCH_URL, else \
                 http://localhost:9200",
            );
        }
        let tls = "Transport.TLSClientConfig";
        let skip = format!("{tls}.InsecureSkipVerify");
        self.verification_switch(&skip, is_on);
        self.pin_instead_of_chain("CertificateFingerprint");
        for k in [format!("{tls}.MinVersion"), format!("{tls}.MaxVersion")] {
            let Some(v) = self.text(&k) else { continue };
            let version = match v.rsplit('.').next().unwrap_or_default() {
                "VersionTLS10" | "VersionSSL30" => "TLSv1",
                "VersionTLS11" => "TLSv1.1",
                _ => continue,
            };
            self.facts.min_tls = version.into();
            self.place("min_tls", &k, "");
            break;
        }
        self.sniffing(&["DiscoverNodesOnStart", "DiscoverNodesInterval"]);
        for k in [
            "EnableDebugLogger",
            "Logger.EnableRequestBody",
            "Logger.EnableResponseBody",
        ] {
            if self.facts.debug_logging.is_empty() {
                self.debug_logging(k);
            }
        }
        self.username("Username");
        self.password("Password");
        let key = ["APIKey", "ServiceToken"]
            .into_iter()
            .find(|k| self.client.option(k).is_some());
        if let Some(k) = key {
            self.api_key(k);
        }
    }

    /// Java: the low-level RestClient (and 9.x Rest5Client), the Java API client and Spring
    /// Data's `ClientConfiguration`, from what the file writes anywhere.
    pub(super) fn java(&mut self) {
        // Spring Data: `usingSsl(…)` makes the hosts of `connectedTo` https, unless its one
        // argument is false, or a boolean computed at run time.
        let using_ssl = self
            .client
            .options
            .iter()
            .any(|o| o.key.starts_with("using_ssl."));
        let ssl_switch = match self.client.option("using_ssl.0.0") {
            Some(o) if self.client.option("using_ssl.0.1").is_none() => {
                Some((o.value.clone(), self.client.value("using_ssl.0.0")))
            }
            _ => None,
        };
        let spring_https =
            using_ssl && !matches!(&ssl_switch, Some((_, Value::Literal(v))) if v == "false");
        let ssl_unknown = match &ssl_switch {
            // `usingSsl(sslContext)` is a context, not a switch: only a boolean expression is.
            Some((text, Value::Unresolved(_))) if !text.to_lowercase().contains("context") => Some(
                format!("usingSsl is `{text}`, computed when the program runs"),
            ),
            _ => None,
        };
        let mut written = false;
        for n in 0.. {
            let base = format!("host.{n}");
            if self.client.option(&format!("{base}.0")).is_none() {
                break;
            }
            // `new HttpHost(host, port, scheme)`: http unless the scheme says otherwise.
            written = true;
            let host = self
                .get_or_reference("hosts", &format!("{base}.0"))
                .unwrap_or_default();
            let port = match self.client.value(&format!("{base}.1")) {
                Value::Literal(p) | Value::Fallback(p) => Some(p),
                _ => None,
            };
            // A scheme computed at run time is shown as the expression it is.
            let scheme = match self.lookup("tls", &format!("{base}.2")) {
                Value::Literal(s) | Value::Fallback(s) => s,
                Value::Unresolved(r) => format!("<{r}>"),
                Value::Absent => "http".into(),
            };
            let url = match port {
                Some(p) => format!("{scheme}://{host}:{p}"),
                None if host.contains("://") => host,
                None => format!("{scheme}://{host}"),
            };
            self.facts.hosts.push(url);
            if n == 0 {
                self.place("hosts", &format!("{base}.0"), "");
                let scheme_key = format!("{base}.2");
                let key = if self.client.option(&scheme_key).is_some() {
                    scheme_key
                } else {
                    format!("{base}.0")
                };
                self.place("tls", &key, "");
            }
        }
        for prefix in ["url", "connected_to"] {
            let scheme = if prefix == "connected_to" && spring_https {
                "https"
            } else {
                "http"
            };
            let before = std::mem::take(&mut self.facts.hosts);
            let plaintext = self.facts.plaintext;
            if self.hosts_under(prefix, scheme) {
                written = true;
                if prefix == "connected_to" {
                    // `host:port` strings: the scheme is `usingSsl`'s, whatever the host.
                    self.facts.unknown.remove("tls");
                    if let Some(why) = &ssl_unknown {
                        self.facts.unknown.insert("tls".into(), why.clone());
                        self.place("tls", "using_ssl.0.0", "");
                    }
                    for h in &mut self.facts.hosts {
                        if h.starts_with('<') {
                            *h = format!("{scheme}://{h}");
                        }
                    }
                }
            }
            let mut hosts = before;
            hosts.append(&mut self.facts.hosts);
            self.facts.hosts = hosts;
            self.facts.plaintext |= plaintext;
        }
        self.facts.plaintext = self
            .facts
            .hosts
            .iter()
            .any(|h| h.to_ascii_lowercase().starts_with("http://"));
        self.captured(written);
        let https = self.facts.hosts.iter().any(|h| h.starts_with("https://"));
        let sniffer = (0..)
            .map_while(|n| self.client.option(&format!("sniffer.{n}")))
            .count();
        let https_sniffer = self
            .client
            .options
            .iter()
            .any(|o| o.key.starts_with("sniff_https."));
        if sniffer > 0 {
            self.facts.sniffs = true;
            self.place("sniffing", "sniffer.0", "");
        }
        if https && sniffer > 0 && !https_sniffer {
            self.facts.sniff_downgrade = true;
            self.place("sniff", "sniffer.0", "");
        }
    }

    /// What the languages whose options are the query's captures (Java, C#, PHP, Rust) share:
    /// `trust_all`, `trust_manager`, `hostname_unchecked`, `ca_fingerprint`, `ssl_protocol`,
    /// `credentials` (user, password) and `api_key`; `hosts_written` says whether the hosts
    /// were found.
    fn captured(&mut self, hosts_written: bool) {
        if !hosts_written {
            self.hosts_unknown("no host written in this file");
        }
        // A trust manager whose `checkServerTrusted` has no statement accepts every chain.
        let empty_check = (0..)
            .map_while(|n| self.text(&format!("trust_manager.{n}")))
            .position(|body| !body.contains(';'))
            .map(|n| format!("trust_manager.{n}"));
        let trust_all = self
            .client
            .option("trust_all.0")
            .map(|_| "trust_all.0".to_string())
            .or(empty_check);
        if let Some(key) = trust_all {
            self.facts.tls_verify = "none".into();
            self.place("verify", &key, "");
        } else if self.client.option("hostname_unchecked.0").is_some() {
            self.facts.tls_verify = "no_hostname".into();
            self.place("verify", "hostname_unchecked.0", "");
        } else {
            self.place("verify", "", "");
        }
        self.pin("ca_fingerprint.0");
        if let Some(v) = self.get("min_tls", "ssl_protocol.0") {
            self.facts.min_tls = normal_tls_version(&v);
            self.place("min_tls", "ssl_protocol.0", "");
        }
        if self.client.option("credentials.0.0").is_some() {
            self.username("credentials.0.0");
            self.password("credentials.0.1");
        }
        if self.client.option("api_key.0").is_some() {
            self.api_key("api_key.0");
        } else if self.client.option("api_key_pair.0.1").is_some() {
            self.api_key("api_key_pair.0.1");
        }
    }

    /// URLs captured as `url.N`, scheme-less ones taking `default_scheme`; else a Cloud ID.
    fn captured_urls(&mut self, default_scheme: &str) -> bool {
        self.hosts_under("url", default_scheme) || self.cloud_id("cloud_id.0")
    }

    /// Elastic.Clients.Elasticsearch (8/9) and NEST / Elasticsearch.Net (7.x).
    pub(super) fn csharp(&mut self) {
        if self.client.option("debug.0").is_some() {
            self.debug_logging("debug.0");
        }
        self.sniffing(&["sniff.0.0", "sniff.0"]);
        let written = self.captured_urls("http");
        if !written && self.client.option("no_arguments.0").is_some() {
            self.default_host(
                "http://localhost:9200",
                "no node given: http://localhost:9200 by default",
            );
            self.captured(true);
        } else {
            self.captured(written);
        }
    }

    /// elasticsearch-php (`ClientBuilder`, and `fromConfig` arrays).
    pub(super) fn php(&mut self) {
        let written = self.captured_urls("http");
        self.captured(written);
        // `setSSLVerification(false)`; a CA path or true keeps verification.
        let off = self
            .text("ssl_verification.0")
            .is_some_and(|v| v.eq_ignore_ascii_case("false"));
        if off && self.facts.tls_verify == "full" {
            self.facts.tls_verify = "none".into();
            self.place("verify", "ssl_verification.0", "");
        }
    }

    /// The `elasticsearch` crate (elasticsearch-rs).
    pub(super) fn rust(&mut self) {
        let written = self.captured_urls("http");
        self.captured(written);
    }

    /// The `elasticsearch` gem (elastic-transport): `host:`, `hosts:` or `url:` (strings,
    /// lists or hashes), `user:`/`password:`, `api_key:`, `transport_options: { ssl: … }`.
    pub(super) fn ruby(&mut self) {
        let key = self.first_under(&["hosts", "host", "url", "urls"]);
        let written = key.is_some_and(|k| self.hosts_under(k, "http"));
        if !written && !self.cloud_id("cloud_id") {
            self.default_host(
                "http://localhost:9200",
                "no host given: http://localhost:9200 by default",
            );
        }
        let ssl = "transport_options.ssl";
        let verify = format!("{ssl}.verify");
        let mode = format!("{ssl}.verify_mode");
        if !self.verification_switch(&verify, is_off)
            && self.text(&mode).is_some_and(|m| m.contains("VERIFY_NONE"))
        {
            self.facts.tls_verify = "none".into();
            self.place("verify", &mode, "");
        }
        self.pin_instead_of_chain("ca_fingerprint");
        for k in [format!("{ssl}.min_version"), format!("{ssl}.version")] {
            if let Some(v) = self.text(&k) {
                self.facts.min_tls = normal_tls_version(v.trim_start_matches(':'));
                self.place("min_tls", &k, "");
                break;
            }
        }
        self.spread_unknown(&[
            ("verify", &[verify.as_str(), "ca_fingerprint"]),
            ("min_tls", &[]),
        ]);
        self.sniffing(&["reload_connections", "reload_on_failure", "sniffer_timeout"]);
        self.username("user");
        self.password("password");
        let key = ["api_key.api_key", "api_key"]
            .into_iter()
            .find(|k| self.client.option(k).is_some());
        if let Some(k) = key {
            self.api_key(k);
        }
    }
}

impl Derivation<'_> {
    /// The text of an option's value when the program runs, a reference's as written.
    fn raw(&self, key: &str) -> Option<String> {
        match self.client.value(key) {
            Value::Literal(t) | Value::Fallback(t) | Value::Unresolved(t) => Some(t),
            Value::Absent => None,
        }
    }

    /// curl: `-k`, `-u user:password`, `Authorization` headers, `--tlsv1.x`/`--tls-max`.
    pub(super) fn shell(&mut self) {
        if !self.hosts_under("url", "http") {
            self.hosts_unknown("no URL on the command line");
        }
        self.facts.admin_call = self.facts.hosts.iter().all(|h| admin_api(h));
        if self.client.option("insecure").is_some() {
            self.facts.tls_verify = "none".into();
        }
        self.place("verify", "insecure", "");
        if let Some(flag) = self.text("tls_min") {
            self.facts.min_tls = match flag.trim_start_matches('-') {
                "tlsv1.1" => "TLSv1.1",
                "sslv3" | "3" => "SSLv3",
                _ => "TLSv1",
            }
            .into();
            self.place("min_tls", "tls_min", "");
        } else if let Some(max) = self.raw("tls_max")
            && matches!(max.as_str(), "1.0" | "1.1")
        {
            self.facts.min_tls = normal_tls_version(&max);
            self.place("min_tls", "tls_max", "");
        }
        if let Some(user) = self.raw("user").map(|u| attached_value(&u, 'u')) {
            let (name, password) = user.split_once(':').unwrap_or((&user, ""));
            if let Value::Literal(u) | Value::Fallback(u) = super::resolve(Tool::Shell, name) {
                self.facts.username = u;
            }
            self.place("username", "user", "");
            if !password.is_empty() {
                self.secret("password", &super::resolve(Tool::Shell, password));
                self.place("password", "user", "");
            }
        }
        for n in 0.. {
            let key = format!("header.{n}");
            let Some(header) = self.raw(&key).map(|h| attached_value(&h, 'H')) else {
                break;
            };
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            if !name.trim().eq_ignore_ascii_case("authorization") {
                continue;
            }
            let (scheme, credential) = value.trim().split_once(' ').unwrap_or(("", ""));
            let value = super::resolve(Tool::Shell, credential.trim());
            if scheme.eq_ignore_ascii_case("basic") {
                self.secret("password", &value);
                self.place("password", &key, "");
            } else {
                self.secret("api_key", &value);
                self.place("api_key", &key, "");
            }
        }
    }
}

/// The value of a short flag written attached to it (`-uelastic:pw`, `-sku…`), else the word.
fn attached_value(word: &str, flag: char) -> String {
    match word.strip_prefix('-') {
        Some(flags) if !flags.starts_with('-') => flags
            .split_once(flag)
            .map_or(word, |(_, value)| value)
            .to_string(),
        _ => word.to_string(),
    }
}

impl Derivation<'_> {
    /// Sniffing switched on by any of `keys` (a true value, or an interval).
    fn sniffing(&mut self, keys: &[&str]) {
        for k in keys {
            let on = match self.client.value(k) {
                Value::Literal(v) | Value::Fallback(v) => !is_off(&v) && v != "None" && v != "null",
                _ => false,
            };
            if on {
                self.facts.sniffs = true;
                self.place("sniffing", k, "");
                return;
            }
        }
    }

    /// Request bodies or debug output logged, by `key` being on (or present, for a call).
    fn debug_logging(&mut self, key: &str) {
        let on = match self.client.value(key) {
            Value::Literal(v) | Value::Fallback(v) => is_on(&v) || v.contains("off") || v == "()",
            Value::Unresolved(_) => self
                .client
                .option(key)
                .is_some_and(|o| o.key.starts_with("debug.")),
            Value::Absent => false,
        };
        if on {
            let shown = self.text(key).unwrap_or_default();
            self.facts.debug_logging = if self.is_captured(key) {
                shown
            } else {
                format!("{key} = {shown}")
            };
            self.place("debug", key, "");
        }
    }

    /// A process-wide switch written in the file (`@file.process_verify_off`, or the
    /// variable in a `.env`).
    fn process_switch(&mut self, key: &str) {
        // The variable's value (`.env`), or the assignment that sets it (code).
        let text = self.text(key).unwrap_or_default();
        let value = text.rsplit('=').next().unwrap_or(&text).trim();
        let off = matches!(value.trim_matches(['"', '\'', ';']), "0" | "false")
            || value.contains("_create_unverified_context");
        if off {
            self.facts.process_verify_off = true;
            self.place("process", key, "");
        }
    }

    /// An application's `.env`: the variables its Elasticsearch client reads, by the names
    /// Elastic's examples and the common clients use.
    pub(super) fn dotenv(&mut self) {
        let first = |keys: &[&'static str]| {
            keys.iter()
                .copied()
                .find(|k| self.client.option(k).is_some_and(|o| !o.value.is_empty()))
        };
        let url = first(&[
            "ELASTICSEARCH_URL",
            "ELASTICSEARCH_HOSTS",
            "ELASTICSEARCH_HOST",
            "ELASTICSEARCH_ENDPOINT",
            "ELASTIC_URL",
            "ES_URL",
            "ES_HOST",
            "ES_HOSTS",
            "ES_ENDPOINT",
            "ES_LOCAL_URL",
        ]);
        if let Some(k) = url {
            self.urls(k);
            if self.facts.hosts.iter().any(|h| !h.contains("://")) {
                // A host without a scheme: the program decides.
                self.facts.unknown.insert(
                    "tls".into(),
                    format!("{k} names no scheme: the program that reads it decides"),
                );
            }
        }
        if let Some(k) = first(&[
            "ELASTIC_USERNAME",
            "ELASTICSEARCH_USERNAME",
            "ES_USERNAME",
            "ES_USER",
        ]) {
            self.username(k);
        }
        if let Some(k) = first(&[
            "ELASTIC_PASSWORD",
            "ELASTICSEARCH_PASSWORD",
            "ES_PASSWORD",
            "ES_LOCAL_PASSWORD",
            "ES_PASS",
        ]) {
            self.password(k);
        }
        if let Some(k) = first(&[
            "ELASTIC_API_KEY",
            "ELASTICSEARCH_API_KEY",
            "ES_API_KEY",
            "ES_LOCAL_API_KEY",
        ]) {
            self.api_key(k);
        }
        self.process_switch("NODE_TLS_REJECT_UNAUTHORIZED");
        // CL-SEC-005 points at the secret written: the password, else the API key.
        let secret = if self.facts.password == "literal" {
            "password"
        } else {
            "api_key"
        };
        if let Some(p) = self.places.get(secret).cloned() {
            self.places.insert("secret".into(), p);
        }
    }
}

/// An administration API a setup script calls as a superuser by design: security, licence,
/// cluster settings, secure settings reload.
fn admin_api(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.split_once('/').map_or("", |(_, p)| p);
    [
        "_security",
        "_xpack/security",
        "_license",
        "_cluster/settings",
        "_nodes/reload_secure_settings",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// The URL a template string stands for when it writes its scheme: `https://{host}:9200`
/// from `f"https://{host}:9200"` or `` `https://${host}` ``.
fn written_scheme(template: &str) -> Option<String> {
    let t = template.trim_start_matches(['f', 'F']);
    let t = t.trim_matches(['"', '\'', '`']);
    let lower = t.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| t.to_string())
}

/// Python's TLS constants as the catalog spells versions: `ssl.PROTOCOL_TLSv1_1`,
/// `ssl.TLSVersion.TLSv1`; anything else (`PROTOCOL_TLS_CLIENT`) says no minimum.
fn python_tls_version(text: &str) -> String {
    let last = text.rsplit('.').next().unwrap_or_default();
    match last.trim_start_matches("PROTOCOL_") {
        "TLSv1" => "TLSv1".into(),
        "TLSv1_1" => "TLSv1.1".into(),
        "SSLv3" | "SSLv23" => "SSLv3".into(),
        "TLSv1_2" => "TLSv1.2".into(),
        "TLSv1_3" => "TLSv1.3".into(),
        _ => String::new(),
    }
}

/// A `checkServerIdentity` that never returns an error: `() => undefined`, `() => {}`,
/// `function () { return undefined; }`.
fn accepts_any_identity(f: &str) -> bool {
    let body = f
        .split_once("=>")
        .map(|(_, b)| b)
        .or_else(|| f.split_once(')').map(|(_, b)| b))
        .unwrap_or(f);
    let body: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    matches!(
        body.as_str(),
        "undefined" | "null" | "{}" | "{return;}" | "{returnundefined;}" | "{returnnull;}"
    )
}
