# Checks of ansible.module_utils.common.validation (pbe's own), on AnsibleModule's checker:
# each raises TypeError with the message AnsibleModule would fail with.
from ansible.module_utils import basic


def _typed(convert, value):
    try:
        return convert(value)
    except (basic._Invalid, ValueError, TypeError) as exc:
        raise TypeError("%s cannot be converted: %s" % (type(value).__name__, exc))


def check_type_str(value, allow_conversion=True, param=None, prefix=""):
    if isinstance(value, str):
        return value
    if allow_conversion and value is not None:
        return basic.to_native(value)
    raise TypeError("'%s' is not a string and conversion is not allowed" % (value,))


def check_type_int(value):
    return _typed(basic._to_int, value)


def check_type_float(value):
    return _typed(basic._to_float, value)


def check_type_bool(value):
    return _typed(basic._to_bool, value)


def check_type_list(value):
    return _typed(basic._to_list, value)


def check_type_dict(value):
    return _typed(basic._to_dict, value)


def check_type_path(value):
    return _typed(basic._to_path, value)


def check_type_bytes(value):
    return _typed(basic._to_bytes, value)


def check_type_bits(value):
    return _typed(basic._to_bits, value)


def check_type_jsonarg(value):
    return _typed(basic._to_json, value)


def check_type_raw(value):
    return value


def count_terms(terms, parameters):
    """How many of ``terms`` (a name or several) ``parameters`` holds."""
    return len(set([terms] if isinstance(terms, str) else terms) & set(parameters))


def _relation(kind, rules, parameters):
    errors = []
    basic._Spec("", errors, set())._relations(parameters, {kind: rules}, "")
    if errors:
        raise TypeError(errors[0])
    return []


def check_mutually_exclusive(terms, parameters, options_context=None):
    return _relation("mutually_exclusive", terms, parameters)


def check_required_one_of(terms, parameters, options_context=None):
    return _relation("required_one_of", terms, parameters)


def check_required_together(terms, parameters, options_context=None):
    return _relation("required_together", terms, parameters)


def check_required_if(requirements, parameters, options_context=None):
    return _relation("required_if", requirements, parameters)


def check_required_by(requirements, parameters, options_context=None):
    return _relation("required_by", requirements, parameters)


def check_required_arguments(argument_spec, parameters, options_context=None):
    """The required options ``parameters`` lacks: TypeError naming them, else []."""
    missing = sorted(name for name, option in (argument_spec or {}).items()
                     if (option or {}).get("required") and name not in parameters)
    if missing:
        raise TypeError("missing required arguments: %s" % ", ".join(missing))
    return missing
