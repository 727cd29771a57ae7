; C#: Elastic.Clients.Elasticsearch (ElasticsearchClientSettings) and NEST / Elasticsearch.Net
; 7.x (ConnectionSettings, ConnectionConfiguration). Settings are put together by a fluent chain,
; so the options are found anywhere (`@opt.<key>`); the chain's statement is the construction's
; extent. Captures are described in src/collect/code/mod.rs.

(object_creation_expression
  type: (identifier) @_t
  (#any-of? @_t "ElasticsearchClientSettings" "ConnectionSettings" "ConnectionConfiguration")) @client

; `new ElasticsearchClientSettings()`: the default node
(object_creation_expression
  type: (identifier) @_t
  arguments: (argument_list . ")") @opt.no_arguments
  (#any-of? @_t "ElasticsearchClientSettings" "ConnectionSettings"))

; Nodes: new Uri("https://…"); a Cloud ID given to the settings
(object_creation_expression
  type: (identifier) @_t
  arguments: (argument_list . (argument (_) @opt.url))
  (#eq? @_t "Uri"))
(object_creation_expression
  type: (identifier) @_t
  arguments: (argument_list . (argument (string_literal) @opt.cloud_id) . (argument))
  (#any-of? @_t "ElasticsearchClientSettings" "ConnectionSettings"))

; Verification off: CertificateValidations.AllowAll, a callback that returns true, .NET's
; own accept-anything validator
(member_access_expression
  expression: (identifier) @_c
  name: (identifier) @opt.trust_all
  (#eq? @_c "CertificateValidations")
  (#eq? @opt.trust_all "AllowAll"))
(invocation_expression
  function: (member_access_expression name: (identifier) @_m)
  arguments: (argument_list (argument (lambda_expression body: (boolean_literal) @_b) @opt.trust_all))
  (#any-of? @_m "ServerCertificateValidationCallback")
  (#eq? @_b "true"))
(member_access_expression
  name: (identifier) @opt.trust_all
  (#eq? @opt.trust_all "DangerousAcceptAnyServerCertificateValidator"))

; Certificate pinning
(invocation_expression
  function: (member_access_expression name: (identifier) @_m)
  arguments: (argument_list . (argument (_) @opt.ca_fingerprint))
  (#eq? @_m "CertificateFingerprint"))

; Credentials: new BasicAuthentication(user, password), NEST .BasicAuthentication(user,
; password); new ApiKey(key), new Base64ApiKey(id, key), NEST .ApiKeyAuthentication(id, key)
(object_creation_expression
  type: (identifier) @_t
  arguments: (argument_list) @opt.credentials
  (#eq? @_t "BasicAuthentication"))
(invocation_expression
  function: (member_access_expression name: (identifier) @_m)
  arguments: (argument_list) @opt.credentials
  (#eq? @_m "BasicAuthentication"))
(object_creation_expression
  type: (identifier) @_t
  arguments: (argument_list . (argument (_) @opt.api_key) .)
  (#eq? @_t "ApiKey"))
(object_creation_expression
  type: (identifier) @_t
  arguments: (argument_list) @opt.api_key_pair
  (#eq? @_t "Base64ApiKey"))
(invocation_expression
  function: (member_access_expression name: (identifier) @_m)
  arguments: (argument_list) @opt.api_key_pair
  (#eq? @_m "ApiKeyAuthentication"))

; Debug output: request and response bodies kept and logged
(invocation_expression
  function: (member_access_expression name: (identifier) @opt.debug)
  (#any-of? @opt.debug "EnableDebugMode" "DisableDirectStreaming"))
; Sniffing
(invocation_expression
  function: (member_access_expression name: (identifier) @_m)
  arguments: (argument_list) @opt.sniff
  (#any-of? @_m "SniffOnStartup" "SniffOnConnectionFault"))

; The variables flattening follows.
(variable_declarator name: (identifier) @bind.name (_) @bind.value)
(assignment_expression left: (identifier) @bind.name right: (_) @bind.value)
