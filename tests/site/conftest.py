"""Site-build helpers: tiny projects using the site's config (the real site is tests/conftest.py's real_site)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import CONFIG, REPO, Build, mkdocs_build

__all__ = ["CONFIG", "PROJECT_ENV", "REPO", "Build", "make_project", "mkdocs_build", "project_config"]


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
