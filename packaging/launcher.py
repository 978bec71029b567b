"""The bundle's entry point: the `cnnviz` command (cnnviz.cli:main), as the installed script runs it."""
import sys

from cnnviz.cli import main

if __name__ == "__main__":
    sys.exit(main())
