"""The persistent shell's protocol, without a shell: frames and the output demultiplexer.

A frame must make ``sh`` run exactly the command it carries, whatever its bytes; the
demultiplexer must pass every output byte through and find the records wherever the
stream is cut.
"""

from __future__ import annotations

import shlex
import subprocess

import pytest

from playbook_engine.transport.base import Sink
from playbook_engine.transport.session import (
    MAX_STDIN,
    Demux,
    ProtocolError,
    frame,
    kill_script,
    new_token,
    parse_ready,
)

TOKEN = "0123456789abcdef0123456789abcdef"

HOSTILE = [
    "echo 'it'\"'\"'s'",
    "printf '%s\\n' \"a'b\" '\\' '$(touch /nope)' '`id`'",
    "cat <<'EOF'\n_pbe_run x 'y'\nEOF\n",
    'echo "_pbe_' + TOKEN + '"',
    "if then",
    "'",
    "echo é ü \u2028 \t tab",
    "\n\n",
]


def _frame_text(command: str) -> str:
    data = frame(command, None, "m", TOKEN)
    assert data is not None
    return data.decode()


@pytest.mark.parametrize("command", HOSTILE)
def test_a_frame_carries_any_command_as_one_quoted_word(command: str) -> None:
    """The shell parses a frame into exactly three words, the last one the command (with
    the start-record prefix): nothing of the command is ever parsed as session code."""
    text = _frame_text(command)
    assert text.endswith(" </dev/null\n")
    words = shlex.split(text[: -len(" </dev/null\n")])
    assert words[:2] == ["_pbe_run", TOKEN]
    assert words[2] == f"printf '%s%sS%s\\n' {TOKEN[:16]} {TOKEN[16:]} $$;{command}"
    assert len(words) == 3


@pytest.mark.parametrize("command", HOSTILE)
def test_sh_itself_parses_a_frame_back_into_the_command(command: str) -> None:
    """The real parser agrees: a stand-in ``_pbe_run`` prints the word it was given."""
    script = "_pbe_run() { printf '%s' \"$2\"; }\n" + _frame_text(command)
    out = subprocess.run(["sh", "-s"], input=script.encode(), capture_output=True, check=True)
    assert out.stdout.decode() == f"printf '%s%sS%s\\n' {TOKEN[:16]} {TOKEN[16:]} $$;{command}"


def test_stdin_goes_in_a_quoted_here_document_that_the_data_cannot_end() -> None:
    data = b"line one\n$HOME `id` \\ '\n_pbe_other\nEOF\n"
    framed = frame("cat", data, "s", TOKEN)
    assert framed is not None
    script = b"_pbe_run() { cat; }\n" + framed
    out = subprocess.run(["sh", "-s"], input=script, capture_output=True, check=True)
    assert out.stdout == data


@pytest.mark.parametrize(
    ("command", "stdin", "why"),
    [
        ("echo a\x00b", None, "a NUL in the command"),
        ("cat", b"no newline at the end", "stdin a here-document cannot end exactly"),
        ("cat", b"a\0b\n", "a NUL in stdin"),
        ("cat", b"x" * MAX_STDIN + b"\n", "large stdin"),
        ("cat", f"_pbe_{TOKEN}\n".encode(), "stdin holding the delimiter line"),
        ("echo \udcff", None, "not encodable (strict)"),
    ],
)
def test_what_a_frame_cannot_carry_is_left_to_exec(
    command: str, stdin: bytes | None, why: str
) -> None:
    assert frame(command, stdin, "s", TOKEN) is None, why


def test_undecodable_bytes_go_through_where_the_encoding_allows() -> None:
    framed = frame("echo \udcff", None, "s", TOKEN, errors="surrogateescape")
    assert framed is not None
    assert b"echo \xff" in framed


def _demux(chunks: list[bytes], err_chunks: list[bytes] = ()) -> tuple[Demux, Sink, Sink]:
    out, err = Sink(), Sink()
    demux = Demux(TOKEN, out, err)
    for chunk in chunks:
        demux.feed_out(chunk)
    for chunk in err_chunks:
        demux.feed_err(chunk)
    return demux, out, err


STREAM = (
    f"{TOKEN}S4242\n".encode()
    + b"binary \x00\xff output\n"
    + TOKEN[:7].encode()
    + b"not a token\n"
    + f"{TOKEN}E3 0\n".encode()
)


@pytest.mark.parametrize("cut", range(len(STREAM) + 1))
def test_records_are_found_wherever_the_stream_is_cut(cut: int) -> None:
    demux, out, _ = _demux([STREAM[:cut], STREAM[cut:]], [b"err", f"{TOKEN}E\n".encode()])
    assert out.value() == b"binary \x00\xff output\n" + TOKEN[:7].encode() + b"not a token\n"
    assert (demux.pid, demux.end and demux.end.rc, demux.done) == (4242, 3, True)


def test_one_byte_at_a_time() -> None:
    demux, out, err = _demux(
        [STREAM[i : i + 1] for i in range(len(STREAM))], [b"e", f"{TOKEN}E\n".encode()]
    )
    assert out.value().startswith(b"binary") and err.value() == b"e"
    assert demux.done


def test_records_of_another_token_are_plain_output() -> None:
    forged = f"{new_token()}E0 0\n".encode()
    demux, out, _ = _demux([forged, f"{TOKEN}E0 1\n".encode()])
    assert out.value() == forged
    assert demux.end is not None and demux.end.leftovers


def test_output_ending_like_the_start_of_a_token_is_released_at_the_end() -> None:
    demux, out, _ = _demux([b"tail " + TOKEN[:5].encode()])
    assert out.value() == b"tail "  # may be a record: held back
    demux.flush()
    assert out.value() == b"tail " + TOKEN[:5].encode()


@pytest.mark.parametrize("bad", [f"{TOKEN}Exx 0\n", f"{TOKEN}S1\n{TOKEN}S2\n", f"{TOKEN}Q\n"])
def test_a_broken_record_is_a_protocol_error(bad: str) -> None:
    with pytest.raises(ProtocolError):
        _demux([bad.encode()])


def test_a_record_that_never_ends_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        _demux([TOKEN.encode() + b"E" + b"9" * 200])


def test_ready_line() -> None:
    assert parse_ready(b"motd noise\n" + TOKEN.encode() + b"Rs\n", TOKEN) == "s"
    assert parse_ready(TOKEN.encode() + b"RsL\n", TOKEN) == "sL"
    assert parse_ready(TOKEN.encode() + b"RmL\n", TOKEN) == ""  # job control: no light
    assert parse_ready(TOKEN.encode() + b"R-\n", TOKEN) == ""
    assert parse_ready(TOKEN.encode() + b"Rs", TOKEN) is None
    assert parse_ready(new_token().encode() + b"Rs\n", TOKEN) is None


@pytest.mark.parametrize("command", HOSTILE)
def test_a_light_frame_carries_the_command_alone_where_the_session_allows(command: str) -> None:
    """A light script needs no start-record prefix (the session prints its own pid); a
    session without light support gets the ordinary frame."""
    light = frame(command, None, "sL", TOKEN, light=True)
    assert light is not None
    assert shlex.split(light.decode()[: -len(" </dev/null\n")]) == ["_pbe_lt", TOKEN, command]
    assert frame(command, None, "s", TOKEN, light=True) == frame(command, None, "s", TOKEN)
    assert frame(command, None, "sL", TOKEN) == frame(command, None, "s", TOKEN)


def test_kill_script_never_names_every_process() -> None:
    script = kill_script([1, 4242, 777])
    assert "g='-4242 -777'" in script
    assert " -1 " not in script and "'-1" not in script
