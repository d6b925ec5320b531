"""Items.

Templates drawn into concrete variants (one per student, reproducibly), the discrimination
of draws, and writing a problem set.
"""
