"""Signature verification: each module checks one kind of signature and returns
:class:`inspector.records.verification.Verification` facts; a bad signature is a Failure, not an
exception. Public-key math goes through ``cryptography``; digests through hashlib."""
