"""A light parse of the ``--dq_ruleset`` DQDL text.

Glue Data Quality evaluates the ruleset on AWS (see ``glue_io.evaluate_data_quality``);
there is no DQDL engine outside AWS, so locally the text is only checked for
its outer shape (``Rules = [ rule, rule ... ]``) and split into rules, which
catches a truncated or mangled argument before the job reads any data.
"""

from __future__ import annotations

import re

_RULESET = re.compile(r"^\s*Rules\s*=\s*\[(?P<body>.*)\]\s*$", re.DOTALL)


class RulesetError(ValueError):
    """``--dq_ruleset`` is not a DQDL ruleset."""


def parse_ruleset(text: str) -> list[str]:
    """The rules of a DQDL ruleset, one string each; commas inside quotes or brackets do not split."""
    match = _RULESET.match(text)
    if not match:
        raise RulesetError("--dq_ruleset must be DQDL of the form 'Rules = [ rule, rule ]', as the construct renders it.")
    rules, depth, quoted, current = [], 0, False, []
    for ch in match.group("body"):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "[(":
            depth += 1
        elif not quoted and ch in "])":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            rules.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    rules.append("".join(current).strip())
    rules = [r for r in rules if r]
    if quoted or depth != 0 or not rules:
        raise RulesetError("--dq_ruleset has unbalanced quotes or brackets, or no rules: pass the ruleset the construct rendered.")
    return rules
