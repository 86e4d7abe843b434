"""`ivr graph`: the whole line as Mermaid text, as Graphviz DOT, and as a picture when Graphviz is there."""
import re
import shutil

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.flow.graph import ANYWHERE, CALLER, dot, mermaid

from conftest import FLOWS

NODE = re.compile(r"^    (n_\w+)(\(\(|\(\[|\[\[|\{\{|\[/|\(|\[|>)\"(.*?)\"(\)\)|\]\)|\]\]|\}\}|/\]|\)|\])$")
EDGE = re.compile(r"^    (n_\w+) (-->|-\.->)\|\"(.*?)\"\| (n_\w+)$")


def mermaid_id(node_id):
    return "n_" + node_id.replace("-", "_")


def parse_mermaid(text):
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    nodes, edges = {}, []
    for line in lines[1:]:
        if node := NODE.match(line):
            assert node[1] not in nodes, f"declared twice: {line}"
            nodes[node[1]] = (node[2], node[3])
        elif edge := EDGE.match(line):
            edges.append((edge[1], edge[2], edge[3].split("<br/>"), edge[4]))
        else:
            assert line.startswith(("    classDef ", "    class ")), f"unexpected line: {line}"
    return nodes, edges


def test_every_node_is_drawn_with_its_title_and_a_shape_for_its_type(flow):
    nodes, _ = parse_mermaid(mermaid(flow, "en"))
    assert set(nodes) == {mermaid_id(n) for n in flow.nodes} | {mermaid_id(CALLER), mermaid_id(ANYWHERE)}
    shapes = {"menu": "(", "page": "[", "emergency": "{{", "transfer": "([", "booking": "[[", "goodbye": "(("}
    for node_id, node in flow.nodes.items():
        shape, label = nodes[mermaid_id(node_id)]
        assert shape == shapes[node.type], node_id
        assert label == f"{node.title['en']}<br/>{node.type}: {node_id}"


def test_every_option_is_an_arrow_with_its_key_words_and_keywords(flow):
    _, edges = parse_mermaid(mermaid(flow, "en"))
    solid = {(source, target): lines for source, link, lines, target in edges if link == "-->"}
    options = [(node_id, o) for node_id, node in flow.nodes.items() for o in node.options]
    assert len(solid) == len(options) + 1  # and the caller's arrow to the start
    assert solid[(mermaid_id(CALLER), mermaid_id(flow.line.start))] == ["call or text"]
    for node_id, option in options:
        lines = solid[(mermaid_id(node_id), mermaid_id(option.goto))]
        assert lines[0] == f"press {option.key}"
        assert lines[1].startswith(f"say: {', '.join(option.words['en'][:3])}")
        assert lines[2] == f"text: {', '.join(option.keywords['en'])}"


def test_what_works_from_every_menu_is_drawn_dashed_to_the_ends(flow):
    _, edges = parse_mermaid(mermaid(flow, "es"))
    dashed = {target: lines for source, link, lines, target in edges if link == "-.->"}
    assert {source for source, link, _, _ in edges if link == "-.->"} == {mermaid_id(ANYWHERE)}
    assert dashed[mermaid_id(flow.line.emergency)] == ["red-flag words"]
    assert dashed[mermaid_id(flow.line.person)][0] == f"press {flow.commands.person.key}"
    assert "persona" in dashed[mermaid_id(flow.line.person)][1]  # the words of the language asked for
    assert set(dashed) == {mermaid_id(n) for n in (flow.line.emergency, flow.line.person,
                                                    flow.line.goodbye, flow.line.start)}


def test_quotes_in_a_title_cannot_break_the_chart(flow, tmp_path):
    shutil.copytree(FLOWS, tmp_path / "flows")
    main_yaml = tmp_path / "flows" / "main.yaml"
    main_yaml.write_text(main_yaml.read_text().replace("en: Main menu\n", "en: The \"main\" menu\n", 1))
    result = CliRunner().invoke(main, ["graph", "--flows", str(tmp_path / "flows")])
    assert result.exit_code == 0, result.output
    nodes, _ = parse_mermaid(result.output)
    assert nodes["n_main"][1].startswith("The #quot;main#quot; menu")


def test_the_dot_source_has_every_node_and_arrow(flow):
    source = dot(flow, "en").source
    arrows = set(re.findall(r'^\t"?([\w-]+)"? -> "?([\w-]+)"?', source, re.MULTILINE))
    expected = {(n, o.goto) for n, node in flow.nodes.items() for o in node.options}
    expected |= {(CALLER, flow.line.start)} | {
        (ANYWHERE, t) for t in (flow.line.emergency, flow.line.person, flow.line.goodbye, flow.line.start)}
    assert arrows == expected
    declared = set(re.findall(r'^\t"?([\w-]+)"? \[label=', source, re.MULTILINE))
    assert declared == set(flow.nodes) | {CALLER, ANYWHERE}
    assert '\t"warning-signs" [label="Warning signs\\nemergency: warning-signs" fillcolor="#fecaca" ' \
        'shape=octagon style=filled]\n' in source  # one line a statement; an id with a hyphen quoted


def test_a_markdown_file_gets_a_page_with_the_mermaid_block(tmp_path, flow):
    out = tmp_path / "line.md"
    result = CliRunner().invoke(main, ["graph", "--flows", str(FLOWS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.startswith("# The line as a picture\n")
    assert f"```mermaid\n{mermaid(flow, 'en')}```\n" in page


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed (apt-get install graphviz)")
def test_svg_is_drawn_by_graphviz(tmp_path, flow):
    out = tmp_path / "line.svg"
    result = CliRunner().invoke(main, ["graph", "--flows", str(FLOWS), "--format", "svg", "-o", str(out)])
    assert result.exit_code == 0, result.output
    svg = out.read_text()
    assert "<svg" in svg and flow.nodes["warning-signs"].title["en"] in svg


def test_without_graphviz_the_message_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing here: no `dot`
    result = CliRunner().invoke(main, ["graph", "--flows", str(FLOWS), "--format", "png"])
    assert result.exit_code == 1
    assert "drawing PNG needs Graphviz's `dot` program, which is not installed here." in result.output
    assert "apt-get install graphviz" in result.output
