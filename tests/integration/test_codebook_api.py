"""The code book pages and the JSON code API."""
import pytest


@pytest.mark.parametrize("q, expected", [
    ("diab kidn", "E11.22"),
    ("fract femur neck", "S72.0"),
    ("E11.2", "E11.2"),
    ("e1122", "E11.22"),
])
def test_api_search_finds_codes_by_words_and_prefix(client, q, expected):
    resp = client.get("/api/codes", query_string={"q": q, "system": "icd10cm", "limit": 50})
    assert resp.status_code == 200
    codes = [r["code"] for r in resp.get_json()["results"]]
    assert any(c.startswith(expected) for c in codes), codes


def test_api_search_result_fields(client):
    data = client.get("/api/codes?q=E11.22&system=icd10cm").get_json()
    first = data["results"][0]
    assert first["code"] == "E11.22" and first["billable"] is True
    assert first["url"] == "/codebook/icd10cm/E11.22"
    assert "2026" in first["release"]


@pytest.mark.parametrize("query", ["", "q=", "q=abc&limit=0", "q=abc&limit=1000", "q=abc&limit=x", "q=abc&system=nope",
                                   "q=" + "x" * 101])
def test_api_bad_query_is_400_with_json_error(client, query):
    resp = client.get(f"/api/codes?{query}")
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "bad query" and resp.get_json()["message"]


def test_api_code_detail_and_404(client):
    data = client.get("/api/codes/S72.001").get_json()
    assert data["billable"] is False and "7th" in (data["missing"] or "")
    assert any(s["character"] == "A" for s in data["seventh_characters"])
    assert [a["code"] for a in client.get("/api/codes/E11.22").get_json()["ancestors"]][-2:] == ["E11", "E11.2"]
    missing = client.get("/api/codes/Q99.999")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not found"


def test_cpt_entries_are_our_labels_not_descriptors(client):
    data = client.get("/api/codes/99214?system=cpt").get_json()
    assert data["own_wording"] is True
    assert len(data["description"].split()) <= 6  # the CPT wording rule (app/codes/cpt_wording.py)


def test_codebook_pages_work_without_javascript(client):
    page = client.get("/codebook/?q=diab+kidn&system=icd10cm").get_data(as_text=True)
    assert "E11.22" in page and "billable" in page
    detail = client.get("/codebook/icd10cm/E11.22").get_data(as_text=True)
    assert "Type 2 diabetes mellitus with diabetic chronic kidney disease" in detail
    assert "Use additional code" in detail or "use additional" in detail.lower()
    assert 'href="/codebook/icd10cm/E11.2"' in detail
    header = client.get("/codebook/icd10cm/S72.001").get_data(as_text=True)
    assert "7th characters" in header and "initial encounter for closed fracture" in header
    assert client.get("/codebook/icd10cm/NOPE").status_code == 404
    assert client.get("/codebook/nosystem/E11.22").status_code == 404


def test_codebook_home_lists_chapters(client):
    page = client.get("/codebook/").get_data(as_text=True)
    assert "Certain infectious and parasitic diseases" in page


@pytest.mark.parametrize("q, system, other_system_code", [
    ("J18", "hcpcs", "J18.9"),     # J18: an ICD-10-CM category and the start of HCPCS J-codes
    ("J18", "icd10cm", None),
    ("992", "hcpcs", "99213"),     # a CPT-shaped prefix asked of HCPCS finds no CPT code
    ("G0", "icd10cm", "G0438"),    # a HCPCS-shaped prefix asked of ICD-10-CM finds no HCPCS code
])
def test_a_code_shaped_query_keeps_to_the_chosen_code_set(client, q, system, other_system_code):
    data = client.get("/api/codes", query_string={"q": q, "system": system, "limit": 50}).get_json()
    results = data["results"]
    assert all(r["system"] == system for r in results), [(r["system"], r["code"]) for r in results]
    if other_system_code:
        assert other_system_code not in [r["code"] for r in results]
    if system == "icd10cm" and q == "J18":
        assert "J18.9" in [r["code"] for r in results]


@pytest.mark.parametrize("q", ["A00", "A0", "C00", "1", "S7"])
def test_chapters_and_blocks_are_not_code_prefix_results(client, q):
    data = client.get("/api/codes", query_string={"q": q, "system": "icd10cm", "limit": 100}).get_json()
    codes = [r["code"] for r in data["results"]]
    assert codes, q
    assert not [c for c in codes if "-" in c or c.isdigit()], codes   # "A00-A09" is a block, "1" a chapter
    assert {r["kind"] for r in data["results"]} <= {"code", "category", "subcategory"}, data["results"]
