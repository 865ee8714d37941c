"""One escaping function per output kind: what every writer passes artifact and service text through.

Text from an artifact (a version name, a file or module name, an entitlement key) or from the
service (a build id, a processing log) is hostile until escaped for where it goes. Kinds: a value on
a text line (:func:`text`) and a whole text document (:func:`lines`); GitHub workflow commands
(:func:`github_data`, :func:`github_property`); ``$GITHUB_OUTPUT`` (:func:`github_output`);
Markdown/HTML (:func:`markdown`); XML 1.0 (:func:`xml`); JSON (:func:`json_text`); a shell word
(:func:`shell`) and a ``curl -F`` value (:func:`curl_form_value`).
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = [
    "curl_form_value",
    "github_data",
    "github_output",
    "github_property",
    "json_text",
    "line",
    "lines",
    "markdown",
    "shell",
    "text",
    "xml",
]

# C0 and C1 controls, DEL, and the Unicode marks that reorder or hide text (bidi overrides and
# isolates, zero-width and line/paragraph separators): a hostile label must not move the cursor,
# clear the screen, retitle the terminal or start a line of its own.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
# Lone surrogates: what ``os.fsdecode`` makes of undecodable bytes (surrogateescape).
_SURROGATES = re.compile("[\ud800-\udfff]")
# A line the GitHub runner reads as a workflow command: ``::name ...::`` (v2) or ``##[name]`` (v1),
# after any leading whitespace (the runner trims it).
_COMMAND_LINE = re.compile(r"^(\s*)(::|##\[)")


def _escape_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    return {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}.get(
        code, f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def text(value: object) -> str:
    """One value for a text line: every control character (and lone surrogate) written as an
    escape (``\\n``, ``\\x1b``, ``\\udcff``), so the value is one line, safe on a terminal."""
    return _SURROGATES.sub(_escape_one, _CONTROLS.sub(_escape_one, str(value)))


def line(value: str) -> str:
    """One line of a text document: a leading ``::`` or ``##[`` (a GitHub workflow command once the
    runner trims the line) loses its first character to an escape, ``\\x3a`` or ``\\x23``."""
    match = _COMMAND_LINE.match(value)
    if match is None:
        return value
    lead, mark = match.groups()
    return f"{lead}\\x{ord(mark[0]):02x}{value[len(lead) + 1:]}"


def lines(document: str) -> str:
    """A whole text document (its values already passed through :func:`text`): :func:`line` on
    every line, so no line of ours can be read as a workflow command."""
    return "\n".join(line(part) for part in document.split("\n"))


def github_data(value: object) -> str:
    """The message of a workflow command (after ``::``): controls escaped as text, then ``%``,
    ``\\r`` and ``\\n`` percent-encoded as GitHub documents."""
    return text(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(value: object) -> str:
    """A property of a workflow command (``file=``, ``title=``): :func:`github_data`, and ``:``
    and ``,`` percent-encoded too."""
    return github_data(value).replace(":", "%3A").replace(",", "%2C")


_OUTPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def github_output(name: str, value: object) -> str:
    """One ``$GITHUB_OUTPUT`` entry: ``name=value`` when the value is one plain line, else the
    heredoc form with a random delimiter that does not occur in the value (GitHub's multiline
    syntax), so a value can never add a key of its own."""
    if not _OUTPUT_NAME.fullmatch(name):
        raise ValueError(f"not an output name: {name!r}")
    value = _SURROGATES.sub("\ufffd", str(value))
    if not any(c in value for c in "\r\n") and not _CONTROLS.search(value):
        return f"{name}={value}\n"
    import secrets  # only for a multi-line value

    while True:
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if delimiter not in value:
            return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


# The ASCII punctuation that starts or ends a Markdown construct anywhere in a line (emphasis, code,
# links, images, tables, strikethrough, raw HTML, autolinks "x:" and "a@b") or at its start
# (headings, lists, quotes, setext underlines); "&<>" become HTML entities instead.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-!|~:@=])")
# GitHub's extended autolinks also take a bare "www." name.
_WWW = re.compile(r"(?i)\b(www)\.")


def markdown(value: object) -> str:
    """A value for Markdown that GitHub renders (step summary): controls escaped, every Markdown
    punctuation character backslash-escaped and ``&<>`` HTML-escaped, so a value renders as the
    text it is: never a heading, an image, a link, a table cell break or raw HTML."""
    escaped = _WWW.sub(r"\1\\.", _MARKDOWN.sub(r"\\\1", text(value)))
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# What XML 1.0 cannot hold at all (C0 controls bar tab and newline, lone surrogates, U+FFFE/U+FFFF)
# and what a reader should not see raw (C1 controls, bidi and zero-width marks, CR).
_XML_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff"
                      "\ud800-\udfff\ufffe\uffff]")


def xml(value: object) -> str:
    """Text valid in XML 1.0, for an attribute or an element: every character XML 1.0 cannot hold
    and every other control bar tab and newline spelled out as an escape (``\x1b``);
    ElementTree escapes ``&<>"`` (and a newline in an attribute) itself."""
    return _XML_BAD.sub(_escape_one, str(value))


def json_text(value: Any, *, indent: int | None = 2, sort_keys: bool = False) -> str:
    """JSON that is valid UTF-8 whatever the strings hold: non-ASCII stays readable; lone
    surrogates (undecodable file names) are written as ``\\udcXX`` escapes, which JSON allows and
    a UTF-8 encoder does not, and so are the controls JSON would leave raw (C1, DEL, bidi and
    zero-width marks), which a terminal would act on."""
    dumped = json.dumps(value, indent=indent, ensure_ascii=False, sort_keys=sort_keys, allow_nan=False)
    # Such a character can only sit inside a JSON string, where its \u escape means the same.
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


_JSON_RAW = re.compile("[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def shell(value: str) -> str:
    """One POSIX shell word: :func:`shlex.quote`, or bash's ``$'...'`` with escapes when the value
    holds a control character (a newline would otherwise start a line of the command)."""
    if not _CONTROLS.search(value) and not _SURROGATES.search(value):
        import shlex

        return shlex.quote(value)
    body = value.replace("\\", "\\\\").replace("'", "\\'")
    return "$'" + _SURROGATES.sub(_escape_one, _CONTROLS.sub(_escape_one, body)) + "'"


def curl_form_value(value: str) -> str:
    """A file name or path inside ``curl -F 'name=@PATH;type=...;filename=NAME'``: double-quoted,
    ``\\`` and ``"`` backslash-escaped, when it holds ``;``, ``,``, ``"``, ``\\`` or edge spaces
    (curl's syntax would otherwise split it)."""
    if not re.search(r'[;,"\\]', value) and value == value.strip():
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
