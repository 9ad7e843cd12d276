#!/usr/bin/env bash
# Floor trainer smoke test on fake data (no real episodes needed), about a minute on one core:
# unit tests, fake episodes, train twice with one seed (floor.onnx and floor.int8.onnx must be
# byte-identical), and the model must beat the train-fitted rules on val and heldback.
#   scripts/floor/smoke.sh [WORKDIR]      (PY=python with numpy, onnx, onnxruntime; default the floor venv)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PY:-$HOME/.cache/tandem/floor-venv/bin/python}
WORK=${1:-$(mktemp -d /tmp/floor-smoke.XXXXXX)}
mkdir -p "$WORK"
echo "work dir: $WORK"
"$PY" "$HERE/test_floor.py"
rm -rf "$WORK/data" "$WORK/a" "$WORK/b"
"$PY" "$HERE/fake_data.py" --out "$WORK/data" --seed 1 --no-features-every 25
start=$(date +%s)
"$PY" "$HERE/train.py" --data "$WORK/data" --out "$WORK/a" --seed 0 > "$WORK/a.log"
echo "train + export + evaluation: $(( $(date +%s) - start )) s"
"$PY" "$HERE/train.py" --data "$WORK/data" --out "$WORK/b" --seed 0 > "$WORK/b.log"
for f in floor.onnx floor.int8.onnx; do
  if cmp -s "$WORK/a/$f" "$WORK/b/$f"; then
    echo "deterministic: $f $(sha256sum < "$WORK/a/$f" | cut -c1-16)... $(stat -c %s "$WORK/a/$f") bytes"
  else
    echo "NOT deterministic: $f differs between two runs with seed 0"; exit 1
  fi
done
"$PY" - "$WORK/a/metrics.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
ex = m["export"]
print("int8: %s; max |int8 - fp32| %.4f; per call p50 %.3f ms p99 %.3f ms" % (
    ex["int8"]["quantization"], ex["max_abs_diff_int8_vs_fp32"], ex["time_int8"]["p50_ms"], ex["time_int8"]["p99_ms"]))
bad = []
for split in ("val", "heldback"):
    r = m["results"][split]
    for key, stat in (("turn_end_200ms", "f1"), ("interruption_300ms", "accuracy"), ("addressee_at_end", "accuracy")):
        a, b = r["model_int8"][key][stat], r["rule_fitted_on_train"][key][stat]
        print("%-8s %-18s model %.3f  rule fitted on train %.3f" % (split, key, a, b))
        if not a > b:
            bad.append((split, key))
if ex["max_abs_diff_int8_vs_fp32"] >= 0.02 or ex["time_int8"]["p99_ms"] > 5 or ex["int8"]["bytes"] > 1 << 20:
    bad.append("export")
if bad:
    sys.exit("smoke test FAILED: %s" % bad)
print("smoke test passed")
EOF
