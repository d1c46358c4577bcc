"""axe-core in a page: the rules the browser tests hold every page to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa"]


def axe_results(page: Any, axe_script: Path) -> dict[str, Any]:
    """axe-core's answer for the page as it stands (the page's CSP must let the script in)."""
    page.add_script_tag(path=str(axe_script))
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return result


def serious_violations(page: Any, axe_script: Path) -> list[str]:
    """Every serious or critical violation, with where it is, as a line each."""
    return [
        f"{v['id']}: {v['help']} at {[' '.join(n['target']) for n in v['nodes'][:3]]}"
        for v in axe_results(page, axe_script)["violations"]
        if v["impact"] in ("serious", "critical")
    ]
