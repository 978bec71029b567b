import cnnviz  # noqa: F401  (first: sets the thread-pool wait policies before numpy loads)
