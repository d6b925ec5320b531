"""Grading.

Reading answers, judging them part by part, feedback in words, class reports, and the
terminal quiz's session.
"""
