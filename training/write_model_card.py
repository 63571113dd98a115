"""Write models/<name>/MODEL_CARD.md from the exported config, the pretraining log, the
fine-tuning summary and the evaluation JSON.

Example: /usr/bin/python3 training/write_model_card.py --model ../models/lait-nli-mini \
    --pretrain work/pretrain --results work/results_nli.json --runs work/ft
"""
import argparse
import json
import os


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--pretrain", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--table-md", default=None)
    ap.add_argument("--notes", default=None, help="markdown appended as the card's reading of the results and limits")
    args = ap.parse_args()
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    res = json.load(open(args.results))
    logs = [json.loads(l) for l in open(os.path.join(args.pretrain, "log.jsonl"))]
    last = logs[-1]
    run_name = None
    from_meta = cfg.get("lait_finetune", {})
    for r in res["results"]:
        if os.path.normpath(r["dir"]).endswith(("nli-P%d" % cfg["lait"]["tower_layers"],)) and not r["teacher"]:
            run_name = r["name"]
    lines = []
    L, P = cfg["num_hidden_layers"], cfg["lait"]["tower_layers"]
    lines.append(f"# {os.path.basename(os.path.normpath(args.model))} — a tiny LAIT NLI / claim-verification model\n")
    lines.append("**Read the limits first: this model was trained from scratch (no pretrained weights can be "
                 "fetched here) in about two hours of 2-core CPU time. Its accuracy is far below any published "
                 "NLI model; it is the service's real, correctly structured default model, and the measure of "
                 "what LAIT costs in accuracy at this scale, not a model to make decisions with.**\n")
    lines.append("## Configuration\n")
    lines.append(f"- BERT encoder, L = {L} layers, hidden {cfg['hidden_size']}, {cfg['num_attention_heads']} heads, "
                 f"intermediate {cfg['intermediate_size']}, max positions {cfg['max_position_embeddings']}, "
                 f"vocab {cfg['vocab_size']} (pruned bert-base-uncased WordPiece, `vocab.txt` here; uncased).")
    lines.append(f"- LAIT: P = {P} tower layers (`lait.tower_layers`), positions `{cfg['lait']['position_mode']}`; "
                 f"layers 0..{P - 1} see one segment, layers {P}..{L - 1} see all segments.")
    lines.append(f"- Segment 0 = hypothesis / claim (gets [CLS], token type 0); segment 1 = premise / evidence "
                 f"(token type 1). Per-segment caps 40 / 85 content tokens.")
    lines.append(f"- Labels (id order): {', '.join(f'{k} = {v}' for k, v in sorted(cfg['id2label'].items()))}.")
    lines.append(f"- Weights: `model.safetensors`, fp16, HF `BertForSequenceClassification` names.")
    lines.append(f"- `goldens.json`: token ids, tower outputs (layer P, first tokens) and logits of 16 test "
                 f"examples from PyTorch on these exact fp16 weights, for the C# parity test.\n")
    lines.append("## Training data and budget\n")
    lines.append(f"- MLM pretraining: {last['step']} steps x batch 32 x <= 128 tokens in {last['minutes']:.0f} min "
                 f"on a 2-core CPU (one process, OpenBLAS on both cores); final MLM loss {last['loss']:.2f}, "
                 f"masked-token accuracy {100 * last['mlm_acc']:.1f} %. "
                 f"Text: ../shared/corpus (English Wikipedia, Simple English Wikipedia, Brown + speeches) and, for "
                 f"30 % of examples, the unlabelled text of the training splits below.")
    summary_path = os.path.join(args.runs, f"nli-P{P}" + ("-kd" if from_meta.get("teacher") else ""), "train_summary.json")
    run = json.load(open(summary_path)) if os.path.exists(summary_path) else {}
    lines.append(f"- Fine-tuning ({', '.join(f'{k} {v}' for k, v in from_meta.items())}; run summary: "
                 f"{', '.join(f'{k} {round(v, 1) if isinstance(v, float) else v}' for k, v in run.items() if not isinstance(v, (dict, list)))}): train splits of SICK, MNLI dev_matched, SNLI dev, MPE, FEVER "
                 f"pairs (2-way) and HealthVer dev; model selection on the dev splits; see training/README.md "
                 f"for the exact splits. ANLI and Climate-FEVER were never trained on.")
    lines.append("- Licences of the training data include non-commercial ones (SICK: CC BY-NC-SA 3.0; the "
                 "Brown corpus in the pretraining text): research use.\n")
    lines.append("## Accuracy on held-out test splits (all models trained with the same budget)\n")
    lines.append(f"At most {res['max_per_source']} test examples per source: "
                 + ", ".join(f"{k} {v}" for k, v in res["n_per_source"].items()) + ".\n")
    if args.table_md and os.path.exists(args.table_md):
        lines.append(open(args.table_md).read())
    if args.notes and os.path.exists(args.notes):
        lines.append(open(args.notes).read())
    lines.append("## Limits\n")
    lines.append("- Trained from scratch on CPU: far weaker than any published NLI model; one seed per run, so "
                 "differences of a point or two between P values are within run-to-run noise.")
    lines.append("- P = L (dual encoder) is degenerate for this head: [CLS] never sees the evidence.")
    lines.append("- Tokenization: uncased BERT WordPiece with the pruned vocab.txt shipped here.")
    with open(os.path.join(args.model, "MODEL_CARD.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", os.path.join(args.model, "MODEL_CARD.md"))


if __name__ == "__main__":
    main()
