"""Safe YAML with line numbers: lines, duplicate keys, aliases capped, unsafe tags refused."""

from __future__ import annotations

import pytest

from quizgrad.bank.yamlio import YamlError, YamlList, YamlMap, load

BOMB = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c]\n"  # 6 alias uses


def test_mappings_and_lists_remember_their_lines():
    data = load("title: t\nitems:\n  - id: one\n    n: 1\n  - id: two\n")
    assert isinstance(data, YamlMap) and data.line == 1
    assert data.line_of("items") == 2 and data.line_of("missing") == 1
    items = data["items"]
    assert isinstance(items, YamlList) and items.item_lines == [3, 5]
    assert items[1].line_of("id") == 5


@pytest.mark.parametrize(("text", "fragment", "line"), [
    ("a: 1\nb: 2\na: 3\n", "duplicate key 'a'", 3),
    ("a: [1, 2\n", "expected", None),
    ("x: !!python/object/apply:os.system ['echo hi']\n", "could not determine a constructor",
     1),
    ("[1, 2]: x\n", "a key must be plain text", 1),
    ("- " * 2000 + "x\n", "nesting depth", 1),
    ("[" * 5000 + "]" * 5000, "nesting depth", 1),
])
def test_bad_yaml_says_what_and_where(text, fragment, line):
    with pytest.raises(YamlError) as info:
        load(text)
    assert fragment in info.value.message
    if line is not None:
        assert info.value.line == line


def test_aliases_are_refused_by_default_at_their_list():
    with pytest.raises(YamlError) as info:
        load(BOMB)
    assert info.value.line == 2 and "aliases (*name) are not allowed" in info.value.message


@pytest.mark.parametrize(("most", "refused"), [(5, True), (6, False)])
def test_alias_uses_are_counted_against_the_cap(most, refused):
    if refused:
        with pytest.raises(YamlError, match="more than 5 YAML aliases"):
            load(BOMB, max_aliases=most)
    else:
        assert load(BOMB, max_aliases=most)["d"][1][0][1] == ["x", "x"]


def test_a_bomb_is_refused_before_it_is_walked():
    levels = "".join(f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}, *l{i - 1}]\n" for i in range(1, 40))
    with pytest.raises(YamlError, match="more than 50 YAML aliases"):
        load("l0: &l0 [x]\n" + levels, max_aliases=50)


def test_merge_keys_and_empty_documents():
    assert load("base: &b {k: 1}\nitem:\n  <<: *b\n  j: 2\n", max_aliases=1)["item"] == {
        "k": 1, "j": 2}
    assert load("") is None
    assert load("# only a comment\n") is None


def test_the_pure_python_loader_counts_aliases_the_same(monkeypatch):
    import yaml

    from quizgrad.bank import yamlio

    class Plain(yaml.SafeLoader):
        pass

    for tag, constructor in yamlio._Loader.yaml_constructors.items():
        Plain.add_constructor(tag, constructor)
    monkeypatch.setattr(yamlio, "_Loader", Plain)
    with pytest.raises(YamlError, match="more than 5 YAML aliases"):
        load(BOMB, max_aliases=5)
    assert isinstance(load("a: [1]\n"), YamlMap)
