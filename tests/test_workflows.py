"""The CI workflows: deployment waits for validation and build, and the commands they run really work."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

GITHUB = ROOT / ".github" / "workflows" / "publish.yml"
GITLAB = ROOT / ".gitlab-ci.yml"
PREFIX = ["python", "-m", "generator"]


def _load(path: Path) -> dict:
    # PyYAML reads the key "on" as True (YAML 1.1); the workflow keys we check are not affected.
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _generator_commands(lines) -> list[list[str]]:
    commands = []
    for line in lines:
        for part in str(line).split("&&"):
            words = shlex.split(part)
            if words[:3] == PREFIX:
                commands.append(words)
    return commands


def github_commands() -> list[list[str]]:
    steps = _load(GITHUB)["jobs"]["build"]["steps"]
    return _generator_commands(s["run"] for s in steps if "run" in s)


def gitlab_commands() -> list[list[str]]:
    return _generator_commands(_load(GITLAB)["pages"]["script"])


def _option(words: list[str], name: str) -> str | None:
    return words[words.index(name) + 1] if name in words else None


def _subcommand(words: list[str]) -> str:
    rest = words[3:]
    while rest and rest[0].startswith("--"):
        rest = rest[2:]
    return rest[0]


def test_github_deploys_only_after_a_successful_validate_and_build():
    wf = _load(GITHUB)
    jobs = wf["jobs"]
    assert jobs["deploy"]["needs"] == "build" or jobs["deploy"]["needs"] == ["build"]
    uses = [s.get("uses", "") for s in jobs["build"]["steps"]]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert [s["uses"].split("@")[0] for s in jobs["deploy"]["steps"]] == ["actions/deploy-pages"]
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    runs = [s.get("run", "") for s in jobs["build"]["steps"]]
    assert "pip install -e ." in runs
    commands = github_commands()
    assert [_subcommand(c) for c in commands] == ["validate", "build"]
    # Steps run in order and a failing step stops the job: validation comes before the build and the upload.
    upload = next(i for i, s in enumerate(jobs["build"]["steps"]) if "upload-pages-artifact" in s.get("uses", ""))
    build = next(i for i, s in enumerate(jobs["build"]["steps"]) if "build" in s.get("run", ""))
    assert build < upload
    artifact = jobs["build"]["steps"][upload]["with"]["path"]
    assert _option(commands[1], "--site") == artifact


def test_gitlab_pages_publishes_public_only_after_validation():
    ci = _load(GITLAB)
    assert ci["stages"].index("validate") < ci["stages"].index(ci["pages"]["stage"])
    assert ci["pages"]["needs"] == ["validate"]
    assert ci["pages"]["artifacts"]["paths"] == ["public"]
    commands = gitlab_commands()
    assert [_subcommand(c) for c in commands] == ["validate", "build"]
    assert _option(commands[1], "--site") == "public"
    assert _generator_commands(ci["validate"]["script"]) == [commands[0]]


def _run(words: list[str], *, site: Path, data: Path | None = None) -> subprocess.CompletedProcess:
    """Run a workflow's command with this interpreter; output goes to a private site (and data) directory."""
    args = [sys.executable, "-m", "generator"]
    if data is not None:
        args += ["--data", str(data)]
    rest = list(words[3:])
    if "--site" in rest:
        rest[rest.index("--site") + 1] = str(site)
    return subprocess.run(args + rest, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("commands", [github_commands, gitlab_commands], ids=["github", "gitlab"])
def test_the_workflow_commands_build_the_site(commands, tmp_path: Path):
    site = tmp_path / "site"
    for words in commands():
        done = _run(words, site=site)
        assert done.returncode == 0, done.stderr
    assert (site / "index.html").is_file()
    assert "岳池县2023年度预算绩效管理工作开展情况" in (site / "2023" / "index.html").read_text("utf-8")


@pytest.mark.slow
def test_the_workflow_commands_refuse_bad_data(data_copy: Path, tmp_path: Path):
    departments = data_copy / "2023" / "departments.csv"
    departments.write_text(departments.read_text("utf-8") + ",县民政局,四级,,否,是\n", encoding="utf-8")
    site = tmp_path / "site"
    validate, build = github_commands()
    done = _run(validate, site=site, data=data_copy)
    assert done.returncode == 1
    assert "departments.csv" in done.stderr and "级次" in done.stderr
    assert _run(build, site=site, data=data_copy).returncode == 1
    assert not site.exists()


def test_deploy_guide_runs_the_same_commands_as_ci():
    guide = (ROOT / "content" / "guide" / "deploy.md").read_text("utf-8")
    for words in github_commands() + gitlab_commands():
        assert shlex.join(words) in guide


def test_error_codes_in_the_staff_guide_exist():
    import re

    from generator.problems import CODES

    guide = (ROOT / "content" / "guide" / "validate.md").read_text("utf-8")
    codes = set(re.findall(r"`([a-z]+(?:-[a-z]+)+)`", guide))
    assert len(codes) >= 10
    assert codes <= set(CODES)
