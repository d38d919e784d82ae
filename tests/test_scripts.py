"""The README's scripts work on a fresh clone: each prepares the environment it runs in."""

from __future__ import annotations

from pathlib import Path

import pytest

SCRIPTS = Path(__file__).parents[1] / "scripts"


def _runs_in_env(path: Path) -> bool:
    return any(line.lstrip().startswith("in_env ") for line in path.read_text().splitlines())


# The shell scripts a user runs that execute something inside the environment.
IN_ENV_SCRIPTS = sorted(
    p.name for p in SCRIPTS.iterdir() if p.is_file() and p.name != "setup" and _runs_in_env(p)
)


def test_every_user_script_is_checked() -> None:
    assert {"bench", "develop", "lint", "test"} <= set(IN_ENV_SCRIPTS)


@pytest.mark.parametrize("script", IN_ENV_SCRIPTS)
def test_script_prepares_the_environment_before_running_in_it(script: str) -> None:
    lines = (SCRIPTS / script).read_text().splitlines()
    first_use = next(i for i, line in enumerate(lines) if line.lstrip().startswith("in_env "))
    # On a fresh clone the environment does not exist until scripts/setup has built it; running
    # in it before then fails with a mount error (issue 14: ./scripts/bench did).
    assert any("scripts/setup" in line for line in lines[:first_use]), (
        f"scripts/{script} runs in_env before scripts/setup"
    )
