# The exceptions of ansible.module_utils.errors (pbe's own), which modules catch.


class AnsibleFallbackNotFound(Exception):
    """A ``fallback`` found no value."""


class AnsibleValidationError(Exception):
    """One argument spec violation."""

    def __init__(self, message):
        super(AnsibleValidationError, self).__init__(message)
        self.error_message = message

    @property
    def msg(self):
        return self.args[0]


class AnsibleValidationErrorMultiple(AnsibleValidationError):
    """Several violations: ``errors`` (the exceptions) and ``messages`` (their text)."""

    def __init__(self, errors=None):
        self.errors = list(errors or [])
        super(AnsibleValidationErrorMultiple, self).__init__(self.messages[0] if self.errors else "")

    @property
    def msg(self):
        return self.errors[0].args[0] if self.errors else ""

    @property
    def messages(self):
        return [error.msg for error in self.errors]

    def __getitem__(self, key):
        return self.errors[key]

    def __iter__(self):
        return iter(self.errors)

    def __len__(self):
        return len(self.errors)

    def append(self, error):
        self.errors.append(error)

    def extend(self, errors):
        self.errors.extend(errors)


def _kind(name):
    return type(name, (AnsibleValidationError,), {})


AliasError = _kind("AliasError")
ArgumentTypeError = _kind("ArgumentTypeError")
ArgumentValueError = _kind("ArgumentValueError")
DeprecationError = _kind("DeprecationError")
ElementError = _kind("ElementError")
MutuallyExclusiveError = _kind("MutuallyExclusiveError")
NoLogError = _kind("NoLogError")
RequiredByError = _kind("RequiredByError")
RequiredDefaultError = _kind("RequiredDefaultError")
RequiredError = _kind("RequiredError")
RequiredIfError = _kind("RequiredIfError")
RequiredOneOfError = _kind("RequiredOneOfError")
RequiredTogetherError = _kind("RequiredTogetherError")
SubParameterTypeError = _kind("SubParameterTypeError")
UnsupportedError = _kind("UnsupportedError")
