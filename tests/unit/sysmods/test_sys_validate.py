"""The system modules as real playbooks write them validate: FQCNs, aliases, free-form
arguments and the argument mistakes validation must catch (taken from the corpus's
roles: geerlingguy.*, sovereign, ansible-for-devops)."""

from __future__ import annotations

from playbook_engine import modules
from playbook_engine.api import validate

FQCNS = {
    "ansible.posix.sysctl": "sysctl",
    "ansible.posix.mount": "mount",
    "ansible.posix.authorized_key": "authorized_key",
    "ansible.posix.seboolean": "seboolean",
    "ansible.posix.selinux": "selinux",
    "ansible.posix.firewalld": "firewalld",
    "community.general.ufw": "ufw",
    "community.general.modprobe": "modprobe",
    "community.general.timezone": "timezone",
    "community.general.locale_gen": "locale_gen",
    "ansible.builtin.user": "user",
    "ansible.builtin.hostname": "hostname",
    "ansible.builtin.cron": "cron",
}


def test_collection_names_resolve_to_the_modules() -> None:
    for fqcn, name in FQCNS.items():
        module = modules.get(fqcn)
        assert module is not None and module.name == name, fqcn


def test_real_world_usage_validates(book) -> None:
    path = book("""
- ufw: rule=allow port={{ item }} proto=tcp
  loop: ['80', '443']
- ufw: state=enabled policy=deny
- community.general.ufw: {rule: limit, port: ssh, proto: tcp, log: true, comment: ssh}
- ansible.posix.mount: {path: /mnt/nfs, src: 'nas:/export', fstype: nfs, opts: 'rw,sync',
                        state: mounted, boot: false}
- mount: name=/tmp state=mounted src=tmpfs fstype=tmpfs opts=size=64m
- ansible.posix.sysctl: {name: vm.swappiness, value: 10, state: present, reload: true}
- community.general.modprobe: {name: br_netfilter, state: present, persistent: present}
- ansible.posix.firewalld: {service: http, permanent: true, state: enabled, immediate: true}
- firewalld: {port: 8080/tcp, zone: public, permanent: yes, state: enabled}
- ansible.posix.seboolean: {name: httpd_can_network_connect, state: yes, persistent: yes}
- ansible.posix.selinux: {policy: targeted, state: permissive}
- community.general.timezone: {name: Etc/UTC}
- community.general.locale_gen: {name: en_US.UTF-8, state: present}
- hostname: name=web01
""")
    assert validate(path) == []


def test_argument_mistakes_are_caught(book) -> None:
    path = book("""
- mount: {path: /mnt, state: mountd}
- ufw: {rule: allow, name: OpenSSH, proto: tcp}
- firewalld: {service: http, port: 80/tcp, state: enabled}
- timezone: {}
""")
    messages = [p.message for p in validate(path)]
    assert len(messages) == 4, messages
    assert "mountd" in messages[0]
    assert "mutually exclusive" in messages[1] and "mutually exclusive" in messages[2]
    assert "name, hwclock" in messages[3]
