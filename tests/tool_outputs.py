"""Parsers for the independent tools' outputs recorded under tests/reference/ (aapt2, apksigner).

The expected values of the Android tests are what these tools printed; this module only reads
those files, it computes nothing that the tests then compare against themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent / "reference"

_KV = re.compile(r"(\w[\w-]*)='((?:[^']|'(?! |$))*)'")


@dataclass
class Recorded:
    exit: int
    command: str
    body: str


def read_recorded(path: Path) -> Recorded:
    lines = path.read_text(encoding="utf-8").split("\n")
    exit_code = int(lines[0].removeprefix("# exit "))
    command = lines[1].removeprefix("# $ ")
    return Recorded(exit_code, command, "\n".join(lines[2:]))


@dataclass
class Badging:
    package: dict[str, str] = field(default_factory=dict)
    sdk: str | None = None
    target_sdk: str | None = None
    max_sdk: str | None = None
    label: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    icons: dict[str, str] = field(default_factory=dict)
    debuggable: bool = False
    testonly: bool = False
    permissions: list[str] = field(default_factory=list)
    implied_permissions: set[str] = field(default_factory=set)
    features: dict[str, bool] = field(default_factory=dict)
    implied_features: set[str] = field(default_factory=set)
    native_code: list[str] = field(default_factory=list)
    launchable_activity: str | None = None
    leanback_launchable_activity: str | None = None
    install_location: str | None = None
    libraries: dict[str, bool] = field(default_factory=dict)

    @property
    def declared_features(self) -> dict[str, bool]:
        """uses-feature entries of the manifest; aapt2 adds implied ones, marked by a line of their own."""
        return {k: v for k, v in self.features.items() if k not in self.implied_features}


def _value(line: str, prefix: str) -> str:
    # lines like  sdkVersion:'21'  or  application-label-fr:'Fixture d'inspection'
    return line[len(prefix):].strip()[1:-1]


def parse_badging(text: str) -> Badging:
    b = Badging()
    for raw in text.split("\n"):
        line = raw.strip()
        if raw.startswith("package:"):
            b.package = dict(_KV.findall(raw))
        elif line.startswith("sdkVersion:"):
            b.sdk = _value(line, "sdkVersion:")
        elif line.startswith("targetSdkVersion:"):
            b.target_sdk = _value(line, "targetSdkVersion:")
        elif line.startswith("maxSdkVersion:"):
            b.max_sdk = _value(line, "maxSdkVersion:")
        elif line.startswith("application-label:"):
            b.label = _value(line, "application-label:")
        elif line.startswith("application-label-"):
            locale, _, rest = line[len("application-label-"):].partition(":")
            b.labels[locale] = rest[1:-1]
        elif line.startswith("application-icon-"):
            density, _, rest = line[len("application-icon-"):].partition(":")
            b.icons[density] = rest[1:-1]
        elif line == "application-debuggable":
            b.debuggable = True
        elif line.startswith("testOnly="):
            b.testonly = True
        elif line.startswith("uses-permission:"):
            name = dict(_KV.findall(line)).get("name")
            if name and name not in b.permissions:
                b.permissions.append(name)
        elif line.startswith("uses-implied-permission:"):
            b.implied_permissions.add(dict(_KV.findall(line))["name"])
        elif line.startswith("uses-implied-feature:"):
            b.implied_features.add(dict(_KV.findall(line))["name"])
        elif line.startswith("uses-feature-not-required:"):
            b.features[dict(_KV.findall(line))["name"]] = False
        elif line.startswith("uses-feature:") and "name=" in line:
            b.features.setdefault(dict(_KV.findall(line))["name"], True)
        elif line.startswith("launchable-activity:"):
            b.launchable_activity = dict(_KV.findall(line)).get("name")
        elif line.startswith("leanback-launchable-activity:"):
            b.leanback_launchable_activity = dict(_KV.findall(line)).get("name")
        elif line.startswith("install-location:"):
            b.install_location = _value(line, "install-location:")
        elif line.startswith("uses-library-not-required:"):
            b.libraries[_value(line, "uses-library-not-required:")] = False
        elif line.startswith("uses-library:"):
            b.libraries[_value(line, "uses-library:")] = True
        elif line.startswith("native-code:"):
            b.native_code = re.findall(r"'([^']*)'", line)
    return b


@dataclass
class SignerFacts:
    dn: str
    sha256: str
    sha1: str
    key_algorithm: str
    key_size: int | None


@dataclass
class Certs:
    verifies: bool
    schemes: dict[str, bool]
    signers: list[SignerFacts]


def parse_apksigner(text: str) -> Certs:
    schemes: dict[str, bool] = {}
    by_index: dict[str, dict[str, str]] = {}
    for line in text.split("\n"):
        m = re.match(r"Verified using (v[\d.]+) scheme.*: (true|false)$", line)
        if m:
            schemes[m.group(1)] = m.group(2) == "true"
            continue
        m = re.match(r"Signer #(\d+) (certificate DN|certificate SHA-256 digest|certificate SHA-1 digest"
                     r"|key algorithm|key size \(bits\)): (.*)$", line)
        if m:
            by_index.setdefault(m.group(1), {})[m.group(2)] = m.group(3).strip()
    signers = [
        SignerFacts(
            dn=f["certificate DN"],
            sha256=f["certificate SHA-256 digest"],
            sha1=f["certificate SHA-1 digest"],
            key_algorithm=f.get("key algorithm", ""),
            key_size=int(f["key size (bits)"]) if f.get("key size (bits)", "").isdigit() else None,
        )
        for _, f in sorted(by_index.items(), key=lambda kv: int(kv[0]))
    ]
    return Certs(verifies=text.lstrip().startswith("Verifies"), schemes=schemes, signers=signers)


# -- images: identify, file and webpinfo outputs under reference/image/ (see its make.sh) --------

_IDENTIFY_FORMATS = {"PNG": "png", "WEBP": "webp", "JPEG": "jpeg"}
_FILE_PNG = re.compile(r"^PNG image data(?: \(CgBI\))?, (\d+) x (\d+),")


def read_identify() -> dict[str, tuple[str, int, int]]:
    """identify.txt: image file name -> (format, width, height) as ImageMagick read them."""
    out: dict[str, tuple[str, int, int]] = {}
    for line in (REFERENCE / "image" / "identify.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        name, kind, width, height = line.split()
        out[name] = (_IDENTIFY_FORMATS[kind], int(width), int(height))
    return out


def read_webp_chunks() -> dict[str, str]:
    """webpinfo.txt: WebP file name -> the first chunk after the RIFF header (VP8, VP8L, VP8X)."""
    out: dict[str, str] = {}
    name = None
    for line in (REFERENCE / "image" / "webpinfo.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("File: "):
            name = line.removeprefix("File: ")
        elif line.startswith("Chunk ") and name and name not in out:
            out[name] = line.split()[1]
    return out


def read_icon_members() -> dict[tuple[str, str], tuple[str, int, int]]:
    """members.txt: (archive name, member) -> (format, width, height): identify's reading, or
    file's for the CgBI PNGs identify cannot read."""
    out: dict[tuple[str, str], tuple[str, int, int]] = {}
    for line in (REFERENCE / "image" / "members.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        head, rest = line.split(": file: ", 1)
        archive, member = head.split(" ", 1)
        file_says, identify_says = rest.split(" | identify: ")
        if identify_says != "(cannot read it)":
            kind, width, height = identify_says.split()
            out[archive, member] = (_IDENTIFY_FORMATS[kind], int(width), int(height))
        else:
            match = _FILE_PNG.match(file_says)
            assert match, line
            out[archive, member] = ("png", int(match.group(1)), int(match.group(2)))
    return out
