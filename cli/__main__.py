"""`python -m cli serve intake`: the command line as a module, as the process runner uses it."""

import os

from cli.main import main

os.environ.setdefault("PYTHONUNBUFFERED", "1")
main()
