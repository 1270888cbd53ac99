"""The documentation is part of the product: every command, flag and
configuration key is documented, and the README's Quickstart is two commands."""

from __future__ import annotations

import argparse
import re
import tomllib
from importlib import resources

import pytest

from wiretrace.cli import build_parser, main

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
CONFIG_DOC = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_quickstart_is_exactly_two_commands():
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    commands = [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert [c.split("#")[0].strip() for c in commands] == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_command_has_help_and_a_section(name, capsys):
    assert main([name, "--help"]) == 0
    assert capsys.readouterr().out.startswith(f"usage: wiretrace {name}")
    assert f"## wiretrace {name}" in CLI_DOC


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_flag_is_documented(name):
    parser = _subcommands()[name]
    for action in parser._actions:
        for flag in action.option_strings:
            if flag.startswith("--") and flag != "--help":
                assert f"`{flag}" in CLI_DOC or f", `{flag}" in CLI_DOC, f"{name} {flag} is not in docs/cli.md"
        assert action.help, f"{name}: {action.dest} has no help text"


def test_every_config_key_is_documented():
    defaults = tomllib.loads(resources.files("wiretrace").joinpath("defaults.toml").read_text())
    for section, table in defaults.items():
        for key, value in table.items():
            if isinstance(value, dict):
                for sub in value:
                    assert f"`{section}.{key}.{sub}`" in CONFIG_DOC
            else:
                assert f"`{section}.{key}`" in CONFIG_DOC, f"{section}.{key} is not in docs/configuration.md"


def test_local_links_in_docs_resolve():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#]+)\)", doc.read_text(encoding="utf-8")):
            if "://" not in target:
                assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
