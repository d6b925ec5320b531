"""Every kind of item, registered: importing this package is what makes them known.

A new kind is a module here with a subclass of :class:`~quizgrad.kinds.base.Kind`, and one
line below (the order is the order the documentation lists the types in).
"""

from ..registry import register
from .choice import ChoiceKind
from .circuit import CircuitKind
from .local import LocalKind
from .matrix import MatrixKind
from .network import NetworkKind
from .node import WireKind
from .truefalse import TrueFalseKind

for _kind in (WireKind, CircuitKind, MatrixKind, NetworkKind, LocalKind, ChoiceKind,
              TrueFalseKind):
    register(_kind())
