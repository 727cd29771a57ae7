; Rust: the `elasticsearch` crate (elasticsearch-rs): TransportBuilder::new(pool)…build(),
; Transport::single_node(url), Transport::cloud(id, credentials). Options are found anywhere
; (`@opt.<key>`); the chain's statement is the construction's extent. Captures are described
; in src/collect/code/mod.rs.

(call_expression
  function: (scoped_identifier path: (identifier) @_p name: (identifier) @_n)
  (#eq? @_p "TransportBuilder")
  (#eq? @_n "new")) @client
(call_expression
  function: (scoped_identifier path: (identifier) @_p name: (identifier) @_n)
  (#eq? @_p "Transport")
  (#any-of? @_n "single_node" "cloud")) @client

; Nodes: Url::parse("…"), Transport::single_node("…"); Transport::cloud(id, …)
(call_expression
  function: (scoped_identifier path: (identifier) @_p name: (identifier) @_n)
  arguments: (arguments . (_) @opt.url)
  (#any-of? @_p "Url" "Transport")
  (#any-of? @_n "parse" "single_node"))
(call_expression
  function: (scoped_identifier path: (identifier) @_p name: (identifier) @_n)
  arguments: (arguments . (_) @opt.cloud_id)
  (#eq? @_p "Transport")
  (#eq? @_n "cloud"))

; Verification: CertificateValidation::None (off), ::Certificate (chain only, no host name);
; reqwest's danger_accept_invalid_certs / _hostnames
(scoped_identifier
  path: (identifier) @_p
  name: (identifier) @opt.trust_all
  (#eq? @_p "CertificateValidation")
  (#eq? @opt.trust_all "None"))
(scoped_identifier
  path: (identifier) @_p
  name: (identifier) @opt.hostname_unchecked
  (#eq? @_p "CertificateValidation")
  (#eq? @opt.hostname_unchecked "Certificate"))
(call_expression
  function: (field_expression field: (field_identifier) @opt.trust_all)
  arguments: (arguments . (boolean_literal) @_b)
  (#eq? @opt.trust_all "danger_accept_invalid_certs")
  (#eq? @_b "true"))
(call_expression
  function: (field_expression field: (field_identifier) @opt.hostname_unchecked)
  arguments: (arguments . (boolean_literal) @_b)
  (#eq? @opt.hostname_unchecked "danger_accept_invalid_hostnames")
  (#eq? @_b "true"))

; Credentials: Credentials::Basic(user, password); ::ApiKey(id, key); ::EncodedApiKey(key),
; ::Bearer(token)
(call_expression
  function: (scoped_identifier path: (identifier) @_p name: (identifier) @_n)
  arguments: (arguments) @opt.credentials
  (#eq? @_p "Credentials")
  (#eq? @_n "Basic"))
(call_expression
  function: (scoped_identifier path: (identifier) @_p name: (identifier) @_n)
  arguments: (arguments) @opt.api_key_pair
  (#eq? @_p "Credentials")
  (#eq? @_n "ApiKey"))
(call_expression
  function: (scoped_identifier path: (identifier) @_p name: (identifier) @_n)
  arguments: (arguments . (_) @opt.api_key .)
  (#eq? @_p "Credentials")
  (#any-of? @_n "EncodedApiKey" "Bearer"))

; The variables flattening follows.
(let_declaration pattern: (identifier) @bind.name value: (_) @bind.value)
(const_item name: (identifier) @bind.name value: (_) @bind.value)
(static_item name: (identifier) @bind.name value: (_) @bind.value)
