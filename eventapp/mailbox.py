"""The key of a mailbox: two addresses are the same person exactly when their keys are equal.

Accounts, registrations, imports and the sign-in limit all match addresses through
`mailbox_key`, so that distinct mailboxes stay distinct people everywhere.
"""

from __future__ import annotations

import functools
import unicodedata

import idna


def mailbox_key(address: str) -> str:
    """The key of the mailbox an address names.

    The domain is normalised as IDNA 2008 with UTS #46 does (case, width, then the A-label):
    `STRASSE.example.org` is `strasse.example.org`, but `straße.example.org` is
    `xn--strae-oqa.example.org`, another domain. The local part is the receiving system's to
    interpret, so it is compared exactly, except that an ASCII one is lower-cased, as mail
    systems do in practice; a non-ASCII one is only brought to NFC, never case-folded
    (`straße@` is not `strasse@`).
    """
    local, at, domain = address.strip().rpartition("@")
    if not at:
        # Not an address (typed in a sign-in form, say): it matches only itself.
        return _local_key(domain)
    return f"{_local_key(local)}@{_domain_key(domain)}"


def _local_key(local: str) -> str:
    return local.lower() if local.isascii() else unicodedata.normalize("NFC", local)


@functools.lru_cache(maxsize=4096)
def _domain_key(domain: str) -> str:
    try:
        return idna.encode(domain, uts46=True, transitional=False).decode("ascii")
    except UnicodeError:  # idna.IDNAError is one
        # No valid domain, so no mailbox to confuse it with: compared as a local part is.
        return _local_key(domain)
