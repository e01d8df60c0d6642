"""Fact gathering for ``setup``: one sh probe, and pure parsers of its output.

``collect`` says which collectors a ``gather_subset``/``filter`` selects and runs their
parsers; ``probe`` builds the one remote script from them and splits its output;
``system``, ``distro``, ``hardware``, ``network`` and ``virtual`` turn that output into
Ansible-shaped facts.
"""
