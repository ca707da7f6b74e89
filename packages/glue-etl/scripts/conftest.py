"""Makes ``pytest packages/glue-etl/scripts`` work from the repo root.

The job's modules ship as ``python/freshet_etl`` (zipped as ``--extra-py-files``)
and the entry point as ``glue_job.py``; tests import both as Glue would.
"""

import sys
from pathlib import Path

# python/ is uploaded as a CDK asset (its hash is the asset's identity): keep __pycache__ out of it.
sys.dont_write_bytecode = True

SCRIPTS = Path(__file__).resolve().parent
for path in (SCRIPTS / "python", SCRIPTS):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
