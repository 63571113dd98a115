#!/usr/bin/env python3
"""Ingests evidence sentences from a file, then checks a claim against them.

    python3 check_claim.py "Water is wet." facts.txt --address 127.0.0.1:50051

Output: `verdict: <label> (<probability>)`, then one line per evidence, best first:
`<rank>  <label>  <probability>  <segment id>  <sentence>`.
"""

import argparse
import sys

from _common import add_address_argument, sentences_of
from lait_client import LaitClient, LaitError


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("claim")
    parser.add_argument("evidence_file", help="UTF-8 text file; each sentence is one evidence")
    parser.add_argument("--aggregation", default="max_confidence", choices=["max_confidence", "mean", "majority"])
    parser.add_argument("--top-k", type=int, default=0, help="show only the best k evidence (0 = all)")
    add_address_argument(parser)
    args = parser.parse_args()

    try:
        with LaitClient(args.address, api_key=args.api_key) as client:
            # Evidence is stored once (already-stored sentences cost no tower compute) and then
            # referred to by id, as a pipeline that ingests ahead of time would do.
            texts, ids = [], []
            for text, ack in zip(sentences_of(args.evidence_file), client.encode_segments(sentences_of(args.evidence_file))):
                if not ack.ok:
                    print(f"skipping evidence ({ack.error.code.name}: {ack.error.message}): {text}", file=sys.stderr)
                    continue
                texts.append(text)
                ids.append(ack.segment_id)
            result = client.verify_claim(args.claim, ids, aggregation=args.aggregation, top_k=args.top_k)
    except LaitError as e:
        print(f"check failed: {e}", file=sys.stderr)
        return 1
    best = max(result.verdict_scores, key=lambda s: s.probability)
    print(f"verdict: {result.verdict} ({best.probability:.3f})")
    text_of = dict(zip(ids, texts))
    for e in result.evidence:
        probability = next(s.probability for s in e.scores if s.label == e.label)
        print(f"{e.rank}  {e.label}  {probability:.3f}  {e.segment_id}  {text_of[e.segment_id]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
