"""README blocks for the Python tests that run a README's shell example exactly as written.

The job-script suites of several packages import it (tests only; nothing ships it):
``sys.path.insert(0, str(<repo>/tools/test-utils/python))``.
"""

from __future__ import annotations

import re
from pathlib import Path


def readme_block(readme: Path, marker: str) -> str:
    """The ```sh block right after ``<!-- marker -->`` in a README."""
    found = re.search(rf"<!-- {marker} -->\n```sh\n(.*?)\n```\n", readme.read_text("utf-8"), re.S)
    assert found, f"{readme} has no ```sh block after <!-- {marker} -->"
    return found.group(1) + "\n"


def heredoc(block: str, file_name: str) -> str:
    """The text a ``cat > file <<'EOF'`` in the block writes."""
    found = re.search(rf"cat > {re.escape(file_name)} <<'EOF'\n(.*?)\nEOF\n", block, re.S)
    assert found, f"the block writes no {file_name} with a heredoc"
    return found.group(1) + "\n"
