"""One cache of web/'s compressed copies for every server the tests start.

`mediate serve` compresses every file of web/ when it starts (Brotli at quality 11 and gzip at
level 9, server/http/assets.py) into ``<data dir>/cache/static``, by content hash, so that a restart
on the same data directory compresses nothing again. Each test server has a data directory of its
own, and so made all of it anew: about 4 CPU seconds a start, some forty starts a run. Linking each
server's cache to one directory keeps one copy per content, which is what a restart would find.
tests/api/test_static.py checks the compression and the cache themselves.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SHARED = Path(tempfile.gettempdir()) / f"mediate-test-static-cache-{os.getuid()}"


def share_static_cache(data_dir: Path) -> None:
    """Link ``data_dir``'s static cache to the tests' shared one (nothing to do if it is there)."""
    SHARED.mkdir(mode=0o700, exist_ok=True)
    link = data_dir / "cache" / "static"
    if link.is_symlink() or link.exists():
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(SHARED, target_is_directory=True)
