"""The context-distillation loss: KL(teacher || student) on the teacher's top-k, plus optional
cross-entropy.

The teacher's distribution at a position is known on its top-k tokens; the rest of its mass is
one more category ("any other token"), so the KL is exact over k + 1 categories:

    KL = sum_i p_T(i) (log p_T(i) - log p_S(i)) + r_T (log r_T - log r_S)
    r_T = 1 - sum_i p_T(i),  r_S = 1 - sum_i p_S(i)   (i over the teacher's top-k)

averaged over the tokens that have a teacher row (not an example's first token, nor padding).
With train.distill.alpha = a: loss = (1 - a) KL + a CE, CE the usual next-token loss.
"""
from __future__ import annotations

EPS = 1e-8


def distill_loss(logits, batch: dict, alpha: float):
    """`logits` (B, T, V) of the student; `batch` from data.collate with the teacher's rows."""
    import torch

    lp = logits[:, :-1].float().log_softmax(-1)  # position t predicts token t + 1
    ids = batch["topk_ids"][:, 1:].to(lp.device)
    t_lp = batch["topk_lp"][:, 1:].to(lp.device).float()
    mask = batch["has_target"][:, 1:].to(lp.device).float()
    s_lp = lp.gather(-1, ids)
    p_t = t_lp.exp()
    r_t = (1.0 - p_t.sum(-1)).clamp(min=0.0)
    r_s = (1.0 - s_lp.exp().sum(-1)).clamp(min=EPS)
    kl = (p_t * (t_lp - s_lp)).sum(-1) + r_t * (torch.log(r_t.clamp(min=EPS)) - torch.log(r_s))
    loss = (kl * mask).sum() / mask.sum().clamp(min=1.0)
    if alpha > 0:
        labels = batch["labels"][:, 1:].to(lp.device)
        ce = torch.nn.functional.nll_loss(lp.reshape(-1, lp.shape[-1]), labels.reshape(-1), ignore_index=-100)
        loss = (1.0 - alpha) * loss + alpha * ce
    return loss
