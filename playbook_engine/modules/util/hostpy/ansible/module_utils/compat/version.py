# Version numbers as ansible.module_utils.compat.version offers them (pbe's own): the
# documented semantics of the former distutils.version classes.
import re


class Version(object):
    """Compares with another version of its class or a string parsed as one."""

    def __init__(self, vstring=None):
        if vstring:
            self.parse(vstring)

    def __repr__(self):
        return "%s ('%s')" % (type(self).__name__, str(self))

    def _other(self, other):
        return type(self)(other) if isinstance(other, str) else other

    def _compare(self, other, test):
        other = self._other(other)
        if not isinstance(other, type(self)):
            return NotImplemented
        return test(self._key(), other._key())

    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other):
        return self._compare(other, lambda a, b: a != b)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)



class LooseVersion(Version):
    """Any string: runs of digits (compared as numbers) and of other characters (compared
    as strings), dots dropped: ``1.10a`` -> [1, 10, 'a']."""

    def parse(self, vstring):
        self.vstring = vstring
        parts = re.findall(r"\d+|[a-z]+|[^\d.a-z]+", vstring)
        self.version = [int(p) if p.isdigit() else p for p in parts]

    def __str__(self):
        return self.vstring

    def _key(self):
        return self.version


class StrictVersion(Version):
    """``N.N[.N]`` with an optional ``aN``/``bN`` pre-release, which sorts before the
    release; ValueError for anything else."""

    _FORM = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$", re.ASCII)

    def parse(self, vstring):
        found = self._FORM.match(vstring)
        if not found:
            raise ValueError("invalid version number '%s'" % vstring)
        major, minor, patch, tag, number = found.groups()
        self.version = (int(major), int(minor), int(patch or 0))
        self.prerelease = (tag, int(number)) if tag else None

    def __str__(self):
        text = ".".join(str(n) for n in (self.version if self.version[2] else self.version[:2]))
        if self.prerelease:
            text += "%s%d" % self.prerelease
        return text

    def _key(self):
        # a release sorts after all its pre-releases
        return self.version, (1,) if self.prerelease is None else (0,) + self.prerelease
