"""One module per pane. Each pane is built once for a network and then only updated from
snapshots (docs/ARCHITECTURE.md, rule 8)."""
