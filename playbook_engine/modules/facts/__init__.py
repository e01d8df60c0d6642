"""Fact gathering for ``setup``: one sh probe (``probe``), pure parsers per collector.

``collectors`` says which collectors a ``gather_subset`` selects; ``probe`` builds the one
remote script from them and splits its output; ``platform``, ``system``, ``distro``,
``hardware``, ``network`` and ``virtual`` turn that output into Ansible-shaped facts.
"""
