"""Site-build helpers: the real site built once (cold, strict), and tiny projects using the same config.

The real build is shared: its directory goes to VGDOCS_SITE_DIR for the browser suite, which runs
later in the same session when `make test` lists tests/site first.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "mkdocs.yml"


@dataclass(frozen=True)
class Build:
    """A finished `mkdocs build`: exit code, combined output, the site directory and wall time (s)."""

    returncode: int
    output: str
    site: Path
    seconds: float


def mkdocs_build(config: Path, site: Path, *, strict: bool = True, env: dict[str, str] | None = None) -> Build:
    """Run `python -m mkdocs build` cold (no experiment cache) in a subprocess."""
    from vgdocs.publish.site.engines import command

    cmd = [*command("build", config=config, strict=False), "--clean", "-d", str(site)]
    if strict:
        cmd.insert(4, "--strict")
    full_env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "VGDOCS_CACHE": "0", **(env or {})}
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=config.parent, env=full_env, capture_output=True, text=True, check=False)
    return Build(proc.returncode, proc.stdout + proc.stderr, site, time.perf_counter() - started)


def project_config(nav: str | None = None) -> str:
    """The real mkdocs.yml with hook and watch paths absolute, `nav` replaced (omitted: mkdocs lists the docs)."""
    text = CONFIG.read_text(encoding="utf-8").replace("- vgdocs/publish/site/", f"- {REPO}/vgdocs/publish/site/")
    text = re.sub(r"^(\s+- )vgdocs$", rf"\g<1>{REPO}/vgdocs", text, flags=re.M)  # `watch:`
    text = re.sub(r"^(\s+custom_dir: )(\S+)", rf"\g<1>{REPO}/\2", text, flags=re.M)
    text = re.sub(r"^nav:\n(?:[ \t]+.*\n|\n)*", "", text, flags=re.M)
    return text + (f"\nnav:\n{nav}" if nav else "")


def make_project(root: Path, pages: dict[str, str], nav: str | None = None) -> Path:
    """A throwaway mkdocs project under `root` with the site's config and the given docs; returns mkdocs.yml."""
    for name, text in pages.items():
        path = root / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(project_config(nav), encoding="utf-8")
    return config


# Throwaway projects have no ledger file: the drift hook must not compare against one.
PROJECT_ENV = {"VGDOCS_LEDGER_COMPARE": "0"}


@pytest.fixture(scope="session")
def real_site(tmp_path_factory) -> Build:
    """The repository's site, built once with `mkdocs build --strict` into a temporary directory."""
    build = mkdocs_build(CONFIG, tmp_path_factory.mktemp("real") / "site")
    if build.returncode == 0:
        os.environ.setdefault("VGDOCS_SITE_DIR", str(build.site))
    return build
