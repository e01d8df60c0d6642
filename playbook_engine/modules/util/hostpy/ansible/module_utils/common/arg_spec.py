# ArgumentSpecValidator of ansible.module_utils.common.arg_spec (pbe's own), on the checker
# AnsibleModule itself uses (basic._Spec).
import copy

from ansible.module_utils import basic
from ansible.module_utils.errors import (
    AnsibleValidationError,
    AnsibleValidationErrorMultiple,
    UnsupportedError,
)


class ValidationResult(object):
    """What ``validate`` found: the checked and converted parameters, and the errors."""

    def __init__(self, parameters):
        self._validated_parameters = parameters
        self._no_log_values = set()
        self._unsupported_parameters = set()
        self.errors = AnsibleValidationErrorMultiple()

    @property
    def validated_parameters(self):
        return self._validated_parameters

    @property
    def unsupported_parameters(self):
        return self._unsupported_parameters

    @property
    def error_messages(self):
        return self.errors.messages


class ArgumentSpecValidator(object):
    """Checks parameters against an argument spec and its relations, as AnsibleModule does."""

    def __init__(self, argument_spec, mutually_exclusive=None, required_together=None,
                 required_one_of=None, required_if=None, required_by=None):
        self.argument_spec = argument_spec
        self._relations = {"mutually_exclusive": mutually_exclusive,
                           "required_together": required_together,
                           "required_one_of": required_one_of, "required_if": required_if,
                           "required_by": required_by}
        self._valid_parameter_names = set(argument_spec)
        for option in argument_spec.values():
            self._valid_parameter_names.update((option or {}).get("aliases") or ())

    def validate(self, parameters, *args, **kwargs):
        result = ValidationResult(copy.deepcopy(parameters))
        result._unsupported_parameters = set(parameters) - self._valid_parameter_names
        messages = []
        checker = basic._Spec(basic._run.get("name", "module"), messages, result._no_log_values)
        checker.check(self.argument_spec, result._validated_parameters, self._relations)
        for message in messages:
            kind = UnsupportedError if message.startswith("Unsupported") else AnsibleValidationError
            result.errors.append(kind(message))
        return result


ModuleArgumentSpecValidator = ArgumentSpecValidator
