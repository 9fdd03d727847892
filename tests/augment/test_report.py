"""The augment summary's coverage lines: what entity detection found, per strategy."""
from augft.augment.report import coverage_lines, summary_table
from augft.core.artifacts import Manifest, RoundEntry, StrategyEntry


def test_coverage_lines_report_entities_fallback_and_pairs():
    m = Manifest(strategies={
        "local": StrategyEntry(documents=10, entities={"documents_with_entities": 4}),
        "global": StrategyEntry(documents=10, entities={"documents_with_entities": 4, "whole_window": 6, "linked": 4}),
        "compose": StrategyEntry(rounds=[RoundEntry(round=1, prompts=12), RoundEntry(round=2, prompts=3)]),
        "reverse": StrategyEntry(documents=10)}, model="m")
    assert coverage_lines(m) == [
        "local: 4/10 documents name an entity (40%)",
        "global: 4/10 documents name an entity (40%); 6/10 prompts fell back to the whole window (60%)",
        "compose: pairs per round r1 12, r2 3"]
    assert "6/10 prompts fell back" in summary_table(m)


def test_coverage_lines_say_where_compose_stopped_and_why():
    m = Manifest(strategies={"compose": StrategyEntry(
        rounds=[RoundEntry(round=1, prompts=12), RoundEntry(round=2, prompts=3)], rounds_asked=4, stopped_at=2,
        stop_reason="the round kept 1 new statements, fewer than augment.compose.min_new=5")}, model="m")
    assert coverage_lines(m) == ["compose: pairs per round r1 12, r2 3; stopped after round 2 of 4: the round kept 1 "
                                 "new statements, fewer than augment.compose.min_new=5"]
