#!/usr/bin/env bash
# The neural renderer's GPU run (README, "Neural renderer"): trains the Style-Aware Generator at the
# paper's size and at half width, and Style Mapping's intermediate generator, on runs/render_data
# (train/prepare_render_data.py), scores them against the warp renderer on the held-out speakers, and
# copies logs, the report and the half-width and Style Mapping weights (float16 shards) to $OUT.
# About 8 minutes on one H200; the minutes per stage can be changed:
#   OUT=runs/gpu MINUTES_G=3.6 MINUTES_SMALL=1.6 MINUTES_MAP=0.7 bash train/gpu_render_run.sh
set -u
OUT=${OUT:-runs/gpu_render}
RUNS=${RUNS:-runs/gpu}
DEVICE=${DEVICE:-cuda}
WORKERS=${WORKERS:-12}
EXTRA=${EXTRA:-}  # more --set overrides for every training, without spaces inside one (a smoke run uses it)
SMALL_EXTRA=${SMALL_EXTRA:-"model={channels: [32, 64, 128, 256, 256, 256, 256, 256]}"}
MIXED=${MIXED:-bf16}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 TQDM_DISABLE=1
mkdir -p "$OUT" "$RUNS"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || echo "no GPU: $DEVICE"
launch() { python3 -m accelerate.commands.launch --num_processes 1 --num_machines 1 --dynamo_backend no \
  --mixed_precision "$MIXED" "$@"; }
echo "== generator (paper size): ${MINUTES_G:-3.6} min"
launch train/train_generator.py --config train/configs/generator.yaml --set output="$RUNS/generator" \
  steps=1000000 max_minutes="${MINUTES_G:-3.6}" workers="$WORKERS" eval_every=500 $EXTRA 2>&1 | tail -n 12
cp "$RUNS/generator/training_log.json" "$OUT/generator_log.json"
echo "== generator (half width): ${MINUTES_SMALL:-1.6} min"
launch train/train_generator.py --config train/configs/generator.yaml --set output="$RUNS/generator_small" \
  steps=1000000 max_minutes="${MINUTES_SMALL:-1.6}" workers="$WORKERS" eval_every=500 "$SMALL_EXTRA" $EXTRA 2>&1 | tail -n 8
cp "$RUNS/generator_small/training_log.json" "$OUT/generator_small_log.json"
echo "== style mapping: ${MINUTES_MAP:-0.7} min"
launch train/train_style_mapping.py --config train/configs/style_mapping.yaml --set output="$RUNS/style_mapping" \
  steps=1000000 max_minutes="${MINUTES_MAP:-0.7}" workers="$WORKERS" eval_every=250 $EXTRA 2>&1 | tail -n 6
cp "$RUNS/style_mapping/training_log.json" "$OUT/style_mapping_log.json"
echo "== evaluate renderer"
python3 -m stylehead evaluate renderer --data runs/render_data/validation --device "$DEVICE" --overwrite \
  --generator "$RUNS/generator/style_aware_generator" --generator "$RUNS/generator_small/style_aware_generator" \
  --style-mapping "$RUNS/style_mapping/style_mapping" -o "$OUT/renderer_report.json" 2>/dev/null
python3 train/shard_weights.py split "$RUNS/generator_small/style_aware_generator" "$OUT/generator_small"
python3 train/shard_weights.py split "$RUNS/style_mapping/style_mapping" "$OUT/style_mapping"
