# Ansible's truth values, for pbe's ansible.module_utils (see basic.py).
BOOLEANS_TRUE = frozenset(("y", "yes", "on", "1", "true", "t", 1, 1.0, True))
BOOLEANS_FALSE = frozenset(("n", "no", "off", "0", "false", "f", 0, 0.0, False))
BOOLEANS = BOOLEANS_TRUE.union(BOOLEANS_FALSE)


def boolean(value, strict=True):
    if isinstance(value, bool):
        return value
    normal = value.strip().lower() if isinstance(value, str) else value
    if isinstance(normal, bytes):
        normal = normal.decode("utf-8", "replace").strip().lower()
    if normal in BOOLEANS_TRUE:
        return True
    if normal in BOOLEANS_FALSE or not strict:
        return False
    raise TypeError("The value '%s' is not a valid boolean. Valid booleans include: %s"
                    % (value, ", ".join(repr(v) for v in sorted(BOOLEANS, key=repr))))
