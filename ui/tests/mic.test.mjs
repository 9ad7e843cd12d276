// Mute and push-to-talk (ui/src/conversation/mic-state.ts), compiled by `npm run test:ui`.

import assert from "node:assert/strict";
import { test } from "node:test";

import { initialMic, micLabel, micLive } from "../../target/ui-test/conversation/mic-state.js";

test("the microphone is live unless muted, and in push-to-talk only while held", () => {
  const rows = [
    // muted, pushToTalk, held -> live, label
    [false, false, false, true, "Microphone on"],
    [true, false, false, false, "Muted"],
    [false, true, false, false, "Push-to-talk: hold Space to talk"],
    [false, true, true, true, "Talking (push-to-talk)"],
    // Mute wins over a held key.
    [true, true, true, false, "Muted"],
  ];
  for (const [muted, pushToTalk, held, live, label] of rows) {
    const s = { muted, pushToTalk, held };
    assert.equal(micLive(s), live, JSON.stringify(s));
    assert.equal(micLabel(s), label, JSON.stringify(s));
  }
});

test("the page starts from what the app reports", () => {
  assert.deepEqual(initialMic(true), { muted: false, pushToTalk: false, held: false });
  assert.equal(micLabel(initialMic(false)), "Muted");
});
