# The ansible-core release pbe's runtime claims to be: the one whose behaviour pbe follows
# (the controller's ``ansible_version``, playbook_engine.engine.variables.ANSIBLE_VERSION).
__version__ = "2.21.5"
__author__ = "pbe"
__codename__ = "pbe"
