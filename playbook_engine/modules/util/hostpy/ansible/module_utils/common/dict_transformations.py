# Dict helpers as ansible.module_utils.common.dict_transformations offers them (pbe's own).
import copy
import re


def dict_merge(a, b):
    """A new dict: ``a`` updated with ``b``, recursively where both hold a dict."""
    merged = copy.deepcopy(a)
    for key, value in b.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = dict_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def recursive_diff(dict1, dict2):
    """(what only or differently ``dict1`` holds, what ``dict2`` holds there), recursing
    into nested dicts; None when they are equal."""
    if not isinstance(dict1, dict) or not isinstance(dict2, dict):
        raise TypeError("Unable to diff 'dict1' %s and 'dict2' %s. Both must be a dictionary."
                        % (type(dict1), type(dict2)))
    left, right = {}, {}
    for key in set(dict1) | set(dict2):
        if key not in dict2:
            left[key] = dict1[key]
        elif key not in dict1:
            right[key] = dict2[key]
        elif isinstance(dict1[key], dict) and isinstance(dict2[key], dict):
            inner = recursive_diff(dict1[key], dict2[key])
            if inner:
                left[key], right[key] = inner
        elif dict1[key] != dict2[key]:
            left[key], right[key] = dict1[key], dict2[key]
    return (left, right) if left or right else None


def _camel_to_snake(name, reversible=False):
    if reversible:
        return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), name).lstrip("_")
    name = re.sub(r"([A-Z]{2,})s([A-Z]|$)", r"\1S\2", name)  # plural acronyms: ARNs
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _snake_to_camel(snake, capitalize_first=False):
    words = [w.capitalize() or "_" for w in snake.split("_")]
    return "".join(words) if capitalize_first else snake.split("_")[0] + "".join(words[1:])


def _keys(value, rename, keep=()):
    if isinstance(value, dict):
        return {(rename(k) if isinstance(k, str) else k): (v if k in keep else _keys(v, rename, keep))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_keys(v, rename, keep) for v in value]
    return value


def camel_dict_to_snake_dict(camel_dict, reversible=False, ignore_list=()):
    """Keys ``fooBar`` -> ``foo_bar`` at every level; the values of ``ignore_list`` keys are
    kept as they are."""
    return _keys(camel_dict, lambda k: _camel_to_snake(k, reversible), ignore_list)


def snake_dict_to_camel_dict(snake_dict, capitalize_first=False):
    """Keys ``foo_bar`` -> ``fooBar`` (``FooBar`` with ``capitalize_first``) at every level."""
    return _keys(snake_dict, lambda k: _snake_to_camel(k, capitalize_first))
