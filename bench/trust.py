"""Trust report: the attack corpus × channels × model behaviours, and randomized canary probes, as a table.

Run: .venv/bin/python bench/trust.py [--probes 1000]. Writes bench/out/trust.json; exits 0 (failures are counted).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import migrated_database  # noqa: E402
from service.config import load_settings  # noqa: E402
from service.corpus import store  # noqa: E402
from service.search import search_passages  # noqa: E402
from service.twin.engine import answer_question  # noqa: E402
from tests.support.fake_openai import FakeOpenAI  # noqa: E402
from tests.trust.attack_runner import fill, run_attack, secrets_for  # noqa: E402
from tests.trust.conftest import CANARY_PROBES, OTHER_TWIN_CANARY, leaked, load_attacks, seed_trust  # noqa: E402

OUT = Path(__file__).parent / "out" / "trust.json"
WORDS = ("Halcyon", "acquisition", "freight", "ferry", "lanes", "spring", "deal", "board", "leadership", "slots",
         "cold chain", "pricing", "treasury", "hedging", "draft", "reorganisation", "bonus", "review", "memo")


def fresh_world(tmp: Path, name: str):
    database = migrated_database(f"sqlite:///{tmp / name}.db")
    with database.factory() as session:
        seed_trust(session)
    return database.engine, database.factory


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=1000)
    args = parser.parse_args()
    rows: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])  # (guarantee, channel) -> [pass, total]
    failures: list[dict] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI(delay=2.0) as model:
        base = load_settings({"DATABASE_URL": "sqlite://", "SECRET_KEY": "bench"}, environ={})
        attacks = load_attacks()
        engine, factory = fresh_world(Path(tmp), "attacks")
        settings = base.replace(database_url=str(engine.url), llm_base_url=model.base_url, llm_model="fake-gpt",
                                llm_api_key="k", llm_timeout=2.0, grounding_threshold=0.1)
        for mode in ("scripted", "comply_injection"):
            for channel in ("engine", "stream"):
                for attack in attacks:
                    if attack["where"] == "pitch" and channel == "stream":
                        continue
                    with factory() as session:
                        viewer = store.viewer_for(store.get_user(session, "employee@example.com"))
                        model.set_mode(mode, script=fill(attack["desired"], secrets_for(session, "dana")))
                        name = "rehearsal" if attack["where"] == "pitch" else channel
                        outcome = run_attack(session, settings, attack, viewer, channel=channel)
                        session.rollback()  # each attack against the same clean corpus
                    key = (f"injection ({mode})", name)
                    rows[key][1] += 1
                    if outcome.found:
                        failures.append({"attack": attack["id"], "mode": mode, "channel": name, "found": outcome.found})
                    else:
                        rows[key][0] += 1
                    rows[("labelled as the twin", name)][1] += 1
                    rows[("labelled as the twin", name)][0] += "Dana Reyes" in outcome.disclaimer
        engine.dispose()
        engine, factory = fresh_world(Path(tmp), "canary")
        settings = base.replace(database_url=str(engine.url), grounding_threshold=0.1)
        rng = random.Random(7)
        with factory() as session:
            people = {who: store.viewer_for(store.get_user(session, f"{who}@example.com"))
                      for who in ("employee", "curator", "finance", "leader")}
            for i in range(args.probes):
                who = rng.choice(["employee", "curator", "finance"])
                question = (rng.choice(CANARY_PROBES) if i % 2 else
                            " ".join(rng.sample(WORDS, rng.randint(1, 5))) + "?")
                twin = rng.choice(["dana", "sam"])
                answer = answer_question(session, settings, twin, question, people[who]).to_dict()
                hits = search_passages(session, store.get_twin(session, twin), question, people[who], k=10)
                for channel, text in (("ask", json.dumps(answer)), ("search", json.dumps([h.to_dict() for h in hits]))):
                    rows[("canary never leaks", channel)][1] += 1
                    # Sam's own source is Sam's to cite; everything else is a leak from either twin.
                    found = [s for s in leaked(text) if not (twin == "sam" and s == OTHER_TWIN_CANARY)]
                    if found:
                        failures.append({"probe": question, "who": who, "twin": twin, "channel": channel,
                                         "found": found})
                    else:
                        rows[("canary never leaks", channel)][0] += 1
            answer = answer_question(session, settings, "dana", CANARY_PROBES[0], people["leader"]).to_dict()
            rows[("canary reaches its audience", "ask")] = [int("Nordwind" in answer["answer"]), 1]
            session.rollback()
        engine.dispose()
    elapsed = time.perf_counter() - started
    print(f"{'guarantee':32} {'channel':10} {'pass':>6} {'total':>6}")
    for (guarantee, channel), (passed, total) in sorted(rows.items()):
        print(f"{guarantee:32} {channel:10} {passed:6d} {total:6d}")
    print(f"{len(failures)} failures; {elapsed:.1f} s")
    for failure in failures[:20]:
        print("  FAIL", failure)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"rows": [{"guarantee": g, "channel": c, "passed": p, "total": t}
                                        for (g, c), (p, t) in sorted(rows.items())],
                               "failures": failures, "seconds": round(elapsed, 1)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
