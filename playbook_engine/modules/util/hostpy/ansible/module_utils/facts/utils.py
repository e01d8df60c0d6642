# File helpers custom fact modules import from ansible.module_utils.facts.utils (pbe's own).
import os


def get_file_content(path, default=None, strip=True):
    """The file's text (stripped), or ``default`` when it cannot be read or is empty."""
    try:
        with open(path, "rb") as handle:
            data = handle.read().decode("utf-8", "replace")
    except (IOError, OSError):
        return default
    if strip:
        data = data.strip()
    return data if data else default


def get_file_lines(path, strip=True, line_sep=None):
    """The file's lines, split at ``line_sep`` when given; [] when it cannot be read."""
    data = get_file_content(path, strip=strip)
    if not data:
        return []
    if line_sep is None:
        return data.splitlines()
    if len(line_sep) == 1:
        return data.rstrip(line_sep).split(line_sep)
    return data.split(line_sep)


def get_mount_size(mountpoint):
    """Sizes of the file system at ``mountpoint``; {} when it cannot be asked."""
    try:
        info = os.statvfs(mountpoint)
    except OSError:
        return {}
    return {
        "size_total": info.f_frsize * info.f_blocks,
        "size_available": info.f_frsize * info.f_bavail,
        "block_size": info.f_bsize,
        "block_total": info.f_blocks,
        "block_available": info.f_bavail,
        "block_used": info.f_blocks - info.f_bfree,
        "inode_total": info.f_files,
        "inode_available": info.f_favail,
        "inode_used": info.f_files - info.f_ffree,
    }
