"""Built-in assets: architectures (JSON), icons, sample images."""
