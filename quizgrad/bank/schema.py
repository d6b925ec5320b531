"""JSON Schemas for banks and answer files, so editors validate them while you type.

``quizgrad schema bank > bank.schema.json`` and a first line ``# yaml-language-server:
$schema=bank.schema.json`` in a bank make VS Code (with the YAML extension) and other
editors flag unknown keys, wrong types and unknown mistake ids at once. The schemas are
built from the same tables the loader uses (keys per type, verdicts, mistake ids); the
loader still checks what a schema cannot (formulas, shapes, ranges).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quizgrad.bank.load import _ID, COMMON_KEYS, VERDICTS
from quizgrad.mistakes.catalog import CATALOG
from quizgrad.registry import kind_named, types

if TYPE_CHECKING:
    from quizgrad.kinds.base import Kind

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_NUMBER: dict[str, Any] = {"description": "a number, or text such as 1/4 or 2*(-3)",
                           "type": ["number", "string"]}
_SPEC: dict[str, Any] = {
    "description": "a fixed value, or how it is drawn",
    "anyOf": [_NUMBER, {
        "type": "object", "additionalProperties": False,
        "properties": {"int": {"type": "array", "items": _NUMBER, "minItems": 2, "maxItems": 2},
                       "decimal": {"type": "array", "items": _NUMBER, "minItems": 2,
                                   "maxItems": 2},
                       "choice": {"type": "array", "items": _NUMBER, "minItems": 1},
                       "places": {"type": "integer", "minimum": 1, "maximum": 6},
                       "nonzero": {"type": "boolean"},
                       "exclude": {"anyOf": [_NUMBER, {"type": "array", "items": _NUMBER}]}},
        "oneOf": [{"required": ["int"]}, {"required": ["decimal"]}, {"required": ["choice"]}]}]}
_ARRAY: dict[str, Any] = {
    "description": "a matrix (a list of rows), a vector, a number, {shape: [...], int: [...]}, "
                   "a drawn number {int: [...]}, or class indices {class: random}",
    "anyOf": [_NUMBER, _SPEC["anyOf"][1],
              {"type": "array", "items": _NUMBER, "minItems": 1},
              {"type": "array", "items": {"type": "array", "items": _NUMBER, "minItems": 1},
               "minItems": 1},
              {"type": "object", "required": ["shape"],
               "properties": {"shape": {"type": "array", "items": {"type": "integer",
                                                                    "minimum": 1},
                                        "minItems": 1, "maxItems": 2},
                              **_SPEC["anyOf"][1]["properties"]},
               "additionalProperties": False},
              {"type": "object", "required": ["class"], "additionalProperties": False,
               "properties": {"class": {"anyOf": [{"const": "random"},
                                                  {"type": "integer", "minimum": 0},
                                                  {"type": "array", "items": {
                                                      "type": "integer", "minimum": 0}}]}}}]}
_NAMES = {"type": "object", "minProperties": 1,
          "propertyNames": {"pattern": "^[A-Za-z][A-Za-z0-9_]*$"}}
_ASK = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"},
                                       "minItems": 1, "uniqueItems": True}]}
_TOLERANCE = {"anyOf": [{"type": "number", "minimum": 0, "exclusiveMaximum": 1},
                        {"type": "object", "additionalProperties": False,
                         "properties": {"relative": {"type": "number", "minimum": 0,
                                                     "exclusiveMaximum": 1},
                                        "absolute": {"type": "number", "minimum": 0}}}]}


def _mistake() -> dict[str, Any]:
    return {"enum": sorted(m.id for m in CATALOG)}


def key_schemas() -> dict[str, Any]:
    """The schema of every bank key, by name; a kind picks its own (:meth:`Kind.schema`).

    Keys read differently by different kinds have more than one entry: "inputs" (number
    specs), "inputs by name" (a local template's names), "array inputs" and "array" (arrays).
    """
    text = {"type": ["string", "number"]}
    return {
        "id": {"type": "string", "pattern": f"^{_ID.pattern}$"},
        "title": text, "prompt": text, "explanation": text,
        "points": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000},
        "tolerance": _TOLERANCE,
        "tests": {"type": "array", "items": {
            "type": "object", "required": ["answer"], "additionalProperties": False,
            "properties": {"answer": {}, "verdict": {"enum": list(VERDICTS)},
                           "mistakes": {"anyOf": [_mistake(), {"type": "array",
                                                               "items": _mistake()}]}}}},
        "node": {"type": "string"},
        "circuit": {"anyOf": [{"type": "string"}, {"type": "array", "items": {
            "type": "string"}}]},
        "inputs": {**_NAMES, "additionalProperties": _SPEC},
        "inputs by name": {"anyOf": [{**_NAMES, "additionalProperties": _SPEC},
                                     {"type": "array", "items": {"type": "string"}}]},
        "array inputs": {**_NAMES, "additionalProperties": _ARRAY},
        "array": _ARRAY,
        "upstream": _SPEC,
        "ask": _ASK, "allow_kinks": {"type": "boolean"}, "wrt": {"type": "string"},
        "let": {"type": "object", "additionalProperties": {"type": "string"}},
        "choices": {"type": "array", "minItems": 2, "maxItems": 26, "items": {"anyOf": [
            text, {"type": "object", "required": ["text"], "additionalProperties": False,
                   "properties": {"text": text, "correct": {"type": "boolean"},
                                  "mistake": _mistake(), "feedback": text}}]}},
        "shuffle": {"type": "boolean"}, "answer": {"type": "boolean"}, "mistake": _mistake(),
    }


def _properties(kind: Kind) -> dict[str, Any]:
    table = key_schemas()
    found = {key: table[key] for key in COMMON_KEYS if key != "type"}
    found.update(kind.schema(table))
    found["type"] = {"const": kind.type}
    return {key: found[key] for key in sorted(found)}


def bank_schema() -> dict[str, Any]:
    """The schema of a bank file (YAML read as JSON data)."""
    templates = []
    names = types()
    for name in names:
        kind = kind_named(name)
        templates.append({"title": f"a {name} template", "type": "object",
                          "required": ["id", "type", "title", *kind.required],
                          "additionalProperties": False, "properties": _properties(kind)})
    return {
        "$schema": DIALECT, "$id": "https://quizgrad.invalid/bank.schema.json",
        "title": "quizgrad question bank", "type": "object", "required": ["templates"],
        "additionalProperties": False,
        "properties": {
            "bank": {"type": "string"}, "title": {"type": "string"},
            "defaults": {"type": "object", "additionalProperties": False,
                         "properties": {"points": {"type": "number", "exclusiveMinimum": 0},
                                        "tolerance": _TOLERANCE}},
            "templates": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["type"],
                "properties": {"type": {"enum": list(names)}},
                "allOf": [{"if": {"properties": {"type": {"const": kind}}},
                           "then": {"$ref": f"#/$defs/{kind}"}} for kind in names]}}},
        "$defs": {kind: schema for kind, schema in zip(names, templates, strict=True)},
    }


def submission_schema() -> dict[str, Any]:
    """The schema of an answer file (the format of ``grade`` and ``take --save``)."""
    value: dict[str, Any] = {"anyOf": [
        {"type": ["number", "string", "boolean", "null"]},
        {"type": "array", "items": {"anyOf": [{"type": ["number", "string", "null"]},
                                              {"type": "array", "items": {
                                                  "type": ["number", "string", "null"]}}]}}]}
    return {
        "$schema": DIALECT, "$id": "https://quizgrad.invalid/submission.schema.json",
        "title": "quizgrad answer file", "type": "object",
        "required": ["student", "answers"], "additionalProperties": False,
        "properties": {
            "student": {"type": ["string", "integer"],
                        "description": "the roster id (or the variant id without a roster)"},
            "name": {"type": ["string", "null"]}, "email": {"type": ["string", "null"]},
            "variant": {"type": ["string", "null"]},
            "answers": {"type": "object", "description": "item id -> answer",
                        "additionalProperties": {"anyOf": [
                            value, {"type": "object", "description": "wire -> answer",
                                    "additionalProperties": value}]}}},
    }


SCHEMAS = {"bank": bank_schema, "submission": submission_schema}
