"""Every command the README shows a newcomer exists as written.

Each line of a shell block, and each inline command that starts with one of our programs, is
checked against the installed binaries' own `--help`: the program exists, each subcommand is
one its parent lists, and each option is one the subcommand documents. A renamed binary or
flag then fails here instead of in a reader's terminal.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
PROGRAMS = ("repronote", "linfa-export")


def shell_lines(markdown: str) -> list[str]:
    """The commands of ```sh blocks, and inline `repronote …`/`linfa-export …` commands."""
    lines = []
    for block in re.findall(r"^```(?:sh|bash|shell)\n(.*?)^```", markdown, re.M | re.S):
        lines += block.splitlines()
    program = "|".join(map(re.escape, PROGRAMS))
    lines += re.findall(rf"`((?:{program}) [^`]+)`", markdown)
    commands = []
    for line in lines:
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            commands.append(line)
    return commands


def words(command: str) -> list[str]:
    """The command's words, with optional parts (`[--seed N]`) opened and ellipses dropped."""
    return [
        word.strip("[]").replace("…", "").replace("...", "")
        for word in shlex.split(command.replace("[", " [").replace("]", "] "))
        if word.strip("[]|")
    ]


def help_text(program: Path, subcommands: list[str]) -> str:
    shown = subprocess.run([program, *subcommands, "--help"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, f"`{program.name} {' '.join(subcommands)} --help`: {shown.stderr}"
    return shown.stdout


def listed_subcommands(help_output: str) -> set[str]:
    """The names under clap's `Commands:` heading."""
    names, inside = set(), False
    for line in help_output.splitlines():
        if line.strip() == "Commands:":
            inside = True
        elif inside and not line.startswith("  "):
            inside = False
        elif inside and line.strip():
            names.add(line.split()[0])
    return names


def problems(command: str) -> list[str]:
    """What in `command` the binaries do not offer; empty when it all exists."""
    parts = words(command)
    program, args = parts[0], parts[1:]
    if program.startswith("scripts/"):
        script = ROOT / program
        return [] if script.is_file() and script.stat().st_mode & 0o111 else [f"{program} is not an executable script"]
    if program == "cargo":
        built = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--bin"]
        return [f"cargo builds no binary `{b}`" for b in built if b not in PROGRAMS]
    if program.startswith("target/release/"):
        name = program.removeprefix("target/release/")
        if name not in PROGRAMS:
            return [f"{program}: the workspace builds no binary `{name}` (it has {', '.join(PROGRAMS)})"]
        program = name
    if program not in PROGRAMS:
        return []
    binary = BIN / program
    found, subcommands = [], []
    for arg in args:
        if arg.startswith("-"):
            break
        listed = listed_subcommands(help_text(binary, subcommands))
        if not listed:
            break
        if arg not in listed:
            found.append(f"`{program} {' '.join(subcommands)}` has no subcommand `{arg}` (it has {sorted(listed)})")
            return found
        subcommands.append(arg)
    documented = help_text(binary, subcommands)
    for option in (a.split("=", 1)[0] for a in args if a.startswith("-")):
        if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", documented):
            found.append(f"`{program} {' '.join(subcommands)}` has no option `{option}`")
    return found


COMMANDS = shell_lines(README.read_text())


def test_the_readme_shows_commands():
    programs = {words(c)[0] for c in COMMANDS}
    assert {"scripts/lab", "scripts/test", "linfa-export", "repronote"} <= programs, programs


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_exists(command):
    assert problems(command) == []


def test_a_wrong_binary_subcommand_or_option_is_named():
    assert problems("target/release/linfa-kernel install --user") != []
    assert problems("linfa-export verfy DIR") != []
    assert problems("linfa-export verify DIR --no-such-flag") != []
    assert problems("repronote nb run NB [--seed N]") == []
