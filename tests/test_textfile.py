"""Reading YAML and front matter keeps the line of every value."""

import pytest

from eore.textfile import TextFileError, parse_front_matter, parse_yaml


def test_yaml_records_the_line_of_each_key_and_item():
    doc = parse_yaml("name: x\nitems:\n  - a\n  - b\nnested:\n  key: 1\n")
    assert doc.data == {"name": "x", "items": ["a", "b"], "nested": {"key": 1}}
    assert doc.line("items", 1) == 4
    assert doc.line("nested", "key") == 6
    assert doc.line("nested", "missing") == 5


def test_yaml_syntax_error_names_the_line():
    with pytest.raises(TextFileError) as caught:
        parse_yaml("a: 1\nb: [1, 2\nc: 3\n")
    assert caught.value.line == 3
    assert "starts on line 2" in caught.value.message


def test_duplicate_keys_are_refused():
    with pytest.raises(TextFileError) as caught:
        parse_yaml("a: 1\nb: 2\na: 3\n")
    assert caught.value.line == 3
    assert "'a' appears twice" in caught.value.message


def test_front_matter_lines_count_from_the_top_of_the_file():
    doc = parse_front_matter("---\ntitle: T\nlist:\n  - x\n---\n# Body\n")
    assert doc.data["title"] == "T"
    assert doc.line("list", 0) == 4
    assert doc.body == "# Body\n"
    assert doc.body_line == 6


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("title: no fence\n", 1, "must start with a '---'"),
        ("---\ntitle: never closed\n", 1, "never closed"),
        ("---\ntitle: [x\n---\nbody\n", 3, "YAML syntax"),
    ],
)
def test_front_matter_problems(text, line, words):
    with pytest.raises(TextFileError) as caught:
        parse_front_matter(text)
    assert caught.value.line == line
    assert words in caught.value.message
