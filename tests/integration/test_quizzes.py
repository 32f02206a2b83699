"""Quizzes: authoring, code-key checks, preview, publishing, versions, conflicts, taking, files."""
import re

import pytest
import sqlalchemy as sa

from tests.factories import count


def revision_of(html):
    return re.search(r'name="revision" type="hidden" value="(\d+)"', html).group(1)


def create_quiz(teacher, title="Diabetes drill", instructions="Answer **all** questions."):
    resp = teacher.post("/quizzes/manage/new", {"title": title, "instructions": instructions})
    assert resp.status_code == 302
    return int(resp.headers["Location"].rstrip("/").split("/")[-1])


def question_data(kind, **extra):
    data = {"type": kind, "prompt": f"A {kind} question?", "points": "1", "feedback": f"Because of the {kind} rule."}
    if kind == "single":
        data.update({"choices-0-text": "E11", "choices-0-correct": "y", "choices-1-text": "E10", "choices-2-text": "E13"})
    elif kind == "multiple":
        data.update({"choices-0-text": "Z79.4", "choices-0-correct": "y", "choices-1-text": "Z79.84",
                     "choices-1-correct": "y", "choices-2-text": "Z79.899"})
    elif kind == "truefalse":
        data["answer"] = "true"
    elif kind == "short":
        data["answers"] = "PR\npatient responsibility"
    elif kind == "code":
        data.update({"key_diagnoses": "E11.22\nN18.31", "key_procedures": "", "points": "2"})
    data.update(extra)
    return data


def add_question(teacher, quiz_id, kind, **extra):
    path = f"/quizzes/manage/{quiz_id}/questions/new?type={kind}"
    page = teacher.get(path).get_data(as_text=True)
    data = question_data(kind, **extra)
    data.setdefault("revision", revision_of(page))
    return teacher.post(path, data, token_from=path)


def action(teacher, quiz_id, what, **data):
    page = teacher.get(f"/quizzes/manage/{quiz_id}").get_data(as_text=True)
    data.setdefault("revision", revision_of(page))
    return teacher.post(f"/quizzes/manage/{quiz_id}/{what}", data, token_from=f"/quizzes/manage/{quiz_id}")


def published_quiz(teacher, kinds=("single", "multiple", "truefalse", "short", "code")):
    quiz_id = create_quiz(teacher)
    for kind in kinds:
        assert add_question(teacher, quiz_id, kind).status_code == 302
    assert action(teacher, quiz_id, "publish").status_code == 302
    assert action(teacher, quiz_id, "audience", practice="y").status_code == 302  # any student may take it
    return quiz_id


def take(student, quiz_id, answers):
    page = student.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    data = {"token": token, "version": version, **answers}
    return student.post(f"/quizzes/{quiz_id}", data, token_from=f"/quizzes/{quiz_id}"), data


RIGHT = {"q0": "0", "q1": ["0", "1"], "q2": "true", "q3": "  pr ", "q4_dx": "E11.22, N18.31"}


# --- access -------------------------------------------------------------------------------------


def test_students_get_403_on_authoring_routes(app, teacher, student):
    quiz_id = create_quiz(teacher)
    for path in ("/quizzes/manage", "/quizzes/manage/new", f"/quizzes/manage/{quiz_id}",
                 f"/quizzes/manage/{quiz_id}/preview", f"/quizzes/manage/{quiz_id}/questions/new",
                 f"/quizzes/manage/{quiz_id}/export.yml", "/quizzes/manage/import"):
        assert student.get(path).status_code == 403, path
    token = student.token("/quizzes/")
    for path in (f"/quizzes/manage/{quiz_id}/publish", "/quizzes/manage/new"):
        assert student.client.post(path, data={"csrf_token": token, "revision": "1", "title": "x"}).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    for path in ("/quizzes/", "/quizzes/manage"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_another_instructors_quiz_is_not_found(app, teacher, login_as):
    quiz_id = create_quiz(teacher)
    other = login_as("instructor", "other-teacher@example.test")
    assert other.get(f"/quizzes/manage/{quiz_id}").status_code == 404
    assert "Diabetes drill" not in other.get("/quizzes/manage").get_data(as_text=True)
    assert "Diabetes drill" in teacher.get("/quizzes/manage").get_data(as_text=True)


def test_form_without_csrf_token_is_refused_with_400(app, teacher):
    quiz_id = create_quiz(teacher)
    resp = teacher.client.post(f"/quizzes/manage/{quiz_id}", data={"title": "Hijacked", "revision": "1"})
    assert resp.status_code == 400
    assert "Hijacked" not in teacher.get(f"/quizzes/manage/{quiz_id}").get_data(as_text=True)


# --- authoring ----------------------------------------------------------------------------------


def test_code_key_errors_name_what_is_missing_and_keep_the_input(app, teacher):
    from app.models import QuizVersion
    quiz_id = create_quiz(teacher)
    resp = add_question(teacher, quiz_id, "code", prompt="Code this *visit*", key_diagnoses="E11.2\nQ99.999\nS72.001",
                        key_procedures="99214-25", feedback="My rationale text")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "E11.2: not billable" in page and "needs" in page
    assert "Q99.999: not a valid ICD-10-CM code" in page
    assert "S72.001: not billable" in page and "7th character" in page
    # everything typed comes back
    assert "Code this *visit*" in page and "My rationale text" in page and "99214-25" in page
    assert "E11.2\nQ99.999\nS72.001" in page
    with app.app_context():
        from app.extensions import db
        assert db.session.scalar(sa.select(QuizVersion.questions).join(QuizVersion.quiz)
                                 .where(QuizVersion.quiz_id == quiz_id)) == []


def test_choice_questions_need_a_right_answer(app, teacher):
    quiz_id = create_quiz(teacher)
    resp = add_question(teacher, quiz_id, "single", **{"choices-0-correct": ""})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Mark exactly one choice as correct" in page
    assert 'value="E10"' in page


def test_questions_can_be_edited_moved_and_deleted(app, teacher):
    quiz_id = create_quiz(teacher)
    add_question(teacher, quiz_id, "single", prompt="First question")
    add_question(teacher, quiz_id, "truefalse", prompt="Second question")
    page = teacher.get(f"/quizzes/manage/{quiz_id}").get_data(as_text=True)
    assert page.index("First question") < page.index("Second question")
    action(teacher, quiz_id, "questions/2/move", direction="up")
    page = teacher.get(f"/quizzes/manage/{quiz_id}").get_data(as_text=True)
    assert page.index("Second question") < page.index("First question")
    edit = teacher.get(f"/quizzes/manage/{quiz_id}/questions/2").get_data(as_text=True)
    assert "First question" in edit and 'value="E11"' in edit
    data = question_data("single", prompt="First question, reworded", revision=revision_of(edit))
    assert teacher.post(f"/quizzes/manage/{quiz_id}/questions/2", data).status_code == 302
    action(teacher, quiz_id, "questions/1/delete")
    page = teacher.get(f"/quizzes/manage/{quiz_id}").get_data(as_text=True)
    assert "First question, reworded" in page and "Second question" not in page


def test_instructions_markdown_is_sanitised(app, teacher):
    quiz_id = create_quiz(teacher, instructions="**Bold** <script>alert(1)</script> [x](javascript:alert(2))")
    add_question(teacher, quiz_id, "truefalse")
    page = teacher.get(f"/quizzes/manage/{quiz_id}/preview").get_data(as_text=True)
    assert "<strong>Bold</strong>" in page
    assert "<script>alert" not in page and "javascript:" not in page


def test_preview_shows_the_student_page_without_keys(app, teacher, student):
    quiz_id = published_quiz(teacher)
    preview = teacher.get(f"/quizzes/manage/{quiz_id}/preview").get_data(as_text=True)
    taking = student.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    start = '<ol class="quiz-questions">'
    assert preview[preview.index(start):preview.index("</ol>", preview.index(start))] == \
        taking[taking.index(start):taking.index("</ol>", taking.index(start))]
    for page in (preview, taking):
        assert "Because of the" not in page  # feedback
        assert "E11.22" not in page and "N18.31" not in page  # code key
        assert "correct" not in page.lower().replace("correct horse", "")
        assert "patient responsibility" not in page


# --- publishing, taking, grading ----------------------------------------------------------------


def test_student_takes_a_quiz_and_sees_feedback_only_after_submitting(app, teacher, student):
    quiz_id = published_quiz(teacher)
    assert "Diabetes drill" in student.get("/quizzes/").get_data(as_text=True)
    resp, _ = take(student, quiz_id, RIGHT)
    assert resp.status_code == 302
    result = student.get(resp.headers["Location"]).get_data(as_text=True)
    assert "100%" in result and "6 of 6 points" in result
    assert "Because of the code rule." in result and "status-correct" in result


def test_partial_credit_and_grader_reasons_for_code_questions(app, teacher, student):
    quiz_id = published_quiz(teacher, kinds=("code", "multiple"))
    resp, _ = take(student, quiz_id, {"q0_dx": "E11.21 N18.31", "q1": ["0", "2"]})
    result = student.get(resp.headers["Location"]).get_data(as_text=True)
    assert "status-partial" in result
    assert "E11.21" in result and "E11.22" in result  # the grader's line, with what was expected
    assert re.search(r"<strong>\d+%</strong>", result).group(0) not in ("<strong>100%</strong>", "<strong>0%</strong>")


def test_double_submit_stores_one_attempt(app, teacher, student):
    from app.models import QuizAttempt
    quiz_id = published_quiz(teacher, kinds=("truefalse",))
    first, data = take(student, quiz_id, {"q0": "true"})
    second = student.post(f"/quizzes/{quiz_id}", data, token_from=f"/quizzes/{quiz_id}")
    assert first.headers["Location"] == second.headers["Location"]
    assert count(app, QuizAttempt) == 1


def test_another_student_cannot_read_my_attempt(app, teacher, student, login_as):
    quiz_id = published_quiz(teacher, kinds=("truefalse",))
    resp, _ = take(student, quiz_id, {"q0": "false"})
    other = login_as("student", "other@example.test")
    assert other.get(resp.headers["Location"]).status_code == 404
    assert student.get(resp.headers["Location"]).status_code == 200


def test_unpublished_and_draft_quizzes_are_not_open_to_students(app, teacher, student):
    quiz_id = create_quiz(teacher)
    add_question(teacher, quiz_id, "truefalse")
    assert student.get(f"/quizzes/{quiz_id}").status_code == 404
    action(teacher, quiz_id, "publish")
    action(teacher, quiz_id, "audience", practice="y")  # site-wide practice: any student
    assert student.get(f"/quizzes/{quiz_id}").status_code == 200
    action(teacher, quiz_id, "unpublish")
    assert student.get(f"/quizzes/{quiz_id}").status_code == 404
    assert "Diabetes drill" not in student.get("/quizzes/").get_data(as_text=True)


def test_editing_a_published_quiz_makes_a_new_version_and_attempts_keep_theirs(app, teacher, student):
    from app.extensions import db
    from app.models import QuizAttempt, QuizVersion
    quiz_id = published_quiz(teacher, kinds=("truefalse",))
    resp, _ = take(student, quiz_id, {"q0": "true"})
    v1_result = resp.headers["Location"]
    # The instructor flips the answer: this is a new draft, students still get version 1.
    edit = teacher.get(f"/quizzes/manage/{quiz_id}/questions/1").get_data(as_text=True)
    saved = teacher.post(f"/quizzes/manage/{quiz_id}/questions/1",
                         question_data("truefalse", prompt="Reworded statement", answer="false",
                                       revision=revision_of(edit)))
    assert saved.status_code == 302
    assert "draft version 2" in teacher.get(f"/quizzes/manage/{quiz_id}").get_data(as_text=True)
    taking = student.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    assert "A truefalse question?" in taking and "Reworded statement" not in taking
    action(teacher, quiz_id, "publish")
    taking = student.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    assert "Reworded statement" in taking
    # The first attempt is still 100% on version 1, and says the quiz changed since.
    old = student.get(v1_result).get_data(as_text=True)
    assert "<strong>100%</strong>" in old and "version 1" in old and "revised since" in old
    resp, _ = take(student, quiz_id, {"q0": "true"})
    assert "<strong>0%</strong>" in student.get(resp.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        numbers = db.session.execute(sa.select(QuizVersion.number).join(
            QuizAttempt, QuizAttempt.version_id == QuizVersion.id).order_by(QuizAttempt.id)).scalars().all()
        assert numbers == [1, 2]


def test_a_student_who_opened_the_old_version_is_graded_by_it(app, teacher, student):
    quiz_id = published_quiz(teacher, kinds=("truefalse",))
    page = student.get(f"/quizzes/{quiz_id}").get_data(as_text=True)  # opened on version 1
    edit = teacher.get(f"/quizzes/manage/{quiz_id}/questions/1").get_data(as_text=True)
    teacher.post(f"/quizzes/manage/{quiz_id}/questions/1",
                 question_data("truefalse", answer="false", revision=revision_of(edit)))
    action(teacher, quiz_id, "publish")
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    resp = student.post(f"/quizzes/{quiz_id}", {"token": token, "version": version, "q0": "true"},
                        token_from=f"/quizzes/{quiz_id}")
    assert "<strong>100%</strong>" in student.get(resp.headers["Location"]).get_data(as_text=True)


def test_second_of_two_concurrent_saves_gets_a_conflict_and_keeps_its_input(app, teacher, login_as):
    from app.extensions import db
    from app.models import QuizVersion
    quiz_id = create_quiz(teacher)
    admin = login_as("admin", "grace@example.test", "Grace Admin")
    page_a = teacher.get(f"/quizzes/manage/{quiz_id}").get_data(as_text=True)
    page_b = admin.get(f"/quizzes/manage/{quiz_id}").get_data(as_text=True)
    first = admin.post(f"/quizzes/manage/{quiz_id}", {"title": "Grace's title", "instructions": "",
                                                      "revision": revision_of(page_b)})
    assert first.status_code == 302
    second = teacher.post(f"/quizzes/manage/{quiz_id}", {"title": "Ada's title", "instructions": "Ada's words",
                                                         "revision": revision_of(page_a)})
    page = second.get_data(as_text=True)
    assert second.status_code == 409
    assert re.search(r"Grace Admin saved this quiz at \d\d:\d\d UTC; your changes were not saved — here they are:", page)
    assert 'value="Ada&#39;s title"' in page and "Ada&#39;s words" in page
    with app.app_context():
        titles = db.session.scalars(sa.select(QuizVersion.title).where(QuizVersion.quiz_id == quiz_id)).all()
        assert titles == ["Grace's title"]
    # Question forms are guarded the same way.
    q_page = teacher.get(f"/quizzes/manage/{quiz_id}/questions/new").get_data(as_text=True)
    add_question(admin, quiz_id, "truefalse")
    stale = teacher.post(f"/quizzes/manage/{quiz_id}/questions/new",
                         question_data("short", prompt="Ada's question", revision=revision_of(q_page)))
    assert stale.status_code == 409 and "Ada&#39;s question" in stale.get_data(as_text=True)


# --- files --------------------------------------------------------------------------------------

GIFT = """// a small GIFT file
::Form:: Which form carries a professional claim? {=CMS-1500 ~UB-04#Institutional claims. ~ADA}

Rejected claims were adjudicated. {F}

Group code for patient responsibility? {=PR =patient responsibility}
"""


def upload(teacher, name, text, **extra):
    import io
    data = {"file": (io.BytesIO(text.encode()), name), **extra}
    return teacher.post("/quizzes/manage/import", data, content_type="multipart/form-data")


def test_gift_import_from_the_web(app, teacher):
    resp = upload(teacher, "claims.gift", GIFT, title="Claims from GIFT")
    assert resp.status_code == 302
    page = teacher.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Claims from GIFT" in page and "Which form carries a professional claim?" in page
    assert page.count('class="quiz-edit-item"') == 3


def test_aiken_import_from_the_web(app, teacher):
    text = "Which set codes diagnoses?\nA. CPT\nB. ICD-10-CM\nC) HCPCS\nANSWER: B\n"
    resp = upload(teacher, "sets.txt", text)
    assert resp.status_code == 302
    assert "Which set codes diagnoses?" in teacher.get(resp.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("name,text,expected", [
    ("bad.gift", "Good one {T}\n\nNo closing brace {=a ~b\n", "bad.gift:3:"),
    ("bad.gift", "Numeric {#3:1}\n", "numeric questions"),
    ("bad.txt", "Stem\nA. one\nB. two\nANSWER: D\n", "bad.txt:4:"),
    ("bad.yml", "kind: quiz\nslug: x\ntitle: T\nquestions:\n  - type: single\n    prompt: P\n    choices: []\n", "bad.yml:"),
])
def test_a_bad_file_imports_nothing_and_names_the_line(app, teacher, name, text, expected):
    from app.models import Quiz
    before = count(app, Quiz)
    resp = upload(teacher, name, text)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "Nothing was imported" in page and expected in page
    assert count(app, Quiz) == before


def test_yaml_with_a_bad_code_key_is_refused_on_its_line(app, teacher):
    text = ("kind: quiz\nslug: bad-key\ntitle: T\nquestions:\n  - type: code\n    prompt: P\n"
            "    key:\n      diagnoses: [E11.2]\n")
    page = upload(teacher, "bad-key.yml", text).get_data(as_text=True)
    assert "bad-key.yml:5: question 1: E11.2: not billable" in page


def test_cli_export_import_export_round_trip(app, teacher, runner, tmp_path):
    from app.extensions import db
    from app.models import Quiz
    quiz_id = published_quiz(teacher)
    first, second = tmp_path / "one.yml", tmp_path / "two.yml"
    result = runner.invoke(args=["content", "export-quiz", str(quiz_id), str(first)])
    assert result.exit_code == 0, result.output
    text = first.read_text()
    assert "kind: quiz" in text and "E11.22" in text
    # importing into the same slug makes the next version; exporting it again changes nothing
    result = runner.invoke(args=["content", "import-quiz", str(first)])
    assert result.exit_code == 0 and "version 2" in result.output, result.output
    runner.invoke(args=["content", "export-quiz", str(quiz_id), str(second)])
    assert second.read_text() == text
    # and into a fresh quiz under another slug
    third = tmp_path / "three.yml"
    third.write_text(text.replace("slug: diabetes-drill", "slug: diabetes-copy"))
    result = runner.invoke(args=["content", "import-quiz", str(third), "--owner", "teacher@example.test", "--publish"])
    assert result.exit_code == 0 and "created" in result.output, result.output
    with app.app_context():
        copy_id = db.session.scalar(sa.select(Quiz.id).where(Quiz.slug == "diabetes-copy"))
    fourth = tmp_path / "four.yml"
    runner.invoke(args=["content", "export-quiz", str(copy_id), str(fourth)])
    assert fourth.read_text() == third.read_text()


def test_cli_imports_gift_and_refuses_a_bad_file_whole(app, runner, tmp_path):
    from app.models import Quiz
    good = tmp_path / "claims.gift"
    good.write_text(GIFT)
    result = runner.invoke(args=["content", "import-quiz", str(good), "--title", "Claims", "--publish"])
    assert result.exit_code == 0 and "3 question(s), published" in result.output, result.output
    before = count(app, Quiz)
    bad = tmp_path / "bad.gift"
    bad.write_text(GIFT + "\nMatching {=a -> 1 =b -> 2}\n")
    result = runner.invoke(args=["content", "import-quiz", str(bad)])
    assert result.exit_code == 1
    assert "bad.gift:8: matching questions" in result.output and "nothing was imported" in result.output
    assert count(app, Quiz) == before


def test_site_quizzes_from_content_files_are_published(app, student):
    page = student.get("/quizzes/").get_data(as_text=True)
    assert "Quick check: coding diabetes" in page and "Claim basics" in page


def test_a_page_from_a_long_superseded_version_is_not_graded(app, teacher, student):
    from datetime import timedelta

    from app.extensions import db
    from app.models import QuizAttempt, QuizVersion
    quiz_id = published_quiz(teacher, kinds=("truefalse",))
    page = student.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    edit = teacher.get(f"/quizzes/manage/{quiz_id}/questions/1").get_data(as_text=True)
    teacher.post(f"/quizzes/manage/{quiz_id}/questions/1",
                 question_data("truefalse", prompt="New wording", revision=revision_of(edit)))
    action(teacher, quiz_id, "publish")
    action(teacher, quiz_id, "audience", practice="y")  # site-wide practice: any student
    with app.app_context():
        v2 = db.session.scalar(sa.select(QuizVersion).where(QuizVersion.quiz_id == quiz_id, QuizVersion.number == 2))
        v2.published_at -= timedelta(days=1)
        db.session.commit()
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    resp = student.post(f"/quizzes/{quiz_id}", {"token": token, "version": version, "q0": "true"},
                        token_from=f"/quizzes/{quiz_id}")
    assert resp.status_code == 409
    assert "changed since you opened it" in resp.get_data(as_text=True) and "New wording" in resp.get_data(as_text=True)
    assert count(app, QuizAttempt) == 0


def test_site_quizzes_are_edited_in_their_files_not_the_web(app, runner, login_as):
    from app.extensions import db
    from app.models import Quiz
    with app.app_context():
        quiz_id = db.session.scalar(sa.select(Quiz.id).where(Quiz.slug == "claim-basics"))
    admin = login_as("admin", "root@example.test")
    page = admin.get(f"/quizzes/manage/{quiz_id}").get_data(as_text=True)
    assert "quizzes/claim-basics.yml" in page and "Add a question" not in page
    resp = admin.post(f"/quizzes/manage/{quiz_id}", {"title": "Renamed", "revision": "1"},
                      token_from=f"/quizzes/manage/{quiz_id}", follow_redirects=True)
    assert "change that file" in resp.get_data(as_text=True)
    result = runner.invoke(args=["content", "import-quiz", str(app.config["CONTENT_DIR"] + "/quizzes/claim-basics.yml")])
    assert result.exit_code == 1 and "change that file" in result.output
    assert "Claim basics" in admin.get("/quizzes/").get_data(as_text=True)


def test_a_full_coding_case_question_is_graded_by_the_cases_key(app, teacher, student):
    from app.extensions import db
    from app.models import CodingCase
    with app.app_context():
        case = db.session.scalars(sa.select(CodingCase).where(CodingCase.active.is_(True)).order_by(CodingCase.slug)).first()
        slug, key, title = case.slug, case.answer_key, case.title
    quiz_id = create_quiz(teacher)
    bad = add_question(teacher, quiz_id, "case", case="no-such-case", prompt="")
    assert bad.status_code == 422 and "There is no coding case" in bad.get_data(as_text=True)
    assert add_question(teacher, quiz_id, "case", case=slug, prompt="Code this encounter.").status_code == 302
    action(teacher, quiz_id, "publish")
    action(teacher, quiz_id, "audience", practice="y")  # site-wide practice: any student
    page = student.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    assert "Code this encounter." in page and 'class="vignette quiz-vignette"' in page
    for line in key["diagnoses"] + key.get("procedures", []):
        assert line["rationale"][:30].replace("'", "&#39;") not in page
    answers = {"q0_dx": " ".join(d["code"] for d in key["diagnoses"]),
               "q0_px": ", ".join(p["code"] + "".join(f"-{m}" for m in p.get("modifiers", [])) + f" x{p.get('units', 1)}"
                                  for p in key.get("procedures", []))}
    resp, _ = take(student, quiz_id, answers)
    result = student.get(resp.headers["Location"]).get_data(as_text=True)
    assert "<strong>100%</strong>" in result and title.replace("'", "&#39;") in result


def test_content_check_names_a_bad_site_quiz_file_and_line(app, tmp_path):
    import shutil

    from app.services.content import check_content, import_content
    base = tmp_path / "content"
    shutil.copytree(app.config["CONTENT_DIR"], base)
    (base / "quizzes" / "broken.yml").write_text(
        "kind: quiz\nslug: broken\ntitle: Broken\nquestions:\n  - type: code\n    prompt: P\n"
        "    key:\n      diagnoses: [E11.2]\n")
    with app.app_context():
        report = check_content(base)
        found = [str(e) for e in report.errors if "broken.yml" in str(e)]
        assert len(found) == 1 and found[0].startswith(
            f"{base / 'quizzes' / 'broken.yml'}:5: question 1: E11.2: not billable — needs")
        assert "a 5th character" in found[0]
        assert not import_content(base).ok  # all or nothing: nothing written


def test_a_changed_site_quiz_file_becomes_the_next_published_version(app, tmp_path):
    from app.extensions import db
    from app.models import Quiz
    from app.services import quizzes as quiz_service
    path = tmp_path / "site-demo.yml"
    text = "kind: quiz\nslug: site-demo\ntitle: Site demo\nquestions:\n- type: truefalse\n  prompt: P\n  points: 1\n  answer: true\n"
    try:
        with app.app_context():
            for content in (text, text.replace("prompt: P", "prompt: Changed")):
                path.write_text(content)
                found, errors = quiz_service.load_site_quizzes(tmp_path)
                assert not errors
                quiz_service.write_site_quizzes(found, str)
                db.session.commit()
            quiz = db.session.scalar(sa.select(Quiz).where(Quiz.slug == "site-demo"))
            assert quiz.published_number == 2 and [v.number for v in quiz.versions] == [1, 2]
            assert quiz.versions[0].questions[0]["prompt"] == "P" and quiz.versions[1].questions[0]["prompt"] == "Changed"
    finally:
        with app.app_context():
            quiz = db.session.scalar(sa.select(Quiz).where(Quiz.slug == "site-demo"))
            if quiz is not None:
                db.session.delete(quiz)
                db.session.commit()


def _a_scenario(app):
    from app.extensions import db
    from app.models import ClaimScenario
    with app.app_context():
        s = db.session.scalars(sa.select(ClaimScenario).where(ClaimScenario.active.is_(True))
                               .order_by(ClaimScenario.slug)).first()
        return s.slug, list(s.expected["causes"]), s.resolutions[0]["action"], s.rationale


def test_claim_scenario_question_scores_cause_and_action(app, teacher, student):
    slug, causes, action_id, rationale = _a_scenario(app)
    quiz_id = create_quiz(teacher, title="Denials drill")
    # A scenario that does not exist is a field error; the form keeps the instructor's input.
    bad = add_question(teacher, quiz_id, "scenario", scenario="no-such-scenario", prompt="Work this denial.")
    assert bad.status_code == 422 and "There is no claim scenario" in bad.get_data(as_text=True)
    assert add_question(teacher, quiz_id, "scenario", scenario=slug, prompt="Work this denial.",
                        points="2").status_code == 302
    assert action(teacher, quiz_id, "publish").status_code == 302
    action(teacher, quiz_id, "audience", practice="y")  # site-wide practice: any student

    page = student.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    assert "What the payer sent back" in page and f'name="q0_cause" value="{causes[0]}"' in page
    assert rationale[:40] not in page and "checked" not in page  # nothing hints at the answer

    wrong, _ = take(student, quiz_id, {"q0_cause": ["not-a-cause-id"], "q0_action": "write-off"})
    right, _ = take(student, quiz_id, {"q0_cause": causes, "q0_action": action_id})
    wrong_page = student.get(wrong.headers["Location"]).get_data(as_text=True)
    right_page = student.get(right.headers["Location"]).get_data(as_text=True)
    assert "<strong>100%</strong>" in right_page and "Right:" in right_page
    assert "<strong>100%</strong>" not in wrong_page and "Missed:" in wrong_page


def test_scenario_question_round_trips_through_yaml(app, teacher, runner, tmp_path):
    slug, *_ = _a_scenario(app)
    quiz_id = create_quiz(teacher, title="Round trip")
    assert add_question(teacher, quiz_id, "scenario", scenario=slug, prompt="Work it.").status_code == 302
    first = tmp_path / "a.yml"
    assert runner.invoke(args=["content", "export-quiz", str(quiz_id), str(first)]).exit_code == 0
    text = first.read_text()
    assert f"scenario: {slug}" in text and "type: scenario" in text
