"""The CPT wording rule (app/codes/cpt_wording.py): our labels, the detector itself, the build and content checks."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from app.codes import cpt_wording as w
from app.codes.build import CptWordingError, build_codes_db, check_cpt_wording, read_data_csv
from app.content.wording import check_cpt_wording as check_content_wording
from app.content.wording import check_text_wording

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "app" / "codes" / "data"
# the last commit with the labels the 2026 audit found copying AMA descriptors
OLD_COMMIT = "0fa37a1"


def _rows(name: str, column: str, source: str | None):
    return [(r["code"], r[column]) for r in read_data_csv(DATA / name)
            if source is None or r["source"].lower() == source]


LABELS = _rows("cpt_2026_labels.csv", "label", None)
CPT_MODIFIERS = _rows("modifiers_2026.csv", "description", "cpt")


def _old_rows(name: str, column: str, source: str | None) -> list[tuple[str, str]]:
    try:
        text = subprocess.run(["git", "show", f"{OLD_COMMIT}:app/codes/data/{name}"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    body = "".join(ln for ln in text.splitlines(True) if not ln.lstrip().startswith("#") and ln.strip())
    return [(r["code"], r[column]) for r in csv.DictReader(io.StringIO(body))
            if source is None or r["source"].lower() == source]


OLD_LABELS = _old_rows("cpt_2026_labels.csv", "label", None)
OLD_MODIFIERS = _old_rows("modifiers_2026.csv", "description", "cpt")
needs_history = pytest.mark.skipif(not OLD_LABELS, reason=f"git history ({OLD_COMMIT}) not available")


# --- every row of both files holds the rule ---------------------------------------------------

def test_files_have_the_rows_we_expect():
    assert len(LABELS) >= 550 and len(CPT_MODIFIERS) == 39


@pytest.mark.parametrize("code,label", LABELS + [(f"modifier {c}", d) for c, d in CPT_MODIFIERS],
                         ids=[c for c, _ in LABELS] + [f"mod-{c}" for c, _ in CPT_MODIFIERS])
def test_label_holds_the_rule(code, label):
    assert len(w.words(label)) <= w.MAX_WORDS, label
    assert w.label_problems(label) == [], (code, label)


def test_whole_files_pass_the_build_check():
    assert w.check_label_files() == []


# --- the detector on known-bad labels (so the rule cannot pass vacuously) -----------------------

AUDIT_VERBATIM = ["90791", "90792", "90839", "93010", "96127", "97161"]
AUDIT_STRUCTURAL = ([c for c, _ in LABELS if "11400" <= c <= "11646"]
                    + ["12011", "13131", "11055", "11719", "36416", "99211", "99291", "98940"])


@needs_history
@pytest.mark.parametrize("code", AUDIT_VERBATIM + AUDIT_STRUCTURAL)
def test_the_audit_named_labels_are_rejected(code):
    old = dict(OLD_LABELS)[code]
    assert w.label_problems(old), old


@needs_history
@pytest.mark.parametrize("code", AUDIT_STRUCTURAL)
def test_structural_copies_are_caught_by_their_shape_alone(code):
    # not only because they are retired: the phrase shapes themselves catch them
    old = dict(OLD_LABELS)[code]
    shape_or_length = [p for p in w.label_problems(old) if "retired" not in p]
    assert shape_or_length, old


@needs_history
def test_every_old_label_is_retired_and_every_label_was_rewritten():
    assert len(OLD_LABELS) >= 550 and len(OLD_MODIFIERS) == 39
    retired = w.load_retired()
    for code, old in OLD_LABELS + OLD_MODIFIERS:
        assert w.digest(old) in retired, (code, old)
    now = dict(LABELS)
    for code, old in OLD_LABELS:
        assert w.tokens(now[code]) != w.tokens(old), (code, old)


@needs_history
@pytest.mark.parametrize("code", AUDIT_VERBATIM)
def test_a_verbatim_old_label_is_flagged_in_free_text(code):
    old = dict(OLD_LABELS)[code]
    text = f"The therapist bills {code}, {old}, for the visit."
    problems = w.text_problems(text, w.cpt_code_numbers())
    assert any("retired CPT label" in p.message for p in problems), text


@pytest.mark.parametrize("label,fragment", [
    ("skin lesion excision, trunk, arms or legs", "descriptor shape"),
    ("benign lesion excision, trunk/arms/legs", "descriptor shape"),
    ("lesion excision, 0.5 cm or less", "descriptor shape"),
    ("debridement, first 20 sq cm", "descriptor shape"),
    ("debridement, each additional 20 sq cm", "descriptor shape"),
    ("wound repair, 2.6-7.5 cm", "descriptor shape"),
    ("knee X-ray, 3 or more views", "descriptor shape"),
    ("chest CT, without contrast", "descriptor shape"),
    ("biopsy with or without imaging", "descriptor shape"),
    ("cataract surgery with lens, routine", "descriptor shape"),
    ("CBC, automated with differential", "descriptor shape"),
    ("visit requiring moderate decision making", "descriptor shape"),
    ("drug infusion per day", "descriptor shape"),
    ("panel including sodium", "descriptor shape"),
    ("imaging guidance, when performed", "descriptor shape"),
    ("ECG, interpretation and report", "descriptor shape"),
    ("ECG, tracing only", "descriptor shape"),
    ("office visit; established patient", "descriptor shape"),
    ("one two three four five six seven", "7 words"),
    ("a/b/c/d/e/f/g", "7 words"),
    ("", "empty"),
])
def test_detector_rejects_descriptor_shapes(label, fragment):
    problems = w.label_problems(label)
    assert any(fragment in p for p in problems), (label, problems)


@pytest.mark.parametrize("label", [
    "skin lesion removal, trunk",
    "psychiatric intake, no medical services",
    "office visit, established patient, level 3",
    "layered repair, face, size 4",
    "non-contrast head CT",
])
def test_detector_accepts_our_own_naming(label):
    assert w.label_problems(label) == []


def test_every_shape_has_a_reason_and_compiles():
    shapes = w.load_shapes()
    assert len(shapes) >= 30
    for s in shapes:
        assert s.why, f"{w.SHAPES_PATH}:{s.line}: no comment saying why this is a descriptor shape"
        assert s.scope in ("text", "label")


# --- free text: shapes next to a CPT number, both directions --------------------------------------

CODES = w.cpt_code_numbers()


@pytest.mark.parametrize("text,fragment", [
    ("Report 11402 for a benign lesion, trunk, arms or legs; excised diameter 1.1 to 2.0 cm.", "descriptor shape"),
    ("11042 is the first 20 sq cm; 11045 covers each additional 20 sq cm, or part thereof.", "descriptor shape"),
    ("93010: electrocardiogram, interpretation and report only", "descriptor shape"),
    ("99214 office visit which requires a medically appropriate history and/or examination", "descriptor shape"),
    ("Use 20610 with or without ultrasound guidance.", "descriptor shape"),
    ("Critical care 99291: the first 30-74 minutes.", "descriptor shape"),
    ("99213 (established-patient office visit, level 3) is the usual level", "retired CPT label"),
])
def test_text_check_catches_a_pasted_descriptor(text, fragment):
    problems = w.text_problems(text, CODES)
    assert any(fragment in p.message for p in problems), (text, problems)


@pytest.mark.parametrize("text", [
    # ordinary vignette and rationale prose next to a code
    "A 1.4 cm mole on the back is excised with 2 mm margins; 11402 applies after pathology.",
    "Simple repairs of a 3.0 cm and a 2.5 cm laceration, same group: 12002 for 5.5 cm.",
    "A laceration requiring a layered closure is reported with 12032.",
    "The physician reviews labs, including a lipid panel (80061), and adjusts the statin.",
    "Two injected vaccines: 90471 for one and the add-on 90472 for the second.",
    # a shape far from any code, or next to a number that is not a CPT code in our file
    "Each additional dependent changes the deductible. The plan ID is 12345.",
    "Report 11042 once for the session.\n\nIn another topic, each additional dependent raises the premium.",
])
def test_text_check_leaves_plain_teaching_alone(text):
    assert w.text_problems(text, CODES) == []


def test_text_problem_names_the_line():
    text = "line one\nline two\n11042 for the first 20 sq cm\n"
    (e,) = check_text_wording("lesson.md", text, CODES)
    assert e.path == "lesson.md" and e.line == 3 and "first 20 sq cm" in e.message


def test_shipped_content_has_no_wording_problems():
    assert [str(e) for e in check_content_wording(ROOT / "content")] == []


def test_content_check_flags_a_pasted_descriptor_in_a_case(tmp_path):
    shutil.copytree(ROOT / "content" / "quizzes" / "cases", tmp_path / "cases")
    path = tmp_path / "cases" / "excision-benign-nevus-back.yml"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(True)
    n = next(i for i, ln in enumerate(lines) if "Excised diameter" in ln)
    lines[n] = "        11402 is excision, benign lesion, trunk, arms or legs; excised diameter 1.1 to 2.0 cm.\n"
    path.write_text("".join(lines), encoding="utf-8")
    errors = check_content_wording(tmp_path)
    assert errors and all(e.path == str(path) for e in errors)
    assert {e.line for e in errors} == {n + 1}


# --- the build refuses a labels file that breaks the rule -----------------------------------------

@pytest.fixture()
def data_copy(tmp_path):
    dst = tmp_path / "data"
    shutil.copytree(DATA, dst)
    return dst


@pytest.mark.parametrize("name,row,what", [
    ("cpt_2026_labels.csv", '99499,E/M,"unlisted visit, first 30 minutes"\n', "descriptor shape"),
    ("cpt_2026_labels.csv", "99499,E/M,an unlisted evaluation and management service of any kind\n", "words"),
    ("modifiers_2026.csv", "98,cpt,procedure with or without anesthesia\n", "descriptor shape"),
])
def test_build_refuses_labels_that_break_the_rule(data_copy, tmp_path, name, row, what):
    path = data_copy / name
    text = path.read_text(encoding="utf-8")
    path.write_text(text + row, encoding="utf-8")
    line = len(text.splitlines()) + 1
    with pytest.raises(CptWordingError) as info:
        check_cpt_wording(data_copy)
    assert f"{path}, line {line}:" in str(info.value) and what in str(info.value)
    db = tmp_path / "codes.sqlite"
    with pytest.raises(CptWordingError):
        build_codes_db(db, data_dir=data_copy)
    assert not db.exists()  # nothing written


def test_hcpcs_rows_of_the_modifier_file_are_exempt(data_copy):
    path = data_copy / "modifiers_2026.csv"
    path.write_text(path.read_text(encoding="utf-8")
                    + "ZZ,hcpcs,CMS wording may be long and say each additional unit when performed\n",
                    encoding="utf-8")
    check_cpt_wording(data_copy)  # no error
