"""Person names, company domains and e-mail addresses, from Faker's locale data."""

from __future__ import annotations

import numpy as np
from faker import Faker

from generator.config import DOMAIN_SUFFIXES, INTERNAL_DOMAIN, TLD_WEIGHTS, TOP_LEVEL_DOMAINS


def name_pools(fake: Faker) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lower-case first and last names with their frequency weights, from Faker's locale data."""
    provider = next(p for p in fake.get_providers() if hasattr(p, "last_names"))
    pools = []
    for names in (provider.first_names, provider.last_names):
        merged: dict[str, float] = {}
        for name, weight in names.items():
            key = "".join(ch for ch in name.lower() if "a" <= ch <= "z")
            if key:
                merged[key] = merged.get(key, 0.0) + float(weight)
        keys = sorted(merged)
        w = np.array([merged[k] for k in keys])
        pools += [np.array(keys, dtype=object), w / w.sum()]
    return pools[0], pools[1], pools[2], pools[3]


def unique_names(
    group: np.ndarray,
    first_p: np.ndarray,
    last_p: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw (first, last) name indices, unique within each ``group`` value."""
    n = len(group)
    nf, nl = len(first_p), len(last_p)
    first = rng.choice(nf, size=n, p=first_p)
    last = rng.choice(nl, size=n, p=last_p)
    for _ in range(200):
        key = (group.astype(np.int64) * nf + first) * nl + last
        _, first_at = np.unique(key, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first_at] = False
        if not dup.any():
            return first, last
        k = int(dup.sum())
        # Re-draw duplicates uniformly (rare names) so that crowded groups still resolve.
        first[dup] = rng.integers(0, nf, size=k)
        last[dup] = rng.integers(0, nl, size=k)
    raise RuntimeError("could not draw unique user names")  # pragma: no cover


def company_domains(
    n: int, internal: np.ndarray, fake: Faker, rng: np.random.Generator
) -> list[str]:
    """One unique, single-TLD company domain per customer (internal ones share ours)."""
    seen = {INTERNAL_DOMAIN}
    out: list[str] = []
    tld_p = np.asarray(TLD_WEIGHTS) / np.sum(TLD_WEIGHTS)
    for i in range(n):
        if internal[i]:
            out.append(INTERNAL_DOMAIN)
            continue
        while True:
            word = "".join(ch for ch in fake.domain_word().lower() if ch.isalnum() or ch == "-")
            suffix = DOMAIN_SUFFIXES[int(rng.integers(len(DOMAIN_SUFFIXES)))]
            tld = TOP_LEVEL_DOMAINS[int(rng.choice(len(TOP_LEVEL_DOMAINS), p=tld_p))]
            domain = f"{word}{'-' + suffix if suffix else ''}.{tld}".strip("-")
            if word and domain not in seen:
                seen.add(domain)
                out.append(domain)
                break
    return out
