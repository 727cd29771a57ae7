; JavaScript and TypeScript: @elastic/elasticsearch (and the legacy `elasticsearch` package).
; Captures are described in src/collect/code/mod.rs.

; new Client({...}), new elasticsearch.Client({...})
(new_expression
  constructor: [(identifier) @client.library (member_expression object: (identifier) @client.library property: (property_identifier) @_c)]
  arguments: (arguments) @options
  (#match? @client.library "^[A-Za-z_$][A-Za-z0-9_$]*$")) @client

; The names the file imports the library under:
; import { Client } from '@elastic/elasticsearch'; import { Client as ES } from ...
(import_statement
  (import_clause (named_imports (import_specifier name: (identifier) @import.name !alias)))
  source: (string (string_fragment) @_src)
  (#any-of? @_src "@elastic/elasticsearch" "elasticsearch"))
(import_statement
  (import_clause (named_imports (import_specifier alias: (identifier) @import.name)))
  source: (string (string_fragment) @_src)
  (#any-of? @_src "@elastic/elasticsearch" "elasticsearch"))
; import * as es from '@elastic/elasticsearch'; import es from 'elasticsearch'
(import_statement
  (import_clause [(namespace_import (identifier) @import.name) (identifier) @import.name])
  source: (string (string_fragment) @_src)
  (#any-of? @_src "@elastic/elasticsearch" "elasticsearch"))
; const { Client } = require('@elastic/elasticsearch'); const es = require('elasticsearch')
(variable_declarator
  name: [(identifier) @import.name
         (object_pattern [(shorthand_property_identifier_pattern) @import.name
                          (pair_pattern value: (identifier) @import.name)])]
  value: (call_expression
    function: (identifier) @_req
    arguments: (arguments (string (string_fragment) @_src)))
  (#eq? @_req "require")
  (#any-of? @_src "@elastic/elasticsearch" "elasticsearch"))

; Process-wide: process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0' (or ["…"] = 0)
((assignment_expression
  left: (member_expression property: (property_identifier) @_p)) @file.process_verify_off
  (#eq? @_p "NODE_TLS_REJECT_UNAUTHORIZED"))
((assignment_expression
  left: (subscript_expression index: (string (string_fragment) @_p))) @file.process_verify_off
  (#eq? @_p "NODE_TLS_REJECT_UNAUTHORIZED"))

; The Elastic APM agent: require('elastic-apm-node').start({…}), apm.start({…})
(call_expression
  function: (member_expression object: (_) @_o property: (property_identifier) @_m)
  arguments: (arguments) @options
  (#eq? @_m "start")
  (#match? @_o "(elastic-apm-node|^apm$)")) @client @opt.apm_agent

; The variables flattening follows, and fields set after (`opts.tls = {...}`).
(variable_declarator name: (identifier) @bind.name value: (_) @bind.value)
(assignment_expression left: (identifier) @bind.name right: (_) @bind.value)
(assignment_expression
  left: (member_expression object: (identifier) @field.object property: (property_identifier) @field.name)
  right: (_) @field.value)
