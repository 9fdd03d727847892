"""Turning (prompt, choice) pairs into token ids, with lm-evaluation-harness's conventions.

lm-eval's `loglikelihood` (HF backend, causal models) encodes a pair like this, and so do we,
so the scores agree with it (a test checks |diff| < 1e-3):
- trailing whitespace of the context moves to the start of the continuation;
- the context is encoded alone and context+continuation together; the continuation's tokens are
  the tail of the joint encoding (so word-boundary merges are scored as the model would see them);
- the tokenizer's own special-token default applies (no extra BOS), and an empty context is
  replaced by the prefix token (BOS, else EOS);
- no chat template unless asked for.

When a shared context (ICL) precedes the question, the question part is encoded without special
tokens and appended to the context's own encoding; cached and uncached scoring use these same ids.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from augft.core.errors import AugftError

_SENTINEL = "\u0000AUGFT_CONTENT\u0000"


@dataclass
class EncodedQuestion:
    prompt: List[int]
    """Tokens fed before the choices (at least one: its last position predicts each choice)."""
    choices: List[List[int]]
    """Tokens of each choice's continuation (at least one each)."""


class Encoder:
    def __init__(self, tokenizer, target_delimiter: str = " ", chat_template: bool = False):
        self.tok = tokenizer
        self.delimiter = target_delimiter
        self.chat_template = chat_template
        self._chat_parts: Optional[Tuple[str, str]] = None
        if chat_template:
            if not getattr(tokenizer, "chat_template", None):
                raise AugftError("eval.chat_template is on but the model's tokenizer has no chat template")
            text = tokenizer.apply_chat_template(
                [{"role": "user", "content": _SENTINEL}], tokenize=False, add_generation_prompt=True)
            pre, _, post = text.partition(_SENTINEL)
            self._chat_parts = (pre, post)

    @property
    def prefix_token_id(self) -> int:
        bos = self.tok.bos_token_id
        return bos if bos is not None else self.tok.eos_token_id

    def encode(self, text: str, special: bool) -> List[int]:
        if special:
            # As lm-eval: a string that already starts with BOS gets no second one.
            bos = self.tok.bos_token
            if bos and text.startswith(bos):
                return self.tok.encode(text, add_special_tokens=False)
            return self.tok.encode(text)
        return self.tok.encode(text, add_special_tokens=False)

    def continuation(self, prompt: str, choice: str) -> str:
        if not prompt or not self.delimiter or prompt[-1:].isspace() or choice[:1].isspace():
            return choice
        return self.delimiter + choice

    def encode_pair(self, context: str, continuation: str, special: bool = True
                    ) -> Tuple[List[int], List[int]]:
        """lm-eval's `_encode_pair` (and its empty-context rule when `special`)."""
        if not context:
            cont = self.encode(continuation, special=False)
            if not special:
                return [], cont
            pid = self.prefix_token_id
            if cont and cont[0] == pid:
                return cont[:1], cont[1:]
            return [pid], cont
        n_spaces = len(context) - len(context.rstrip())
        if n_spaces:
            continuation = context[-n_spaces:] + continuation
            context = context[:-n_spaces]
        whole = self.encode(context + continuation, special)
        ctx = self.encode(context, special)
        return ctx, whole[len(ctx):]

    def question(self, prompt: str, choices: Sequence[str], has_context: bool,
                 where: str = "") -> EncodedQuestion:
        """Encode one question; with a shared context, `prompt` ids exclude the context."""
        if self._chat_parts is not None:
            pre, post = self._chat_parts
            # With a context, the template's opening lives in the context's ids.
            prompt = (prompt if has_context else pre + prompt) + post
        ctx_ids: Optional[List[int]] = None
        conts = []
        for choice in choices:
            c, cont = self.encode_pair(prompt, self.continuation(prompt, choice), special=not has_context)
            if ctx_ids is None:
                ctx_ids = c
            elif c != ctx_ids:  # cannot happen with a deterministic tokenizer; guard anyway
                raise AugftError(f"{where}: the prompt tokenizes differently per choice")
            if not cont:
                raise AugftError(f"{where}: choice {choice!r} encodes to no tokens after the prompt")
            conts.append(cont)
        return EncodedQuestion(prompt=list(ctx_ids or []), choices=conts)

    def context_ids(self, context: str) -> List[int]:
        """Ids of a shared ICL context (with the tokenizer's special tokens, like a prompt)."""
        if self._chat_parts is not None:
            context = self._chat_parts[0] + context
        return self.encode(context, special=True)
