"""How a processing job fails: one exception type and one place that reports it.

SageMaker copies the first 1 KB of ``/opt/ml/output/message`` into the ExitMessage
of DescribeProcessingJob, so the Step Functions failure branch and a person reading
the console both see *why* the run stopped without opening CloudWatch Logs.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: SageMaker Processing's exit message file (DescribeProcessingJob ExitMessage, first 1 KB).
DEFAULT_MESSAGE_FILE = "/opt/ml/output/message"


class JobFailure(Exception):
    """A problem with the input or the arguments that a person must fix; the message says how."""


def report_failure(message: str, message_file: str) -> int:
    """Write ``message`` to stderr and to the exit message file; return the process exit code (1)."""
    print(f"ERROR: {message}", file=sys.stderr)
    try:
        path = Path(message_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(message + "\n", encoding="utf-8")
    except OSError as error:  # the message is already on stderr: do not hide it behind a second failure
        print(f"(could not write the failure message to {message_file}: {error})", file=sys.stderr)
    return 1
