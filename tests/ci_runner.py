"""Run what a CI system would run from our CI definitions (the GitLab component, the GitHub
action): their shell lines, in bash, with that CI's variables set and the `inspector` of this
environment on PATH. The CI system itself is not here; its contract for these files is."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent

#: Variables of the machine that must not leak into a simulated job (a real CI, a real token).
_CLEAN = re.compile(r"^(APPLIVERY_|INSPECTOR_|GITHUB_|GITLAB_|CI_|CI$|RUNNER_|BITRISE|JENKINS|"
                    r"BUILD_|TF_BUILD|CIRCLE|TRAVIS|BUILDKITE|TEAMCITY|CM_|FCI_|BITBUCKET_)")


@dataclass(frozen=True)
class Job:
    code: int
    out: str
    err: str


def base_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not _CLEAN.match(k)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def run_bash(script: str, env: Mapping[str, str], cwd: Path, timeout: float = 60) -> Job:
    done = subprocess.run(["bash", "-c", script], env=dict(env), cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return Job(done.returncode, done.stdout, done.stderr)


# -- GitLab CI/CD components ------------------------------------------------------------------

_INPUT = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]")


def gitlab_spec(path: Path) -> dict[str, Any]:
    spec, _ = yaml.safe_load_all(path.read_text(encoding="utf-8"))
    return dict(spec["spec"]["inputs"])


def gitlab_render(path: Path, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The component's jobs with ``$[[ inputs.x ]]`` replaced as GitLab does: given inputs,
    else defaults; a required input missing, an unknown one or a value outside ``options`` is
    an error, as it is in GitLab."""
    declared = gitlab_spec(path)
    unknown = set(inputs) - set(declared)
    if unknown:
        raise ValueError(f"unknown inputs {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec or {}
        if name in inputs:
            value = inputs[name]
        elif "default" in spec:
            value = spec["default"]
        else:
            raise ValueError(f"input {name} is required")
        if "options" in spec and value not in spec["options"]:
            raise ValueError(f"input {name}: {value!r} is not one of {spec['options']}")
        values[name] = value
    text = path.read_text(encoding="utf-8").split("\n---\n", 1)[1]

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ValueError(f"the template uses an undeclared input {name}")
        value = values[name]
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    return dict(yaml.safe_load(_INPUT.sub(one, text)))


def gitlab_job(job: Mapping[str, Any], variables: Mapping[str, str], cwd: Path) -> Job:
    """Run a job's ``script`` as the GitLab runner does: one bash session, ``set -eo pipefail``,
    the job's ``variables`` and the predefined ones in the environment."""
    env = base_env({"CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": str(cwd), **variables})
    env.update({k: str(v) for k, v in job.get("variables", {}).items()})
    script = "set -eo pipefail\n" + "\n".join(job["script"])
    return run_bash(script, env, cwd)
