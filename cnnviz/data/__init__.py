"""Datasets, image loading and preprocessing for cnnviz (no Qt)."""
