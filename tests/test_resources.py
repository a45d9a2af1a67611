"""An installed copy (no checkout beside it) finds the contract and the fixtures."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_an_installed_wheel_finds_the_contract_and_the_fixtures(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "dist"), str(ROOT)], check=True, timeout=300)
    wheel = next((tmp_path / "dist").glob("chat_contract-*.whl"))
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    probe = (
        "from chat_contract.resources import spec_path, fixtures_dir;"
        "import sys; p, f = spec_path(), fixtures_dir();"
        "assert p.is_file() and (f / 'seed.yaml').is_file(), (p, f);"
        "print(p)"
    )
    # -I: isolated mode, so neither the checkout nor the current directory is on sys.path.
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {probe}"],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith(str(site))
