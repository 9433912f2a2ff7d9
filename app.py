"""Gradio entry point: `python app.py [--port N] [--host H] [--share]`."""

import sys

from tutor.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
