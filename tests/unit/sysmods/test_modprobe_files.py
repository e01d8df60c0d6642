"""modprobe's persistent files, planned from what the probe read (pure; this machine's
kernel has no loadable modules and no kmod, so loading is covered by recorded cases)."""

from __future__ import annotations

from playbook_engine.modules.modprobe import Kernel, ModprobeModule, persistent_writes, split_files


def args(**given: str) -> dict[str, object]:
    return ModprobeModule.coerce({"name": "br_netfilter", **given})


def test_probe_output_split_into_files_keeping_their_text() -> None:
    text = "::pbe:file /etc/modules-load.d/a.conf\noverlay\n\n::pbe:file /etc/x.conf\nno-eol\n"
    assert split_files(text) == {"/etc/modules-load.d/a.conf": "overlay\n", "/etc/x.conf": "no-eol"}


def test_absent_comments_out_every_listing_and_options_line() -> None:
    kernel = Kernel(
        False,
        False,
        {"/l/k8s.conf": "overlay\nbr-netfilter\n"},
        {"/o/a.conf": "options snd slots=1\n", "/o/b.conf": "options br_netfilter x=1\n"},
    )
    assert persistent_writes(args(persistent="absent"), kernel) == (
        ("/l/k8s.conf", "overlay\n#br-netfilter\n"),
        ("/o/b.conf", "#options br_netfilter x=1\n"),
    )


def test_present_writes_only_what_is_missing() -> None:
    listed = Kernel(True, False, {"/l/k8s.conf": "br_netfilter\n"}, {})
    assert persistent_writes(args(persistent="present", params="a=1"), listed) == (
        ("/etc/modprobe.d/br_netfilter.conf", "options br_netfilter a=1\n"),
    )
    assert persistent_writes(args(persistent="present"), listed) == ()
