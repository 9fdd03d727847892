"""Write questions.jsonl from the questions in questions_written.py, written by hand from corpus.jsonl.

Each question is (kind, prompt, answer, distractors, source document ids). The prompt, the answer
and every hand-listed distractor were written by reading the documents; where `distractors` names a
pool (`package`, `person`, `handle`, `date`, `summary`, `version:<package>`), three distractors are
drawn from it with a seed derived from the question's id, leaving out the answer and any string
that a source document of the question contains. The split is the section the question is listed
in: `forward` (asked in the order the document states the fact), `reversal` (asked from the other
side: the change or the person first, the package, version or contribution completes it),
`inference` (the answer needs two documents, each stating one half). No model wrote or selected
any of them.

    python benchmarks/data/realdocs/write_questions.py
"""
import hashlib
import json
import random
import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).parent))  # the questions beside this script
from questions_written import DATE, FORWARD, HANDLE, INFERENCE, PERSON, PKG, REVERSAL, SUMMARY  # noqa: E402

HERE = Path(__file__).parent


def pools(corpus: dict) -> dict:
    """Same-type candidates from the corpus, for the questions that draw their distractors."""
    out = {PKG: sorted({d["meta"]["package"] for d in corpus.values()}),
           PERSON: ["Rich Chiodo", "Pedro Brochado", "Adrian Gielniewski", "Pedro Algarvio", "Brian Okken",
                    "Michael Peters", "Andrew Svetlov", "Alexander Pacha", "Thomas Grainger", "aftersnow",
                    "Colin Watson", "Ofek Lev", "Julien Le Cléach", "Yellmean", "Precy Lee", "tyong920",
                    "Yann Collet"],
           HANDLE: ["@ShamikOfficial", "@Noethix55555", "@h1whelan", "@bbc2"],
           SUMMARY: [d["text"].split(": ", 1)[1] for d in corpus.values() if d["meta"]["part"] == "summary"],
           DATE: sorted({t for d in corpus.values() for t in _dates(d["text"].splitlines()[0])})}
    for d in corpus.values():
        if d["meta"]["part"] == "changelog":
            version = d["text"].split()[1].rstrip(":")
            out.setdefault("version:" + d["id"][:2], [])
            if version not in out["version:" + d["id"][:2]]:
                out["version:" + d["id"][:2]].append(version)
    out["version:de"].append("1.2.1")  # three versions in the corpus; a fourth choice from its changelog
    return out


def _dates(line: str) -> list:
    return [w.strip("():") for w in line.split() if w.strip("():")[:2] == "20" and w.count("-") == 2]


def question(qid: str, split: str, item: tuple, corpus: dict, pool: dict) -> dict:
    kind, prompt, answer, distractors, sources = item
    if isinstance(distractors, str):
        texts = " ".join(corpus[s]["text"] for s in sources)
        rng = random.Random(int(hashlib.sha256(qid.encode()).hexdigest(), 16))
        candidates = [" " + c for c in pool[distractors] if " " + c != answer and c not in texts]
        distractors = rng.sample(candidates, 3)
    distractors = [d for d in distractors if d != answer]  # a shared list (OPTS) holds the answer too
    assert len(distractors) == 3, qid
    choices = [answer] + distractors
    random.Random(qid).shuffle(choices)
    return {"id": qid, "split": split, "kind": kind, "prompt": prompt, "choices": choices,
            "answer": choices.index(answer), "source_ids": list(sources), "meta": {"written_by": "hand"}}


def rows(corpus_path: Path = HERE / "corpus.jsonl") -> list:
    """Every question as a questions.jsonl record, in file order."""
    corpus = {d["id"]: d for d in map(json.loads, corpus_path.read_text().splitlines())}
    pool = pools(corpus)
    return [question(f"{split}-{i:03d}", split, item, corpus, pool)
            for split, items in (("forward", FORWARD), ("reversal", REVERSAL), ("inference", INFERENCE))
            for i, item in enumerate(items)]


def main() -> None:
    records = rows()
    (HERE / "questions.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    print({s: sum(r["split"] == s for r in records) for s in ("forward", "reversal", "inference")})


if __name__ == "__main__":
    if sys.argv[1:] in (["-h"], ["--help"]):
        print(__doc__)
        raise SystemExit(0)
    main()
