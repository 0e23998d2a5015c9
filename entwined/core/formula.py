"""The one parser for formula text a user controls: claims' equations, their `order`, and
`entwined lattice --potential`.

A claims file is data, never code.  The text is parsed by Python's `ast` (which only builds a
tree and runs nothing), every node is checked against a whitelist, and the SymPy expression is
built here from the validated tree.  No string from the input ever reaches `sympify`,
`parse_expr` or `eval`, so string literals, f-strings, attribute access and the like cannot
smuggle code in: they are rejected as node types before anything is built.

The size of the work is bounded too (text length, node count, nesting depth, integer size,
exponent magnitude, derivative order), because `10**10**10` is harmless as text and fatal as a
number; each limit is named in the error a user sees.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Callable, Mapping

import sympy as sp

from entwined.core.errors import ClaimError

MAX_CHARS = 20_000
MAX_NODES = 4_000
MAX_DEPTH = 60
MAX_INT_DIGITS = 30
MAX_EXPONENT = 100
MAX_DERIVATIVE_ORDER = 20
MAX_NUMBER_BITS = 33_000          # about 10 000 decimal digits for any exact number built

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY = {ast.UAdd: "+", ast.USub: "-"}
_NODE_NAMES = {ast.JoinedStr: "an f-string", ast.Attribute: "attribute access ('.')",
               ast.Subscript: "indexing ('[...]')", ast.Lambda: "a lambda",
               ast.ListComp: "a comprehension", ast.GeneratorExp: "a comprehension",
               ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
               ast.Starred: "a starred argument", ast.NamedExpr: "':='",
               ast.IfExp: "'if ... else'", ast.Compare: "a comparison",
               ast.BoolOp: "'and'/'or'", ast.Dict: "a dict", ast.Set: "a set",
               ast.Await: "'await'", ast.Yield: "'yield'", ast.Slice: "a slice"}


@dataclass(frozen=True)
class Vocabulary:
    """What a formula may name: plain values (symbols, constants, matrices) and callables.

    `matrix` is the callable that takes nested lists, `derivative` the one that takes
    (variable, order) tuples; lists and tuples are allowed nowhere else.
    """

    values: Mapping[str, object]
    callables: Mapping[str, Callable]
    matrix: str = "Matrix"
    derivative: str = "Derivative"


class _Reject(Exception):
    pass


_PARSED: dict = {}
PARSE_MEMORY = 4096          # formulas kept; a claims file has a few hundred


def parse_formula(text: str, vocabulary: Vocabulary, *, where: str,
                  evaluate: bool = True) -> sp.Basic:
    """One side of a formula as a SymPy object; `where` names it in errors ("claim 13").

    With evaluate=False the expression is built unevaluated (for typesetting as printed).
    A formula is built once per process: the same text comes back for the checked and the
    displayed form, the guard's tautology test, every reading and every mutant that leaves it
    alone (SymPy objects are immutable, so sharing them is safe; errors are not kept)."""
    key = (text, id(vocabulary), where, evaluate) if isinstance(text, str) else None
    if key is not None and key in _PARSED and _PARSED[key][0] is vocabulary:
        built = _PARSED[key][1]
        return built.copy() if isinstance(built, sp.MutableDenseMatrix) else built  # own copy
    built = _parse_formula(text, vocabulary, where=where, evaluate=evaluate)
    if key is not None:
        if len(_PARSED) >= PARSE_MEMORY:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = (vocabulary, built)
        if isinstance(built, sp.MutableDenseMatrix):
            return built.copy()
    return built


def _parse_formula(text: str, vocabulary: Vocabulary, *, where: str,
                   evaluate: bool = True) -> sp.Basic:
    if not isinstance(text, str):
        raise ClaimError(f"{where}: a formula must be text, got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise ClaimError(f"{where}: formula of {len(text)} characters exceeds the limit of "
                         f"{MAX_CHARS}; shorten it")
    if "\x00" in text:
        raise ClaimError(f"{where}: formula contains a NUL character; remove it")
    shown = _shorten(text)
    if _bracket_depth(text) > MAX_DEPTH:
        raise ClaimError(f"{where}: {shown} is nested more than {MAX_DEPTH} levels deep (depth "
                         "limit); simplify the formula")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError) as err:
        msg = getattr(err, "msg", None) or str(err)
        raise ClaimError(f"{where}: cannot read {shown} ({msg}); fix the formula") from None
    except (RecursionError, MemoryError):
        raise ClaimError(f"{where}: {shown} is nested too deeply (limit {MAX_DEPTH} levels); "
                         "simplify the formula") from None
    try:
        _check_size(tree)
        return _Builder(vocabulary, evaluate).build(tree.body)
    except _Reject as err:
        raise ClaimError(f"{where}: {err} in {shown}; write the formula with numbers, the "
                         "allowed names, + - * / ** and calls of the allowed functions") from None
    except RecursionError:
        raise ClaimError(f"{where}: {shown} is nested too deeply (limit {MAX_DEPTH} levels); "
                         "simplify the formula") from None
    except ClaimError:
        raise
    except Exception as err:   # SymPy refusing a well-formed but meaningless combination
        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ClaimError(f"{where}: cannot build {shown} ({_shorten(msg, 80)}); fix the "
                         "formula") from None


def _bracket_depth(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _check_size(tree: ast.AST) -> None:
    count = 0
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise _Reject(f"formula has more than {MAX_NODES} parts (node limit)")
        if depth > MAX_DEPTH:
            raise _Reject(f"formula is nested more than {MAX_DEPTH} levels deep (depth limit)")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


class _Builder:
    """Walks a validated-as-it-goes tree and builds SymPy objects from whitelisted nodes only."""

    def __init__(self, vocabulary: Vocabulary, evaluate: bool):
        self.vocab = vocabulary
        self.evaluate = evaluate

    def build(self, node: ast.AST):
        if isinstance(node, ast.Constant):
            return self._constant(node.value)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            operand = self.build(node.operand)
            if isinstance(node.op, ast.UAdd):
                return operand
            return -operand if self.evaluate or _is_matrix(operand) else \
                sp.Mul(sp.S.NegativeOne, operand, evaluate=False)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return self._binary(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, (ast.List, ast.Tuple)):
            raise _Reject("a list or tuple outside Matrix(...) or Derivative(...)")
        what = _NODE_NAMES.get(type(node))
        if what is None and isinstance(node, (ast.BinOp, ast.UnaryOp)):
            what = f"operator {type(node.op).__name__}"
        raise _Reject(f"{what or type(node).__name__} is not allowed")

    # -- leaves --------------------------------------------------------------------------
    def _constant(self, value):
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise _Reject(f"the constant {value!r} is not allowed")
        if isinstance(value, (str, bytes)):
            raise _Reject("a string literal is not allowed")
        if isinstance(value, int):
            if len(str(abs(value))) > MAX_INT_DIGITS:
                raise _Reject(f"an integer with more than {MAX_INT_DIGITS} digits "
                              "(integer size limit)")
            return sp.Integer(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise _Reject("a number that overflows to infinity (number size limit)")
            return sp.Float(value)
        if isinstance(value, complex):
            raise _Reject("a complex literal (write I for the imaginary unit)")
        raise _Reject(f"the constant {type(value).__name__} is not allowed")

    def _name(self, name: str):
        if name in self.vocab.values:
            return self.vocab.values[name]
        if name in self.vocab.callables:
            raise _Reject(f"the function {name!r} used without arguments")
        raise _Reject(f"unknown symbol {name!r} (use only the names listed at the top of the "
                      "claims file)")

    # -- operators -----------------------------------------------------------------------
    def _binary(self, node: ast.BinOp):
        left, right = self.build(node.left), self.build(node.right)
        op = type(node.op)
        if op is ast.Pow:
            _check_exponent(right)
        if op is ast.Pow and isinstance(left, sp.Rational) and isinstance(right, sp.Integer):
            bits = abs(int(right)) * max(int(left.p).bit_length(), int(left.q).bit_length())
            if bits > MAX_NUMBER_BITS:
                raise _Reject("a number of more than about 10 000 digits (number size limit)")
        if self.evaluate or _is_matrix(left) or _is_matrix(right):
            value = {ast.Add: lambda: left + right, ast.Sub: lambda: left - right,
                     ast.Mult: lambda: left * right, ast.Div: lambda: left / right,
                     ast.Pow: lambda: left ** right}[op]()
            if isinstance(value, sp.Rational) and max(int(value.p).bit_length(),
                                                      int(value.q).bit_length()) > MAX_NUMBER_BITS:
                raise _Reject("a number of more than about 10 000 digits (number size limit)")
            return value
        if op is ast.Add:
            return sp.Add(left, right, evaluate=False)
        if op is ast.Sub:
            return sp.Add(left, sp.Mul(sp.S.NegativeOne, right, evaluate=False), evaluate=False)
        if op is ast.Mult:
            return sp.Mul(left, right, evaluate=False)
        if op is ast.Div:
            return sp.Mul(left, sp.Pow(right, sp.S.NegativeOne, evaluate=False), evaluate=False)
        return sp.Pow(left, right, evaluate=False)

    # -- calls ---------------------------------------------------------------------------
    def _call(self, node: ast.Call):
        if not isinstance(node.func, ast.Name):
            raise _Reject("only a named function may be called")
        name = node.func.id
        if node.keywords:
            raise _Reject(f"keyword arguments in {name}(...) are not allowed")
        if name not in self.vocab.callables:
            if name in self.vocab.values:
                raise _Reject(f"{name!r} is not a function")
            raise _Reject(f"unknown symbol {name!r} (use only the functions listed at the top "
                          "of the claims file)")
        fn = self.vocab.callables[name]
        if name == self.vocab.matrix:
            if len(node.args) != 1 or not isinstance(node.args[0], (ast.List, ast.Tuple)):
                raise _Reject("Matrix takes one list of rows, e.g. Matrix([[1, 0], [0, 1]])")
            return fn(self._rows(node.args[0]))
        args = []
        for arg in node.args:
            if name == self.vocab.derivative and isinstance(arg, ast.Tuple):
                args.append(self._derivative_pair(arg))
            else:
                args.append(self.build(arg))
        if name == self.vocab.derivative:
            for a in args[1:]:
                if isinstance(a, sp.Integer) and abs(int(a)) > MAX_DERIVATIVE_ORDER:
                    raise _Reject(f"a derivative of order above {MAX_DERIVATIVE_ORDER} "
                                  "(derivative order limit)")
        if not self.evaluate and name != self.vocab.matrix:
            try:
                return fn(*args, evaluate=False)
            except TypeError:
                return fn(*args)
        return fn(*args)

    def _rows(self, node):
        out = []
        for item in node.elts:
            if isinstance(item, (ast.List, ast.Tuple)):
                out.append([self.build(x) for x in item.elts])
            else:
                out.append(self.build(item))
        return out

    def _derivative_pair(self, node: ast.Tuple):
        if len(node.elts) != 2:
            raise _Reject("a derivative's (variable, order) pair must have two entries")
        var, count = (self.build(x) for x in node.elts)
        if not isinstance(count, sp.Integer) or not 0 <= int(count) <= MAX_DERIVATIVE_ORDER:
            raise _Reject(f"a derivative order must be a whole number 0..{MAX_DERIVATIVE_ORDER} "
                          "(derivative order limit)")
        return sp.Tuple(var, count)


def _is_matrix(value) -> bool:
    return isinstance(value, sp.MatrixBase)


def _check_exponent(exponent) -> None:
    """Numeric exponents are bounded; symbolic ones (t/epsilon) are left to the check budget."""
    if _is_matrix(exponent):
        raise _Reject("a matrix exponent")
    if isinstance(exponent, sp.Basic) and exponent.is_number:
        try:
            size = abs(complex(sp.N(exponent, 15)))
        except (TypeError, ValueError):
            return
        if not math.isfinite(size) or size > MAX_EXPONENT:
            raise _Reject(f"an exponent of magnitude above {MAX_EXPONENT} (exponent limit)")
