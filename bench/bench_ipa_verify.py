"""IPA verification benchmark (run by hand): every seal of a 1 GB IPA, beside `unzip -tq`.

    python bench/bench_ipa_verify.py [--size-mb 1024] [--files 64] [--runs 5] [--keep]

Builds /tmp/inspector-bench/sealed-<size>.ipa once: the reference fixture (fixtures/ios/adhoc.ipa:
app, widget extension, watch app, profiles, signed fat executables, CgBI icons) plus ``--files``
resources of ``size / files`` MB each in the app's ``Resources/``, DEFLATED (level 1), whose
bytes are 7/8 random (already-compressed assets: images, audio) and 1/8 text (JSON, strings).
The app's CodeResources seals them (SHA-1 in ``files``, SHA-256 in ``files2``, as Xcode writes)
and the app's executable is signed again over that seal by fixtures/ios/make_macho.py with the
fixture keys, so the whole IPA verifies (checked before timing).

Then measures whole processes (median wall time, peak RSS): ``unzip -tq`` (inflates every member
and checks its CRC), ``inspector inspect --json --no-hash`` (verifies every seal: inflates every
sealed member and checks its SHA-256, every executable's pages and signature) and the same with
``--no-verify``. The target: verification <= 1.2x ``unzip -tq`` on the same file, peak RSS <= 60 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import plistlib
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import common  # noqa: E402
from common import like_an_installed_package, measure, row, startup_floor  # noqa: E402

WORK = Path("/tmp/inspector-bench")
# A venv of this bench's own: the shared one is reinstalled by any other bench run meanwhile
# (from another checkout), and would then measure that code.
common.USER_VENV = os.environ.get("INSPECTOR_BENCH_VENV", str(WORK / "venv-ipa-verify"))
SOURCE = ROOT / "fixtures" / "ios" / "adhoc.ipa"
FIXTURES = ROOT / "fixtures" / "ios"
APP = "Payload/Fixture.app/"
TEXT = b"".join(b'{"id": %d, "title": "Level %d", "tiles": [1, 2, 3, 5, 8, 13]},\n' % (i, i % 97)
                for i in range(2048))


def resource_chunk(seed: int) -> bytes:
    """1 MiB: 7/8 random bytes, then text."""
    random = os.urandom((1 << 20) - (1 << 17))
    text = (TEXT[seed % 1000:] + TEXT)[: 1 << 17]
    return random + text


def build(size_mb: int, files: int) -> Path:
    target = WORK / f"sealed-{size_mb}-{files}.ipa"
    if target.exists():
        return target
    WORK.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    per_file = size_mb // files
    with zipfile.ZipFile(SOURCE) as src:
        resources = plistlib.loads(src.read(APP + "_CodeSignature/CodeResources"))
        info_plist = src.read(APP + "Info.plist")
        members = [(i, src.read(i)) for i in src.infolist()
                   if i.filename not in (APP + "_CodeSignature/CodeResources", APP + "Fixture")]
    with zipfile.ZipFile(partial, "w", compresslevel=1) as out:
        for info, data in members:
            out.writestr(info, data)
        for n in range(files):
            name = f"Resources/asset-{n:03d}.bin"
            sha1, sha256 = hashlib.sha1(), hashlib.sha256()
            entry = zipfile.ZipInfo(APP + name, date_time=(2026, 1, 5, 10, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            with out.open(entry, "w", force_zip64=True) as fh:
                for i in range(per_file):
                    chunk = resource_chunk(n * per_file + i)
                    sha1.update(chunk)
                    sha256.update(chunk)
                    fh.write(chunk)
            resources["files"][name] = sha1.digest()
            resources["files2"][name] = {"hash2": sha256.digest()}
        sealed = plistlib.dumps(resources, sort_keys=True)
        out.writestr(APP + "_CodeSignature/CodeResources", sealed, zipfile.ZIP_DEFLATED)
        out.writestr(APP + "Fixture", resign(info_plist, sealed), zipfile.ZIP_DEFLATED)
    partial.rename(target)
    return target


def resign(info_plist: bytes, code_resources: bytes) -> bytes:
    """The app's executable signed as fixtures/ios/make.sh signs it, over the new seal."""
    import inspector

    signed = inspector.inspect(SOURCE, digest=False, verify=False).app.code_signature
    assert signed is not None
    with tempfile.TemporaryDirectory() as tmp:
        paths = {name: Path(tmp, name) for name in ("Info.plist", "CodeResources", "ent.plist")}
        paths["Info.plist"].write_bytes(info_plist)
        paths["CodeResources"].write_bytes(code_resources)
        paths["ent.plist"].write_bytes(plistlib.dumps(dict(signed.entitlements)))
        exe = Path(tmp, "Fixture")
        subprocess.run([sys.executable, str(FIXTURES / "make_macho.py"),
                        "--cert", str(FIXTURES / "keys/dist.pem"),
                        "--key", str(FIXTURES / "keys/dist.key"),
                        "--entitlements", str(paths["ent.plist"]),
                        "--info-plist", str(paths["Info.plist"]),
                        "--code-resources", str(paths["CodeResources"]),
                        "--identifier", "com.fixture.app", "--team", "TEAMID1234",
                        "--arch", "fat", "-o", str(exe)], check=True, cwd=FIXTURES)
        return exe.read_bytes()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--files", type=int, default=64)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the big IPA for the next run")
    args = ap.parse_args()
    like_an_installed_package(ROOT)
    t0 = time.perf_counter()
    ipa = build(args.size_mb, args.files)
    with zipfile.ZipFile(ipa) as z:
        inflated = sum(i.file_size for i in z.infolist())
    print(f"built {ipa} ({ipa.stat().st_size / 1e9:.2f} GB, {inflated / 1e9:.2f} GB inflated) "
          f"in {time.perf_counter() - t0:.0f} s")
    inspector_cmd = [os.path.join(common.USER_VENV, "bin", "inspector"), "inspect", "--json",
                     "--no-hash"]
    doc = json.loads(subprocess.run([*inspector_cmd, str(ipa)], capture_output=True, check=True,
                                    text=True).stdout)
    verdict = doc["results"][0]["verification"]
    if verdict["verified"] is not True or "verification" not in doc["results"][0]["app"]:
        raise SystemExit(f"the bench IPA does not verify: {verdict['failures'][:3]}")
    cases = [
        startup_floor(),
        ("unzip -tq (inflate + CRC of every member)", [shutil.which("unzip") or "unzip", "-tq",
                                                      str(ipa)]),
        ("inspector inspect --json --no-hash (verifies every seal)", [*inspector_cmd, str(ipa)]),
        ("inspector inspect --json --no-hash --no-verify", [*inspector_cmd, "--no-verify",
                                                            str(ipa)]),
    ]
    print("| command | wall (median) | peak RSS |")
    print("|---|---|---|")
    results = {}
    for name, cmd in cases:
        seconds, rss = measure(cmd, runs=args.runs)
        results[name] = seconds
        print(row(name, seconds, rss))
    unzip, verify = results[cases[1][0]], results[cases[2][0]]
    print(f"\nverification / unzip -tq: {verify / unzip:.2f}x (target <= 1.2x)")
    if not args.keep:
        ipa.unlink()


if __name__ == "__main__":
    main()
