"""The content reader every loader reads YAML through: lines of keys and list items, typed getters
that name the file and line, and the directory loop."""
import pytest

from app.content.errors import ContentError
from app.content.reader import Reader, line_at, load_dir, read_dir

TEXT = """\
title: A case
codes:
  - E11.9
  - "99213"
answer_key:
  diagnoses: [E11.9]
"""


def reader(tmp_path, text=TEXT, name="sample.yml") -> Reader:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return Reader(path)


def test_list_items_and_nested_values_keep_their_lines(tmp_path):
    r = reader(tmp_path)
    fields = r.mapping(r.root("a file"), "file")
    assert [n.line for n in r.sequence(fields["codes"][1], "codes")] == [3, 4]
    assert fields["answer_key"][1].line == 6      # a mapping starts where its first key is
    assert fields["answer_key"][0].line == 5      # its key is a line above
    assert line_at(r.data(), ["answer_key", "diagnoses"]) == 6
    assert line_at(r.data(), ["codes", 1]) == 4


@pytest.mark.parametrize("getter, value, message", [
    ("string", "codes", "title must be a string"),
    ("integer", "title", "title must be an integer"),
    ("boolean", "title", "title must be true or false"),
    ("sequence", "title", "title must be a list"),
])
def test_a_getter_names_the_file_and_line_of_a_wrong_value(tmp_path, getter, value, message):
    r = reader(tmp_path)
    fields = r.mapping(r.root("a file"), "file")
    with pytest.raises(ContentError) as info:
        getattr(r, getter)(type(fields[value][1])(fields[value][1].value, 9), "title")
    assert (info.value.line, info.value.message) == (9, message)
    assert str(info.value).startswith(str(tmp_path / "sample.yml"))


def test_a_number_where_text_belongs_says_to_quote_it(tmp_path):
    r = reader(tmp_path, "code: 99213\n")
    with pytest.raises(ContentError, match=r"sample\.yml:1: code must be a string \(quote it\)"):
        r.string(r.mapping(r.root("a file"), "file")["code"][1], "code")


def test_a_key_written_twice_is_refused_at_its_second_line(tmp_path):
    r = reader(tmp_path, "title: One\nslug: one\ntitle: Two\n")
    with pytest.raises(ContentError, match=r"sample\.yml:3: file: duplicate key 'title'"):
        r.mapping(r.root("a file"), "file")


def test_the_bounded_loader_refuses_aliases(tmp_path):
    r = reader(tmp_path, "a: &x [1]\nb: *x\n")
    with pytest.raises(ContentError, match="anchors"):
        r.root("a file")


@pytest.mark.parametrize("text, message", [("", "1: the file is empty"), ("- a\n- b\n", "1: a file must be a mapping")])
def test_the_root_must_be_a_mapping(tmp_path, text, message):
    with pytest.raises(ContentError, match=message):
        reader(tmp_path, text).root("a file")


def _slug(path):
    r = Reader(path)
    fields = r.mapping(r.root("a file"), "file")
    return r.string(fields["slug"][1], "slug"), fields["slug"][1].line


def test_the_directory_loop_reads_in_name_order_and_refuses_a_slug_twice(tmp_path):
    (tmp_path / "b.yml").write_text("slug: b\n", encoding="utf-8")
    (tmp_path / "a.yml").write_text("slug: a\n", encoding="utf-8")
    (tmp_path / "a.yaml").write_text("\nslug: a\n", encoding="utf-8")
    (tmp_path / "c.yml").write_text("slug: [c\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("slug: x\n", encoding="utf-8")
    items, errors = read_dir(tmp_path, _slug, lambda item: item)
    assert [slug for slug, _line in items] == ["a", "b"]
    # a.yaml sorts before a.yml, so a.yml is the one refused, at its slug's line
    assert [(e.path.rsplit("/", 1)[-1], e.line) for e in errors] == [("a.yml", 1), ("c.yml", 2)]
    assert "slug 'a' is also used by" in errors[0].message
    with pytest.raises(ContentError) as info:
        load_dir(tmp_path, _slug, "sample", lambda item: item)
    assert (info.value.path.rsplit("/", 1)[-1], info.value.line) == ("a.yml", 1)


def test_a_missing_directory_is_named(tmp_path):
    with pytest.raises(ContentError, match="sample directory not found"):
        load_dir(tmp_path / "nowhere", _slug, "sample", lambda item: item)
    assert read_dir(tmp_path / "nowhere", _slug, lambda item: item) == ([], [])
