from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from definitions.errors import TemplateRenderError
from definitions.templates import (
    SECRETS_PLACEHOLDER,
    TemplateRenderer,
    check_template_syntax,
    referenced_names,
    render,
    resolve_secrets,
    template_context_clock,
)

NOW = datetime(2026, 1, 5, 10, 30, tzinfo=UTC)
CONTEXT = {
    "contact": {"name": "Ada", "email": "ada@example.com"},
    "invoices": [{"id": 1}, {"id": 2}],
    "score": 85,
    "ratio": 0.456,
    "flag": False,
    "nothing": None,
    "start_time": "2026-01-06T14:05:00Z",
    "birthday": "1990-12-10",
    "hostile": "{{ secrets.SMTP_PASSWORD }}",
    "secrets": SECRETS_PLACEHOLDER,
    **template_context_clock(NOW),
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ invoices }}", [{"id": 1}, {"id": 2}]),
        ("{{invoices}}", [{"id": 1}, {"id": 2}]),
        ("{{ score }}", 85),
        ("{{ score + 1 }}", 86),
        ("{{ flag }}", False),
        ("{{ contact }}", {"name": "Ada", "email": "ada@example.com"}),
        ("{{ invoices | length }}", 2),
        ("{{ invoices[0].id }}", 1),
        ("{{ nothing }}", ""),
        ("{{ missing }}", ""),
        ("{{ missing.deeper.still }}", ""),
        ("{{ today }}", "2026-01-05"),
        ("{{ now }}", "2026-01-05T10:30:00Z"),
    ],
)
def test_single_expression_returns_native_value(source, expected):
    assert render(source, CONTEXT) == expected


def test_native_value_is_a_copy_not_the_context_object():
    result = render("{{ invoices }}", CONTEXT)
    result[0]["id"] = 99
    assert CONTEXT["invoices"][0]["id"] == 1


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Hello {{ contact.name }}!", "Hello Ada!"),
        ("Hi {{ missing }}.", "Hi ."),
        ("Hi {{ contact.missing.deeper }}.", "Hi ."),
        ("[{{ nothing }}]", "[]"),
        ("{{ score }} points", "85 points"),
        ("{{ contact.name }} {{ contact.email }}", "Ada ada@example.com"),
        ("{% if score > 80 %}hot{% else %}cold{% endif %}", "hot"),
        ("{% for i in invoices %}{{ i.id }},{% endfor %}", "1,2,"),
        ("no template here", "no template here"),
        ("{ not jinja }", "{ not jinja }"),
    ],
)
def test_text_templates(source, expected):
    assert render(source, CONTEXT) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Hi {{ name | default('there') }}", "Hi there"),
        ("{{ start_time | date('%b %d, %H:%M') }}", "Jan 06, 14:05"),
        ("{{ birthday | date('%d/%m/%Y') }}", "10/12/1990"),
        ("{{ today | date('%A') }}", "Monday"),
        ("{{ now | date('%H:%M') }}", "10:30"),
        ("x{{ missing | date('%Y') }}", "x"),
        ("{{ contact.email | domain }}", "example.com"),
        ("x{{ 'no-at-sign' | domain }}", "x"),
        ("{{ contact.name | upper }}", "ADA"),
        ("{{ contact.name | lower }}", "ada"),
        ("{{ 'ada lovelace' | title }}", "Ada Lovelace"),
        ("{{ ratio | round(2) }}", 0.46),
        ("{{ '42' | int }}", 42),
        ("{{ '4.5' | float }}", 4.5),
        ("{{ [1, 2] | join('-') }}", "1-2"),
        ("{{ contact | tojson }}", '{"email": "ada@example.com", "name": "Ada"}'),
        ("{{ '%05d' | format(42) }}", "00042"),
    ],
)
def test_filters(source, expected):
    assert render(source, CONTEXT) == expected


def test_date_filter_rejects_non_dates():
    with pytest.raises(TemplateRenderError, match="not a date"):
        render("{{ 'soon' | date('%Y') }}", CONTEXT)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ today + 2 }}", "2026-01-07"),
        ("{{ today - 30 }}", "2025-12-06"),
        ("{{ 2 + today }}", "2026-01-07"),
        ("due {{ today + 30 }}", "due 2026-02-04"),
        ("{{ (today + 1) - 1 }}", "2026-01-05"),
    ],
)
def test_today_arithmetic_is_in_days(source, expected):
    assert render(source, CONTEXT) == expected


def test_clock_values_are_dates_and_render_with_offset():
    clock = template_context_clock(datetime(2026, 1, 5, 23, 0, tzinfo=timezone(timedelta(hours=2))))
    assert isinstance(clock["today"], date) and clock["today"] == date(2026, 1, 5)
    assert (clock["today"] + 1) - clock["today"] == timedelta(days=1)
    assert str(clock["now"]) == "2026-01-05T23:00:00+02:00"
    assert str(template_context_clock(datetime(2026, 1, 5))["now"]) == "2026-01-05T00:00:00Z"


def test_render_walks_dicts_and_lists_and_leaves_other_values():
    value = {"to": "{{ contact.email }}", "items": ["{{ score }}", 3, None], "n": 1.5, "ok": True}
    assert render(value, CONTEXT) == {
        "to": "ada@example.com",
        "items": [85, 3, None],
        "n": 1.5,
        "ok": True,
    }


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__.os }}",
        "{{ namespace.__init__.__globals__ }}",
        "{{ contact.__class__ }}",
        "{{ score.__class__.__base__ }}",
        "{{ (today).__class__.__init__ }}",
        "{{ secrets.__class__ }}",
        "{{ '{0.__class__}'.format(contact) }}",
        "{% import os %}",
        "{% import 'os' as os %}{{ os.system('id') }}",
        "{% include '/etc/passwd' %}",
        "{{ invoices.append(3) }}",
        "{{ contact.update({'name': 'x'}) }}",
        "{{ lipsum() }}",
        "{{ [1, 2] | random }}",
    ],
)
def test_sandbox_escapes_fail_cleanly(source):
    try:
        result = render(source, CONTEXT)
    except TemplateRenderError:
        return
    assert result in ("", None)
    assert CONTEXT["invoices"] == [{"id": 1}, {"id": 2}]


@pytest.mark.parametrize("source", ["{{ contact.__dict__ }}", "x{{ range }}"])
def test_internals_render_as_nothing(source):
    assert render(source, CONTEXT) in ("", "x")


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(60000) %}xx{% endfor %}",
        "{{ 'a' * 1000000 }}",
        "x{{ 'a' * 1000000 }}",
        "{{ [0] * 10000000 }}",
        "{{ 9 ** 999999 }}",
        "{{ 'x' | center(100000000) }}",
        "{{ 'x'.center(100000000) }}",
        "{{ 'x'.ljust(100000000) }}",
        "{{ '{:>99999999}'.format(1) }}",
        "{{ '%099999999d' % 1 }}",
        "{{ '%099999999d' | format(1) }}",
        # Intermediate values: each allocates far past the limit before anything is printed.
        "{{ range(100000) | join('x' * 100000) }}",
        "{{ ','.join(['ab'] * 60000) }}",
        "{{ ('x' * 100000).replace('x', 'yy') }}",
        "{{ ('x' * 100000) | replace('x', 'yy') }}",
        "{{ '%*d' | format(100000000, 1) }}",
        "{{ '%*d' % (100000000, 1) }}",
        "{{ '{:>{}}'.format('a', 100000000) }}",
        "{{ '{:>{w}}'.format_map({'w': 100000000}) }}",
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        "{% set big = 'x' * 99999 %}{% set y %}{% for i in range(99999) %}{{ big }}{% endfor %}{% endset %}",
    ],
)
def test_output_is_bounded(source):
    with pytest.raises(TemplateRenderError):
        render(source, CONTEXT)


@pytest.mark.parametrize(
    "source",
    [
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        "{% for a in range(1000) %}{% for b in range(1000) %}{{ '' }}{% endfor %}{% endfor %}",
        "{% for a in 'x' * 99999 %}{% for b in 'y' * 99999 %}{% endfor %}{% endfor %}",
    ],
)
def test_the_work_of_one_render_is_bounded(source):
    # Counted, not timed: the same template fails the same way on every workflow replay.
    with pytest.raises(TemplateRenderError, match="more than 200000 operations"):
        render(source, CONTEXT)


def test_bounds_leave_ordinary_templates_alone():
    source = (
        "{% for i in items %}{{ loop.index }}:{{ i.n }} {% endfor %}"
        "{{ items | join(',', attribute='n') }} {{ 'a-b'.replace('-', '+') }} "
        "{{ '{:>4}'.format('x') }}|{{ '%5.1f' | format(3.14159) }}|{{ 'a' | replace('a', 'b') }}"
    )
    items = [{"n": n} for n in range(3)]
    assert render(source, {"items": items}) == "1:0 2:1 3:2 0,1,2 a+b    x|  3.1|b"
    # A generator handed to str.join is read once, for its size and for the join itself.
    assert (
        render("{{ '-'.join(items | map(attribute='n') | map('string')) }}", {"items": items})
        == "0-1-2"
    )


def test_renderer_output_limit_is_configurable():
    renderer = TemplateRenderer(max_output=10)
    assert renderer.render("{{ 'a' * 5 }}!", {}) == "aaaaa!"
    with pytest.raises(TemplateRenderError, match="exceeds 10"):
        renderer.render("{% for i in range(20) %}x{% endfor %}", {})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ score", "syntax error"),
        ("{% if %}", "syntax error"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{{ contact.name + 1 }}", "TypeError"),
        ("{{ missing + 1 }}", "missing"),
    ],
)
def test_errors_become_template_render_errors(source, message):
    with pytest.raises(TemplateRenderError, match=message):
        render(source, CONTEXT)


@pytest.mark.parametrize(
    "source",
    [
        "{{ secrets.API_KEY }}",
        "Bearer {{ secrets.API_KEY }}",
        "{{ secrets['API_KEY'] }}",
    ],
)
def test_secrets_render_back_to_their_reference(source):
    expected = source.replace("['API_KEY']", ".API_KEY")
    assert render(source, CONTEXT) == expected
    assert resolve_secrets(render(source, CONTEXT), {"API_KEY": "k3y"}) == expected.replace(
        "{{ secrets.API_KEY }}", "k3y"
    )


@pytest.mark.parametrize("source", ["{{ hostile }}", "Hi {{ hostile }}", "{{ [hostile] }}"])
def test_data_that_looks_like_a_secret_reference_is_never_resolved(source):
    rendered = render(source, CONTEXT)
    assert resolve_secrets(rendered, {"SMTP_PASSWORD": "hunter2"}) == rendered
    assert "hunter2" not in str(resolve_secrets(rendered, {"SMTP_PASSWORD": "hunter2"}))


def test_resolve_secrets_recurses_and_rejects_unknown_names():
    value = {
        "headers": {"Authorization": "Bearer {{secrets.TOKEN}}"},
        "list": ["{{ secrets.A }}", 1],
    }
    assert resolve_secrets(value, {"TOKEN": "t", "A": "a"}) == {
        "headers": {"Authorization": "Bearer t"},
        "list": ["a", 1],
    }
    with pytest.raises(TemplateRenderError, match="unknown secret MISSING"):
        resolve_secrets(["{{ secrets.MISSING }}"], {})


def test_templates_are_compiled_once_and_the_cache_is_bounded():
    renderer = TemplateRenderer(cache_size=2)
    for _ in range(3):
        assert renderer.render("a{{ x }}", {"x": 1}) == "a1"
    assert len(renderer._templates) == 1
    first = renderer._templates["a{{ x }}"]
    renderer.render("a{{ x }}", {"x": 2})
    assert renderer._templates["a{{ x }}"] is first
    renderer.render("b{{ x }}", {})
    renderer.render("c{{ x }}", {})
    assert list(renderer._templates) == ["b{{ x }}", "c{{ x }}"]


def test_plain_strings_never_touch_jinja():
    renderer = TemplateRenderer()
    assert renderer.render("plain {text}", {}) == "plain {text}"
    assert renderer._templates == {} and renderer._expressions == {}


@pytest.mark.parametrize(
    ("source", "error"),
    [("{{ x }}", None), ("plain", None), ("{{ x", "line 1"), ("{% for %}", "line 1")],
)
def test_check_template_syntax(source, error):
    result = check_template_syntax(source)
    assert result is None if error is None else error in result


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("Hi {{ contact.name }} {{ now }}", {"contact", "now"}),
        ("{% for i in invoices %}{{ i.id }}{% endfor %}", {"invoices"}),
        ("{% set x = 1 %}{{ x }}", set()),
        ("plain", set()),
        ("{{ broken", set()),
    ],
)
def test_referenced_names(source, names):
    assert referenced_names(source) == names
