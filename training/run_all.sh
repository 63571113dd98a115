#!/usr/bin/env bash
# Full recipe: vocab -> MLM pretraining -> LAIT fine-tuning at every P (+ distillation) ->
# evaluation table -> export of the default model. Every step is resumable or cheap to redo:
# pretraining continues from its checkpoint; a finished fine-tuning run (train_summary.json
# present) is skipped.
#
# Budget knobs (minutes of wall time per stage; defaults are the 2-core CPU budget used for the
# committed model, see models/lait-nli-mini/MODEL_CARD.md). On a GPU or a big CPU, raise the
# minutes and the step counts, e.g.
#   PRETRAIN_MIN=600 PRETRAIN_STEPS=200000 FT_MIN=60 FT_EPOCHS=3 THREADS=8 training/run_all.sh
set -euo pipefail
cd "$(dirname "$0")"
unset OPENBLAS_CORETYPE
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
PY=${PY:-/usr/bin/python3}
NICE=${NICE:-nice -n 15}
W=${WORK:-work}
THREADS=${THREADS:-1}
PRETRAIN_MIN=${PRETRAIN_MIN:-52}
PRETRAIN_STEPS=${PRETRAIN_STEPS:-100000}
FT_MIN=${FT_MIN:-20}
FT_EPOCHS=${FT_EPOCHS:-3}
KD_MIN=${KD_MIN:-$FT_MIN}
LAYERS=${LAYERS:-4}
DEFAULT_P=${DEFAULT_P:-2}
PARALLEL=${PARALLEL:-5}   # fine-tuning runs at once (each single-threaded)
mkdir -p "$W/ft"

# 1. pruned vocabulary (deterministic)
[ -f "$W/vocab.txt" ] || $NICE $PY build_vocab.py --out "$W/vocab.txt" --corpus-mb 24 --min-count 250 --task-weight 10

# 2. masked-LM pretraining (resumable: rerun continues from $W/pretrain/checkpoint.pt)
[ -f "$W/pretrain/final/model.safetensors" ] || $NICE $PY pretrain.py --vocab "$W/vocab.txt" --out "$W/pretrain" \
    --layers "$LAYERS" --hidden 256 --heads 4 --intermediate 1024 --max-positions 256 --max-len 128 \
    --batch 32 --lr 7e-4 --warmup 150 --steps "$PRETRAIN_STEPS" --schedule-minutes "$PRETRAIN_MIN" \
    --save-every 100 --threads "$THREADS"

ft() {  # name P [extra args...]
  local name=$1 p=$2; shift 2
  [ -f "$W/ft/$name/train_summary.json" ] && return 0
  $NICE $PY finetune.py --task nli --init "$W/pretrain/final" --P "$p" --out "$W/ft/$name" \
      --epochs "$FT_EPOCHS" --max-minutes "$FT_MIN" --batch 32 --lr 3e-4 --warmup-frac 0.02 --evals 4 --threads "$THREADS" "$@" \
      > "$W/ft/$name.log" 2>&1
}

# 3. LAIT fine-tuning at every P (P=0 is the cross-encoder and the distillation teacher)
pids=()
for p in $(seq 0 "$LAYERS"); do
  ft "nli-P$p" "$p" & pids+=($!)
  if [ "${#pids[@]}" -ge "$PARALLEL" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
wait
# 4. distillation from the P=0 model at P = L/2 and P = L-1 (KL, T=2, alpha 0.5, joint-layer MSE)
for p in "$DEFAULT_P" $((LAYERS - 1)); do
  FT_MIN=$KD_MIN ft "nli-P$p-kd" "$p" --teacher "$W/ft/nli-P0" --kd-alpha 0.5 --kd-temp 2 --hidden-mse 1.0 &
done
wait

# 4b. yes/no QA (BoolQ) at P=0 and P=L/2
for p in 0 "$DEFAULT_P"; do
  if [ ! -f "$W/ft/boolq-P$p/train_summary.json" ]; then
    $NICE $PY finetune.py --task boolq --init "$W/pretrain/final" --P "$p" --out "$W/ft/boolq-P$p" \
        --epochs "$FT_EPOCHS" --max-minutes "$FT_MIN" --batch 16 --lr 3e-4 --warmup-frac 0.02 --evals 4 \
        --threads "$THREADS" > "$W/ft/boolq-P$p.log" 2>&1 &
  fi
done
wait
$NICE $PY evaluate.py --task boolq --max-per-source 0 --model P0="$W/ft/boolq-P0" --model "P$DEFAULT_P=$W/ft/boolq-P$DEFAULT_P" \
    --md "$W/results_boolq.md" --json "$W/results_boolq.json"

# 5. the accuracy-versus-P table on the held-out test splits
models=()
for p in $(seq 0 "$LAYERS"); do models+=(--model "P$p=$W/ft/nli-P$p"); done
for p in "$DEFAULT_P" $((LAYERS - 1)); do models+=(--model "P$p+KD=$W/ft/nli-P$p-kd"); done
$NICE $PY evaluate.py --task nli --max-per-source 1000 "${models[@]}" --md "$W/results_nli.md" --json "$W/results_nli.json"

# 6. export the default model (fp16) to models/ -- pick the better of P$DEFAULT_P and its KD variant by DEV accuracy
$PY export_model.py --candidates "$W/ft/nli-P$DEFAULT_P" "$W/ft/nli-P$DEFAULT_P-kd" --out ../models/lait-nli-mini
$PY export_goldens.py --model ../models/lait-nli-mini --n 16 --out ../models/lait-nli-mini/goldens.json
$PY write_model_card.py --model ../models/lait-nli-mini --pretrain "$W/pretrain" --results "$W/results_nli.json" \
    --runs "$W/ft" --table-md "$W/results_nli.md"
