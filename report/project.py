"""What the report takes from the dbt project: the profile's target and the vars.

The target is rendered by dbt itself, so ``env_var()`` and ``DBT_TARGET`` work
as for ``dbt build``. The vars are dbt's: the ``vars`` of ``dbt_project.yml``
(global, then scoped to this project) overridden by ``--vars``, the order in
which dbt's ``var()`` resolves them for the project's models. The report has
no defaults of its own: a threshold it quotes comes from here or the report
stops.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from report.errors import EXIT_USAGE, ReportError


def _read_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or error
        raise ReportError(f"{path}{line}: {problem}", EXIT_USAGE) from error


def read_project_config(project_dir: Path) -> dict[str, Any]:
    path = project_dir / "dbt_project.yml"
    if not path.is_file():
        raise ReportError(f"no dbt_project.yml in {project_dir}", EXIT_USAGE)
    config = _read_yaml(path)
    if not isinstance(config, dict):
        raise ReportError(f"{path}: not a mapping of settings", EXIT_USAGE)
    return config


@dataclass(frozen=True)
class ProjectVars:
    """The dbt vars in force for the project's models."""

    values: Mapping[str, Any]
    origin: str  # where they were read, for error messages

    def __getitem__(self, name: str) -> Any:
        if name not in self.values:
            raise ReportError(f"the dbt var {name!r} is not set ({self.origin})", EXIT_USAGE)
        return self.values[name]

    def number(self, name: str) -> float:
        value = self[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ReportError(f"the dbt var {name!r} is {value!r}, not a number", EXIT_USAGE)
        return value


def project_vars(project_dir: Path, cli_vars: str | None = None) -> ProjectVars:
    """dbt_project.yml's vars with ``--vars`` (a YAML mapping, as for dbt) on top."""
    from dbt.config.utils import parse_cli_vars
    from dbt_common.exceptions import DbtValidationError

    config = read_project_config(project_dir)
    declared = config.get("vars") or {}
    scoped = declared.get(str(config.get("name", "")), {})
    values = {name: value for name, value in declared.items() if name != config.get("name")}
    values.update(scoped if isinstance(scoped, dict) else {})
    origin = f"{project_dir / 'dbt_project.yml'}"
    if cli_vars:
        try:
            values.update(parse_cli_vars(cli_vars))
        except DbtValidationError as error:
            raise ReportError(f"--vars: {error}".splitlines()[0], EXIT_USAGE) from error
        origin += " and --vars"
    return ProjectVars(values, origin)


@dataclass(frozen=True)
class Target:
    """The rendered target of the dbt profile."""

    profile_name: str
    name: str
    settings: Mapping[str, Any]
    profiles_file: Path
    chosen: bool = False  # named with --target (else the profile's default)

    @property
    def adapter_type(self) -> str:
        return str(self.settings.get("type", ""))


def find_profiles_dir(project_dir: Path, profiles_dir: Path | None) -> Path | None:
    """dbt's search order: --profiles-dir, $DBT_PROFILES_DIR, the project, ~/.dbt."""
    if profiles_dir is not None:
        return profiles_dir
    if os.environ.get("DBT_PROFILES_DIR"):
        return Path(os.environ["DBT_PROFILES_DIR"])
    for candidate in (project_dir, Path.home() / ".dbt"):
        if (candidate / "profiles.yml").is_file():
            return candidate
    return None


def _profiles_file(project_dir: Path, profiles_dir: Path | None) -> Path:
    found = find_profiles_dir(project_dir, profiles_dir)
    if found is not None and (found / "profiles.yml").is_file():
        return found / "profiles.yml"
    example = project_dir / "profiles.example.yml"
    if not example.is_file():
        raise ReportError(
            "no profiles.yml found: copy profiles.example.yml to profiles.yml", EXIT_USAGE
        )
    return example


def resolve_target(
    project_dir: Path, profiles_dir: Path | None, target_override: str | None
) -> Target:
    """Render the project's profile and pick the target, with dbt's own renderer."""
    from dbt.config.profile import Profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    profile_name = str(read_project_config(project_dir).get("profile", ""))
    profiles_file = _profiles_file(project_dir, profiles_dir)
    raw_profiles = _read_yaml(profiles_file) or {}
    if profile_name not in raw_profiles:
        raise ReportError(f"{profiles_file} has no profile {profile_name!r}", EXIT_USAGE)
    set_invocation_context(os.environ)
    try:
        target_name, settings = Profile.render_profile(
            raw_profiles[profile_name], profile_name, target_override, ProfileRenderer({})
        )
    except Exception as error:  # dbt raises its own profile/compilation errors
        message = str(error).strip().splitlines()[-1]
        raise ReportError(f"profile {profile_name!r}: {message}", EXIT_USAGE) from error
    return Target(profile_name, target_name, settings, profiles_file, target_override is not None)
