// The two-lane timeline: when the user's voice and the assistant's voice were active over the
// last 30 s, with cut-ins and backchannels marked. Pure (no DOM, no Tauri), so the tests run it
// under Node; timeline-view.ts draws it.
//
// Times are audio time since the conversation started (the engine's `t_ms`). The user lane comes
// from `voice_start` (at its `onset_ms`) and `voice_end` (at its `end_ms`); the assistant lane
// from `speak_start` and the app's `playback` messages (the speaker sounding or going quiet),
// closed early by `speak_stop` on a cut-in.

import type { EngineEvent } from "./events";

/** How much history the timeline shows. */
export const WINDOW_MS = 30_000;

/** Activity from `start_ms` to `end_ms`; `end_ms` is null while it goes on. */
export interface Segment {
  start_ms: number;
  end_ms: number | null;
}

export type MarkKind = "barge_in" | "backchannel";

/** A moment on one lane: the user cut in, or the assistant said "mm-hm". */
export interface Mark {
  t_ms: number;
  kind: MarkKind;
}

export interface Timeline {
  user: Segment[];
  assistant: Segment[];
  marks: Mark[];
  /** The latest audio time any message carried. */
  latest_ms: number;
}

export function createTimeline(): Timeline {
  return { user: [], assistant: [], marks: [], latest_ms: 0 };
}

function open(lane: Segment[], t_ms: number): boolean {
  const last = lane[lane.length - 1];
  if (last && last.end_ms === null) return false;
  // Touching or overlapping the previous segment (a late onset): extend it instead.
  if (last && last.end_ms !== null && t_ms <= last.end_ms) {
    last.end_ms = null;
    return true;
  }
  lane.push({ start_ms: t_ms, end_ms: null });
  return true;
}

function close(lane: Segment[], t_ms: number): boolean {
  const last = lane[lane.length - 1];
  if (!last || last.end_ms !== null) return false;
  last.end_ms = Math.max(last.start_ms, t_ms);
  return true;
}

function seen(t: Timeline, t_ms: number): void {
  if (t_ms > t.latest_ms) t.latest_ms = t_ms;
}

/** Applies one engine event; returns whether the timeline changed. */
export function timelineEvent(t: Timeline, e: EngineEvent): boolean {
  seen(t, e.t_ms);
  switch (e.kind) {
    case "voice_start":
      return open(t.user, Math.min(e.onset_ms, e.t_ms));
    case "voice_end":
      return close(t.user, Math.min(e.end_ms, e.t_ms));
    case "speak_start":
      return open(t.assistant, e.t_ms);
    case "speak_stop":
      return close(t.assistant, e.t_ms);
    case "barge_in":
      t.marks.push({ t_ms: e.t_ms, kind: "barge_in" });
      return true;
    case "backchannel":
      t.marks.push({ t_ms: e.t_ms, kind: "backchannel" });
      return true;
    default:
      return false;
  }
}

/** Applies the app's `playback` message: the speaker started or stopped sounding the voice. */
export function timelinePlayback(t: Timeline, t_ms: number, speaking: boolean): boolean {
  seen(t, t_ms);
  return speaking ? open(t.assistant, t_ms) : close(t.assistant, t_ms);
}

/** Ends open segments at `t_ms` (the conversation stopped). */
export function closeAll(t: Timeline, t_ms: number): void {
  close(t.user, t_ms);
  close(t.assistant, t_ms);
}

/** Drops what ended before the window that ends at `now_ms`. */
export function trim(t: Timeline, now_ms: number): void {
  const from = now_ms - WINDOW_MS;
  const keep = (s: Segment): boolean => s.end_ms === null || s.end_ms >= from;
  t.user = t.user.filter(keep);
  t.assistant = t.assistant.filter(keep);
  t.marks = t.marks.filter((m) => m.t_ms >= from);
}

/** A segment as drawn: clipped to the window, positions as fractions 0..1 of its width. */
export interface Span {
  from: number;
  to: number;
  open: boolean;
}

/** The lanes and marks as fractions of the window that ends at `now_ms`. */
export function layout(t: Timeline, now_ms: number): { user: Span[]; assistant: Span[]; marks: (Mark & { at: number })[] } {
  const from = now_ms - WINDOW_MS;
  const frac = (ms: number): number => Math.min(1, Math.max(0, (ms - from) / WINDOW_MS));
  const spans = (lane: Segment[]): Span[] =>
    lane
      .filter((s) => (s.end_ms ?? now_ms) >= from && s.start_ms <= now_ms)
      .map((s) => ({ from: frac(s.start_ms), to: frac(s.end_ms ?? now_ms), open: s.end_ms === null }));
  return {
    user: spans(t.user),
    assistant: spans(t.assistant),
    marks: t.marks.filter((m) => m.t_ms >= from && m.t_ms <= now_ms).map((m) => ({ ...m, at: frac(m.t_ms) })),
  };
}

/**
 * The conversation's audio clock as seen from the page: messages arrive after the audio time
 * they carry, so the smallest (arrival − t_ms) seen is the best estimate of the offset between
 * the page's clock and audio time. `now` extrapolates between messages, so the timeline scrolls
 * smoothly and never runs backwards.
 */
export class AudioClock {
  private offset: number | null = null;
  private last = 0;

  /** A message with audio time `t_ms` arrived at page time `arrived_ms`. */
  observe(t_ms: number, arrived_ms: number): void {
    const offset = arrived_ms - t_ms;
    if (this.offset === null || offset < this.offset) this.offset = offset;
  }

  /** Audio time now (0 before the first message). */
  now(page_ms: number): number {
    if (this.offset === null) return 0;
    this.last = Math.max(this.last, page_ms - this.offset);
    return this.last;
  }
}
