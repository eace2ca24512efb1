import sys
from pathlib import Path

# Our `trace` app shares its name with a stdlib module. Entry points started outside the
# repository (celery, gunicorn, pytest plugins) may see the stdlib one first, so the project
# root goes first on sys.path and a stdlib `trace` imported by then is forgotten.
_ROOT = str(Path(__file__).resolve().parent.parent)
if sys.path[:1] != [_ROOT]:
    sys.path.insert(0, _ROOT)
if not hasattr(sys.modules.get("trace"), "__path__"):
    sys.modules.pop("trace", None)

from config.celery import app as celery_app  # noqa: E402

__all__ = ["celery_app"]
