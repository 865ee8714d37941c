"""Coverage-guided fuzzing of inspector's byte readers with atheris (libFuzzer), run by hand.

    pip install atheris
    python tests/fuzz/run.py TARGET [libFuzzer options]     # TARGET: zip, xar, ..., or all
    python tests/fuzz/run.py all -max_total_time=3600        # an hour over every reader

``all`` lets the first byte of each input pick the reader, so one run covers them all. Seeds are
the fixtures (and every crash kept so far); a crash is written to
``tests/fuzz/crashes/<target>/`` (keep it there: the test suite replays each one as a
regression input). A crash is any exception other than ``ArtifactError``, or a run over the
time (``-timeout``, default 10 s) or memory (``-rss_limit_mb``, default 2048) budget.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import atheris  # noqa: E402

with atheris.instrument_imports(include=["inspector"]):
    import inspector.certs
    import inspector.containers.aapt2_pb
    import inspector.containers.apk_signing
    import inspector.containers.arsc
    import inspector.containers.axml
    import inspector.containers.cgbi
    import inspector.containers.cms
    import inspector.containers.cpio
    import inspector.containers.der
    import inspector.containers.image
    import inspector.containers.macho
    import inspector.containers.pbzx
    import inspector.containers.plist
    import inspector.containers.xar
    import inspector.containers.zip
    import inspector.formats._manifest
    import inspector.formats.apk
    import inspector.records.base
    import inspector.settings
    import inspector.upload.response
    import inspector.versions  # noqa: F401

from tests.fuzz.targets import NAMES, TARGETS, run_one, seeds  # noqa: E402


def _all(data: bytes) -> None:
    if data:
        run_one(NAMES[data[0] % len(NAMES)], data[1:])


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in (*TARGETS, "all"):
        sys.exit(f"usage: {argv[0]} {{{','.join(NAMES)},all}} [libFuzzer options]")
    target = argv[1]
    crashes = HERE / "crashes" / target
    crashes.mkdir(parents=True, exist_ok=True)
    corpus = Path(tempfile.mkdtemp(prefix=f"inspector-fuzz-{target}-"))
    if target == "all":
        for index, name in enumerate(NAMES):
            for n, seed in enumerate(seeds(name)):
                (corpus / f"{name}-{n}").write_bytes(bytes([index]) + seed)
        fuzz = _all
    else:
        for n, seed in enumerate(seeds(target)):
            (corpus / f"seed-{n}").write_bytes(seed)

        def fuzz(data: bytes) -> None:
            run_one(target, data)

    options = [a for a in argv[2:]]
    defaults = {"-timeout=": "-timeout=10", "-rss_limit_mb=": "-rss_limit_mb=2048",
                "-artifact_prefix=": f"-artifact_prefix={crashes}/"}
    options += [v for k, v in defaults.items() if not any(o.startswith(k) for o in options)]
    atheris.Setup([argv[0], *options, str(corpus)], fuzz)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
