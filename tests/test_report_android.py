"""The text report of Android records: first facts, grouped signers, markers that matter."""

from __future__ import annotations

from datetime import UTC, datetime

import inspector
from inspector.report import render_text
from inspector.report.text import LABEL_WIDTH
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def _text(name: str) -> str:
    return render_text(inspector.inspect(FIXTURES / "apk" / name, digest=False), NOW)


def test_one_key_for_three_schemes_is_shown_once() -> None:
    text = _text("signed-v1v2v3.apk")
    assert text.count("Signer ") == 1
    assert "Signer 1 (v1 RELEASE, v2, v3 SDK 24-any)" in text
    assert "Signed".ljust(LABEL_WIDTH) + "  v1, v2, v3  verified" in text


def test_rotated_key_shows_its_lineage_under_the_v3_signer() -> None:
    text = _text("rotated-v3-lineage.apk")
    assert "Signer 1 (v1 RELEASE, v2)" in text
    assert "Signer 2 (v3 SDK 24-any)" in text
    assert "Lineage 1 of 2" in text.split("Signer 2")[1]


def test_debug_certificate_and_debuggable_are_flagged() -> None:
    text = _text("debuggable.apk")
    assert "[ANDROID DEBUG CERTIFICATE]" in text
    assert "Debuggable".ljust(LABEL_WIDTH) + "  YES" in text


def test_expired_certificate_says_so() -> None:
    text = _text("expired-cert.apk")
    assert "Valid until  2020-01-01 00:00 UTC (EXPIRED" in text


def test_unsigned_and_adaptive() -> None:
    assert "Signed".ljust(LABEL_WIDTH) + "  NO (unsigned)" in _text("unsigned.apk")
    assert "(adaptive)" in _text("adaptive-icon.apk")


def test_warnings_come_last() -> None:
    text = _text("unsigned.apk")
    assert text.rstrip().split("\n")[-2].strip() == "Warnings"


def test_components_listed_only_when_verbose() -> None:
    record = inspector.inspect(FIXTURES / "apk" / "components.apk", digest=False)
    short = render_text(record, NOW)
    assert "Components".ljust(LABEL_WIDTH) + "  4 activities" in short
    assert "androidx.core.content.FileProvider" not in short
    long = render_text(record, NOW, verbose=True)
    assert "provider        androidx.core.content.FileProvider  (not exported)" in long


def test_icon_lines_name_the_best_raster_and_every_size() -> None:
    # The sizes are identify's (tests/reference/image/members.txt), the path aapt2 badging's
    # application-icon-640; JPEG, PNG and WebP mixed, so each size says its format.
    text = _text("webp-icon.apk")
    assert "best: res/mipmap-xxxhdpi-v4/ic_launcher.webp  (192x192 WebP, xxxhdpi)" in text
    assert ("sizes: ldpi 36x36 JPEG, mdpi 48x48 WebP, hdpi 72x72 WebP, xhdpi 96x96 WebP, "
            "xxhdpi 144x144 PNG, xxxhdpi 192x192 WebP") in text
    adaptive = _text("adaptive-icon.apk")
    assert "best: res/mipmap-xhdpi-v4/ic_launcher.png  (96x96 PNG, xhdpi)" in adaptive
    assert "sizes: mdpi 48x48, xhdpi 96x96" in adaptive


def test_a_bundle_that_does_not_verify_says_what_and_where() -> None:
    from inspector.report.android import render

    record = inspector.inspect(FIXTURES / "aab" / "tampered" / "jar-entry-changed.aab", digest=False)
    text = "\n".join(render(record, None).render())
    failure = "v1: pack/assets/levels.txt: slot SHA256: digest mismatch"
    assert "Signed".ljust(LABEL_WIDTH) + f"  v1  DOES NOT VERIFY: {failure}" in text
    assert f"    v1 UPLOAD    DOES NOT VERIFY: {failure}" in text
    good = inspector.inspect(FIXTURES / "aab" / "bundle-signed.aab", digest=False)
    good_text = "\n".join(render(good, None).render())
    assert "  v1  verified" in good_text and "    v1 UPLOAD    verified" in good_text
