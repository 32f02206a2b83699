"""Engines sit beside grading/ and claims/: importing one loads no blueprint, no routes, no models
(app/__init__.py, the factory, is Flask's; the engines themselves import none of it)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", [
    "app.examforms.blueprints",
    "app.scheduling.sm2",
    "app.careerfit.scoring",
    "app.codes.shapes",
    "app.clock",
])
def test_importing_an_engine_loads_no_blueprint_routes_or_models(module):
    code = (f"import sys, {module}; "
            "print(sorted(m for m in sys.modules if m.startswith(('app.models', 'app.services', 'app.exams', "
            "'app.rolefit')) or m.endswith('.routes')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
