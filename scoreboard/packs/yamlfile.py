"""YAML with line numbers, for ``file:line`` messages, read defensively.

A ``challenge.yml`` comes from whoever built the pack, so the loader refuses aliases (a few
lines of ``*alias`` can expand to gigabytes: the "billion laughs") before any object is built,
refuses text the database cannot store (NUL characters, lone surrogates), treats ``null`` as
an absent key (ctfcli's meaning) and keeps dates as text.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from scoreboard.core.errors import N_, Message
from scoreboard.packs.problems import Findings, short

MAX_YAML_BYTES = 1024 * 1024
_SYNTAX = N_("YAML syntax: %(error)s")


class LineDict(dict):
    """A mapping that remembers where each key stood (``lines``) and where it began (``line``)."""

    lines: dict[Any, int]
    line: int


class LineList(list):
    lines: list[int]
    line: int


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that a pack may not use; ``said`` is the whole message."""

    def __init__(self, said: Message, mark: Any) -> None:
        super().__init__(problem=str(said), problem_mark=mark)
        self.said = said


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise _Refused(Message(N_("YAML aliases (*name) are not allowed in packs: write the value out")), mark)
        return super().compose_node(parent, index)


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    value = loader.construct_scalar(node)
    if "\0" in value:
        raise _Refused(Message(N_("the text contains a NUL character")), node.start_mark)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Refused(Message(N_("the text contains an invalid Unicode escape")), node.start_mark) from None
    return value


def _not_text(key_node: yaml.Node, node: yaml.MappingNode) -> Message:
    """Why a key is refused. An unquoted ``{{placeholder}}`` (a template's) is YAML for a mapping
    inside a mapping: say what to write instead of showing the mapping it became."""
    if isinstance(key_node, yaml.MappingNode) and node.flow_style:
        written = (node.start_mark.buffer or "")[node.start_mark.index:node.end_mark.index]
        if written:
            return Message(N_("%(written)s is read as a YAML mapping, not text; quote it: '%(written)s'"), written=written)
    return Message(N_("the key %(key)s is not text"),
                   key=short(key_node.value if isinstance(key_node, yaml.ScalarNode) else "…"))


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.lines = {}
    result.line = node.start_mark.line + 1
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise _Refused(_not_text(key_node, node), key_node.start_mark)
        if key in result.lines:
            raise _Refused(Message(N_("%(key)s appears twice (also on line %(line)s)"), key=f"'{key}'",
                                   line=result.lines[key]), key_node.start_mark)
        result.lines[key] = key_node.start_mark.line + 1
        value = loader.construct_object(value_node, deep=True)
        if value is not None:  # ctfcli: a null field is an absent field
            result[key] = value
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.lines = [child.start_mark.line + 1 for child in node.value]
    result.line = node.start_mark.line + 1
    return result


_Loader.add_constructor("tag:yaml.org,2002:str", _construct_text)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load(path: Path, rel: str, findings: Findings) -> Any:
    """The file's data, or None after reporting why it cannot be read."""
    if path.stat().st_size > MAX_YAML_BYTES:
        findings.problem(rel, 1, Message(N_("the file is larger than 1 MB")))
        return None
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (safe subclass)
    except UnicodeDecodeError:
        findings.problem(rel, 1, Message(N_("the file is not UTF-8 text")))
    except _Refused as err:
        findings.problem(rel, err.problem_mark.line + 1, err.said)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        findings.problem(rel, (mark.line + 1) if mark else 1, Message(_SYNTAX, error=str(err.problem or err)))
    except yaml.YAMLError as err:
        findings.problem(rel, 1, Message(_SYNTAX, error=str(err)))
    except RecursionError:
        findings.problem(rel, 1, Message(N_("the YAML is nested too deeply")))
    return None
