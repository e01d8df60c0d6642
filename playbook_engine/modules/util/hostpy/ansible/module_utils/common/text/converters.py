# Text and bytes conversions for pbe's ansible.module_utils (see basic.py).
import json


def _error_mode(errors):
    if errors in (None, "surrogate_or_strict", "surrogate_or_replace", "surrogate_then_replace"):
        return "surrogateescape"
    return errors


def to_bytes(obj, encoding="utf-8", errors=None, nonstring="simplerepr"):
    if isinstance(obj, bytes):
        return obj
    if isinstance(obj, str):
        return obj.encode(encoding, _error_mode(errors))
    if nonstring == "passthru":
        return obj
    if nonstring == "empty":
        return b""
    if nonstring == "strict":
        raise TypeError("obj must be a string type")
    return str(obj).encode(encoding, _error_mode(errors))


def to_text(obj, encoding="utf-8", errors=None, nonstring="simplerepr"):
    if isinstance(obj, str):
        return obj
    if isinstance(obj, bytes):
        mode = "replace" if errors in ("surrogate_then_replace", "surrogate_or_replace") else _error_mode(errors)
        return obj.decode(encoding, mode)
    if nonstring == "passthru":
        return obj
    if nonstring == "empty":
        return ""
    if nonstring == "strict":
        raise TypeError("obj must be a string type")
    return str(obj)


to_native = to_text


def jsonify(data, **kwargs):
    return json.dumps(data, **kwargs)


def container_to_text(value, encoding="utf-8", errors="surrogate_or_strict"):
    if isinstance(value, dict):
        return {container_to_text(k): container_to_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [container_to_text(v) for v in value]
    return to_text(value, encoding, errors) if isinstance(value, bytes) else value


def container_to_bytes(value, encoding="utf-8", errors="surrogate_or_strict"):
    if isinstance(value, dict):
        return {container_to_bytes(k): container_to_bytes(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [container_to_bytes(v) for v in value]
    return to_bytes(value, encoding, errors) if isinstance(value, str) else value
