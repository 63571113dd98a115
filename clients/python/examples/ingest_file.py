#!/usr/bin/env python3
"""Streams the sentences of a text file into the server and prints one id per sentence.

    python3 ingest_file.py facts.txt --address 127.0.0.1:50051

Output: `<segment id>  new|already_stored  <sentence>` per sentence, then a summary line.
"""

import argparse
import sys

from _common import add_address_argument, sentences_of
from lait_client import LaitClient, LaitError


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="UTF-8 text file")
    parser.add_argument("--namespace", help="also name sentence i of the file <file>/<i> in this namespace")
    add_address_argument(parser)
    args = parser.parse_args()

    sentences = list(sentences_of(args.file)) if args.namespace else None
    items = ({"text": s, "name": f"{args.file}/{i}"} for i, s in enumerate(sentences)) if args.namespace \
        else sentences_of(args.file)
    new = stored = failed = 0
    try:
        with LaitClient(args.address, api_key=args.api_key) as client:
            # The generator is read only as fast as the server acknowledges (max_in_flight).
            for ack, text in _with_texts(client.encode_segments(items, namespace=args.namespace), args.file):
                if not ack.ok:
                    failed += 1
                    print(f"error {ack.error.code.name}: {ack.error.message}  {text}", file=sys.stderr)
                    continue
                state = "already_stored" if ack.already_stored else "new"
                new += not ack.already_stored
                stored += ack.already_stored
                print(f"{ack.segment_id}  {state:<14}  {text}")
    except LaitError as e:
        print(f"ingest failed: {e}", file=sys.stderr)
        return 1
    print(f"ingested {new + stored} sentences ({new} new, {stored} already stored, {failed} failed)")
    return 1 if failed else 0


def _with_texts(acks, path):
    # Acks come in input order, so re-reading the file pairs each ack with its sentence.
    texts = sentences_of(path)
    for ack in acks:
        yield ack, next(texts)


if __name__ == "__main__":
    sys.exit(main())
