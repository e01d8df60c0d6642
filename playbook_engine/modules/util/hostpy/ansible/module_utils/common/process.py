# get_bin_path for pbe's ansible.module_utils (see basic.py).
import os

_SBIN = ("/sbin", "/usr/sbin", "/usr/local/sbin")


def get_bin_path(arg, opt_dirs=None, required=None):
    """The path of executable ``arg``; ValueError when none is found."""
    dirs = list(opt_dirs or []) + os.environ.get("PATH", "").split(os.pathsep) + list(_SBIN)
    for directory in dirs:
        path = os.path.join(directory, arg)
        if directory and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise ValueError("Failed to find required executable \"%s\" in paths: %s"
                     % (arg, os.pathsep.join(d for d in dirs if d)))
