"""docs/results.md and the README's and docs' measured numbers agree with benchmarks/results/*.json.

docs/results.md and the blocks the docs embed are regenerated here and compared with the committed
files, so they cannot go stale; numbers in prose carry a citation (`<!-- r:FILE:PATH -->`) that is
checked against the value at PATH, with the rounding printed.
"""
import importlib.util
import json

import pytest

from helpers import REPO

_spec = importlib.util.spec_from_file_location("write_results", REPO / "benchmarks" / "write_results.py")
wr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wr)
FILES = wr.load_all()
DOCS = [p for p in wr.DOCS if p.is_file()]


def test_results_md_and_embedded_blocks_are_what_the_script_writes():
    stale = [str(p.relative_to(REPO)) for p, text in wr.outputs().items()
             if not p.is_file() or p.read_text(encoding="utf-8") != text]
    assert not stale, f"stale: {stale}; run `python benchmarks/write_results.py`"


def test_every_results_file_has_a_section_with_its_command():
    text = (REPO / "docs" / "results.md").read_text(encoding="utf-8")
    for name, data in FILES.items():
        assert f"\n## {name}\n" in text and f"`{wr.command(name, data)}`" in text, name


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_cited_numbers_match_their_results_files(doc):
    assert wr.check_doc(doc.read_text(encoding="utf-8"), FILES) == []


def test_the_readme_cites_its_numbers_and_links_the_results():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/results.md" in text and wr.CITE.search(text) and wr.BLOCK.search(text)


def test_a_number_that_drifts_from_its_file_fails():
    """The issue's mismatches, each as the doc printed it: the check must reject every one."""
    drifted = [
        "1.01x <!-- r:train_throughput.json:cpu_ratio_vs_hf_same_blocks -->",
        "2,029 docs/s <!-- r:scale_augment.json:strategies.global.sizes.100000.docs_per_s -->",
        "654 MB <!-- r:scale_augment.json:strategies.global.sizes.100000.driver_peak_rss_mb -->",
        "19.4 min <!-- r:strategy_study_semantic-decision.json:wall_s/60 -->",
        "0.267 <!-- r:strategy_study_people-decision.json:accuracy.distill[local].reversal.accuracy -->",
    ]
    for line in drifted:
        assert len(wr.check_doc(line, FILES)) == 1, line
    assert wr.check_doc("1.005x <!-- r:train_throughput.json:cpu_ratio_vs_hf_same_blocks -->", FILES) == []
    assert wr.check_doc("17.6 min <!-- r:strategy_study_semantic-decision.json:wall_s/60 -->", FILES) == []


def test_a_line_naming_a_results_file_must_cite_its_measured_numbers():
    line = "`benchmarks/results/train_throughput.json`: 1.005x <!-- r:train_throughput:cpu_ratio_vs_hf_same_blocks -->"
    assert wr.check_doc(line, FILES) == []
    assert len(wr.check_doc(line + ", 1.90x padded", FILES)) == 1
    assert len(wr.check_doc("see benchmarks/results/retrieval.json: 29% false", FILES)) == 1
    # integers (sizes, counts) are not claims the rule asks to cite
    assert wr.check_doc("benchmarks/results/retrieval.json at 300 people", FILES) == []


def test_a_citation_to_a_missing_path_or_with_no_number_fails():
    assert wr.check_doc("3.1 <!-- r:train_throughput.json:no_such_key -->", FILES)
    assert wr.check_doc("fast <!-- r:train_throughput.json:cpu_ratio_vs_hf_same_blocks -->", FILES)


def test_a_generated_block_renders_its_path(tmp_path):
    grid = FILES["demo_engines"]["hf"]["accuracy"]
    text = wr.block("demo_engines.json:hf.accuracy", FILES)
    assert text.splitlines()[0].startswith("| condition |")
    assert f"{grid['aug_ft[local]']['reversal'][0]:.3f}" in text
    doc = "a\n<!-- results:demo_engines.json:hf.accuracy -->\nold\n<!-- /results -->\nb\n"
    assert wr.refresh_blocks(doc, FILES) == f"a\n<!-- results:demo_engines.json:hf.accuracy -->\n{text}\n<!-- /results -->\nb\n"
    json.dumps(FILES)  # every file parsed
