"""The local PostgreSQL starts under a folder the services made private.

The services run with umask 077, so a `make run` on a fresh clone creates var/ as 0700. As
root, `deploy/postgres/postgres.sh` runs the cluster as the `postgres` user, which must still
reach its data under var/ for a `make up` or `make test` after it: the script gives the
folders between the project and the cluster search permission only (enter, not list).
"""

import os
import shutil
import stat
import uuid

import pytest

from tests.support.infra import TEST_VAR, _script, free_port

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the postgres user is used as root")


def test_a_cluster_starts_under_a_folder_made_by_a_process_with_umask_077():
    private = TEST_VAR / f"private-{uuid.uuid4().hex[:8]}"
    private.mkdir(mode=0o700, parents=True)
    private.chmod(0o700)
    env = {"PG_HOME_DIR": str(private / "postgres"), "PG_FSYNC": "off"}
    try:
        dsn = _script("deploy/postgres/postgres.sh", "start", str(free_port()), env=env)
        assert dsn.startswith("postgresql://complaints:complaints@127.0.0.1:")
        mode = stat.S_IMODE(private.stat().st_mode)
        assert mode == 0o701, "searchable by others, still not listable"
    finally:
        _script("deploy/postgres/postgres.sh", "stop", env=env)
        shutil.rmtree(private)
