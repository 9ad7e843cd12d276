// Turns engine events into the conversation as the window shows it: transcript lines, the
// floor, latencies and engine errors. Pure (no DOM, no Tauri), so the tests run it under Node.
//
// The state is mutated in place; `applyEvent` returns which lines changed so the view can
// update just those (a partial transcript updates its line in place rather than adding one).

import type { EngineEvent, FloorState, SpeechKind } from "./events";

/** What the user said: partial while they speak, final once transcribed in full. */
export interface UserLine {
  id: number;
  who: "user";
  t_ms: number;
  text: string;
  /** The part of a partial that has stopped changing. */
  stable: string;
  final: boolean;
}

/** What the assistant said. */
export interface AssistantLine {
  id: number;
  who: "assistant";
  t_ms: number;
  text: string;
  speech: SpeechKind;
  /** What the user had heard when they cut in; `null` when the line was not cut. */
  heard: string | null;
  /** Still playing. */
  speaking: boolean;
  /** From the end of the user's speech to this line's first audio, when it answers them. */
  latency_ms: number | null;
}

export type MarkerKind = "barge_in" | "backchannel" | "not_addressed";

/** Something that happened between the lines: a barge-in, a backchannel, speech not for us. */
export interface MarkerLine {
  id: number;
  who: "marker";
  t_ms: number;
  marker: MarkerKind;
  text: string;
  /** Why, for `not_addressed`. */
  detail: string;
}

export type Line = UserLine | AssistantLine | MarkerLine;

/** An error the engine reported while running (a stage failed once; the loop goes on). */
export interface EngineErrorNote {
  t_ms: number;
  stage: string;
  message: string;
}

export interface Transcript {
  floor: FloorState | null;
  /** The assistant is paused in place for the user's burst (a hold, until release or a new floor). */
  held: boolean;
  lines: Line[];
  /** Latencies (ms) of the assistant's replies, oldest first (the last `MAX_LATENCIES`). */
  latencies_ms: number[];
  errors: EngineErrorNote[];
  /** The user line partials go to, until its final arrives. */
  openUser: UserLine | null;
  /** When the user last stopped speaking and no reply has started since. */
  lastVoiceEndMs: number | null;
  nextId: number;
}

/** What one event changed, for the view. */
export interface Changes {
  /** Lines added or updated, by id, in order. */
  lines: number[];
  /** Lines removed (an empty final, or the oldest lines past `MAX_LINES`). */
  removed: number[];
  floor: boolean;
  latency: boolean;
  error: boolean;
}

export const MAX_LINES = 300;
export const MAX_LATENCIES = 50;
export const MAX_ERRORS = 5;

export function createTranscript(): Transcript {
  return {
    floor: null,
    held: false,
    lines: [],
    latencies_ms: [],
    errors: [],
    openUser: null,
    lastVoiceEndMs: null,
    nextId: 1,
  };
}

function noChanges(): Changes {
  return { lines: [], removed: [], floor: false, latency: false, error: false };
}

/** The assistant line still playing, if any (the newest). */
function speakingLine(t: Transcript): AssistantLine | null {
  for (let i = t.lines.length - 1; i >= 0; i--) {
    const line = t.lines[i];
    if (line && line.who === "assistant") return line.speaking ? line : null;
  }
  return null;
}

function add(t: Transcript, c: Changes, line: Line): void {
  t.lines.push(line);
  c.lines.push(line.id);
  while (t.lines.length > MAX_LINES) {
    const old = t.lines.shift();
    if (old) {
      c.removed.push(old.id);
      if (t.openUser === old) t.openUser = null;
    }
  }
}

function remove(t: Transcript, c: Changes, id: number): void {
  const i = t.lines.findIndex((l) => l.id === id);
  if (i >= 0) {
    t.lines.splice(i, 1);
    c.removed.push(id);
  }
}

function marker(t: Transcript, t_ms: number, kind: MarkerKind, text: string, detail = ""): MarkerLine {
  return { id: t.nextId++, who: "marker", t_ms, marker: kind, text, detail };
}

/** Marks the playing line as cut after `heard`. */
function cut(t: Transcript, c: Changes, heard: string): void {
  const line = speakingLine(t);
  if (!line) return;
  line.heard = heard;
  line.speaking = false;
  c.lines.push(line.id);
}

/** Applies one engine event and says what changed. */
export function applyEvent(t: Transcript, e: EngineEvent): Changes {
  const c = noChanges();
  switch (e.kind) {
    case "floor": {
      t.floor = e.floor;
      t.held = false;
      c.floor = true;
      // Back to listening (or the user speaking after we finished): our line is done.
      // The assistant took the turn: what the user said so far is all there is.
      if ((e.floor === "thinking" || e.floor === "speaking") && t.openUser) {
        t.openUser.final = true;
        c.lines.push(t.openUser.id);
        t.openUser = null;
      }
      if (e.floor === "listening" || e.floor === "user_speaking" || e.floor === "thinking") {
        const line = speakingLine(t);
        if (line) {
          line.speaking = false;
          c.lines.push(line.id);
        }
      }
      break;
    }
    case "voice_end":
      t.lastVoiceEndMs = e.end_ms;
      break;
    case "hold":
    case "release":
      t.held = e.kind === "hold";
      c.floor = true;
      break;
    case "partial": {
      const text = e.text.trim();
      if (t.openUser) {
        t.openUser.text = text;
        t.openUser.stable = e.stable.trim();
        c.lines.push(t.openUser.id);
      } else if (text) {
        const line: UserLine = { id: t.nextId++, who: "user", t_ms: e.t_ms, text, stable: e.stable.trim(), final: false };
        t.openUser = line;
        add(t, c, line);
      }
      break;
    }
    case "final": {
      const text = e.text.trim();
      const open = t.openUser;
      t.openUser = null;
      if (open) {
        if (text) {
          open.text = text;
          open.stable = text;
          open.final = true;
          c.lines.push(open.id);
        } else {
          // Whisper heard no words after all (a cough, a door).
          remove(t, c, open.id);
        }
      } else if (text) {
        add(t, c, { id: t.nextId++, who: "user", t_ms: e.t_ms, text, stable: text, final: true });
      }
      break;
    }
    case "reasoning_request": {
      // The engine acts on this text: it is the user's turn as understood, even when the turn
      // was taken before a final transcript arrived.
      const open = t.openUser;
      const text = e.text.trim();
      if (!e.speculative && open && text) {
        open.text = text;
        open.stable = text;
        open.final = true;
        t.openUser = null;
        c.lines.push(open.id);
      }
      break;
    }
    case "speak_start": {
      const previous = speakingLine(t);
      // The engine speaks a streamed answer sentence by sentence, a speak_start for each, and
      // what the user heard of it when they cut in covers the whole answer: a sentence that
      // follows the answer still playing, with nothing between them, continues its line.
      if (previous && previous === t.lines[t.lines.length - 1] && previous.speech === "answer" && e.speech === "answer") {
        previous.text = `${previous.text} ${e.text}`;
        t.lastVoiceEndMs = null;
        c.lines.push(previous.id);
        break;
      }
      if (previous) {
        previous.speaking = false;
        c.lines.push(previous.id);
      }
      let latency: number | null = null;
      if (t.lastVoiceEndMs !== null && e.t_ms >= t.lastVoiceEndMs) {
        latency = e.t_ms - t.lastVoiceEndMs;
        t.latencies_ms.push(latency);
        if (t.latencies_ms.length > MAX_LATENCIES) t.latencies_ms.shift();
        c.latency = true;
      }
      t.lastVoiceEndMs = null;
      add(t, c, {
        id: t.nextId++,
        who: "assistant",
        t_ms: e.t_ms,
        text: e.text,
        speech: e.speech,
        heard: null,
        speaking: true,
        latency_ms: latency,
      });
      break;
    }
    case "speak_stop":
      cut(t, c, e.heard);
      break;
    case "barge_in":
      cut(t, c, e.heard);
      add(t, c, marker(t, e.t_ms, "barge_in", "You cut in"));
      break;
    case "backchannel":
      add(t, c, marker(t, e.t_ms, "backchannel", e.phrase));
      break;
    case "not_addressed":
      add(t, c, marker(t, e.t_ms, "not_addressed", e.text, e.reason));
      break;
    case "error":
      t.errors.push({ t_ms: e.t_ms, stage: e.stage, message: e.message });
      if (t.errors.length > MAX_ERRORS) t.errors.shift();
      c.error = true;
      break;
    default:
      // voice_start, end_of_turn, duck/unduck, speculative requests and the
      // reasoner's results change nothing on screen.
      break;
  }
  return c;
}

/**
 * Splits an assistant line into what the user heard and the rest they never heard. The engine
 * reports `heard` as a prefix of the text cut at a word boundary; anything else is matched
 * word by word.
 */
export function splitHeard(text: string, heard: string | null): { heard: string; unheard: string } {
  if (heard === null) return { heard: text, unheard: "" };
  if (text.startsWith(heard)) return { heard, unheard: text.slice(heard.length) };
  const words = heard.split(/\s+/).filter(Boolean).length;
  const parts = text.split(/(\s+)/);
  let seen = 0;
  let i = 0;
  for (; i < parts.length && seen < words; i++) {
    if (/\S/.test(parts[i] ?? "")) seen++;
  }
  const head = parts.slice(0, i).join("");
  return { heard: head, unheard: text.slice(head.length) };
}

/** What the floor indicator shows: the floor, or "paused" while we hold for the user's voice. */
export type ShownFloor = FloorState | "paused";

/** The indicator's state: our speech paused for a burst over it reads as "paused", not speaking. */
export function shownFloor(t: Transcript): ShownFloor {
  const floor = t.floor ?? "listening";
  return t.held && floor === "speaking" ? "paused" : floor;
}

/** The floor as a short label for the big indicator. */
export function floorLabel(floor: ShownFloor | null): string {
  switch (floor) {
    case "paused":
      return "Paused for you";
    case "listening":
      return "Listening";
    case "user_speaking":
      return "You're speaking";
    case "thinking":
      return "Thinking";
    case "speaking":
      return "Speaking";
    case "yielding":
      return "You cut in";
    case null:
      return "Listening";
  }
}

/** The last and the median reply latency, in ms (`null` before the first reply). */
export function latencySummary(latencies: number[]): { last: number | null; median: number | null; count: number } {
  const count = latencies.length;
  if (count === 0) return { last: null, median: null, count };
  const sorted = [...latencies].sort((a, b) => a - b);
  const mid = Math.floor(count / 2);
  const median = count % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { last: latencies[count - 1] ?? null, median: Math.round(median), count };
}

/** `m:ss` of audio time, for line stamps. */
export function clock(t_ms: number): string {
  const s = Math.max(0, Math.floor(t_ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
