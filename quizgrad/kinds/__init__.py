"""Every kind of item, registered: importing this package is what makes them known.

A new kind is a module here with a subclass of :class:`~quizgrad.kinds.base.Kind`, and one
line below (the order is the order the documentation lists the types in).
"""

from quizgrad.kinds.choice import ChoiceKind
from quizgrad.kinds.circuit import CircuitKind
from quizgrad.kinds.local import LocalKind
from quizgrad.kinds.matrix import MatrixKind
from quizgrad.kinds.network import NetworkKind
from quizgrad.kinds.node import WireKind
from quizgrad.kinds.truefalse import TrueFalseKind
from quizgrad.registry import register

for _kind in (WireKind, CircuitKind, MatrixKind, NetworkKind, LocalKind, ChoiceKind,
              TrueFalseKind):
    register(_kind())
