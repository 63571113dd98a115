#!/usr/bin/env python3
"""Answers a yes/no question over a passage.

    python3 yes_no.py "Is water wet?" "Water is wet. Fire is hot." --model boolq --address 127.0.0.1:50051

Output: `answer: yes|no`, then `yes_probability: <p>`.
"""

import argparse
import sys

from _common import add_address_argument
from lait_client import LaitClient, LaitError


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question")
    parser.add_argument("passage", help="the passage text (or a stored segment id)")
    parser.add_argument("--model", default="", help="a model with a yes/no head (default: the server's default)")
    add_address_argument(parser)
    args = parser.parse_args()

    try:
        with LaitClient(args.address, api_key=args.api_key, model=args.model) as client:
            answer = client.answer_yes_no(args.question, args.passage)
    except LaitError as e:
        print(f"question failed: {e}", file=sys.stderr)
        return 1
    print(f"answer: {'yes' if answer.answer else 'no'}")
    print(f"yes_probability: {answer.yes_probability:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
