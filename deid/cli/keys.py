"""Where the pseudonymisation key comes from. Never from the command line itself:
arguments show up in ``ps``, shell history and CI logs."""

from __future__ import annotations

import logging
import secrets

from deid.core.context import KEY_ENV_VAR, KEY_FILE_ENV_VAR, load_key_file, load_key_from_env
from deid.core.errors import InputError

log = logging.getLogger(__name__)


def resolve_key(key_file: str | None, ephemeral: bool) -> tuple[bytes, bool]:
    """(key, is_ephemeral): ``--key-file``, then ``$DEID_KEY`` / ``$DEID_KEY_FILE``, then
    a random key only when ``--ephemeral-key`` was given. Otherwise refuse."""
    if key_file:
        return load_key_file(key_file), False
    key = load_key_from_env()  # decoded and checked (>= 32 bytes, no passphrase)
    if key is not None:
        return key, False
    if ephemeral:
        log.warning("using an ephemeral key: pseudonyms and UIDs will differ on every run")
        return secrets.token_bytes(32), True
    raise InputError(
        f"no pseudonymisation key: pass --key-file FILE, set ${KEY_ENV_VAR} or ${KEY_FILE_ENV_VAR}, "
        "or --ephemeral-key for a throw-away key (pseudonyms not reproducible)",
        reason="missing_key",
    )
