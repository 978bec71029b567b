"""One module per pane. Each pane is built once for a network and then only updated from
snapshots (DESIGN.md convention 8)."""
