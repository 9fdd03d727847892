"""The terminal table prints condition labels as written (brackets are not rich markup)."""
import fakes

from augft.augment.report import summary_table
from augft.eval.report import print_table


def test_condition_labels_with_brackets_print_whole(tmp_path, capsys):
    res = fakes.eval_results(tmp_path, "rag[bm25]", {"reversal": fakes.stats(1.0)})
    print_table(res)
    out = capsys.readouterr().out
    assert "rag[bm25]" in out


def test_augment_table_keeps_bracketed_names(tmp_path):
    m = fakes.manifest(tmp_path, {"x[y]": fakes.entry(ok=3, filtered={"a[b]": 2})})
    out = summary_table(m)
    assert "x[y]" in out and "a[b] 2" in out
