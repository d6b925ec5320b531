"""The mathematics.

The safe expression language, exact evaluation, the engine of scalar nodes, circuits, matrix
nodes and networks, and the explanations of ``quizgrad explain``.
"""
