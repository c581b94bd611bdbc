"""Writing results: atomically, so that a crash never leaves a half-written file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from fleetmix.errors import InputError


def write_text_atomic(path: str | os.PathLike[str], text: str, *,
                      make_parents: bool = False) -> Path:
    """Write `text` to a temporary file beside `path`, then rename it over `path`.

    A missing folder is an InputError unless `make_parents`."""
    target = Path(path)
    folder = target.parent
    if make_parents:
        folder.mkdir(parents=True, exist_ok=True)
    elif not folder.is_dir():
        raise InputError(f"{target}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
