"""Error pages come from one helper (app/errors.py): the exams blueprint's own CSRF and 404 pages
read exactly like the site's."""
import re

PASSWORD = "correct horse battery"


def _main(html: str) -> str:
    """The page's <main> (the header differs between a signed-in and an anonymous visitor)."""
    found = re.search(r"<main\b.*?</main>", html, re.S)
    assert found, html[:200]
    return found.group(0)


def test_the_exam_pages_404_is_the_sites_404(csrf_client, make_user):
    make_user("errors@example.test")
    csrf_client.login("errors@example.test", PASSWORD)
    site = csrf_client.client.get("/no-such-page")
    exam = csrf_client.client.get("/exams/attempts/999999")
    assert site.status_code == exam.status_code == 404
    assert _main(exam.get_data(as_text=True)) == _main(site.get_data(as_text=True))
    assert "There is no page at this address" in exam.get_data(as_text=True)


def test_the_exam_forms_csrf_page_is_the_sites(csrf_client, make_user):
    make_user("errors2@example.test")
    csrf_client.login("errors2@example.test", PASSWORD)
    site = csrf_client.client.post("/auth/logout", data={})
    exam = csrf_client.client.post("/exams/cpc-sprint/start", data={"token": "abc"})
    assert site.status_code == exam.status_code == 400
    assert _main(exam.get_data(as_text=True)) == _main(site.get_data(as_text=True))
    assert "Form expired" in exam.get_data(as_text=True)
