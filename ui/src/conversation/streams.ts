// Audio stream restarts seen in this app session: the engine reopens a microphone or speaker
// stream that died (or that a busy sound server stalled) and says so with `recovered`. The
// conversation's status line and the System check show the counts, so that a flaky device or
// server is visible without reading logs.

import type { DeviceEvent } from "./events";

export interface StreamRestarts {
  input: number;
  output: number;
}

export function noRestarts(): StreamRestarts {
  return { input: 0, output: 0 };
}

/** Counts a device event; returns whether the counts changed. */
export function countRestart(counts: StreamRestarts, e: DeviceEvent): boolean {
  if (e.kind !== "recovered") return false;
  counts[e.direction] += 1;
  return true;
}

/** "Microphone restarted 1 time, speaker 3 times", or null when neither did. */
export function restartsText(counts: StreamRestarts): string | null {
  if (counts.input === 0 && counts.output === 0) return null;
  const times = (n: number): string => `${n} time${n === 1 ? "" : "s"}`;
  return `Microphone restarted ${times(counts.input)}, speaker ${times(counts.output)}`;
}
