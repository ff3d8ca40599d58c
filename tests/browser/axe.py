"""axe-core on a page: every WCAG 2.1 A and AA rule, and the test fails on any violation.

axe-core comes from npm (``web/package.json``'s devDependencies, never served to browsers): the
test puts it into the page it checks, in Chromium through Playwright and in WebKit through
Selenium. Call ``assert_accessible`` wherever a test has a page in the state a person sees.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = (
    "axe.run(document, {runOnly: {type: 'tag', values: TAGS}, resultTypes: ['violations']})"
    ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
    " nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))})))"
).replace("TAGS", json.dumps(TAGS))


def axe_source() -> str:
    if not AXE.is_file():
        raise AssertionError(f"axe-core is missing ({AXE}): run `npm ci` in web/ (bash scripts/test does), it is a devDependency")
    return AXE.read_text(encoding="utf-8")


def describe(violations: list[dict[str, Any]], where: str) -> str:
    lines = [f"{len(violations)} WCAG 2.1 A/AA violation(s) on {where}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['summary'].splitlines()[-1].strip() if node['summary'] else ''}")
    return "\n".join(lines)


def assert_accessible(page: Any, where: str) -> None:
    """Run axe-core in a Playwright page; fail naming every violation."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not added as a <script>: the pages' CSP refuses inline scripts.
        page.evaluate(axe_source())
    violations = page.evaluate(RUN)
    assert not violations, describe(violations, where)


def assert_accessible_webdriver(driver: Any, where: str) -> None:
    """The same in a Selenium WebDriver session (WebKit)."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(axe_source())
    violations = driver.execute_async_script(
        f"const done = arguments[arguments.length - 1]; {RUN}.then(done, e => done([{{id: 'axe-error', impact: 'error', help: String(e), nodes: []}}]));"
    )
    assert not violations, describe(violations, where)
