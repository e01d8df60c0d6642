"""Inventories: the model (hosts, groups, variables, patterns) and its loading (YAML, INI,
host lists, group_vars/ and host_vars/). The model never imports the loading."""

from .load import empty_inventory, inventory_from_dict, load_inventory, load_vars_dirs
from .model import Group, Host, Inventory, VarsDirs

__all__ = [
    "Group",
    "Host",
    "Inventory",
    "VarsDirs",
    "empty_inventory",
    "inventory_from_dict",
    "load_inventory",
    "load_vars_dirs",
]
