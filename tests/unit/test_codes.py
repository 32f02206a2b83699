"""app.codes: building the code-set database, normalising, looking up and searching codes.

The real database is built once per session (``codes_db_path`` / ``codeset`` in conftest.py).
"""
from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from app.codes import (
    CPT, HCPCS, ICD10CM, MODIFIER, POS, CodeSetMissing, SqliteCodeSet, default_codeset,
    normalize, open_codeset, set_default_codeset,
)
from app.codes.build import DATA_DIR, CptImportError, import_cpt_descriptors, parse_code_refs, read_data_csv
from app.codes.model import Code, CodeSet


# --------------------------------------------------------------------------------------------
# normalisation (no database)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("system, raw, expected", [
    (ICD10CM, "e1122", "E11.22"),
    (ICD10CM, "E11.22", "E11.22"),
    (ICD10CM, " E11.22 ", "E11.22"),
    (ICD10CM, " s72001a", "S72.001A"),
    (ICD10CM, "S72.001a", "S72.001A"),
    (ICD10CM, "s72.0 01a", "S72.001A"),
    (ICD10CM, "E112.2", "E11.22"),          # misplaced dot
    (ICD10CM, "E11..22", "E11.22"),         # extra dot
    (ICD10CM, "E11.", "E11"),
    (ICD10CM, "e11", "E11"),
    (ICD10CM, "E11.-", "E11"),              # tabular-list notation for the category
    (ICD10CM, "i10", "I10"),
    (ICD10CM, "QA0", "QA0"),                # FY2026 category with a letter in 2nd position
    (ICD10CM, "C7A.010", "C7A.010"),
    (ICD10CM, "t360x1a", "T36.0X1A"),
    (ICD10CM, "", None),
    (ICD10CM, "   ", None),
    (ICD10CM, "E1", None),                  # too short
    (ICD10CM, "E11.22222", None),           # too long
    (ICD10CM, "11.22", None),               # must start with a letter
    (ICD10CM, "E11-22", None),
    (ICD10CM, "diabetes", None),
    (ICD10CM, None, None),
    (ICD10CM, 1122, None),
    (ICD10CM, ["E11.22"], None),
    (CPT, "99214 ", "99214"),
    (CPT, " 99214", "99214"),
    (CPT, "0042t", "0042T"),
    (CPT, "00140", "00140"),
    (CPT, "9921", None),
    (CPT, "992145", None),
    (CPT, "99214-25", None),
    (CPT, "J1885", None),
    (HCPCS, "j 1885", "J1885"),
    (HCPCS, "J1885", "J1885"),
    (HCPCS, "g0438", "G0438"),
    (HCPCS, "99214", None),
    (HCPCS, "J188", None),
    (HCPCS, "JJ885", None),
    (MODIFIER, "25", "25"),
    (MODIFIER, "-25", "25"),
    (MODIFIER, " lt", "LT"),
    (MODIFIER, "xs", "XS"),
    (MODIFIER, "255", None),
    (MODIFIER, "L", None),
    (POS, "11", "11"),
    (POS, "2", "02"),
    (POS, " 02 ", "02"),
    (POS, "111", None),
    (POS, "AB", None),
    ("nosuchsystem", "E11.22", None),
    (None, "E11.22", None),
])
def test_normalize(system, raw, expected):
    assert normalize(system, raw) == expected


@pytest.mark.parametrize("text, refs", [
    ("type 1 diabetes mellitus (E10.-)", ["E10"]),
    ("gestational diabetes (O24.4-)", ["O24.4"]),
    ("hypertensive disease (I10-I16)", ["I10-I16"]),
    ("diabetic kidney disease (E08.22, E09.22, E10.22)", ["E08.22", "E09.22", "E10.22"]),
    ("neonatal diabetes mellitus (P70.2)", ["P70.2"]),
    ("any identified hypertensive disease (I10-I15, I1A)", ["I10-I15", "I1A"]),
    ("malignant neuroendocrine tumors (C7A.0-C7A.8)", ["C7A.0-C7A.8"]),
    ("hearing loss as classified in H90.-", ["H90"]),
    ("leukemia in remission C91.0-C95.9 with 5th character 1", ["C91.0-C95.9"]),
    ("HIV disease (B20) NOS (NOS)", ["B20"]),
    ("endocardial involvement in:", []),
    ("", []),
])
def test_parse_code_refs(text, refs):
    assert parse_code_refs(text) == refs


# --------------------------------------------------------------------------------------------
# the built database
# --------------------------------------------------------------------------------------------

def test_build_counts_and_release(codeset, codes_db_path):
    counts = json.loads(codeset.meta["counts"])
    # April 1, 2026 tabular list: every node of the tree; 74,719 leaves are billable codes
    assert counts[ICD10CM]["entries"] == 98505
    assert counts[ICD10CM]["billable"] == 74719
    assert counts[HCPCS]["entries"] >= 150
    assert counts[CPT]["entries"] >= 250
    assert counts[MODIFIER]["entries"] >= 80
    assert counts[POS]["entries"] >= 45
    assert codeset.release == "ICD-10-CM FY2026 (April 1, 2026 update)"
    assert set(codeset.releases) == {ICD10CM, HCPCS, CPT, MODIFIER, POS}
    # the build is atomic: no temporary file left beside the database
    assert sorted(p.name for p in Path(codes_db_path).parent.iterdir()) == ["codes.sqlite"]


def test_codeset_satisfies_protocol(codeset):
    cs: CodeSet = codeset  # static check; and the attributes the grader uses exist
    assert callable(cs.get) and callable(cs.missing_detail) and callable(cs.excludes1_refs)
    assert isinstance(cs.release, str)


def test_database_is_opened_read_only(codeset):
    with pytest.raises(sqlite3.OperationalError):
        codeset._conn().execute("DELETE FROM codes")


@pytest.mark.parametrize("raw", ["E11.22", "e1122", " E11.22 ", "E112.2"])
def test_get_billable_code_any_spelling(codeset, raw):
    c = codeset.get(ICD10CM, raw)
    assert isinstance(c, Code)
    assert (c.system, c.code, c.billable, c.kind, c.parent) == (ICD10CM, "E11.22", True, "code", "E11.2")
    assert c.description == "Type 2 diabetes mellitus with diabetic chronic kidney disease"
    assert c.release == "ICD-10-CM FY2026 (April 1, 2026 update)"
    assert c.chapter == "4"
    assert c.own_wording is False


def test_get_header_and_notes(codeset):
    e11 = codeset.get(ICD10CM, "E11")
    assert (e11.kind, e11.billable, e11.parent) == ("category", False, "E08-E13")
    assert "type 1 diabetes mellitus (E10.-)" in e11.excludes1
    assert "diabetes NOS" in e11.includes
    assert any("Z79.4" in t for t in e11.use_additional)
    assert codeset.get(ICD10CM, "E11.2").kind == "subcategory"
    assert codeset.get(ICD10CM, "I10").billable          # a 3-character code
    assert codeset.get(ICD10CM, "I10").kind == "code"


def test_get_chapters_and_blocks(codeset):
    ch = codeset.get(ICD10CM, "4")
    assert ch.kind == "chapter" and not ch.billable and ch.parent is None
    blk = codeset.get(ICD10CM, "E08-E13")
    assert blk.kind == "block" and blk.parent == "4"
    # a block holding a single category is keyed as a range, so the category keeps its name
    assert codeset.get(ICD10CM, "B99").kind == "category"
    assert codeset.get(ICD10CM, "B99-B99").kind == "block"
    assert [c.code for c in codeset.children(ICD10CM)][:3] == ["1", "2", "3"]
    assert len(codeset.children(ICD10CM)) == 22


@pytest.mark.parametrize("system, raw", [
    (ICD10CM, "E11.99"), (ICD10CM, "ZZZ.9"), (ICD10CM, "E11.229"), (ICD10CM, "garbage!"),
    (ICD10CM, ""), (ICD10CM, None), (ICD10CM, 42), (CPT, "99201"), (CPT, "99999"),
    (HCPCS, "J9998"), (MODIFIER, "ZZ"), (POS, "98"), ("nosuch", "E11.22"),
])
def test_get_nonexistent_returns_none(codeset, system, raw):
    assert codeset.get(system, raw) is None
    assert codeset.is_valid(system, raw) is False
    assert codeset.is_billable(system, raw) is False
    assert codeset.missing_detail(system, raw) is None


def test_valid_and_billable(codeset):
    assert codeset.is_valid(ICD10CM, "E11") and not codeset.is_billable(ICD10CM, "E11")
    assert codeset.is_valid(ICD10CM, "e11.22") and codeset.is_billable(ICD10CM, "e11.22")


def test_seventh_character_table_is_inherited(codeset):
    for code in ("S72.001", "S72.001A", "S72"):
        table = dict(codeset.get(ICD10CM, code).seventh_characters)
        assert table["A"] == "initial encounter for closed fracture"
        assert table["S"] == "sequela"
        assert len(table) == 16
    assert codeset.get(ICD10CM, "S72").seventh_note.startswith("The appropriate 7th character")
    assert codeset.get(ICD10CM, "E11.22").seventh_characters == ()
    a = codeset.get(ICD10CM, "S72.001A")
    assert a.description == "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture"
    b = codeset.get(ICD10CM, "S72.001B")   # the library appends a note after '/': dropped from the title
    assert b.description.endswith("initial encounter for open fracture type I or II")


# --------------------------------------------------------------------------------------------
# missing_detail
# --------------------------------------------------------------------------------------------

def test_missing_detail_seventh_character(codeset):
    msg = codeset.missing_detail(ICD10CM, "S72.001")
    assert msg.startswith("needs a 7th character (A initial encounter for closed fracture, B ")
    assert "S sequela" in msg
    assert codeset.missing_detail(ICD10CM, "T36.0X1") == (
        "needs a 7th character (A initial encounter, D subsequent encounter, S sequela)")


def test_missing_detail_placeholder(codeset):
    assert codeset.missing_detail(ICD10CM, "S01.01") == (
        "needs a placeholder X then a 7th character (A initial encounter, D subsequent encounter, "
        "S sequela): e.g. S01.01XA")
    assert codeset.missing_detail(ICD10CM, "t07").startswith("needs placeholders XXX then a 7th character")
    # codes that don't exist but would with the placeholder X
    assert codeset.missing_detail(ICD10CM, "S01.01A") == "needs a placeholder X before the 7th character: S01.01XA"
    assert codeset.missing_detail(ICD10CM, "T07A") == "needs a placeholder X before the 7th character: T07.XXXA"
    assert codeset.placeholder_fix("s0101a") == "S01.01XA"
    assert codeset.placeholder_fix("S01.01XA") is None   # already right
    assert codeset.missing_detail(ICD10CM, "S01.01X").startswith("needs a 7th character (A initial encounter")


def test_missing_detail_hint_for_nonexistent_code_under_a_header(codeset):
    assert codeset.get(ICD10CM, "T81.4XXA") is None     # T81.4 was expanded (FY2024)
    assert codeset.missing_detail(ICD10CM, "T81.4XXA").startswith(
        "T81.4 needs more characters (a 5th character): pick one of T81.40, T81.41")
    assert codeset.missing_detail(ICD10CM, "S72.001Z").startswith("S72.001 needs a 7th character (A initial")
    assert codeset.missing_detail(ICD10CM, "E11.99") is None     # E11.9 is itself a code


def test_missing_detail_more_characters(codeset):
    assert codeset.missing_detail(ICD10CM, "E11.2") == (
        "needs more characters (a 5th character): pick one of E11.21, E11.22, E11.29")
    msg = codeset.missing_detail(ICD10CM, "E11")
    assert msg.startswith("needs more characters (a 4th character): pick one of E11.0, E11.1, E11.2")
    assert "placeholder X" in codeset.missing_detail(ICD10CM, "T36.0")


def test_missing_detail_none_for_billable_and_other_systems(codeset):
    assert codeset.missing_detail(ICD10CM, "E11.22") is None
    assert codeset.missing_detail(ICD10CM, "S72.001A") is None
    assert codeset.missing_detail(CPT, "99214") is None
    assert "chapter" in codeset.missing_detail(ICD10CM, "4")
    assert "block" in codeset.missing_detail(ICD10CM, "E08-E13")


# --------------------------------------------------------------------------------------------
# excludes1_refs, children, ancestors
# --------------------------------------------------------------------------------------------

def test_excludes1_refs(codeset):
    refs = codeset.excludes1_refs("E11.22")
    for ref in ("E10", "E08", "E09", "E13", "O24.4", "P70.2"):
        assert ref in refs
    assert "P70-P74" in refs                    # inherited from the chapter 4 Excludes1 note
    assert codeset.excludes1_refs("e1122") == refs
    assert codeset.excludes1_refs("E11") == tuple(r for r in refs)   # E11.2 and E11.22 add none
    assert "E11" in codeset.excludes1_refs("E10.9")
    assert codeset.excludes1_refs("nonsense") == ()
    assert codeset.excludes1_refs("E11.99") == ()


def test_children_and_ancestors(codeset):
    assert [c.code for c in codeset.children(ICD10CM, "E11.2")] == ["E11.21", "E11.22", "E11.29"]
    assert [c.code for c in codeset.ancestors("E11.22")] == ["E11.2", "E11", "E08-E13", "4"]
    assert codeset.ancestors("4") == []
    assert codeset.ancestors("nonsense") == []
    assert codeset.children(ICD10CM, "E11.22") == []
    notes = codeset.notes_in_effect("E11.22")
    assert ("E11", "type 1 diabetes mellitus (E10.-)") in notes["excludes1"]


# --------------------------------------------------------------------------------------------
# search
# --------------------------------------------------------------------------------------------

def _codes(results):
    return [c.code for c in results]


def test_search_words_with_prefixes(codeset):
    assert "E11.22" in _codes(codeset.search("diab kidn", system=ICD10CM, limit=10))
    hits = _codes(codeset.search("fract femur neck", system=ICD10CM, limit=10))
    assert hits and all(c.startswith("S72.0") for c in hits[:5])
    assert _codes(codeset.search("type 2 diabetes chronic kidney disease"))[0] == "E11.22"
    assert _codes(codeset.search("essential hypertension"))[0] == "I10"
    assert "I10" in _codes(codeset.search("high blood pressure"))     # inclusion term
    assert _codes(codeset.search("office", system=POS))[0] == "11"


def test_search_code_prefix(codeset):
    assert _codes(codeset.search("E11.2")) == ["E11.2", "E11.21", "E11.22", "E11.29"]
    assert _codes(codeset.search("e112", system=ICD10CM)) == ["E11.2", "E11.21", "E11.22", "E11.29"]
    assert _codes(codeset.search("S72.001", limit=3)) == ["S72.001", "S72.001A", "S72.001B"]
    assert _codes(codeset.search("9921", system=CPT)) == ["99211", "99212", "99213", "99214", "99215"]
    assert _codes(codeset.search("J1885"))[0] == "J1885"
    top = codeset.search("25", limit=5)
    assert (top[0].system, top[0].code) in {(MODIFIER, "25"), (POS, "25")}


@pytest.mark.parametrize("query", ["", "   ", "!!!", "((", '"', "*", None, 42, "zzzzqqqq"])
def test_search_garbage_returns_empty(codeset, query):
    assert codeset.search(query) == []


def test_search_limit_and_system_filter(codeset):
    res = codeset.search("fracture", limit=7)
    assert len(res) == 7
    assert all(c.system == HCPCS for c in codeset.search("injection", system=HCPCS))
    assert codeset.search("diabetes", system="nosuch") == []


# --------------------------------------------------------------------------------------------
# curated systems
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code, words", [
    ("J1885", "ketorolac"), ("J3301", "triamcinolone"), ("J1100", "dexamethasone"),
    ("J0696", "ceftriaxone"), ("J2550", "promethazine"), ("J1030", "methylprednisolone"),
    ("J7030", "normal saline"), ("J7613", "Albuterol"), ("J3420", "B-12"),
    ("G0008", "influenza"), ("G0009", "pneumococcal"), ("G0010", "hepatitis B"),
    ("A4550", "Surgical trays"), ("A4253", "glucose"), ("A6212", "Foam dressing"),
    ("E0114", "Crutches"), ("E0143", "Walker"), ("E0601", "CPAP"), ("L3908", "Wrist hand orthosis"),
    ("L1832", "Knee orthosis"), ("K0001", "Standard wheelchair"), ("G0438", "Annual wellness visit"),
    ("G0439", "Annual wellness visit"), ("G0121", "colonoscopy"), ("G0105", "high risk"),
    ("G2211", "Visit complexity"),
])
def test_hcpcs_lookup(codeset, code, words):
    c = codeset.get(HCPCS, code.lower())
    assert c is not None and c.billable and words.lower() in c.description.lower()
    assert c.own_wording is False and c.release.startswith("HCPCS Level II 2026")


def test_modifiers(codeset):
    m25 = codeset.get(MODIFIER, "-25")
    assert m25.own_wording is True and "E/M" in m25.description
    lt = codeset.get(MODIFIER, "lt")
    assert lt.own_wording is False and lt.description.startswith("Left side")
    for code in ("25", "26", "50", "51", "59", "76", "77", "79", "91", "24", "57", "78", "22", "52", "53",
                 "TC", "LT", "RT", "XE", "XS", "XP", "XU", "GA", "GY", "GZ", "KX", "E1", "E4", "F1", "F9",
                 "FA", "TA", "T9", "QW", "GT", "95"):
        assert codeset.is_billable(MODIFIER, code), code


def test_place_of_service(codeset):
    assert codeset.get(POS, "11").description == "Office"
    assert codeset.get(POS, "2").description == "Telehealth Provided Other than in Patient's Home"
    assert codeset.get(POS, "23").description.startswith("Emergency Room")
    assert codeset.get(POS, "11").detail  # the CMS definition, summarised
    for code in ("02", "10", "11", "12", "19", "20", "21", "22", "23", "24", "31", "32", "81", "99"):
        assert codeset.is_billable(POS, code), code
    assert codeset.get(POS, "30") is None      # unassigned


def test_cpt_numbers_with_own_labels(codeset):
    c = codeset.get(CPT, "99214 ")
    assert c.description == "office visit, established patient, level 4"
    assert c.own_wording is True and "no AMA descriptors" in c.release
    for code in ("99202", "99215", "99285", "99397", "10060", "11042", "12001", "17000", "20610",
                 "27447", "29881", "36415", "45378", "59400", "66984", "70450", "71046", "73630",
                 "77067", "80053", "85025", "87880", "88305", "90471", "90834", "93000", "96372",
                 "97110", "00840", "01967"):
        assert codeset.is_billable(CPT, code), code
    assert codeset.get(CPT, "99201") is None   # deleted in 2021


@pytest.mark.parametrize("name", ["hcpcs_2026.csv", "modifiers_2026.csv", "pos_2026.csv", "cpt_2026_labels.csv"])
def test_curated_files_state_source_and_year(name):
    head = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()[0]
    assert head.startswith("#") and "2026" in head
    rows = read_data_csv(DATA_DIR / name)
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)), "duplicate codes"
    assert all(all(v for v in r.values()) for r in rows), "empty cell"


def test_cpt_labels_are_short_own_wording():
    # a guard against pasting AMA descriptors; the full rule is tests/unit/test_cpt_wording.py
    for r in read_data_csv(DATA_DIR / "cpt_2026_labels.csv"):
        label = r["label"]
        assert len(label.split()) <= 6, r
        assert "(eg," not in label and ";" not in label, r


def test_licensed_import_is_exempt_from_the_wording_rule(db_copy, tmp_path):
    # an institution's licensed descriptors are the AMA's own text: no word limit, no shape check
    f = tmp_path / "cpt.csv"
    long = "LICENSED descriptor text, first 20 sq cm or less, with or without imaging, each additional unit"
    f.write_text(f"code,descriptor\n11042,{long!r}\n".replace("'", '"'), encoding="utf-8")
    assert import_cpt_descriptors(db_copy, f) == 1
    cs = SqliteCodeSet(db_copy)
    try:
        assert cs.get(CPT, "11042").description == long
    finally:
        cs.close()


# --------------------------------------------------------------------------------------------
# licensed CPT descriptors import
# --------------------------------------------------------------------------------------------

@pytest.fixture()
def db_copy(codes_db_path, tmp_path):
    dst = tmp_path / "codes.sqlite"
    shutil.copy(codes_db_path, dst)
    return dst


def test_import_cpt_descriptors(db_copy, tmp_path):
    f = tmp_path / "cpt.csv"
    f.write_text("code,descriptor\n99214,LICENSED TEXT FOR 99214\n0042T,LICENSED TEXT FOR 0042T\n", encoding="utf-8")
    assert import_cpt_descriptors(db_copy, f) == 2
    cs = SqliteCodeSet(db_copy)
    try:
        c = cs.get(CPT, "99214")
        assert c.description == "LICENSED TEXT FOR 99214" and c.own_wording is False
        assert cs.get(CPT, "0042T").description == "LICENSED TEXT FOR 0042T"
        assert cs.get(CPT, "99213").own_wording is True          # untouched
        assert set(_codes(cs.search("licensed text", system=CPT))) == {"99214", "0042T"}
    finally:
        cs.close()


@pytest.mark.parametrize("body, line, what", [
    ("code,descriptor\n99214,ok\n9921,bad code\n", 3, "not a CPT code"),
    ("code,descriptor\n99214,ok\n99215,\n", 3, "empty descriptor"),
    ("code,descriptor\n99214,ok\n99214,again\n", 3, "duplicate"),
    ("code,descriptor\n99214,ok,extra\n", 2, "2 columns"),
    ("cpt,text\n99214,ok\n", 1, "header"),
])
def test_import_cpt_descriptors_bad_row_changes_nothing(db_copy, tmp_path, body, line, what):
    before = db_copy.read_bytes()
    f = tmp_path / "cpt.csv"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(CptImportError) as err:
        import_cpt_descriptors(db_copy, f)
    assert f"line {line}" in str(err.value) and what in str(err.value)
    assert db_copy.read_bytes() == before


# --------------------------------------------------------------------------------------------
# default code set, threads, speed
# --------------------------------------------------------------------------------------------

def test_default_codeset(monkeypatch, codes_db_path, tmp_path):
    set_default_codeset(None)
    try:
        monkeypatch.setenv("CODESET_PATH", str(tmp_path / "missing.sqlite"))
        with pytest.raises(CodeSetMissing, match="flask codes build"):
            default_codeset()
        monkeypatch.setenv("CODESET_PATH", str(codes_db_path))
        cs = default_codeset()
        assert cs is default_codeset() and cs.get(ICD10CM, "E11.22") is not None
        mine = open_codeset(codes_db_path)
        set_default_codeset(mine)
        assert default_codeset() is mine
    finally:
        set_default_codeset(None)


def test_concurrent_lookups(codeset):
    errors: list[BaseException] = []

    def work():
        try:
            for _ in range(200):
                assert codeset.get(ICD10CM, "E11.22").billable
                assert codeset.missing_detail(ICD10CM, "S72.001")
                assert codeset.search("diab kidn", limit=5)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_lookup_is_fast(codeset):
    codeset.get(ICD10CM, "E11.22")
    n = 20000
    t0 = time.perf_counter()
    for _ in range(n):
        codeset.get(ICD10CM, "e1122")
    per_call = (time.perf_counter() - t0) / n
    assert per_call < 100e-6, f"{per_call * 1e6:.1f} µs per cached lookup"


def test_no_flask_or_sqlalchemy_in_app_codes():
    import ast

    pkg = Path(__file__).resolve().parents[2] / "app" / "codes"
    for src in pkg.glob("*.py"):
        for node in ast.walk(ast.parse(src.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"flask", "flask_sqlalchemy", "sqlalchemy"}, (src.name, name)
                if src.name != "build.py":
                    assert not name.startswith("simple_icd_10_cm"), (src.name, name)


def test_lookup_does_not_load_the_icd_library(codes_db_path):
    import subprocess
    import sys

    code = (
        "import sys; from app.codes import open_codeset; cs = open_codeset(sys.argv[1]); "
        "cs.get('icd10cm', 'E11.22'); cs.search('diab kidn'); "
        "print('simple_icd_10_cm' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(codes_db_path)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], check=True)
    assert out.stdout.strip() == "False"


def test_build_with_licensed_descriptors_and_main(tmp_path, monkeypatch):
    # the full build again (a few seconds) to check the CLI entry point and atomic replacement
    from app.codes.build import main

    f = tmp_path / "cpt.csv"
    f.write_text('code,descriptor\n99214,"LICENSED, quoted\nmultiline"\n', encoding="utf-8")
    db = tmp_path / "out" / "codes.sqlite"
    db.parent.mkdir()
    db.write_bytes(b"old contents are replaced atomically")
    from app.codes.build import build_codes_db

    counts = build_codes_db(db, cpt_descriptors=f)
    assert counts[ICD10CM]["billable"] == 74719 and counts["seconds"] < 60
    cs = SqliteCodeSet(db)
    try:
        assert cs.get(CPT, "99214").description == "LICENSED, quoted\nmultiline"
    finally:
        cs.close()
    assert sorted(p.name for p in db.parent.iterdir()) == ["codes.sqlite"]
    bad = tmp_path / "bad.csv"
    bad.write_text('code,descriptor\n99213,ok\n"99214,unterminated\n', encoding="utf-8")
    with pytest.raises(CptImportError):
        build_codes_db(db, cpt_descriptors=bad)
    assert sorted(p.name for p in db.parent.iterdir()) == ["codes.sqlite"]   # temp file removed
    import app.codes.build as build_mod

    seen = []
    monkeypatch.setattr(build_mod, "build_codes_db", lambda path: seen.append(path) or {"seconds": 0.0})
    assert main([str(tmp_path / "cli.sqlite")]) == 0 and seen == [tmp_path / "cli.sqlite"]


def test_not_a_codes_db_is_refused(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(CodeSetMissing, match="flask codes build"):
        SqliteCodeSet(junk)
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '0')")
    conn.commit()
    conn.close()
    with pytest.raises(CodeSetMissing, match="rebuild"):
        SqliteCodeSet(other)


def test_connections_do_not_outlive_their_threads(codeset):
    import gc

    def work():
        codeset.search("diab kidn")

    for _ in range(20):
        t = threading.Thread(target=work)
        t.start()
        t.join()
    gc.collect()
    assert len(codeset._conns) <= 3
