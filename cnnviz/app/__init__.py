"""The desktop app (Qt). Only this package imports Qt; it talks to the engine through the
training loop's Control and Snapshots (cnnviz.training)."""
