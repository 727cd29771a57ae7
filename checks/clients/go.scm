; Go: go-elasticsearch's `Config` (v7 to v9, and the typed client's). Captures are described
; in src/collect/code/mod.rs.

; elasticsearch.Config{...}, es8.Config{...}
(composite_literal
  type: (qualified_type package: (package_identifier) @client.library name: (type_identifier) @_t)
  body: (literal_value) @options
  (#eq? @_t "Config")) @client

; The package names the file imports go-elasticsearch under (its own name, or an alias).
(import_spec
  name: (package_identifier) @import.name
  path: (interpreted_string_literal) @_p
  (#match? @_p "go-elasticsearch/v[0-9]+\"$"))
(import_spec
  !name
  path: (interpreted_string_literal (interpreted_string_literal_content) @import.name)
  (#match? @import.name "go-elasticsearch/v[0-9]+$"))

; The variables flattening follows, and fields set after (`cfg.Password = ...`).
(short_var_declaration
  left: (expression_list . (identifier) @bind.name)
  right: (expression_list . (_) @bind.value))
(var_spec name: (identifier) @bind.name value: (expression_list . (_) @bind.value))
(assignment_statement
  left: (expression_list . (identifier) @bind.name)
  right: (expression_list . (_) @bind.value))
(assignment_statement
  left: (expression_list . (selector_expression operand: (identifier) @field.object field: (field_identifier) @field.name))
  right: (expression_list . (_) @field.value))
