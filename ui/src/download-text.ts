// Wording of the first-run model download (pure: the UI tests run it under plain Node).

/** "downloading pipecat-ai==1.14.0" -> "Downloading pipecat-ai==1.14.0…" */
export function describeStep(text: string): string {
  const t = text.trim();
  return t ? `${t.charAt(0).toUpperCase()}${t.slice(1)}…` : "Working…";
}

/** Percent of a byte count, whole numbers, for the bar's label. */
export function percent(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 0;
}

