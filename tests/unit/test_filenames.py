"""Uploaded file names: what is left to name a quiz after."""
import pytest

from app.content.filenames import MAX_STEM, clean_upload_name


@pytest.mark.parametrize("sent, kept", [
    ("cardiology.gift", "cardiology.gift"),
    ("C:\\Users\\ana\\Desktop\\drill.txt", "drill.txt"),
    ("../../etc/quiz.yml", "quiz.yml"),
    ("a\x00b.gift", "ab.gift"),
    ("\x1b[31mred.gift", "[31mred.gift"),
    ("\u202eevil\u200b.gift", "evil.gift"),
    ("tab\tand\nnewline.gift", "tab and newline.gift"),
    ("ü 🩺.yml", "ü 🩺.yml"),
    ("", "upload"),
    (None, "upload"),
    ("\x00\x01.gift", "upload.gift"),
    ("..", "upload"),
    ("quiz", "quiz"),
])
def test_names_lose_paths_and_control_characters(sent, kept):
    assert clean_upload_name(sent) == kept


def test_an_overlong_name_is_cut_and_keeps_its_extension():
    name = clean_upload_name("x" * 5000 + ".gift")
    assert name == "x" * MAX_STEM + ".gift"
    assert clean_upload_name("y" * 300) == "y" * MAX_STEM
