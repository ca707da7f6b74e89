"""Makes ``pytest packages/monitor-retrain-trigger/scripts`` work from the repo root.

In the processing job the code folder holds ``drift_job.py``, ``freshet_drift/`` and
RetrainPipeline's ``freshet_ml/`` side by side (the construct's code asset copies both). In
the repository ``freshet_ml`` stays in ``packages/retrain-pipeline/scripts``: one copy, the code
that writes the baseline. This puts both folders on ``sys.path`` for the tests.
"""

import sys
from pathlib import Path

# scripts/ ships in the npm tarball and is uploaded as the job's code: keep __pycache__ out of it.
sys.dont_write_bytecode = True

SCRIPTS = Path(__file__).resolve().parent
FRESHET_ML = SCRIPTS.parents[1] / "retrain-pipeline" / "scripts"
for folder in (SCRIPTS, FRESHET_ML):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
