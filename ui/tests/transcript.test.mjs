// The transcript logic (ui/src/conversation/transcript.ts), compiled by `npm run test:ui`.
// Events are written the way the engine serializes them (`tandem duplex --events`).

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  MAX_LINES,
  applyEvent,
  clock,
  createTranscript,
  floorLabel,
  latencySummary,
  shownFloor,
  splitHeard,
} from "../../target/ui-test/conversation/transcript.js";

function run(events) {
  const t = createTranscript();
  const changes = events.map((e) => applyEvent(t, e));
  return { t, changes };
}

test("partials update one user line in place until the final", () => {
  const { t, changes } = run([
    { t_ms: 600, kind: "partial", text: " What", stable: "", compute_ms: 40 },
    { t_ms: 1000, kind: "partial", text: "What can", stable: "What", compute_ms: 40 },
    { t_ms: 1400, kind: "final", text: " What can you do?", compute_ms: 80 },
  ]);
  assert.equal(t.lines.length, 1);
  const [line] = t.lines;
  assert.deepEqual(
    { who: line.who, text: line.text, final: line.final, t_ms: line.t_ms },
    { who: "user", text: "What can you do?", final: true, t_ms: 600 },
  );
  // Every event touched the same line.
  assert.deepEqual(
    changes.map((c) => c.lines),
    [[line.id], [line.id], [line.id]],
  );
  assert.equal(t.openUser, null);
  // The next partial starts a new line.
  applyEvent(t, { t_ms: 5000, kind: "partial", text: "And", stable: "", compute_ms: 40 });
  assert.equal(t.lines.length, 2);
  assert.equal(t.lines[1].final, false);
});

test("taking the turn on a partial finalizes it with the text the engine acts on", () => {
  // Seen live: the end of turn came before the final transcript, which then never arrived.
  const { t } = run([
    { t_ms: 1880, kind: "partial", text: "Why can you...", stable: "", compute_ms: 160 },
    { t_ms: 2420, kind: "reasoning_request", id: 1, text: "Why can you", speculative: false, interrupted: null },
    { t_ms: 2420, kind: "floor", floor: "thinking" },
    { t_ms: 7240, kind: "final", text: "See.", compute_ms: 110 },
  ]);
  assert.deepEqual(
    t.lines.map((l) => [l.text, l.final]),
    [
      ["Why can you", true],
      ["See.", true],
    ],
  );
});

test("the floor moving to thinking closes an open partial as it stands", () => {
  const { t } = run([
    { t_ms: 600, kind: "partial", text: "What time", stable: "", compute_ms: 40 },
    { t_ms: 900, kind: "floor", floor: "thinking" },
    { t_ms: 2000, kind: "partial", text: "Thanks", stable: "", compute_ms: 40 },
  ]);
  assert.deepEqual(
    t.lines.map((l) => [l.text, l.final]),
    [
      ["What time", true],
      ["Thanks", false],
    ],
  );
});

test("a final with no words removes the partial line", () => {
  const { t, changes } = run([
    { t_ms: 600, kind: "partial", text: "Hm", stable: "", compute_ms: 40 },
    { t_ms: 900, kind: "final", text: "", compute_ms: 40 },
  ]);
  assert.equal(t.lines.length, 0);
  assert.deepEqual(changes[1].removed, [changes[0].lines[0]]);
});

test("an empty partial adds nothing", () => {
  const { t } = run([{ t_ms: 600, kind: "partial", text: "  ", stable: "", compute_ms: 40 }]);
  assert.equal(t.lines.length, 0);
});

test("reply latency runs from the end of the user's speech to the first audio", () => {
  const { t, changes } = run([
    { t_ms: 2000, kind: "voice_end", end_ms: 1900 },
    { t_ms: 2200, kind: "final", text: "What can you do?", compute_ms: 80 },
    { t_ms: 2400, kind: "floor", floor: "thinking" },
    { t_ms: 2450, kind: "speak_start", text: "I can tell the time.", speech: "answer" },
  ]);
  const reply = t.lines[1];
  assert.equal(reply.who, "assistant");
  assert.equal(reply.latency_ms, 550);
  assert.equal(reply.speaking, true);
  assert.equal(reply.heard, null);
  assert.ok(changes[3].latency);
  assert.deepEqual(t.latencies_ms, [550]);
  // A second line without new user speech has no latency.
  applyEvent(t, { t_ms: 3900, kind: "floor", floor: "listening" });
  applyEvent(t, { t_ms: 4000, kind: "speak_start", text: "Anything else?", speech: "answer" });
  assert.equal(t.lines[2].latency_ms, null);
  assert.equal(t.lines[1].speaking, false, "the earlier line is done");
});

test("a barge-in marks what was heard and adds a marker", () => {
  const text = "Paris is the capital of France and its largest city.";
  const { t } = run([
    { t_ms: 1000, kind: "speak_start", text, speech: "answer" },
    { t_ms: 1200, kind: "floor", floor: "speaking" },
    { t_ms: 2000, kind: "floor", floor: "yielding" },
    { t_ms: 2200, kind: "speak_stop", heard: "Paris is the capital" },
    { t_ms: 2200, kind: "barge_in", heard: "Paris is the capital" },
  ]);
  const [reply, mark] = t.lines;
  assert.equal(reply.heard, "Paris is the capital");
  assert.equal(reply.speaking, false);
  assert.equal(mark.who, "marker");
  assert.equal(mark.marker, "barge_in");
  assert.deepEqual(splitHeard(reply.text, reply.heard), {
    heard: "Paris is the capital",
    unheard: " of France and its largest city.",
  });
  assert.equal(t.floor, "yielding");
});

test("the sentences of a streamed answer are one line, cut where the user cut in", () => {
  const { t, changes } = run([
    { t_ms: 1000, kind: "floor", floor: "speaking" },
    { t_ms: 1100, kind: "speak_start", text: "I can tell the time and set timers.", speech: "answer" },
    { t_ms: 1300, kind: "speak_start", text: "For other questions, connect a model.", speech: "answer" },
    { t_ms: 3000, kind: "floor", floor: "yielding" },
    { t_ms: 3000, kind: "speak_stop", heard: "I can tell the time and set timers. For other" },
    { t_ms: 3000, kind: "barge_in", heard: "I can tell the time and set timers. For other" },
  ]);
  const [reply, mark] = t.lines;
  assert.equal(t.lines.length, 2);
  assert.equal(reply.text, "I can tell the time and set timers. For other questions, connect a model.");
  assert.deepEqual(changes[2].lines, [reply.id], "the second sentence updates the first line");
  assert.equal(reply.speaking, false);
  assert.deepEqual(splitHeard(reply.text, reply.heard), {
    heard: "I can tell the time and set timers. For other",
    unheard: " questions, connect a model.",
  });
  assert.equal(mark.marker, "barge_in");
});

test("an answer after something else is said starts a new line", () => {
  const { t } = run([
    { t_ms: 1000, kind: "speak_start", text: "One moment.", speech: "acknowledgement" },
    { t_ms: 1500, kind: "speak_start", text: "It is noon.", speech: "answer" },
    { t_ms: 2000, kind: "backchannel", phrase: "mm-hm" },
    { t_ms: 2500, kind: "speak_start", text: "Anything else?", speech: "answer" },
  ]);
  assert.deepEqual(
    t.lines.map((l) => [l.who, l.text]),
    [
      ["assistant", "One moment."],
      ["assistant", "It is noon."],
      ["marker", "mm-hm"],
      ["assistant", "Anything else?"],
    ],
  );
});

test("backchannels and speech not for us are markers", () => {
  const { t } = run([
    { t_ms: 800, kind: "backchannel", phrase: "mm-hm" },
    { t_ms: 3000, kind: "not_addressed", text: "Honey, where are my keys?", reason: "talking to someone else" },
  ]);
  assert.deepEqual(
    t.lines.map((l) => [l.who, l.marker, l.text, l.detail]),
    [
      ["marker", "backchannel", "mm-hm", ""],
      ["marker", "not_addressed", "Honey, where are my keys?", "talking to someone else"],
    ],
  );
});

test("the floor going back to listening ends the playing line", () => {
  const { t, changes } = run([
    { t_ms: 1000, kind: "speak_start", text: "Hello.", speech: "answer" },
    { t_ms: 1200, kind: "floor", floor: "speaking" },
    { t_ms: 2000, kind: "floor", floor: "listening" },
  ]);
  assert.equal(t.lines[0].speaking, false);
  assert.equal(t.lines[0].heard, null, "it was heard in full");
  assert.ok(changes[2].floor);
  assert.deepEqual(changes[2].lines, [t.lines[0].id]);
});

test("engine errors are kept, the last few only", () => {
  const t = createTranscript();
  for (let i = 0; i < 8; i++) {
    const c = applyEvent(t, { t_ms: i, kind: "error", stage: "asr", message: `failed ${i}` });
    assert.ok(c.error);
  }
  assert.equal(t.errors.length, 5);
  assert.equal(t.errors[4].message, "failed 7");
});

test("events that show nothing change nothing", () => {
  const { changes } = run([
    { t_ms: 1, kind: "voice_start", onset_ms: 0, level_db: -30 },
    { t_ms: 2, kind: "end_of_turn", probability: 0.9, compute_ms: 20 },
    { t_ms: 3, kind: "duck" },
    { t_ms: 4, kind: "reasoning_request", id: 1, text: "hi", speculative: true, interrupted: null },
    { t_ms: 5, kind: "reasoning_result", id: 1, text: "Hello.", source: "skill" },
  ]);
  for (const c of changes) {
    assert.deepEqual(c, { lines: [], removed: [], floor: false, latency: false, error: false });
  }
});

test("the transcript keeps the last MAX_LINES lines", () => {
  const t = createTranscript();
  let removed = [];
  for (let i = 0; i < MAX_LINES + 3; i++) {
    removed = removed.concat(applyEvent(t, { t_ms: i, kind: "backchannel", phrase: "mm-hm" }).removed);
  }
  assert.equal(t.lines.length, MAX_LINES);
  assert.deepEqual(removed, [1, 2, 3]);
});

test("splitHeard falls back to counting words", () => {
  assert.deepEqual(splitHeard("Hello there, friend.", null), { heard: "Hello there, friend.", unheard: "" });
  assert.deepEqual(splitHeard("Hello  there friend", "Hello there"), { heard: "Hello  there", unheard: " friend" });
  assert.deepEqual(splitHeard("Hello there", ""), { heard: "", unheard: "Hello there" });
});

test("labels, latency summary and clock", () => {
  assert.equal(floorLabel("user_speaking"), "You're speaking");
  assert.equal(floorLabel("yielding"), "You cut in");
  assert.equal(floorLabel("thinking"), "Thinking");
  assert.deepEqual(latencySummary([]), { last: null, median: null, count: 0 });
  assert.deepEqual(latencySummary([900, 300, 500]), { last: 500, median: 500, count: 3 });
  assert.deepEqual(latencySummary([400, 600]), { last: 600, median: 500, count: 2 });
  assert.equal(clock(65_400), "1:05");
});

test("a hold over our speech shows as paused until release or the yield", () => {
  const t = createTranscript();
  const shown = (e) => {
    const c = applyEvent(t, e);
    assert.equal(c.floor, true);
    return shownFloor(t);
  };
  assert.equal(shown({ t_ms: 0, kind: "floor", floor: "speaking" }), "speaking");
  assert.equal(shown({ t_ms: 120, kind: "hold" }), "paused");
  assert.equal(floorLabel(shownFloor(t)), "Paused for you");
  assert.equal(shown({ t_ms: 400, kind: "release" }), "speaking");
  assert.equal(shown({ t_ms: 500, kind: "hold" }), "paused");
  assert.equal(shown({ t_ms: 700, kind: "floor", floor: "yielding" }), "yielding");
  // A hold only means paused while we are speaking.
  assert.equal(shown({ t_ms: 900, kind: "hold" }), "yielding");
});
