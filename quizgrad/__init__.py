"""quizgrad: teach and test the function node rule of backpropagation."""

__version__ = "0.1.0"
