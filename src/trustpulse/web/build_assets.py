"""`python -m trustpulse.web.build_assets`: install the pinned front-end libraries from npm and
copy the files the dashboard serves into static/vendor/.

The result is committed (static/vendor/echarts.min.js, ~1.1 MB), so a fresh clone, a wheel and
an offline machine serve charts without npm; run this only to change the pinned version in
assets/package.json (then commit package-lock.json and the copied files together).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"
VENDOR = HERE / "static" / "vendor"
# (file inside node_modules, name under static/vendor)
FILES = (
    ("echarts/dist/echarts.min.js", "echarts.min.js"),
    ("echarts/LICENSE", "echarts.LICENSE.txt"),
)


def build(npm: str = "npm") -> list[Path]:
    executable = shutil.which(npm)
    if executable is None:
        raise SystemExit(f"{npm} not found: install Node.js to rebuild the vendored assets")
    with tempfile.TemporaryDirectory(prefix="trustpulse-assets-") as tmp:
        work = Path(tmp)
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(ASSETS / name, work / name)
        subprocess.run(  # noqa: S603 -- fixed arguments, npm found on PATH
            [executable, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=work,
            check=True,
        )
        VENDOR.mkdir(parents=True, exist_ok=True)
        written = []
        for source, target in FILES:
            shutil.copy2(work / "node_modules" / source, VENDOR / target)
            written.append(VENDOR / target)
    return written


def main() -> int:
    for path in build():
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
