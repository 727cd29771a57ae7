; Ruby: the `elasticsearch` gem, Elasticsearch::Client.new(…) (and Elastic::Transport's).
; Captures are described in src/collect/code/mod.rs.

(call
  receiver: (scope_resolution name: (constant) @_c)
  method: (identifier) @_m
  arguments: (argument_list) @options
  (#eq? @_c "Client")
  (#eq? @_m "new")) @client

; The variables flattening follows (`options = { … }`).
(assignment left: (identifier) @bind.name right: (_) @bind.value)
(assignment left: (constant) @bind.name right: (_) @bind.value)
