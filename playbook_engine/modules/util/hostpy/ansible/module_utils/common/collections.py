# Collection tests as ansible.module_utils.common.collections offers them (pbe's own).
from collections.abc import Hashable, Mapping, Sequence


def is_string(seq):
    """Text or bytes."""
    return isinstance(seq, (str, bytes))


def is_iterable(seq, include_strings=False):
    """Anything ``iter()`` takes; strings only with ``include_strings``."""
    if not include_strings and is_string(seq):
        return False
    try:
        iter(seq)
    except TypeError:
        return False
    return True


def is_sequence(seq, include_strings=False):
    """A list, tuple or other Sequence; strings only with ``include_strings``."""
    if not include_strings and is_string(seq):
        return False
    return isinstance(seq, Sequence)


def count(seq):
    """How many times each element occurs in ``seq`` (a dict)."""
    if not is_iterable(seq):
        raise Exception("count() needs an iterable, not %s" % type(seq).__name__)
    counts = {}
    for element in seq:
        counts[element] = counts.get(element, 0) + 1
    return counts


class ImmutableDict(Hashable, Mapping):
    """A dict that cannot change, so it can be hashed."""

    def __init__(self, *args, **kwargs):
        self._store = dict(*args, **kwargs)

    def __getitem__(self, key):
        return self._store[key]

    def __iter__(self):
        return iter(self._store)

    def __len__(self):
        return len(self._store)

    def __hash__(self):
        return hash(frozenset(self.items()))

    def __repr__(self):
        return "ImmutableDict(%r)" % (self._store,)

    def union(self, overriding_mapping):
        """A new ImmutableDict: these items updated with ``overriding_mapping``'s."""
        merged = dict(self._store)
        merged.update(overriding_mapping)
        return ImmutableDict(merged)

    def difference(self, subtractive_iterable):
        """A new ImmutableDict without the keys in ``subtractive_iterable``."""
        drop = set(subtractive_iterable)
        return ImmutableDict((k, v) for k, v in self._store.items() if k not in drop)
