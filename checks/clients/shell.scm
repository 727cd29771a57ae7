; Shell: curl to Elasticsearch in scripts, Dockerfile RUN instructions and Makefile recipes
; (src/collect/code/shell.rs reads its flags). Captures are described in
; src/collect/code/mod.rs.

(command name: (command_name (word) @_c) (#eq? @_c "curl")) @client @options
