"""The command line.

Typer commands (app) and everything shown on a terminal through rich (render, the only
module that imports it).
"""
