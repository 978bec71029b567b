import os

from cnnviz.engine import configure

configure()  # first, as the app and the command line do: before any kernel is defined

# Qt without a display, for every test that makes a widget or renders (not only tests/app).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
