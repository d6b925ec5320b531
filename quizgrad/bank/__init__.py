"""Question banks.

YAML read safely into frozen templates, the JSON schema, and ``quizgrad check`` (finite
differences, tests, coverage of the draws).
"""
