"""Mistakes as data.

The catalog of misconceptions (scalar nodes) and the array mistakes of matrix nodes and
networks, each an id, a description and a small function.
"""
