"""How staff write a red flag: groups of words joined by "+", with "/" between words that mean
the same. "bladder/bowel + control/accident" means: a word of each group, anywhere in what was
said or typed. The loader checks every pattern with this; the engine matches with it."""
from __future__ import annotations

from ..words import tokens


def parse_red_flag(pattern: str) -> list[list[str]]:
    """'bladder/bowel + control' -> [['bladder', 'bowel'], ['control']]; [] when a group has no words."""
    groups = [[alt.strip() for alt in group.split("/") if tokens(alt)] for group in pattern.split("+")]
    return [group for group in groups if group] if all(groups) else []
