// The first-run download's wording (ui/src/download-text.ts), compiled by `npm run test:ui`.

import assert from "node:assert/strict";
import { test } from "node:test";

import { describeStep, percent } from "../../target/ui-test/download-text.js";

test("fetch steps read as sentences in progress", () => {
  assert.equal(describeStep("downloading pipecat-ai==1.14.0"), "Downloading pipecat-ai==1.14.0…");
  assert.equal(describeStep("  checking the model cache "), "Checking the model cache…");
  assert.equal(describeStep(""), "Working…");
});

test("percent is whole, capped and safe without a total", () => {
  assert.equal(percent(0, 200), 0);
  assert.equal(percent(199, 200), 99);
  assert.equal(percent(200, 200), 100);
  assert.equal(percent(300, 200), 100);
  assert.equal(percent(5, 0), 0);
});
