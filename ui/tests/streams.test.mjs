// Stream restart counting (ui/src/conversation/streams.ts), compiled by `npm run test:ui`.

import assert from "node:assert/strict";
import { test } from "node:test";

import { countRestart, noRestarts, restartsText } from "../../target/ui-test/conversation/streams.js";

test("only recoveries count, per direction, and the text says both", () => {
  const c = noRestarts();
  assert.equal(restartsText(c), null);
  assert.equal(countRestart(c, { kind: "lost", direction: "output", device: "spk", reason: "host_lost" }), false);
  assert.equal(countRestart(c, { kind: "retry_failed", direction: "output", attempt: 1, message: "x" }), false);
  assert.equal(countRestart(c, { kind: "recovered", direction: "output", device: "spk", fallback: false }), true);
  assert.equal(countRestart(c, { kind: "recovered", direction: "output", device: "spk", fallback: true }), true);
  assert.equal(countRestart(c, { kind: "recovered", direction: "input", device: "mic", fallback: false }), true);
  assert.deepEqual(c, { input: 1, output: 2 });
  assert.equal(restartsText(c), "Microphone restarted 1 time, speaker 2 times");
});
