"""One container of tests/ecs_task.py, set up as Fargate sets it up (run as root, as PID 1
of fresh mount and PID namespaces, through ``unshare``): each mount point's volume bound
at its ``containerPath`` (under a fresh tmpfs for paths in ``/run``), host paths the test
needs writable (a SQLite file standing in for the network database) bound onto
themselves, the shell chosen for ``/bin/sh`` bound over it, then the root filesystem
remounted read-only when the definition says so; then the definition's ``user`` (uid,
gid, no supplementary groups), its ``workingDirectory`` and the argv, exec'd with exactly
the environment ECS would give it. Standard library only: it runs before anything else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


def main() -> None:
    with open(sys.argv[1]) as file:
        spec = json.load(file)
    # This interpreter, its virtualenv and this checkout stand for the image's contents.
    # Where they live under /root (0700: no uid but root may enter) or under /tmp (which the
    # scratch volume covers), each tree is bound aside first and back once the volumes are
    # mounted (its mount point then exists, empty, in the tmpfs or in the volume).
    for index, path in enumerate(spec["expose"]):
        os.makedirs(f"{spec['staging']}/{index}", exist_ok=True)
        _mount("--bind", path, f"{spec['staging']}/{index}")
    if any(path.startswith("/root/") for path in spec["expose"]):
        _mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/root")
    if any(target.startswith("/run/") for _, target in spec["mounts"]):
        _mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run")
    for source, target in spec["mounts"]:
        os.makedirs(target, exist_ok=True)
        _mount("--bind", source, target)
    for index, path in enumerate(spec["expose"]):
        os.makedirs(path, exist_ok=True)
        _mount("--bind", f"{spec['staging']}/{index}", path)
    for path in spec["host_paths"]:
        _mount("--bind", path, path)
    if spec["shell"]:
        _mount("--bind", spec["shell"], "/bin/sh")
    if spec["readonly_root"]:
        _mount("-o", "remount,bind,ro", "/")
    uid, gid = spec["uid"], spec["gid"]
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    os.chdir(spec["cwd"])
    os.execvpe(spec["argv"][0], spec["argv"], spec["env"])


if __name__ == "__main__":
    main()
