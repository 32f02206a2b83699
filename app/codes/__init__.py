"""Code sets: ICD-10-CM, HCPCS Level II, modifiers, place of service and CPT code numbers.

Built once into a read-only SQLite file (``python -m app.codes.build`` / ``flask codes build``) and
queried at run time. No Flask or SQLAlchemy imports in this package.

The look-up names load ``lookup.py`` on first use, so an engine that only needs a code's shape
(``app.codes.shapes``) or the ``Code`` type imports without the code book's machinery.
"""
from .model import CPT, HCPCS, ICD10CM, MODIFIER, POS, SYSTEMS, Code, CodeSet

_LOOKUP_NAMES = frozenset({
    "CodeSetMissing", "SqliteCodeSet", "default_codeset", "default_codeset_path", "normalize",
    "open_codeset", "set_default_codeset",
})


def __getattr__(name: str):
    if name in _LOOKUP_NAMES:
        from . import lookup

        return getattr(lookup, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "CPT", "HCPCS", "ICD10CM", "MODIFIER", "POS", "SYSTEMS", "Code", "CodeSet",
    "CodeSetMissing", "SqliteCodeSet", "default_codeset", "default_codeset_path", "normalize",
    "open_codeset", "set_default_codeset", "build_codes_db", "import_cpt_descriptors",
]


def build_codes_db(path):
    """Build the code-set database (see :func:`app.codes.build.build_codes_db`)."""
    from .build import build_codes_db as _build  # imported lazily: build-time only

    return _build(path)


def import_cpt_descriptors(db_path, csv_path):
    """Import licensed CPT descriptors (see :func:`app.codes.build.import_cpt_descriptors`)."""
    from .build import import_cpt_descriptors as _imp

    return _imp(db_path, csv_path)
