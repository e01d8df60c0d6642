"""A dialogue with a program on a terminal, driven by Python's standard library on the host.

``expect`` needs a pseudo-terminal (programs such as ``passwd`` read their answers from
one, not from a pipe), which POSIX ``sh`` cannot make. So the host runs ``DRIVER``, a small
script for any Python 3 (3.6 on: RHEL 8's platform-python), with ``pty``/``select``/``re``
only. The script and its parameters (answers may be secrets) are sent on the command's
stdin, never on its command line; the driver prints one report line, ``REPORT`` and JSON:
the program's exit status and output (base64), or why it stopped (timeout, a prompt with
no answer left, a program that cannot run).

The answers follow pexpect's rules, as Ansible's module does: each pattern is a Python
regex searched (``re.DOTALL``) in the output since the last answer; of the patterns that
match, the one matching first (ties: the first given) is answered, with its next answer
and a newline; a string answer is repeated, a list is used up in turn.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from ...errors import ModuleError
from ...transport.base import CommandResult
from .interpreter import NO_PYTHON, NO_PYTHON_SAID

__all__ = ["DRIVER", "REPORT", "Outcome", "outcome", "script"]

REPORT = "PBE-PTYDIALOG "

DRIVER = r'''
import base64, errno, fcntl, json, os, pty, re, select, shutil, signal, struct, sys
import termios, time


def report(**out):
    sys.stdout.write("%s%s\n" % (REPORT, json.dumps(out)))
    sys.stdout.flush()


def spawn(exe, argv, echo):
    pid, fd = pty.fork()
    if pid == 0:
        try:
            if not echo:
                attrs = termios.tcgetattr(0)
                attrs[3] &= ~termios.ECHO
                termios.tcsetattr(0, termios.TCSANOW, attrs)
            os.execv(exe, argv)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    return pid, fd


def stop(pid):
    """End the program and what it started (its session's process group)."""
    for sig in (signal.SIGHUP, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except OSError:
            return
        for _ in range(20):
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
            time.sleep(0.01)


def status(code):
    return -os.WTERMSIG(code) if os.WIFSIGNALED(code) else os.WEXITSTATUS(code)


class Dialogue:
    def __init__(self, p, fd, pid):
        self.rules = [[re.compile(k.encode(), re.DOTALL), k, a, r, 0] for k, a, r in p["rules"]]
        self.timeout, self.fd, self.pid = p["timeout"], fd, pid
        self.out, self.window, self.code = [], b"", None
        self.restart()

    def restart(self):
        self.deadline = None if self.timeout is None else time.time() + self.timeout

    def read(self):
        """The next output; b"" at its end, None when the wait for a prompt is over."""
        while True:
            left = 1.0 if self.deadline is None else self.deadline - time.time()
            if left <= 0:
                return None
            if select.select([self.fd], [], [], min(left, 1.0))[0]:
                try:
                    return os.read(self.fd, 65536)
                except OSError as exc:
                    if exc.errno != errno.EIO:
                        raise
                    return b""
            if self.code is not None:
                return b""
            done, code = os.waitpid(self.pid, os.WNOHANG)
            if done:  # ended, but something it started holds the terminal: read what is left
                self.code = code

    def answer(self):
        """The next answer to send, or None; KeyError(pattern) when its list is used up."""
        found = None
        for rule in self.rules:
            for m in rule[0].finditer(self.window):
                if m.end() > m.start():
                    if found is None or m.start() < found[0].start():
                        found = (m, rule)
                    break
        if found is None:
            return None
        m, rule = found
        self.window = self.window[m.end():]
        answers, repeat = rule[2], rule[3]
        if rule[4] >= len(answers) and not repeat:
            raise KeyError(rule[1])
        text = answers[0] if repeat else answers[rule[4]]
        rule[4] += 1
        self.restart()
        return text.encode() + b"\n"

    def talk(self):
        """Answer prompts until the output ends (None) or "timeout"."""
        while True:
            data = self.read()
            if data is None:
                return "timeout"
            if not data:
                return None
            self.out.append(data)
            self.window = (self.window + data)[-8192:]
            reply = self.answer()
            while reply is not None:
                os.write(self.fd, reply)
                reply = self.answer()


def main(p):
    argv = p["argv"]
    try:
        if p["chdir"]:
            os.chdir(p["chdir"])
    except OSError as exc:
        return report(error="chdir", detail="%s: %s" % (p["chdir"], exc.strerror))
    exe = shutil.which(argv[0])
    if exe is None:
        return report(error="notfound", detail=argv[0])
    pid, fd = spawn(exe, argv, p["echo"])
    talk = Dialogue(p, fd, pid)
    why = detail = None
    try:
        why = talk.talk()
    except KeyError as exc:
        why, detail = "exhausted", exc.args[0]
    out = base64.b64encode(b"".join(talk.out)).decode()
    if why:
        if talk.code is None:
            stop(pid)
        return report(error=why, out=out, detail=detail)
    code = talk.code if talk.code is not None else os.waitpid(pid, 0)[1]
    return report(rc=status(code), out=out)
'''


def script(
    argv: list[str],
    rules: list[tuple[str, list[str], bool]],
    timeout: float | None,
    echo: bool,
    chdir: str | None,
) -> bytes:
    """The driver with its parameters, as Python source for the host's stdin."""
    params = {"argv": argv, "rules": rules, "timeout": timeout, "echo": echo, "chdir": chdir}
    call = f"REPORT = {REPORT!r}\nmain(json.loads({json.dumps(params)!r}))\n"
    return (DRIVER + call).encode()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the driver reported: the exit status (None when it did not end on its own),
    the output, and the reason it stopped early (``timeout``, ``exhausted``)."""

    rc: int | None
    output: bytes
    error: str | None = None
    detail: str | None = None


def outcome(res: CommandResult) -> Outcome:
    """The driver's report; ModuleError when it could not run (no Python 3, the program
    not found, a bad ``chdir``)."""
    for line in reversed(res.out.splitlines()):
        if line.startswith(REPORT):
            found = json.loads(line[len(REPORT) :])
            break
    else:
        raise ModuleError(_no_report(res))
    error, detail = found.get("error"), found.get("detail")
    if error == "notfound":
        raise ModuleError(f"the command was not found or is not executable: {detail}")
    if error == "chdir":
        raise ModuleError(f"cannot change into the directory given as chdir: {detail}")
    output = base64.b64decode(found.get("out") or "")
    return Outcome(found.get("rc"), output, error, detail)


def _no_report(res: CommandResult) -> str:
    said = (res.err or res.out).strip()
    if NO_PYTHON_SAID in said or res.rc == NO_PYTHON and "not found" in said:
        return (
            "expect needs Python 3 on the host (python3, or the interpreter set as "
            f"ansible_python_interpreter) to drive the command on a terminal: {said}"
        )
    return f"the expect driver failed on the host (rc={res.rc}): {said or 'no output'}"
