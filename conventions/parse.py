"""`dbt parse` for the conventions check, that also works on a fresh clone.

The raw seeds (seeds/saas_*.csv) are generated, not committed, and dbt cannot
parse a project whose models `ref()` a seed whose file is missing. Parsing only
needs the files to exist, so when some are missing the project is parsed from a
temporary copy with empty placeholder files; the working tree is never touched.

    python -m conventions.parse [--target-path target/lint]

Exit status: dbt's (0 when the manifest was written).
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
COPY_IGNORE = shutil.ignore_patterns(
    ".venv*", ".git", "target", "logs", "dbt_packages", "*.duckdb", "*.duckdb.wal",
    "__pycache__", ".*_cache", "data", "bench",
)  # fmt: skip


def missing_seeds(project_dir: Path) -> list[str]:
    """Seeds declared in seeds/**/*.yml whose CSV file does not exist."""
    missing = []
    seeds_dir = project_dir / "seeds"
    for properties in sorted(seeds_dir.rglob("*.yml")):
        document = yaml.safe_load(properties.read_text(encoding="utf-8")) or {}
        for seed in document.get("seeds") or []:
            if not (properties.parent / f"{seed['name']}.csv").exists() and not any(
                seeds_dir.rglob(f"{seed['name']}.csv")
            ):
                missing.append(seed["name"])
    return missing


def add_placeholder_seeds(project_dir: Path, names: list[str]) -> None:
    """Empty CSV files for the given seeds (enough for `dbt parse`)."""
    for name in names:
        (project_dir / "seeds" / f"{name}.csv").touch()


def dbt_parse(project_dir: Path, target_path: Path, *extra: str) -> int:
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt if dbt.exists() else "dbt"), "--quiet", "parse"]
    command += ["--project-dir", str(project_dir), "--target-path", str(target_path), *extra]
    return subprocess.run(command, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--target-path",
        type=Path,
        default=PROJECT_DIR / "target" / "lint",
        help="where dbt writes manifest.json (default: target/lint)",
    )
    args = parser.parse_args(argv)
    target_path = args.target_path.resolve()

    missing = missing_seeds(PROJECT_DIR)
    if not missing:
        return dbt_parse(PROJECT_DIR, target_path)
    print(f"seeds not generated yet ({', '.join(missing)}): parsing a copy with placeholders")
    with tempfile.TemporaryDirectory(prefix="dbt-parse-") as tmp:
        copy = Path(tmp) / PROJECT_DIR.name
        shutil.copytree(PROJECT_DIR, copy, ignore=COPY_IGNORE)
        add_placeholder_seeds(copy, missing)
        # a partial-parse state from another project root must not be reused
        return dbt_parse(copy, target_path, "--no-partial-parse")


if __name__ == "__main__":
    sys.exit(main())
