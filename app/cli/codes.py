import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

codes_cli = AppGroup("codes", help="Build and inspect the code sets.")

CODES_SOURCE_DIR = Path(__file__).resolve().parent.parent / "codes"


def _is_stale(db_path: Path) -> bool:
    """The built file is stale when any builder or curated data file is newer than it."""
    if not db_path.exists():
        return True
    built = db_path.stat().st_mtime
    return any(p.stat().st_mtime > built for p in CODES_SOURCE_DIR.rglob("*") if p.is_file()
               and p.suffix in {".py", ".csv", ".yml", ".yaml", ".tsv", ".txt", ".sha256"})


@codes_cli.command("build")
@click.option("--if-stale", is_flag=True, help="Only build when the file is missing or older than its sources.")
def build(if_stale):
    """Build the code-set database (ICD-10-CM, HCPCS, CPT numbers, modifiers, POS)."""
    from app.codes.build import CptWordingError, build_codes_db

    db_path = Path(current_app.config["CODESET_PATH"])
    if if_stale and not _is_stale(db_path):
        click.echo(f"code sets up to date: {db_path}")
        return
    start = time.perf_counter()
    try:
        counts = build_codes_db(db_path)
    except CptWordingError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"built {db_path} in {time.perf_counter() - start:.1f} s: "
               + ", ".join(f"{k} {v}" for k, v in counts.items()))


@codes_cli.command("import-cpt")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
def import_cpt(csv_file):
    """Load a licensed CPT descriptor file (code,descriptor) over our own labels."""
    from app.codes.build import import_cpt_descriptors

    try:
        count = import_cpt_descriptors(current_app.config["CODESET_PATH"], csv_file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"imported {count} CPT descriptors")
