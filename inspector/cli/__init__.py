"""The ``inspector`` command: parse arguments, hand off to one thin module per command.

Exit codes (documented in the README):
  0  every file was read (and, for ``check``, passed)
  1  ``check``: a file failed the gate (errors, or warnings under --strict / an expectation)
  2  usage error (bad option or value; no FILE given and none or several builds found)
  3  an artifact could not be read (missing, truncated, corrupt, hostile, missing member)
  4  an artifact is of an unknown format, or of a format not supported yet
  5  upload: the service refused it (a 4xx, a rejected token)
  6  upload --wait / status --wait: the build's processing ended in error
  7  upload: the service could not be reached or answered nonsense (after retries)
  8  upload --wait / status --wait: still processing when the wait timed out
  70 internal error (a bug: please report it)
  74 an output could not be written (standard output, an extracted icon)
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, TypeVar

from inspector import __version__
from inspector.errors import (
    InspectorError,
    InternalError,
    InvalidField,
    OutputError,
    UnknownFormatError,
    UnsupportedFormatError,
    UsageError,
)
from inspector.report.text import printable
from inspector.upload.errors import ApiError, ProcessingError, UploadError, WaitTimeoutError

__all__ = [
    "EXIT_ARTIFACT",
    "EXIT_FAILED",
    "EXIT_FORMAT",
    "EXIT_INTERNAL",
    "EXIT_NETWORK",
    "EXIT_OK",
    "EXIT_OUTPUT",
    "EXIT_PROCESSING",
    "EXIT_REJECTED",
    "EXIT_USAGE",
    "EXIT_WAIT_TIMEOUT",
    "console",
    "discovered_file",
    "error_line",
    "exit_code_for",
    "for_one_file",
    "main",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ARTIFACT = 3
EXIT_FORMAT = 4
EXIT_REJECTED = 5
EXIT_PROCESSING = 6
EXIT_NETWORK = 7
EXIT_WAIT_TIMEOUT = 8
EXIT_INTERNAL = 70
EXIT_OUTPUT = 74

#: The one table of exit codes for errors: the first class an error is an instance of wins
#: (subclasses before their bases). The library's errors carry no exit code of their own.
EXIT_CODES: tuple[tuple[type[InspectorError], int], ...] = (
    (WaitTimeoutError, EXIT_WAIT_TIMEOUT),
    (ProcessingError, EXIT_PROCESSING),
    (ApiError, EXIT_REJECTED),  # TokenRejectedError included
    (UploadError, EXIT_NETWORK),  # NetworkError and any other failure to talk to the service
    (UsageError, EXIT_USAGE),  # InvalidField included
    (InternalError, EXIT_INTERNAL),
    (OutputError, EXIT_OUTPUT),
    (UnknownFormatError, EXIT_FORMAT),
    (UnsupportedFormatError, EXIT_FORMAT),
    (InspectorError, EXIT_ARTIFACT),
)

#: Library fields and the flags that set them: an error naming a field is shown with its flag.
FIELD_FLAGS: dict[str, str] = {
    "tenant": "--tenant", "upload_url": "--upload-url", "api_url": "--api-url", "token": "--token",
    "organization": "--organization", "app": "--app", "notifyLanguage": "--notify-language",
    "buildPlatform": "--build-platform", "tags": "--tags", "filter": "--filter",
    "packageIcon": "--package-icon",
}

T = TypeVar("T")


def exit_code_for(error: InspectorError) -> int:
    """The exit code of ``error``: the first row of :data:`EXIT_CODES` it matches."""
    return next(code for kind, code in EXIT_CODES if isinstance(error, kind))


def error_line(error: object) -> str:
    """The one line printed for an error: control characters (a newline in a file name, a
    terminal escape in a member name) are escaped so that it stays one line. An error naming a
    library field (:class:`InvalidField`) names the flag that sets it."""
    if isinstance(error, InvalidField) and error.field in FIELD_FLAGS:
        # The library's words become the command line's: fields are flags here.
        message = error.message.replace("(allow_http)", "(--allow-http or INSPECTOR_ALLOW_HTTP=1)")
        error = f"{FIELD_FLAGS[error.field]}: {message}"
    return f"inspector: error: {printable(str(error))}"


def for_one_file(path: str, action: Callable[[], T]) -> T | InspectorError:
    """Run ``action`` on one file of a batch; whatever it raises becomes that file's error.

    An InspectorError is returned as it is; any other exception (a bug) becomes an
    :class:`InternalError` naming the file, so that one bad file never stops the batch.
    ``INSPECTOR_DEBUG=1`` lets it through with its traceback instead.
    """
    try:
        return action()
    except InspectorError as exc:
        return exc
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:
        if os.environ.get("INSPECTOR_DEBUG"):
            raise
        return InternalError(
            f"internal error: {type(exc).__name__}: {exc} "
            "(a bug; rerun with INSPECTOR_DEBUG=1 for the traceback and please report it)",
            path=path,
        )


def discovered_file(command: str) -> str:
    """The build to use when FILE is omitted (:func:`inspector.discover.find_build`), said on
    standard error with where it was found; none or several is a usage error."""
    from pathlib import Path

    from inspector.discover import find_build

    found = find_build(os.environ, Path.cwd(), command)
    print(f"inspector: no FILE given: using {printable(str(found.path))} (from {found.source})",
          file=sys.stderr)
    return str(found.path)


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, with the closest option, command or choice when one is close
    (not the 30-40 lines of usage argparse prints): ``--help`` is there for the rest."""

    def error(self, message: str) -> NoReturn:
        hint = did_you_mean(self, message)
        self.exit(EXIT_USAGE, f"inspector: error: {printable(message)}"
                              f"{f'; did you mean {hint}?' if hint else ''} "
                              f"(see {self.prog} --help)\n")


def did_you_mean(parser: argparse.ArgumentParser, message: str) -> str | None:
    """The one option, command or choice close to what argparse refused in ``message``, if any."""
    import difflib
    import re

    def closest(word: str, candidates: Sequence[str], cutoff: float = 0.6) -> str | None:
        found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
        return found[0] if found else None

    choice = re.match(r"argument (\S+): invalid choice: '([^']*)'", message)
    if choice:
        name, value = choice.groups()
        for action in parser._actions:
            if action.choices and (name in action.option_strings or name == action.metavar
                                   or name == action.dest):
                return closest(value, [str(c) for c in action.choices], 0.5)
        return None
    unknown = re.match(r"unrecognized arguments: (.*)", message)
    if unknown:
        options = [o for o in parser._option_string_actions if o.startswith("--")]
        for word in unknown.group(1).split():
            if not word.startswith("--"):
                continue
            word = word.split("=", 1)[0]
            if "--json" not in options and "--format" in options and closest(word, ["--json"], 0.7):
                return "--format json"  # check's machine-readable output is a --format
            return closest(word, options, 0.7)
    return None


#: Every command: its module under ``inspector.cli`` and the line ``inspector --help`` shows.
COMMANDS: dict[str, str] = {
    "inspect": "show every fact about one or more build files",
    "check": "check builds against expectations and the default policy (a CI gate)",
    "diff": "show what changed between two builds of an app",
    "upload": "check a build and upload it to Applivery",
    "status": "show an uploaded build's processing status",
    "builds": "list the app's uploaded builds",
}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the command named in ``argv`` gets its module loaded and its options
    added (the others are listed by name), so ``inspector inspect`` never loads the upload code.
    With ``argv`` None every command is complete."""
    import importlib

    parser = _Parser(
        prog="inspector",
        description="Look inside APK, AAB, IPA and PKG builds before they are uploaded.",
    )
    parser.add_argument("--version", action="version", version=f"inspector {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    chosen = None if argv is None else next((a for a in argv if a in COMMANDS), "")
    for name, help_text in COMMANDS.items():
        if chosen is None or name == chosen:
            importlib.import_module(f"inspector.cli.{name}").add_parser(sub)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args, extras = parser.parse_known_args(argv)
    if extras:
        # Refused by the command's own parser, which knows its options and can suggest one.
        action = parser._subparsers._group_actions[0] if parser._subparsers else None
        commands = action.choices if isinstance(action, argparse._SubParsersAction) else {}
        commands.get(getattr(args, "command", None) or "", parser).error(
            f"unrecognized arguments: {' '.join(extras)}")
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.run(args))
    except InspectorError as exc:
        print(error_line(exc), file=sys.stderr)
        return exit_code_for(exc)
    except BrokenPipeError:
        # The reader went away (``inspector inspect x | head``): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        # Standard output could not be written (a full disk, a closed descriptor).
        _silence_stdout()
        print(error_line(f"cannot write the report ({exc.strerror or exc})"), file=sys.stderr)
        return EXIT_OUTPUT
    except KeyboardInterrupt:
        print("inspector: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("INSPECTOR_DEBUG"):
            raise
        print(
            f"inspector: internal error: {type(exc).__name__}: {printable(str(exc))} "
            "(a bug; rerun with INSPECTOR_DEBUG=1 for the traceback and please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def console() -> NoReturn:
    """The ``inspector`` command and ``python -m inspector``: :func:`main`, then the process ends.

    Before it ends, every object moves to the garbage collector's permanent generation
    (``gc.freeze``), which spares the interpreter's final collection over all of them: about
    8 ms, an eighth of a whole run on an APK. Objects are still freed, and files still closed, as
    their owners let go of them; only reference cycles still alive at exit are left to the
    operating system, and inspector closes every file it writes before returning. Library callers
    and the tests call :func:`main`, which leaves the collector alone.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


def _silence_stdout() -> None:
    # Python flushes stdout at exit; with the disk still full that flush would fail again, with
    # a traceback. Point the descriptor at /dev/null and drop what is buffered.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
