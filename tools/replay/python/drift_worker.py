"""The replay's drift job runner: the monitor's own drift job, imported once, run once per window.

The processing container's entry point (the drift state machine's ContainerEntrypoint) extracts the
code zip to /opt/ml/code, the shared zip to /opt/ml/code/freshet_ml, and runs the script named by the
first argument as __main__. This worker does the same from a folder the replay assembled from the same
two assets, but imports the script once and calls its ``main(argv)`` per window, so 672 hourly windows
do not pay 672 interpreter starts and pandas imports.

Protocol (one JSON object a line): stdin ``{"id", "argv": [script, args...]}``; stdout ``{"id", "code"}``
(the exit code main returned, or SystemExit's) or ``{"id", "error"}``. The job's prints go to stderr.
Usage: ``python drift_worker.py <code_dir> <script>``.
"""

import importlib.util
import json
import os
import sys
import traceback


def main() -> int:
    code, script = sys.argv[1], sys.argv[2]
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr
    sys.path.insert(0, code)
    spec = importlib.util.spec_from_file_location("replay_drift_job", os.path.join(code, script))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "main"):
        protocol.write(json.dumps({"id": None, "error": f"{script} has no main(argv)"}) + "\n")
        return 1
    protocol.write(json.dumps({"id": None, "ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            code_ = module.main(request["argv"][1:])
            protocol.write(json.dumps({"id": request["id"], "code": int(code_ or 0)}) + "\n")
        except SystemExit as done:
            protocol.write(json.dumps({"id": request["id"], "code": done.code if isinstance(done.code, int) else 1, "error": None if done.code in (0, None) else str(done.code)}) + "\n")
        except Exception as error:
            traceback.print_exc()
            protocol.write(json.dumps({"id": request["id"], "code": 1, "error": f"{type(error).__name__}: {error}"}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
