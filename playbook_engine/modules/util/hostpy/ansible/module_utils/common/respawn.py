# Running the module again under another Python, as ansible.module_utils.common.respawn
# offers it: for the system bindings (dnf, selinux, gi) only another interpreter has.
import os
import subprocess
import sys

from ansible.module_utils import basic

_FLAG = "PBE_MODULE_RESPAWNED"


def has_respawned():
    return _FLAG in os.environ


def probe_interpreters_for_module(interpreter_paths, module_name):
    """The first of ``interpreter_paths`` that imports ``module_name``; None when none does."""
    for path in interpreter_paths:
        if os.path.isfile(path) and os.access(path, os.X_OK) and subprocess.call(
                [path, "-c", "import " + module_name], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL) == 0:
            return path
    return None


def respawn_module(interpreter_path):
    """Runs this module again under ``interpreter_path``: pbe's runner (read from this
    process's command line, Linux's /proc) with the same payload; its result is the
    module's, and this process ends."""
    if has_respawned():
        raise Exception("module has already been respawned")
    with open("/proc/self/cmdline", "rb") as handle:
        argv = handle.read().split(b"\0")
    runner = argv[argv.index(b"-c") + 1]
    env = dict(os.environ)
    env[_FLAG] = "1"
    sys.stdout.flush()
    proc = subprocess.Popen([interpreter_path, "-c", runner], stdin=subprocess.PIPE, env=env)
    proc.communicate(basic._payload[0])
    basic._emitted.append(True)
    sys.exit(proc.returncode)
