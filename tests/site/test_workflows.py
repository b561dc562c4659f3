"""GitHub workflows, checked offline: schema-valid, zizmor-clean, every action pinned to a commit."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.site.conftest import REPO

GITHUB = REPO / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
USES = re.compile(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", re.M)


def unpinned_uses(text: str) -> list[str]:
    """`uses:` references that are not owner/repo@<40-hex SHA> followed by a '# vX.Y.Z' comment."""
    bad = []
    for ref, rest in USES.findall(text):
        if ref.startswith(("$/", "./")):  # this repository's own reusable workflow: no version to pin
            continue
        if not PINNED.match(ref) or not re.match(r"\s*#\s*v\d+(\.\d+)*\b", rest):
            bad.append(ref + rest)
    return bad


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO)


def _load(path: Path) -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); look it up under both spellings.
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_there_is_a_ci_and_a_pages_workflow():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "pages.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version(path):
    text = path.read_text(encoding="utf-8")
    assert USES.findall(text)
    assert unpinned_uses(text) == []


def test_pin_check_rejects_tags_branches_and_short_shas():
    text = (
        "      - uses: actions/checkout@v4\n"
        "      - uses: actions/checkout@main # v4\n"
        "      - uses: actions/checkout@11bd719 # v4.2.2\n"
        "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n"
        "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n"
    )
    assert len(unpinned_uses(text)) == 4


def test_workflows_and_dependabot_match_their_schemas():
    checker = str(BIN / "check-jsonschema")
    workflows = _run(checker, "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS))
    assert workflows.returncode == 0, workflows.stdout + workflows.stderr
    dependabot = _run(checker, "--builtin-schema", "vendor.dependabot", str(GITHUB / "dependabot.yml"))
    assert dependabot.returncode == 0, dependabot.stdout + dependabot.stderr


def test_zizmor_finds_nothing_even_in_pedantic_mode():
    result = _run(str(BIN / "zizmor"), "--offline", "--persona=pedantic", "--no-progress", str(GITHUB))
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_check_fails_on_a_template_injection(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        "on: pull_request_target\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n',
        encoding="utf-8",
    )
    result = _run(str(BIN / "zizmor"), "--offline", "--no-progress", str(tmp_path / ".github"))
    assert result.returncode != 0 and "template-injection" in result.stdout + result.stderr


def test_ci_runs_the_readme_test_command_on_push_and_pull_request_with_a_pip_cache():
    ci = _load(GITHUB / "workflows" / "ci.yml")
    triggers = ci.get("on", ci.get(True))
    assert {"push", "pull_request"} <= set(triggers)
    steps = ci["jobs"]["test"]["steps"]
    assert any(s.get("run") == "make test" for s in steps)
    # every engine is invoked through `python -m vgdocs` (vgdocs/publish/site/engines.py: the one place)
    assert "python -m vgdocs build" in _make_recipe("build") and "vgdocs check site" in _make_recipe("build")
    engines = " ".join(s.get("run", "") for s in ci["jobs"]["engines"]["steps"])
    assert "python -m vgdocs engines mkdocs properdocs" in engines
    assert ci["jobs"]["zensical"]["continue-on-error"] is True
    setup = next(s for s in steps if "actions/setup-python@" in s.get("uses", ""))
    assert setup["with"]["cache"] == "pip"
    assert ci["permissions"] == {"contents": "read"}


def test_pages_deploys_with_least_privilege_and_one_deployment_at_a_time():
    pages = _load(GITHUB / "workflows" / "pages.yml")
    assert pages["permissions"] == {}
    assert pages["concurrency"]["group"] and pages["concurrency"]["cancel-in-progress"] is False
    build, deploy = pages["jobs"]["build"], pages["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    uses = " ".join(s.get("uses", "") for job in (build, deploy) for s in job["steps"])
    for action in ("actions/configure-pages@", "actions/upload-pages-artifact@", "actions/deploy-pages@"):
        assert action in uses
    run = " ".join(s.get("run", "") for s in build["steps"])
    assert "python -m vgdocs build" in run and "python -m vgdocs check site" in run
    # deploy only what CI passed: pages.yml has no trigger but ci.yml's deploy job, which needs the tests
    assert set(pages.get("on", pages.get(True))) == {"workflow_call"}
    ci_deploy = _load(GITHUB / "workflows" / "ci.yml")["jobs"]["deploy"]
    assert {"lint", "test", "engines"} <= set(ci_deploy["needs"]) and ci_deploy["uses"].endswith("pages.yml")


def test_ci_script_runs_exactly_the_readme_test_command():
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert "set -euo pipefail" in commands and commands[-1] == "make test"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", quick_start, re.S)
    first_words = [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]
    assert first_words == ["make serve", "make test"]


def _make_recipe(target: str) -> str:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.M)
    return match.group(1) if match else ""
