"""``python -m carboy``: the ``carboy`` command line."""

from .cli import main

if __name__ == "__main__":  # pragma: no cover - exercised as a subprocess
    main()
