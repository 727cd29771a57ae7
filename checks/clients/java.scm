; Java: the low-level RestClient (and 9.x Rest5Client), the Java API client, Spring Data
; Elasticsearch's ClientConfiguration. A Java client is put together across a class (an
; SSLContext from one method, credentials from another), so its options are found anywhere
; in the file (`@opt.<key>`). Captures are described in src/collect/code/mod.rs.

; Constructions
(method_invocation
  object: (identifier) @_o
  name: (identifier) @_m
  (#any-of? @_o "RestClient" "Rest5Client" "ClientConfiguration" "ElasticsearchClient")
  (#any-of? @_m "builder" "of")) @client

; Hosts: new HttpHost(host[, port[, scheme]]), HttpHost.create(url), URI, Spring's connectedTo
(object_creation_expression
  type: (type_identifier) @_t
  arguments: (argument_list) @opt.host
  (#eq? @_t "HttpHost"))
(method_invocation
  object: (identifier) @_o
  name: (identifier) @_m
  arguments: (argument_list . (_) @opt.url)
  (#eq? @_o "HttpHost")
  (#eq? @_m "create"))
(method_invocation
  name: (identifier) @_m
  arguments: (argument_list (_) @opt.connected_to)
  (#eq? @_m "connectedTo"))
; the Java API client's builder: ElasticsearchClient.of(b -> b.host("https://…"))
(method_invocation
  name: (identifier) @_m
  arguments: (argument_list . (_) @opt.url .)
  (#eq? @_m "host"))
(method_invocation
  name: (identifier) @_m
  arguments: (argument_list) @opt.using_ssl
  (#eq? @_m "usingSsl"))

; Verification off: trust-all strategies and contexts, a trust manager that checks nothing
(field_access
  object: (identifier) @opt.trust_all
  (#any-of? @opt.trust_all "TrustAllStrategy" "TrustSelfSignedStrategy"))
(object_creation_expression
  type: (type_identifier) @opt.trust_all
  (#any-of? @opt.trust_all "TrustAllStrategy" "TrustSelfSignedStrategy"))
(method_invocation
  name: (identifier) @opt.trust_all
  (#eq? @opt.trust_all "insecureSSLContext"))
(method_invocation
  name: (identifier) @_m
  arguments: (argument_list (lambda_expression body: (true)) @opt.trust_all)
  (#eq? @_m "loadTrustMaterial"))
(method_declaration
  name: (identifier) @_n
  body: (block) @opt.trust_manager
  (#eq? @_n "checkServerTrusted"))

; Host name unchecked
(field_access
  object: (identifier) @opt.hostname_unchecked
  (#any-of? @opt.hostname_unchecked "NoopHostnameVerifier" "AllowAllHostnameVerifier"))
(object_creation_expression
  type: (type_identifier) @opt.hostname_unchecked
  (#any-of? @opt.hostname_unchecked "NoopHostnameVerifier" "AllowAllHostnameVerifier"))
(field_access
  field: (identifier) @opt.hostname_unchecked
  (#eq? @opt.hostname_unchecked "ALLOW_ALL_HOSTNAME_VERIFIER"))
(method_invocation
  name: (identifier) @_m
  arguments: (argument_list (lambda_expression body: (true)) @opt.hostname_unchecked)
  (#any-of? @_m "setSSLHostnameVerifier" "setHostnameVerifier" "usingSsl"))

; Certificate pinning
(method_invocation
  name: (identifier) @_m
  arguments: (argument_list . (_) @opt.ca_fingerprint)
  (#eq? @_m "sslContextFromCaFingerprint"))
(method_invocation
  name: (identifier) @_m
  arguments: (argument_list . (string_literal) @opt.ca_fingerprint .)
  (#eq? @_m "usingSsl"))

; TLS protocol: SSLContext.getInstance("TLSv1")
(method_invocation
  object: (identifier) @_o
  name: (identifier) @_m
  arguments: (argument_list . (string_literal) @opt.ssl_protocol)
  (#eq? @_o "SSLContext")
  (#eq? @_m "getInstance"))

; Credentials
(object_creation_expression
  type: (type_identifier) @_t
  arguments: (argument_list) @opt.credentials
  (#eq? @_t "UsernamePasswordCredentials"))
(method_invocation
  name: (identifier) @_m
  arguments: (argument_list) @opt.credentials
  (#any-of? @_m "withBasicAuth" "usernameAndPassword"))
(method_invocation
  name: (identifier) @_m
  arguments: (argument_list . (_) @opt.api_key .)
  (#eq? @_m "apiKey"))

; The sniffer: Sniffer.builder(client) learns the nodes' addresses over http unless given an
; ElasticsearchNodesSniffer with Scheme.HTTPS (anywhere in the file: it is built apart)
((method_invocation
  object: (identifier) @_o
  name: (identifier) @_m) @file.sniffer
  (#any-of? @_o "Sniffer" "Rest5Sniffer")
  (#eq? @_m "builder"))
(field_access
  field: (identifier) @file.sniff_https
  (#eq? @file.sniff_https "HTTPS"))

; The variables and fields flattening follows.
(variable_declarator name: (identifier) @bind.name value: (_) @bind.value)
(assignment_expression left: (identifier) @bind.name right: (_) @bind.value)
