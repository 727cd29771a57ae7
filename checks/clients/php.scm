; PHP: elasticsearch-php's ClientBuilder (7.x to 9.x): a fluent chain from
; ClientBuilder::create(), or ClientBuilder::fromConfig([...]). Options are found anywhere
; (`@opt.<key>`); the chain's statement is the construction's extent. Captures are described in
; src/collect/code/mod.rs.

(scoped_call_expression
  scope: (name) @_s
  name: (name) @_m
  (#eq? @_s "ClientBuilder")
  (#any-of? @_m "create" "fromConfig")) @client

; Hosts: setHosts([...]) and 'Hosts' => [...]; a Cloud ID
(member_call_expression
  name: (name) @_m
  arguments: (arguments (argument (array_creation_expression (array_element_initializer . (_) @opt.url .))))
  (#eq? @_m "setHosts"))
(array_element_initializer
  (string (string_content) @_k)
  (array_creation_expression (array_element_initializer . (_) @opt.url .))
  (#eq? @_k "Hosts"))
(member_call_expression
  name: (name) @_m
  arguments: (arguments . (argument (_) @opt.cloud_id))
  (#eq? @_m "setElasticCloudId"))

; Verification: setSSLVerification(false), 'SSLVerification' => false, Guzzle's 'verify' => false
(member_call_expression
  name: (name) @_m
  arguments: (arguments . (argument (_) @opt.ssl_verification))
  (#match? @_m "^[sS]et[sS][sS][lL][vV]erification$"))
(array_element_initializer
  (string (string_content) @_k)
  (_) @opt.ssl_verification
  (#eq? @_k "SSLVerification"))
(array_element_initializer
  (string (string_content) @_k)
  (boolean) @opt.ssl_verification
  (#eq? @_k "verify"))

; Credentials: setBasicAuthentication(user, password), 'BasicAuthentication' => [user, password];
; setApiKey(key[, id]), 'ApiKey' => key
(member_call_expression
  name: (name) @_m
  arguments: (arguments) @opt.credentials
  (#eq? @_m "setBasicAuthentication"))
(array_element_initializer
  (string (string_content) @_k)
  (array_creation_expression) @opt.credentials
  (#eq? @_k "BasicAuthentication"))
(member_call_expression
  name: (name) @_m
  arguments: (arguments . (argument (_) @opt.api_key))
  (#eq? @_m "setApiKey"))
(array_element_initializer
  (string (string_content) @_k)
  (_) @opt.api_key
  (#eq? @_k "ApiKey"))

; The variables flattening follows.
(assignment_expression left: (variable_name) @bind.name right: (_) @bind.value)
