"""Templates (SPEC §2.2): Jinja2 in an immutable sandbox, deterministic, bounded.

Runs inside workflow code, so it is pure: "now"/"today" come from the caller's context
(``template_context_clock``), the non-deterministic Jinja helpers (``random``, ``lipsum``) are
removed, and ``{{ secrets.NAME }}`` is never resolved here — only ``resolve_secrets`` in an
activity does that, so secret values never reach workflow history.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import jinja2
import jinja2.meta
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from definitions.durations import parse_instant
from definitions.errors import DefinitionError, TemplateRenderError
from definitions.template_bounds import (
    BUDGET,
    COUNTED,
    MAX_OUTPUT,
    BoundedFormatter,
    BoundedNamespace,
    Budget,
    budget,
    center_filter,
    check_call,
    check_percent,
    count_loops,
    counted,
    format_filter,
    join_filter,
    oversized_format,
    repetition,
    replace_filter,
)

_SINGLE_EXPRESSION = re.compile(r"^\{\{-?(.*?)-?\}\}$", re.DOTALL)
_SECRET_REFERENCE = re.compile(r"\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Data that merely *looks* like a secret reference must not be resolved by the activity later:
# a payload field "{{ secrets.SMTP_PASSWORD }}" would otherwise exfiltrate the secret.
_SECRET_LOOKALIKE = re.compile(r"\{\{(?=\s*secrets\b)")


# --------------------------------------------------------------------------- clock values


class TemplateDate(date):
    """``today`` in templates: ``today + 2`` / ``today - 30`` are days; renders as YYYY-MM-DD."""

    def __add__(self, other: Any) -> Any:
        if isinstance(other, int) and not isinstance(other, bool):
            other = timedelta(days=other)
        result = date.__add__(self, other)
        return _as_template_date(result) if isinstance(result, date) else result

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, int) and not isinstance(other, bool):
            other = timedelta(days=other)
        result = date.__sub__(self, other)
        return _as_template_date(result) if isinstance(result, date) else result

    def __str__(self) -> str:
        return self.isoformat()


def _as_template_date(value: date) -> TemplateDate:
    return TemplateDate(value.year, value.month, value.day)


class TemplateDateTime(datetime):
    """``now`` in templates: renders as ISO-8601, ``Z`` for UTC."""

    def __str__(self) -> str:
        text = self.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text


def template_context_clock(now: datetime) -> dict[str, Any]:
    """The ``now``/``today`` context entries for a caller-supplied instant (naive = UTC)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return {
        "now": TemplateDateTime.fromisoformat(now.isoformat()),
        "today": _as_template_date(now.date()),
    }


# --------------------------------------------------------------------------- secrets


class _SecretReference:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return "{{ secrets.%s }}" % self.name  # noqa: UP031 — braces make f-strings unreadable


class _SecretsPlaceholder:
    """Stands in for ``secrets``: ``secrets.NAME`` renders back to ``{{ secrets.NAME }}``."""

    def __getattr__(self, name: str) -> _SecretReference:
        if name.startswith("_"):
            raise AttributeError(name)
        return _SecretReference(name)

    def __getitem__(self, name: str) -> _SecretReference:
        return self.__getattr__(str(name))

    def __str__(self) -> str:
        return ""


SECRETS_PLACEHOLDER: Any = _SecretsPlaceholder()


def resolve_secrets(value: Any, secrets: Mapping[str, str]) -> Any:
    """Replace ``{{ secrets.NAME }}`` in strings (recursively); for activities only.

    An unknown name raises ``TemplateRenderError("unknown secret NAME")``.
    """
    if isinstance(value, str):
        if "secrets" not in value:
            return value

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in secrets:
                raise TemplateRenderError(f"unknown secret {name}")
            return secrets[name]

        return _SECRET_REFERENCE.sub(substitute, value)
    if isinstance(value, Mapping):
        return {key: resolve_secrets(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [resolve_secrets(item, secrets) for item in value]
    return value


# --------------------------------------------------------------------------- filters


def _date_filter(value: Any, fmt: str = "%Y-%m-%d") -> str:
    if isinstance(value, jinja2.Undefined) or value is None or value == "":
        return ""
    try:
        moment = parse_instant(value)
    except DefinitionError as exc:
        raise TemplateRenderError(f"date filter: {value!r} is not a date or time") from exc
    # A plain date keeps its calendar day; an instant is formatted in its own (UTC) time.
    return (value if type(value) in (date, TemplateDate) else moment).strftime(fmt)


def _domain_filter(value: Any) -> str:
    text = "" if isinstance(value, jinja2.Undefined) or value is None else str(value)
    return text.rpartition("@")[2].strip() if "@" in text else ""


def _finalize(value: Any) -> Any:
    work = budget()
    work.charge()
    if isinstance(value, str):
        work.produce(len(value))
    if value is None:
        return ""  # Jinja would print "None"; the reference systems print nothing
    if isinstance(value, str):
        return _neutralise(value)
    # Functions and classes (``{{ range }}``) are not data; their repr is noise at best.
    return "" if callable(value) and not isinstance(value, jinja2.Undefined) else value


def _neutralise(text: str) -> str:
    return _SECRET_LOOKALIKE.sub("{ {", text) if "{{" in text else text


# --------------------------------------------------------------------------- environment


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})  # also stops compile-time folding of 9**9**9

    def __init__(self, max_output: int) -> None:
        super().__init__(autoescape=False, undefined=jinja2.ChainableUndefined, finalize=_finalize)
        self.max_output = max_output
        # lipsum and random are non-deterministic: they would break workflow replay.
        self.globals.pop("lipsum", None)
        self.filters.pop("random", None)
        self.globals.update({COUNTED: counted, "namespace": BoundedNamespace})
        self.filters.update(
            date=_date_filter,
            domain=_domain_filter,
            center=center_filter,
            format=format_filter,
            join=join_filter,
            replace=replace_filter,
        )

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        # The default is a silent Undefined (renders ""); fail loudly so authors see why.
        raise SecurityError(f"access to attribute {attribute!r} is not allowed in templates")

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget().charge()
        if operator == "*" and repetition(left, right) > self.max_output:
            raise SecurityError("repetition would exceed the output limit")
        if operator == "%" and isinstance(left, str):
            check_percent(left, right)
        both_ints = isinstance(left, int) and isinstance(right, int)
        if (
            operator == "**"
            and both_ints
            and abs(left) > 1
            and right * abs(left).bit_length() > 4096
        ):
            raise SecurityError("power too large")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget().charge()
        # "x".center(10**9), sep.join(huge) and friends allocate before the output bound applies.
        args = check_call(__obj, args)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Any:
        owner = getattr(value, "__self__", None)
        name = getattr(value, "__name__", "")
        is_method = isinstance(value, types.MethodType | types.BuiltinMethodType)
        if not (is_method and isinstance(owner, str) and name in ("format", "format_map")):
            return None
        if isinstance(owner, Markup):  # autoescape is off: only tojson & co. make these
            if oversized_format(owner):
                raise SecurityError("format width would exceed the output limit")
            return super().wrap_str_format(value)
        formatter = BoundedFormatter(self)

        def bounded_format(*args: Any, **kwargs: Any) -> str:
            if name == "format_map":
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                return formatter.vformat(owner, (), args[0])
            return formatter.vformat(owner, args, kwargs)

        return bounded_format


class TemplateRenderer:
    """Renders definition values; compiles each template source once (bounded cache)."""

    def __init__(self, *, max_output: int = MAX_OUTPUT, cache_size: int = 2048) -> None:
        self.env = _Environment(max_output)
        self.max_output = max_output
        self.cache_size = cache_size
        self._templates: dict[str, jinja2.Template] = {}
        self._expressions: dict[str, Any] = {}

    def render(self, value: Any, context: Mapping[str, Any]) -> Any:
        """Render strings inside ``value`` (dict values, list items); other values unchanged.

        A string that is exactly ``{{ expr }}`` yields the expression's native value. Any
        failure raises ``TemplateRenderError``.
        """
        if isinstance(value, str):
            return self.render_string(value, context)
        if isinstance(value, Mapping):
            return {key: self.render(item, context) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.render(item, context) for item in value]
        return value

    def render_string(self, source: str, context: Mapping[str, Any]) -> Any:
        if "{{" not in source and "{%" not in source:
            return source  # the common case: no Jinja at all
        single = _SINGLE_EXPRESSION.match(source)
        if single and not any(mark in single.group(1) for mark in ("{{", "}}", "{%", "{#")):
            return self._native(source, single.group(1).strip(), context)
        return self._text(source, context)

    def _text(self, source: str, context: Mapping[str, Any]) -> str:
        token = BUDGET.set(Budget(self.max_output))
        try:
            template = self._cached(self._templates, source, self._compile)
            parts: list[str] = []
            size = 0
            for chunk in template.generate(dict(context)):
                size += len(chunk)
                if size > self.max_output:
                    raise TemplateRenderError(
                        f"template output exceeds {self.max_output} characters: {_brief(source)}"
                    )
                parts.append(chunk)
            return "".join(parts)
        except TemplateRenderError:
            raise
        except Exception as exc:  # user code: any failure is a render failure of this template
            raise _render_error(source, exc) from exc
        finally:
            BUDGET.reset(token)

    def _compile(self, source: str) -> jinja2.Template:
        return self.env.from_string(count_loops(self.env.parse(source)))

    def _native(self, source: str, expression: str, context: Mapping[str, Any]) -> Any:
        token = BUDGET.set(Budget(self.max_output))
        try:
            compiled = self._cached(
                self._expressions,
                expression,
                lambda text: self.env.compile_expression(text, undefined_to_none=False),
            )
            result = compiled(dict(context))
        except Exception as exc:
            raise _render_error(source, exc) from exc
        finally:
            BUDGET.reset(token)
        if isinstance(result, str) and len(result) > self.max_output:
            raise TemplateRenderError(f"template output exceeds {self.max_output} characters")
        return _plain(result) if _is_data(result) else ""  # functions, classes: not data

    def _cached(self, cache: dict[str, Any], key: str, build: Any) -> Any:
        found = cache.get(key)
        if found is None:
            found = build(key)
            if len(cache) >= self.cache_size:
                cache.pop(next(iter(cache)))  # oldest first: simple and bounded
            cache[key] = found
        return found

    def check_syntax(self, source: str) -> str | None:
        try:
            self.env.parse(source)
        except jinja2.TemplateSyntaxError as exc:
            return f"line {exc.lineno}: {exc.message}"
        return None

    def referenced_names(self, source: str) -> set[str]:
        if "{{" not in source and "{%" not in source:
            return set()
        try:
            return set(jinja2.meta.find_undeclared_variables(self.env.parse(source)))
        except jinja2.TemplateSyntaxError:
            return set()  # syntax errors are check_syntax's to report


_DATA = (str, int, float, bool, Decimal, list, tuple, dict, date, type(None), jinja2.Undefined)


def _is_data(value: Any) -> bool:
    return isinstance(value, _DATA + (_SecretReference,))


def _plain(value: Any) -> Any:
    """JSON-friendly copy of a native result: undefined/None → "", dates → ISO text."""
    if value is None or isinstance(value, jinja2.Undefined):
        return ""
    if isinstance(value, str):
        return _neutralise(str(value))  # str() drops Markup from tojson & co.
    if isinstance(value, _SecretReference | TemplateDate | TemplateDateTime):
        return str(value)
    if isinstance(value, datetime):
        return str(TemplateDateTime.fromisoformat(parse_instant(value).isoformat()))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _brief(source: str) -> str:
    return source if len(source) <= 80 else source[:77] + "..."


def _render_error(source: str, exc: Exception) -> TemplateRenderError:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        detail = f"syntax error on line {exc.lineno}: {exc.message}"
    elif isinstance(exc, SecurityError):
        detail = f"not allowed: {exc}"
    else:
        detail = f"{type(exc).__name__}: {exc}"
    return TemplateRenderError(f"cannot render {_brief(source)!r}: {detail}")


DEFAULT_RENDERER = TemplateRenderer()


def render(value: Any, context: Mapping[str, Any]) -> Any:
    """``DEFAULT_RENDERER.render``: render every template string inside ``value``."""
    return DEFAULT_RENDERER.render(value, context)


def check_template_syntax(source: str) -> str | None:
    """The syntax error of ``source`` as a message, or None when it parses."""
    return DEFAULT_RENDERER.check_syntax(source)


def referenced_names(source: str) -> set[str]:
    """Top-level names ``source`` reads (``{{ lead.name }}`` → ``{"lead"}``); empty if invalid."""
    return DEFAULT_RENDERER.referenced_names(source)


def has_expression(value: Any) -> bool:
    """Whether ``value`` is a string holding a ``{{ }}`` expression: rendered just before use,
    so it can only be checked then."""
    return isinstance(value, str) and "{{" in value


def is_template(value: Any) -> bool:
    """Whether ``value`` is a string holding any template markup, ``{{ }}`` or ``{% %}``."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)
