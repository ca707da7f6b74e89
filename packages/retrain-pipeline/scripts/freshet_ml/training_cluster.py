"""The hosts of a SageMaker training job, and XGBoost's collective (Rabit) across them.

A training job with ``ResourceConfig.InstanceCount > 1`` runs the entry point once per instance.
SageMaker names the hosts ``algo-1``, ``algo-2`` ... and tells each which one it is in
``/opt/ml/input/config/resourceconfig.json`` (``hosts``, ``current_host``); the framework's
toolkit also exports them as ``SM_HOSTS`` (JSON list) and ``SM_CURRENT_HOST``, which take
precedence here, as in the XGBoost container's own distributed training
(``sagemaker_xgboost_container.distributed``). As there, the alphabetically first host runs
XGBoost's tracker, tells the others its port on port 9099, and every host joins it with its host name
as task id (so ranks follow the host names); inside the
communicator ``xgboost.train`` builds one model from every host's rows (the gradient histograms
are summed across hosts). With ``ShardedByS3Key`` channels each host holds only its share.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List

import xgboost
import xgboost.collective
import xgboost.tracker

from .job_paths import ROOT_ENV, SAGEMAKER_ROOT

TRACKER_PORT = 9099
#: Overrides the tracker port (tests run several clusters on one machine).
PORT_ENV = "FRESHET_XGBOOST_TRACKER_PORT"


@dataclass(frozen=True)
class Cluster:
    hosts: List[str]  # sorted
    current_host: str

    @property
    def distributed(self) -> bool:
        return len(self.hosts) > 1

    @property
    def is_master(self) -> bool:
        return self.current_host == self.hosts[0]


def training_cluster() -> Cluster:
    """SM_HOSTS/SM_CURRENT_HOST, else resourceconfig.json, else one local host."""
    if os.environ.get("SM_HOSTS") and os.environ.get("SM_CURRENT_HOST"):
        return Cluster(sorted(json.loads(os.environ["SM_HOSTS"])), os.environ["SM_CURRENT_HOST"])
    config = Path(os.environ.get(ROOT_ENV) or SAGEMAKER_ROOT) / "input" / "config" / "resourceconfig.json"
    if config.is_file():
        resource = json.loads(config.read_text(encoding="utf-8"))
        return Cluster(sorted(resource["hosts"]), resource["current_host"])
    return Cluster(["local"], "local")


def _announce(port: int, tracker_port: int, hosts: int) -> threading.Thread:
    """Tell each host, on the known port, the port the tracker listens on.

    xgboost 2.1's tracker binds an ephemeral port whatever ``port`` it is given, and the other hosts
    cannot ask it: the first host answers on the known port with the tracker's, once per host.
    """
    server = socket.create_server(("", port))

    def serve() -> None:
        with server:
            for _ in range(hosts):
                connection, _ = server.accept()
                with connection:
                    connection.sendall(str(tracker_port).encode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def _tracker_port(address: str, port: int, attempts: int = 60) -> int:
    """Ask the first host for the tracker's port, retrying while it starts (hosts boot at different times)."""
    for _ in range(attempts):
        try:
            with socket.create_connection((address, port), timeout=10) as connection:
                return int(connection.recv(32).decode())
        except OSError:
            time.sleep(1)
    raise ConnectionError(f"the first host {address}:{port} did not answer with the XGBoost tracker's port in {attempts} s")


@contextmanager
def collective(cluster: Cluster) -> Iterator[None]:
    """XGBoost's communicator across the cluster's hosts (nothing for one host)."""
    if not cluster.distributed:
        yield
        return
    port = int(os.environ.get(PORT_ENV) or TRACKER_PORT)
    address = socket.gethostbyname(cluster.hosts[0])
    tracker = None
    if cluster.is_master:
        tracker = xgboost.tracker.RabitTracker(n_workers=len(cluster.hosts), host_ip=address, sortby="task")
        tracker.start()
        _announce(port, int(tracker.worker_args()["dmlc_tracker_port"]), len(cluster.hosts))
    tracker_port = _tracker_port(address, port)
    with xgboost.collective.CommunicatorContext(
        dmlc_communicator="rabit", dmlc_tracker_uri=address, dmlc_tracker_port=tracker_port, dmlc_task_id=cluster.current_host
    ):
        yield
    if tracker is not None:
        tracker.wait_for()
