"""Training that the app and the command line share (no Qt)."""
