# The locale for parsing a command's output, as ansible.module_utils.common.locale offers it.
_PREFERRED = ("C.utf8", "C.UTF-8", "en_US.utf8", "en_US.UTF-8", "C", "POSIX")


def get_best_parsable_locale(module, preferences=None, raise_on_locale=False):
    """The first of ``preferences`` that ``locale -a`` lists on the host, else ``C``; when
    ``locale`` is missing or fails: ``C``, or RuntimeWarning with ``raise_on_locale``."""
    try:
        tool = module.get_bin_path("locale")
        if not tool:
            raise RuntimeWarning("Could not find 'locale' tool")
        rc, out, err = module.run_command([tool, "-a"])
        if rc != 0 or not out:
            raise RuntimeWarning("Unable to get locale information, rc=%s: %s" % (rc, err))
    except RuntimeWarning:
        if raise_on_locale:
            raise
        return "C"
    available = out.split()
    return next((name for name in preferences or _PREFERRED if name in available), "C")
