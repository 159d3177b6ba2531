"""The Nu Html Checker (vnu.jar, the W3C's validator), run once over a batch of pages.

``make vnu`` (a step of ``make test``) installs npm's ``vnu-jar`` at the version the
Makefile pins into ``.venv/vnu/``, when Java and npm are on the machine. It is a Java
program that takes a few seconds to start, so every page is written to a file and the
lot checked in one run.
"""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JAR = ROOT / ".venv" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# .ci/run sets it: there, a checker that cannot run is a failure, not a skip.
REQUIRED = os.environ.get("HARBOR_REQUIRE_VNU") == "1"


def reason_unavailable() -> str | None:
    if shutil.which("java") is None:
        return "Java is not installed (`apt-get install default-jre-headless`), so vnu cannot run"
    if not JAR.exists():
        return f"vnu.jar is not installed: `make vnu` puts it in {JAR.parent}"
    return None


def problems_in(pages: dict[str, str]) -> dict[str, list[str]]:
    """vnu's errors for each page (named by the key it was given), warnings left out.

    A page with no errors is not in the answer, so an empty dict means all is valid.
    """
    with tempfile.TemporaryDirectory(prefix="harbor-vnu-") as folder:
        files = {}
        for number, (name, html) in enumerate(pages.items()):
            path = Path(folder) / f"page-{number:03}.html"
            path.write_text(html, encoding="utf-8")
            files[path.resolve().as_uri()] = name
        ran = subprocess.run(
            ["java", "-jar", str(JAR), "--format", "json", "--exit-zero-always", *files_in(files)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        # vnu writes its report to standard error.
        messages = json.loads(ran.stderr)["messages"]
    found: dict[str, list[str]] = {}
    for message in messages:
        if message["type"] not in ("error", "non-document-error"):
            continue
        name = files.get(_as_uri(message.get("url", "")), "?")
        found.setdefault(name, []).append(describe(message))
    return found


def files_in(files: dict[str, str]) -> list[str]:
    return [uri.removeprefix("file://") for uri in files]


def _as_uri(url: str) -> str:
    # vnu names files "file:/tmp/...", Python "file:///tmp/...".
    return "file://" + url.removeprefix("file:").removeprefix("//")


def describe(message: dict) -> str:
    where = f"line {message['lastLine']}" if "lastLine" in message else "page"
    extract = " ".join(message.get("extract", "").split())
    return f"{where}: {message['message']}" + (f" [{extract}]" if extract else "")


def report(found: dict[str, list[str]]) -> str:
    """What vnu found, page by page, for a test's failure message."""
    return "\n".join(
        f"{name}:\n" + "\n".join(f"  {problem}" for problem in problems)
        for name, problems in sorted(found.items())
    )
