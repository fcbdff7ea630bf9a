"""CloudWatch metric math, as an alarm's expression is evaluated (cloudwatch_alarms.py): moto
stores an alarm's metric queries but evaluates no expression.

A time series is a ``{timestamp: value}`` dict, timestamps being the starts of the alarm's periods
in seconds since the epoch (UTC). As in CloudWatch:

* arithmetic ``+ - * / ^``, comparisons ``< <= > >= == !=`` (1 or 0), ``AND``/``&&``,
  ``OR``/``||``, ``NOT``/``!``, unary minus and parentheses, between series and numbers; two series
  combine at the timestamps both have (a point missing in either is missing in the result), and a
  division by zero leaves its point out;
* ``FILL(series, number)`` and ``FILL(series, REPEAT)`` give the series a point at every period
  of the evaluation range (``REPEAT``: the latest earlier value; none before the first);
* ``IF(condition, a[, b])``: ``a`` where the condition's point is not 0, else ``b`` (or no point);
* ``HOUR(series)`` and ``MINUTE(series)``: the UTC hour and minute of each point's timestamp.

Any other function (``SUM``, ``METRICS``, ``SEARCH``, ``ANOMALY_DETECTION_BAND``…), ``FILL`` with
``LINEAR``, or string literals raise :class:`Unsupported`, naming what is missing, so an alarm
that uses them fails loudly (INSUFFICIENT_DATA with that reason) instead of passing unevaluated.
"""

from __future__ import annotations

import re
import time

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)"
                    r"|([A-Za-z_][A-Za-z0-9_]*)"
                    r"|(>=|<=|==|!=|&&|\|\||[-+*/^(),<>!])"
                    r"|(\S))")
SUPPORTED_FUNCTIONS = ("FILL", "IF", "HOUR", "MINUTE")


class ExpressionError(ValueError):
    """The expression cannot be evaluated (an unknown id, a syntax error)."""


class Unsupported(ExpressionError):
    """The expression uses what this emulation does not evaluate."""


def _tokens(expression: str) -> list[tuple[str, str]]:
    found = []
    for number, name, operator, other in _TOKEN.findall(expression):
        if other:
            if other in "'\"":
                raise Unsupported("string literals (SEARCH and similar functions)")
            raise ExpressionError(f"unexpected character {other!r} in {expression!r}")
        found.append(("num", number) if number else ("name", name) if name else ("op", operator))
    return found


class _Parser:
    """Recursive descent: OR < AND < NOT < comparison < + - < * / < unary minus < ^ < atoms."""

    def __init__(self, expression: str):
        self.expression = expression
        self.tokens = _tokens(expression)
        self.at = 0

    def parse(self):
        tree = self.disjunction()
        if self.at != len(self.tokens):
            raise ExpressionError(f"unexpected {self.tokens[self.at][1]!r} in {self.expression!r}")
        return tree

    def peek(self, *values: str) -> str | None:
        if self.at < len(self.tokens) and self.tokens[self.at][0] != "num" and self.tokens[self.at][1] in values:
            return self.tokens[self.at][1]
        return None

    def take(self) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise ExpressionError(f"{self.expression!r} ends too soon")
        self.at += 1
        return self.tokens[self.at - 1]

    def expect(self, value: str) -> None:
        if self.take()[1] != value:
            raise ExpressionError(f"expected {value!r} in {self.expression!r}")

    def binary(self, operand, operators: dict[str, str]):
        tree = operand()
        while (found := self.peek(*operators)):
            self.take()
            tree = ("bin", operators[found], tree, operand())
        return tree

    def disjunction(self):
        return self.binary(self.conjunction, {"OR": "OR", "||": "OR"})

    def conjunction(self):
        return self.binary(self.negation, {"AND": "AND", "&&": "AND"})

    def negation(self):
        if self.peek("NOT", "!"):
            self.take()
            return ("not", self.negation())
        return self.comparison()

    def comparison(self):
        tree = self.additive()
        if (found := self.peek("<", "<=", ">", ">=", "==", "!=")):
            self.take()
            tree = ("bin", found, tree, self.additive())
        return tree

    def additive(self):
        return self.binary(self.term, {"+": "+", "-": "-"})

    def term(self):
        return self.binary(self.unary, {"*": "*", "/": "/"})

    def unary(self):
        if self.peek("-"):
            self.take()
            return ("bin", "*", ("num", -1.0), self.unary())
        if self.peek("+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self):
        tree = self.atom()
        if self.peek("^"):
            self.take()
            tree = ("bin", "^", tree, self.unary())
        return tree

    def atom(self):
        kind, value = self.take()
        if kind == "num":
            return ("num", float(value))
        if value == "(":
            tree = self.disjunction()
            self.expect(")")
            return tree
        if kind == "name" and self.peek("("):
            self.take()
            arguments = []
            if not self.peek(")"):
                arguments.append(self.disjunction())
                while self.peek(","):
                    self.take()
                    arguments.append(self.disjunction())
            self.expect(")")
            return ("call", value, arguments)
        if kind == "name":
            return ("id", value)
        raise ExpressionError(f"unexpected {value!r} in {self.expression!r}")


def _truth(value: float) -> bool:
    return value != 0


_OPERATIONS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b != 0 else None,
    "^": lambda a, b: _power(a, b),
    "<": lambda a, b: float(a < b),
    "<=": lambda a, b: float(a <= b),
    ">": lambda a, b: float(a > b),
    ">=": lambda a, b: float(a >= b),
    "==": lambda a, b: float(a == b),
    "!=": lambda a, b: float(a != b),
    "AND": lambda a, b: float(_truth(a) and _truth(b)),
    "OR": lambda a, b: float(_truth(a) or _truth(b)),
}


def _power(a: float, b: float) -> float | None:
    try:
        result = a ** b
    except (OverflowError, ZeroDivisionError):
        return None
    return result if isinstance(result, float | int) else None


def _combine(operation, left, right):
    if isinstance(left, dict) and isinstance(right, dict):
        pairs = {when: (left[when], right[when]) for when in left if when in right}
    elif isinstance(left, dict):
        pairs = {when: (value, right) for when, value in left.items()}
    elif isinstance(right, dict):
        pairs = {when: (left, value) for when, value in right.items()}
    else:
        return operation(left, right)
    combined = {when: operation(a, b) for when, (a, b) in pairs.items()}
    return {when: value for when, value in combined.items() if value is not None}


class _Evaluation:
    def __init__(self, variables: dict[str, dict[int, float]], timestamps: list[int]):
        self.variables = variables
        self.timestamps = sorted(timestamps)

    def value(self, tree):
        kind = tree[0]
        if kind == "num":
            return tree[1]
        if kind == "id":
            if tree[1] not in self.variables:
                raise ExpressionError(f"no metric or expression has the id {tree[1]!r}")
            return self.variables[tree[1]]
        if kind == "not":
            return _combine(lambda a, _: float(not _truth(a)), self.value(tree[1]), 0.0)
        if kind == "bin":
            return _combine(_OPERATIONS[tree[1]], self.value(tree[2]), self.value(tree[3]))
        return self.call(tree[1], tree[2])

    def call(self, name: str, arguments: list):
        if name not in SUPPORTED_FUNCTIONS:
            raise Unsupported(f"the metric math function {name} "
                              f"(the emulator evaluates {', '.join(SUPPORTED_FUNCTIONS)})")
        if name in ("HOUR", "MINUTE"):
            self.arity(name, arguments, 1, 1)
            series = self.series(name, self.value(arguments[0]))
            field = 3 if name == "HOUR" else 4
            return {when: float(time.gmtime(when)[field]) for when in series}
        if name == "FILL":
            self.arity(name, arguments, 2, 2)
            return self.fill(self.value(arguments[0]), arguments[1])
        self.arity(name, arguments, 2, 3)
        condition = self.value(arguments[0])
        chosen = [self.value(argument) for argument in arguments[1:]]
        if not isinstance(condition, dict):
            condition = {when: condition for when in self.timestamps}
        result = {}
        for when, holds in condition.items():
            branch = chosen[0] if _truth(holds) else (chosen[1] if len(chosen) > 1 else None)
            value = branch.get(when) if isinstance(branch, dict) else branch
            if value is not None:
                result[when] = value
        return result

    def fill(self, series, how):
        if not isinstance(series, dict):
            return series
        if how[0] == "id" and how[1] == "REPEAT":
            filled, last = {}, None
            for when in self.timestamps:
                last = series.get(when, last)
                if last is not None:
                    filled[when] = last
            return filled
        if how[0] == "id" and how[1] == "LINEAR":
            raise Unsupported("FILL with LINEAR (the emulator fills with a number or REPEAT)")
        value = self.value(how)
        if isinstance(value, dict):
            raise Unsupported("FILL with a time series as its value (the emulator fills with a number or REPEAT)")
        return {when: series.get(when, value) for when in self.timestamps}

    @staticmethod
    def arity(name: str, arguments: list, least: int, most: int) -> None:
        if not least <= len(arguments) <= most:
            raise ExpressionError(f"{name} takes {least}{'' if least == most else f' to {most}'} arguments")

    def series(self, name: str, value):
        if not isinstance(value, dict):
            raise ExpressionError(f"{name} takes a time series")
        return value


def evaluate(expression: str, variables: dict[str, dict[int, float]], timestamps: list[int]) -> dict[int, float]:
    """The time series an expression gives, over the evaluation range's ``timestamps``; a number
    alone stands at every one of them. Raises :class:`Unsupported` or :class:`ExpressionError`."""
    result = _Evaluation(variables, timestamps).value(_Parser(expression).parse())
    if not isinstance(result, dict):
        return {when: float(result) for when in timestamps}
    return {when: float(value) for when, value in result.items()}
