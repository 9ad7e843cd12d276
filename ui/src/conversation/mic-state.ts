// Mute and push-to-talk as a pure state: whether the engine should hear the microphone, and what
// the UI says about it. mic-control.ts wires it to the buttons, the Space key and the
// `set_microphone` command.

export interface MicState {
  /** The Mute switch: nothing gets through while it is on. */
  muted: boolean;
  /** Push-to-talk mode: the microphone is live only while `held`. */
  pushToTalk: boolean;
  /** Space or the Hold-to-talk button is down. */
  held: boolean;
}

export function initialMic(live: boolean): MicState {
  return { muted: !live, pushToTalk: false, held: false };
}

/** Whether the engine should hear the microphone. */
export function micLive(s: MicState): boolean {
  return !s.muted && (!s.pushToTalk || s.held);
}

/** The short status shown beside the switches; "Muted" whenever the engine hears nothing
 * because of the Mute switch. */
export function micLabel(s: MicState): string {
  if (s.muted) return "Muted";
  if (s.pushToTalk) return s.held ? "Talking (push-to-talk)" : "Push-to-talk: hold Space to talk";
  return "Microphone on";
}
