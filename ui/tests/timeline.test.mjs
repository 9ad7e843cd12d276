// The timeline model (ui/src/conversation/timeline.ts), compiled by `npm run test:ui`.
// Events are written the way the engine serializes them (`tandem duplex --events`); `playback`
// is the app's own message.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  AudioClock,
  WINDOW_MS,
  closeAll,
  createTimeline,
  layout,
  timelineEvent,
  timelinePlayback,
  trim,
} from "../../target/ui-test/conversation/timeline.js";

function apply(t, messages) {
  for (const m of messages) {
    if (m.type === "playback") timelinePlayback(t, m.t_ms, m.speaking);
    else timelineEvent(t, m);
  }
  return t;
}

test("a question and its answer make one segment per lane", () => {
  const t = apply(createTimeline(), [
    // The detector reports the onset after the fact: the segment starts at the onset.
    { t_ms: 760, kind: "voice_start", onset_ms: 520, level_db: -20 },
    { t_ms: 900, kind: "partial", text: "What", stable: "", compute_ms: 40 },
    { t_ms: 2100, kind: "voice_end", end_ms: 1980 },
    { t_ms: 2400, kind: "floor", floor: "thinking" },
    { t_ms: 2900, kind: "speak_start", text: "Eighty-four.", speech: "answer" },
    { type: "playback", t_ms: 2920, speaking: true },
    { type: "playback", t_ms: 4100, speaking: false },
    { t_ms: 4300, kind: "floor", floor: "listening" },
  ]);
  assert.deepEqual(t.user, [{ start_ms: 520, end_ms: 1980 }]);
  assert.deepEqual(t.assistant, [{ start_ms: 2900, end_ms: 4100 }]);
  assert.deepEqual(t.marks, []);
  assert.equal(t.latest_ms, 4300);
});

test("a cut-in closes the assistant's segment and is marked; a backchannel is marked", () => {
  const t = apply(createTimeline(), [
    { t_ms: 1000, kind: "speak_start", text: "The weather today is", speech: "answer" },
    { type: "playback", t_ms: 1010, speaking: true },
    { t_ms: 2500, kind: "voice_start", onset_ms: 2400, level_db: -18 },
    { t_ms: 2700, kind: "speak_stop", heard: "The weather" },
    { t_ms: 2700, kind: "barge_in", heard: "The weather" },
    // The fade-out ends after the stop: the segment stays closed where the cut was.
    { type: "playback", t_ms: 2760, speaking: false },
    { t_ms: 3600, kind: "backchannel", phrase: "mm-hm" },
    { type: "playback", t_ms: 3610, speaking: true },
    { type: "playback", t_ms: 3900, speaking: false },
    { t_ms: 4200, kind: "voice_end", end_ms: 4150 },
  ]);
  assert.deepEqual(t.assistant, [
    { start_ms: 1000, end_ms: 2700 },
    { start_ms: 3610, end_ms: 3900 },
  ]);
  assert.deepEqual(t.user, [{ start_ms: 2400, end_ms: 4150 }]);
  assert.deepEqual(
    t.marks.map((m) => [m.kind, m.t_ms]),
    [
      ["barge_in", 2700],
      ["backchannel", 3600],
    ],
  );
});

test("repeated starts do not open a second segment, and an end with nothing open is ignored", () => {
  const t = apply(createTimeline(), [
    { t_ms: 100, kind: "voice_end", end_ms: 90 },
    { t_ms: 500, kind: "voice_start", onset_ms: 400, level_db: -20 },
    { t_ms: 600, kind: "voice_start", onset_ms: 550, level_db: -20 },
    { t_ms: 900, kind: "speak_start", text: "Okay.", speech: "acknowledgement" },
    { type: "playback", t_ms: 905, speaking: true },
  ]);
  assert.deepEqual(t.user, [{ start_ms: 400, end_ms: null }]);
  assert.deepEqual(t.assistant, [{ start_ms: 900, end_ms: null }]);
  closeAll(t, 1500);
  assert.deepEqual(t.user, [{ start_ms: 400, end_ms: 1500 }]);
  assert.deepEqual(t.assistant, [{ start_ms: 900, end_ms: 1500 }]);
});

test("only the last 30 s are kept and laid out, clipped at the window's left edge", () => {
  const t = apply(createTimeline(), [
    { t_ms: 1000, kind: "voice_start", onset_ms: 1000, level_db: -20 },
    { t_ms: 3000, kind: "voice_end", end_ms: 3000 },
    { t_ms: 3000, kind: "barge_in", heard: "" },
    { t_ms: 5_000, kind: "voice_start", onset_ms: 5_000, level_db: -20 },
    { t_ms: 35_000, kind: "voice_end", end_ms: 35_000 },
    { t_ms: 36_000, kind: "speak_start", text: "Sure.", speech: "answer" },
  ]);
  const now = 40_000;
  // Before trimming, the old segment and mark are laid out only where they overlap the window.
  let l = layout(t, now);
  assert.equal(l.user.length, 1, "1-3 s ended before the window (10-40 s)");
  assert.deepEqual(l.user[0], { from: 0.0, to: (35_000 - 10_000) / WINDOW_MS, open: false });
  assert.deepEqual(l.assistant, [{ from: (36_000 - 10_000) / WINDOW_MS, to: 1, open: true }]);
  assert.equal(l.marks.length, 0);

  trim(t, now);
  assert.deepEqual(t.user, [{ start_ms: 5_000, end_ms: 35_000 }]);
  assert.equal(t.marks.length, 0);
  assert.equal(t.assistant.length, 1, "an open segment is never trimmed");

  // Far later, everything closed has scrolled out.
  trim(t, 200_000);
  assert.deepEqual(t.user, []);
  l = layout(t, 200_000);
  assert.deepEqual(l.assistant, [{ from: 0, to: 1, open: true }]);
});

test("the audio clock takes the earliest arrival and never runs backwards", () => {
  const c = new AudioClock();
  assert.equal(c.now(5000), 0, "nothing seen yet");
  // Audio time 1000 arrived at page time 11_050 (50 ms late), then 1200 at 11_210 (10 ms late).
  c.observe(1000, 11_050);
  assert.equal(c.now(11_100), 1050);
  c.observe(1200, 11_210);
  assert.equal(c.now(11_300), 1290);
  // A late batch does not pull the clock back.
  c.observe(1250, 11_600);
  assert.equal(c.now(11_400), 1390);
  // Page time going nowhere does not move it back either.
  assert.equal(c.now(11_000), 1390);
});
