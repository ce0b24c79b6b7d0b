"""The fingerprint of the console's sources, kept beside the built bundle
(``api/console_dist/SOURCE``) so a test can tell, without Node.js, that the committed bundle was
built from the committed sources. ``python console/scripts/stamp.py`` writes it (``make
console`` does, after building); ``make lint`` goes further and rebuilds the bundle to compare
it byte for byte (the build is reproducible)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

CONSOLE = Path(__file__).resolve().parents[1]
STAMP = CONSOLE.parent / "api" / "console_dist" / "SOURCE"
INPUTS = ("index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts")
"""With every file under ``src/``: everything the build reads."""


def source_files(root: Path = CONSOLE) -> list[Path]:
    files = [root / name for name in INPUTS]
    files += [p for p in (root / "src").rglob("*") if p.is_file()]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def fingerprint(root: Path = CONSOLE) -> str:
    digest = hashlib.sha256()
    for path in source_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return digest.hexdigest()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else STAMP
    target.write_text(fingerprint() + "\n", encoding="ascii")
