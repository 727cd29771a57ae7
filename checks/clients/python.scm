; Python: the `elasticsearch` client (sync and async), elasticsearch-dsl connections and
; django-elasticsearch-dsl settings. Captures are described in src/collect/code/mod.rs.

; Elasticsearch(...), AsyncElasticsearch(...), elasticsearch.Elasticsearch(...)
(call
  function: [(identifier) @_f (attribute attribute: (identifier) @_f)]
  arguments: (argument_list) @options
  (#any-of? @_f "Elasticsearch" "AsyncElasticsearch")) @client

; elasticsearch-dsl: connections.create_connection(alias, **kwargs)
(call
  function: [(identifier) @_f (attribute attribute: (identifier) @_f)]
  arguments: (argument_list) @options
  (#eq? @_f "create_connection")) @client

; elasticsearch-dsl: connections.configure(default={...}, other={...}): one client per alias
(call
  function: (attribute attribute: (identifier) @_f)
  arguments: (argument_list
    (keyword_argument value: (dictionary) @options) @client)
  (#eq? @_f "configure"))

; django-elasticsearch-dsl: ELASTICSEARCH_DSL = {"default": {...}}
(assignment
  left: (identifier) @_n
  right: (dictionary (pair value: (dictionary) @options) @client)
  (#eq? @_n "ELASTICSEARCH_DSL"))

; ES-Hadoop from PySpark: df.write.format("org.elasticsearch.spark.sql")…, spark.read.format("es");
; its options are `.option("es.…", value)` in the same statement, or a dict given to `.options(**…)`
(call
  function: (attribute attribute: (identifier) @_f)
  arguments: (argument_list . (string (string_content) @_fmt) @opt.es_hadoop)
  (#eq? @_f "format")
  (#any-of? @_fmt "org.elasticsearch.spark.sql" "es" "org.elasticsearch.spark.sql.DefaultSource")) @client
(call
  function: (attribute attribute: (identifier) @_o)
  arguments: (argument_list . (string) @keyed.key . (_) @keyed.value)
  (#any-of? @_o "option" "set" "config")
  (#match? @keyed.key "^.(spark\\.)?es\\."))
(call
  function: (attribute attribute: (identifier) @_o)
  arguments: (argument_list (dictionary_splat (_) @opt.options))
  (#eq? @_o "options"))

; The Elastic APM agent's Django/Flask settings: ELASTIC_APM = {"SERVER_URL": …}
(assignment
  left: (identifier) @_n
  "=" @opt.apm_agent
  right: (dictionary) @options
  (#eq? @_n "ELASTIC_APM")) @client

; Process-wide: every HTTPS connection of the process unverified
((assignment left: (attribute) @_l) @file.process_verify_off
  (#eq? @_l "ssl._create_default_https_context"))

; The variables flattening follows: `x = ...`, and fields set after (`ctx.check_hostname = False`).
(assignment left: (identifier) @bind.name right: (_) @bind.value)
(assignment
  left: (attribute object: (identifier) @field.object attribute: (identifier) @field.name)
  right: (_) @field.value)
