"""What changed between two versions of a record: status, attendance, the summary word by word,
and the outcomes added, removed or changed.

Plain data for a template to show (which escapes it): no HTML is made here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

# Words and the spaces between them, kept, so that the summary reads as written (line breaks too).
_TOKENS = re.compile(r"\s+|[^\s]+")
# The fields of an outcome besides its kind and text, in the order a page names them.
DETAILS = ("owner", "due", "done", "speaker")


@dataclass(frozen=True)
class Piece:
    """A run of text that is in both versions ('same'), only the newer ('added') or only the
    older ('removed')."""

    kind: str
    text: str


@dataclass(frozen=True)
class OutcomeChange:
    """An outcome in the comparison: 'same', 'changed', 'added' or 'removed'.

    `text`: the outcome's text, word by word; `details`: the names of the other fields
    (DETAILS) whose value differs, for a 'changed' one.
    """

    kind: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    text: tuple[Piece, ...]
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Comparison:
    """Two versions of a record side by side: the older one and the newer one."""

    status: tuple[str, str]
    attendance: tuple[int | None, int | None]
    summary: tuple[Piece, ...]
    outcomes: tuple[OutcomeChange, ...]

    @property
    def status_changed(self) -> bool:
        return self.status[0] != self.status[1]

    @property
    def attendance_changed(self) -> bool:
        return self.attendance[0] != self.attendance[1]

    @property
    def summary_changed(self) -> bool:
        return any(p.kind != "same" for p in self.summary)

    @property
    def outcomes_changed(self) -> bool:
        return any(o.kind != "same" for o in self.outcomes)

    @property
    def same(self) -> bool:
        """Nothing a reader sees differs."""
        return not (
            self.status_changed
            or self.attendance_changed
            or self.summary_changed
            or self.outcomes_changed
        )


def words(older: str, newer: str) -> tuple[Piece, ...]:
    """The newer text against the older one, word by word.

    A change reads as what was removed, then what was added, whole: changes apart only by
    spaces are one change (not a word struck through, then one added, then the next...).
    """
    a, b = _TOKENS.findall(older), _TOKENS.findall(newer)
    runs: list[tuple[bool, str, str]] = []  # (same, older text, newer text)
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        runs.append((op == "equal", "".join(a[i1:i2]), "".join(b[j1:j2])))
    merged: list[tuple[bool, str, str]] = []
    for n, (same, was, now) in enumerate(runs):
        between = 0 < n < len(runs) - 1 and not runs[n - 1][0] and not runs[n + 1][0]
        if same and between and not was.strip():
            same = False  # only spaces between two changes: part of them
        if merged and not same and not merged[-1][0]:
            merged[-1] = (False, merged[-1][1] + was, merged[-1][2] + now)
        else:
            merged.append((same, was, now))
    pieces: list[Piece] = []
    for same, was, now in merged:
        if same:
            pieces.append(Piece("same", was))
            continue
        pieces += [Piece(kind, text) for kind, text in (("removed", was), ("added", now)) if text]
    return tuple(pieces)


def _key(outcome: dict[str, Any]) -> tuple[str, str]:
    return outcome.get("kind", ""), outcome.get("text", "")


def _pair(before: dict[str, Any], after: dict[str, Any]) -> OutcomeChange:
    details = tuple(name for name in DETAILS if before.get(name) != after.get(name))
    text = words(before.get("text", ""), after.get("text", ""))
    same = not details and _key(before) == _key(after)
    return OutcomeChange("same" if same else "changed", before, after, text, details)


def _alone(kind: str, outcome: dict[str, Any]) -> OutcomeChange:
    before, after = (outcome, None) if kind == "removed" else (None, outcome)
    return OutcomeChange(kind, before, after, (Piece(kind, outcome.get("text", "")),))


def outcomes(older: list[dict[str, Any]], newer: list[dict[str, Any]]) -> list[OutcomeChange]:
    """The outcomes of both versions in the newer one's order.

    Outcomes of the same kind and text are the same outcome (their owner, due date, done or
    speaker may have changed); where the two lists differ, the outcomes in the same place and
    of the same kind are one outcome whose text changed, the others were removed or added.
    """
    matcher = SequenceMatcher(None, [_key(o) for o in older], [_key(o) for o in newer])
    changes: list[OutcomeChange] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        removed, added = older[i1:i2], newer[j1:j2]
        if op == "equal":
            changes += [_pair(a, b) for a, b in zip(removed, added, strict=True)]
            continue
        for n in range(max(len(removed), len(added))):
            a = removed[n] if n < len(removed) else None
            b = added[n] if n < len(added) else None
            if a is not None and b is not None and a.get("kind") == b.get("kind"):
                changes.append(_pair(a, b))
                continue
            if a is not None:
                changes.append(_alone("removed", a))
            if b is not None:
                changes.append(_alone("added", b))
    return _moved_and_edited(changes)


# How alike two texts must be (difflib's ratio) for an outcome removed in one place and one
# added in another to be the same outcome, moved and edited.
_ALIKE = 0.6


def _moved_and_edited(changes: list[OutcomeChange]) -> list[OutcomeChange]:
    """Each outcome removed that reads much like one added of its kind elsewhere: one outcome,
    changed, where the newer version has it."""
    for removed in [c for c in changes if c.kind == "removed"]:
        assert removed.before is not None
        text = removed.before.get("text", "")
        twin = next(
            (
                n
                for n, c in enumerate(changes)
                if c.kind == "added"
                and c.after is not None
                and c.after.get("kind") == removed.before.get("kind")
                and SequenceMatcher(None, text, c.after.get("text", "")).ratio() >= _ALIKE
            ),
            None,
        )
        if twin is not None:
            after = changes[twin].after
            assert after is not None
            changes[twin] = _pair(removed.before, after)
            changes.remove(removed)
    return changes


def compare(older: dict[str, Any], newer: dict[str, Any]) -> Comparison:
    """Two records as the schema writes them (e.g. two revisions' documents), compared."""
    return Comparison(
        status=(older.get("status", ""), newer.get("status", "")),
        attendance=(older.get("attendance"), newer.get("attendance")),
        summary=words(older.get("summary") or "", newer.get("summary") or ""),
        outcomes=tuple(outcomes(older.get("outcomes") or [], newer.get("outcomes") or [])),
    )
