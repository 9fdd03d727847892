"""`augft targets` as a command: teacher targets for the sources `train.mix` names (the corpus and
strategies), the strategies' texts read from `train.augmentations`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from augft.core.errors import AugftError


def run_targets(cfg, data: Optional[Path] = None, out: Path = Path("out/targets")) -> int:
    """CLI entry (`augft targets`)."""
    from augft.augment.targets.api import targets_request
    from augft.augment.targets.request import TargetsRequest
    from augft.core.config.settings import TargetsSettings

    if data is None:
        raise AugftError("augft targets needs --data DIR (a folder with corpus.jsonl)")
    sources = tuple(s for s, w in dict(cfg.train.mix).items() if float(w) > 0 and s != "replay")
    m = targets_request(TargetsRequest(str(data), str(out), sources, tuple(cfg.train.augmentations)),
                        TargetsSettings.of(cfg))
    texts = sum(v.texts for v in m.sources.values())
    print(f"teacher targets for {texts} texts ({', '.join(m.sources)}), context {m.context}, top-{m.top_k}; "
          f"wrote {out}/targets.json; train on them with train.targets=[{out}]")
    return 0
