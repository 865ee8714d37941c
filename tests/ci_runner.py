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


# -- GitHub composite actions -----------------------------------------------------------------

_EXPR = re.compile(r"\$\{\{\s*(inputs|steps)\.([A-Za-z0-9_-]+)(?:\.outputs\.([A-Za-z0-9_-]+))?\s*\}\}")


@dataclass(frozen=True)
class ActionRun:
    code: int
    out: str
    err: str
    outputs: dict[str, str]
    steps: dict[str, dict[str, str]]
    ran: list[str]


def read_github_file(path: Path) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` / ``$GITHUB_ENV`` as the runner reads them: ``name=value`` lines and
    ``name<<DELIMITER`` ... ``DELIMITER`` blocks."""
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").split("\n") if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            while i < len(lines) and lines[i] != delimiter:
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise ValueError(f"{path.name}: no closing delimiter for {name}")
            i += 1
            values[name] = "\n".join(body)
        else:
            name, _, value = line.partition("=")
            if not _:
                raise ValueError(f"{path.name}: not name=value: {line!r}")
            values[name] = value
    return values


def github_action(action: Path, inputs: Mapping[str, str], variables: Mapping[str, str],
                  cwd: Path, *, skip_uses: tuple[str, ...] = ("actions/setup-python@",),
                  skip_named: tuple[str, ...] = ("Install inspector",)) -> ActionRun:
    """Run a composite action as the runner does: inputs with defaults (a required one missing
    is an error), each ``run`` step in ``bash --noprofile --norc -eo pipefail`` with its ``env``,
    ``$GITHUB_OUTPUT`` read into the step's outputs after it, ``$GITHUB_ENV`` carried to the next
    steps, the first failing step ending the run. ``uses`` steps (setting up Python) and the
    steps named in ``skip_named`` (installing inspector) are setup this environment already has.
    Only the expressions these files use are evaluated: ``inputs.X`` and ``steps.ID.outputs.Y``."""
    spec = yaml.safe_load(action.read_text(encoding="utf-8"))
    declared = spec["inputs"]
    unknown = set(inputs) - set(declared)
    if unknown:
        raise ValueError(f"unknown inputs {sorted(unknown)}")
    values = {}
    for name, item in declared.items():
        if name in inputs:
            values[name] = inputs[name]
        elif item.get("required") and "default" not in item:
            raise ValueError(f"input {name} is required")
        else:
            values[name] = str(item.get("default", ""))
    steps: dict[str, dict[str, str]] = {}

    def expand(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            if m.group(1) == "inputs":
                return values[m.group(2)]
            return steps.get(m.group(2), {}).get(m.group(3) or "", "")
        return _EXPR.sub(one, text)

    temp = cwd / ".runner"
    temp.mkdir(exist_ok=True)
    env_file, summary = temp / "github_env", temp / "step_summary"
    env_file.touch()
    summary.touch()
    event = temp / "event.json"
    if not event.exists():
        event.write_text("{}")
    carried: dict[str, str] = {}
    out, err, ran, code = [], [], [], 0
    for index, step in enumerate(spec["runs"]["steps"]):
        if "uses" in step:
            assert str(step["uses"]).startswith(skip_uses), step["uses"]
            continue
        if step.get("name") in skip_named:
            continue
        output_file = temp / f"output_{index}"
        output_file.touch()
        env = base_env({"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_ACTION_PATH": str(action.parent),
                        "GITHUB_OUTPUT": str(output_file), "GITHUB_ENV": str(env_file),
                        "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_EVENT_PATH": str(event),
                        "GITHUB_WORKSPACE": str(cwd), **variables, **carried})
        env.update({k: expand(str(v)) for k, v in (step.get("env") or {}).items()})
        assert step.get("shell") == "bash", step
        script = temp / f"step_{index}.sh"
        script.write_text(expand(step["run"]), encoding="utf-8")
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              env=env, cwd=cwd, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        out.append(done.stdout)
        err.append(done.stderr)
        ran.append(step.get("id") or step.get("name", f"step {index}"))
        if step.get("id"):
            steps[step["id"]] = read_github_file(output_file)
        carried.update(read_github_file(env_file))
        if done.returncode != 0:
            code = done.returncode
            break
    outputs = {name: expand(str(item["value"])) for name, item in spec["outputs"].items()}
    return ActionRun(code, "".join(out), "".join(err), outputs, steps, ran)
