"""Every module of the service imports on its own, whatever was imported before it.

Nothing at import time may need another of our modules imported first: building ORM loader
options, for one, configures every mapper, which fails while a model named in a relationship is
not yet imported. The suite as a whole imports everything early and would never notice.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import marketplace

pytestmark = pytest.mark.slow  # a fresh interpreter per module: `make test-fast` leaves it out

PACKAGE = Path(marketplace.__file__).parent
MODULES = sorted(
    ".".join(("marketplace", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(
        ".__init__"
    )
    for path in PACKAGE.rglob("*.py")
)

# Each module in a forked child of one interpreter that holds only third-party libraries (as
# many at a time as there are cores), so that a hundred fresh imports take seconds, not minutes.
_IMPORT_EACH = """
import importlib, os, sys
import flask, flask_smorest, marshmallow, numpy, sqlalchemy, sqlalchemy.orm
running, failed = set(), 0
for name in sys.argv[1:]:
    if len(running) >= (os.cpu_count() or 1):
        child, status = os.waitpid(-1, 0)
        running.discard(child)
        failed += status != 0
    child = os.fork()
    if child == 0:
        try:
            importlib.import_module(name)
        except BaseException as error:
            print(f"{name}: {error!r}"[:400], flush=True)
            os._exit(1)
        os._exit(0)
    running.add(child)
for child in running:
    failed += os.waitpid(child, 0)[1] != 0
sys.exit(1 if failed else 0)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a child per module")
def test_every_module_imports_on_its_own() -> None:
    assert "marketplace.jobs.services" in MODULES and "marketplace" in MODULES
    finished = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH, *MODULES],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
