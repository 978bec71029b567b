import os

import cnnviz  # noqa: F401  (first: sets the thread-pool wait policies before numpy loads)

# Qt without a display, for every test that makes a widget or renders (not only tests/app).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
