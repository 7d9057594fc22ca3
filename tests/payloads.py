"""Hostile and broken input, used by tests/web/test_hostile_input.py (issue 5).

Strings go into every text field of every form and API body; the wrong
types go into JSON bodies in place of each field.
"""

from __future__ import annotations

#: A megabyte of text: far beyond every field's limit, well under the upload limit.
ONE_MB = "A" * (1024 * 1024)

#: Script, markup and SQL that must be stored as text and shown as text.
SCRIPT = "<script>alert('xss')</script>"
ATTRIBUTE_BREAK = '"><img src=x onerror=alert(1)>'
SQL = "'; DROP TABLE project; --"
SQL_OR = "' OR '1'='1"
#: Cells a spreadsheet would run as formulas.
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]

HOSTILE_TEXT: dict[str, str] = {
    "one_megabyte": ONE_MB,
    "nul_bytes": "before\x00after\x00",
    "control_chars": "bell\x07 escape\x1b[31m back\x08",
    "right_to_left": "\u202eevil.exe\u202c txt \u2067isolate\u2069",
    "combining": "Z\u0351\u0352\u0353a\u0308\u0301\u0302l\u0303\u0304g\u0305o" * 20,
    "emoji": "🛰️ Starlink 🇺🇦 👩🏽‍💻 SOC",
    "zero_width": "in\u200bvisi\u200dble\ufeff",
    "script": SCRIPT,
    "attribute_break": ATTRIBUTE_BREAK,
    "sql": SQL,
    "sql_or": SQL_OR,
    "formula": FORMULAS[0],
    "jinja": "{{ config.SECRET_KEY }} {% raw %}",
    "format_string": "%(ref)s %s {0} {ref}",
    "path": "../../../../etc/passwd",
    "cyrillic_long_line": "Кібербезпека " * 40,
    "empty_after_strip": "   \t\n  ",
}

#: Addresses that try to lead a redirect off the site (``next`` and the like):
#: browsers drop tabs and newlines, read ``\\`` as ``/``, and some decode or
#: normalise what a server let through. Each must end on a page of this site.
OPEN_REDIRECTS: dict[str, str] = {
    "scheme_relative": "//evil.example",
    "triple_slash": "///evil.example",
    "backslash": "/\\evil.example",
    "two_backslashes": "\\\\evil.example",
    "slash_backslash_slash": "/\\/evil.example",
    "tab_inside": "/\t/evil.example",
    "newline_inside": "/\n/evil.example",
    "crlf_header_injection": "/\r\nSet-Cookie: x=1",
    "leading_tab": "\t//evil.example",
    "encoded_tab": "/%09/evil.example",
    "encoded_newline": "/%0a/evil.example",
    "encoded_slash": "/%2F/evil.example",
    "encoded_slashes": "%2F%2Fevil.example",
    "encoded_backslash": "/%5Cevil.example",
    "double_encoded_slash": "/%252F/evil.example",
    "absolute": "https://evil.example/",
    "scheme_without_slashes": "http:evil.example",
    "javascript": "javascript:alert(1)",
    "javascript_mixed_case": "JaVaScRiPt:alert(1)",
    "data_url": "data:text/html,<script>alert(1)</script>",
    "userinfo": "//user@evil.example",
    "userinfo_absolute": "https://localhost@evil.example/",
    "fullwidth_solidus": "/\uff0fevil.example",
    "division_slash": "/\u2215evil.example",
    "zero_width": "/\u200b/evil.example",
    "nul": "/\x00/evil.example",
    "bare_host": "evil.example",
    "very_long": "/" + "a" * 5000,
}

#: Values of the wrong JSON type, for every field of an API body.
WRONG_TYPES: dict[str, object] = {
    "number": 12345,
    "float": 1e308,
    "bool": True,
    "null": None,
    "list": ["a", "b"],
    "object": {"en": "nested"},
    "huge_int": 10**40,
    "negative": -1,
}

#: Text only JSON can carry (a form cannot even encode it).
JSON_ONLY_TEXT: dict[str, str] = {"lone_surrogate": "\ud800 half a pair"}

#: Bodies that are not a JSON object at all (sent raw with a JSON content type): 400.
BROKEN_BODIES: dict[str, bytes] = {
    "not_json": b"this is not json",
    "truncated": b'{"title": {"en": "half',
    "array": b"[1, 2, 3]",
    "string": b'"a string"',
    "null": b"null",
    "deep": b"[" * 100_000 + b"]" * 100_000,
}
#: Odd but parseable bodies: whatever the answer, never a 500.
ODD_BODIES: dict[str, bytes] = {
    "nan": b'{"budget": {"amount": NaN, "currency": "EUR"}, "amount": NaN}',
    "infinity": b'{"amount": Infinity, "quantity": -Infinity}',
    "lone_surrogate": b'{"description": "\\ud800", "note": "\\udfff"}',
    "duplicate_keys": b'{"action": "start", "action": "publish"}',
    "empty": b"",
}

#: Fields no form or body knows: they must be ignored, never stored, never an error 500.
EXTRA_FIELDS: dict[str, str] = {
    "id": "1",
    "status": "published",
    "recipient": "MDT",
    "is_admin": "1",
    "created_by": "1",
    "published_at": "2020-01-01",
    "__class__": "x",
}

#: Values no id or number in a request can sensibly hold (URL segments, query
#: strings, form fields, cookies): the answer is 404 or 400, never a 500.
HOSTILE_NUMBERS: dict[str, str] = {
    "20 digits": "9" * 20,
    "int64 + 1": str(2**63),
    "4000 digits": "9" * 4000,
    "5000 digits": "1" * 5000,
    "negative": "-1",
    "zero": "0",
    "leading zeros": "0" * 30 + "1",
    "arabic-indic digits": "\u0661\u0662\u0663",
    "fullwidth digits": "\uff11\uff12",
    "superscript two": "\u00b2",
    "exponent": "1e308",
    "hex": "0x10",
    "underscores": "1_000",
    "nul": "1\x002",
    "newline": "1\n2",
    "very long text": "A" * 5000,
    "cyrillic": "Проєкт",
    "traversal": "../../../../etc/passwd",
    "encoded traversal": "..%2F..%2Fetc%2Fpasswd",
    "backslashes": "..\\..\\windows",
    "lone percent": "%",
    "emoji": "🛰️",
    # Where a path names a record by uid (issue 12, item 4): near misses of one.
    "unknown uid": "00000000-0000-7000-8000-000000000000",
    "uid in capitals": "0190AAAA-0000-7000-8000-00000000000A",
    "uid and more": "00000000-0000-7000-8000-000000000000/../1",
    "uid with nul": "00000000-0000-7000-8000-00000000000\x00",
}
