// End-to-end: the real desktop app, its real engine and models, on the PulseAudio rig.
//
// Over WebDriver (tauri-driver + WebKitWebDriver) it launches the app, presses Start, speaks a
// question into the microphone sink, and checks that the question shows in the transcript, that
// the assistant answers on screen and out loud (the `speaker` sink is recorded), then cuts in
// while the answer plays and checks that the floor yields and the answer is marked as cut off.
// It then checks the 30 s timeline shows both voices and the cut-in, mutes the microphone and
// checks a question spoken while muted is not heard at all, switches the camera, finds the
// question in the History tab, and checks that the Settings tab rejects a bad value next to its
// field without touching the config file, then saves a good one.
// Screenshots, the recorded speaker and a summary go to TANDEM_E2E_OUT.
//
// Run through scripts/e2e.sh (which starts Xvfb, the sound server and the driver), or `make e2e`.

import { spawn, execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import webdriver from "selenium-webdriver";

const { Builder, By } = webdriver;

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through scripts/e2e.sh`);
  return value;
}

const APP = env("TANDEM_E2E_APP");
const CLI = env("TANDEM_E2E_CLI");
const OUT = env("TANDEM_E2E_OUT");
const WORK = env("TANDEM_E2E_WORK");
const DRIVER_URL = env("TANDEM_E2E_DRIVER_URL");
const DRIVER_LOG = env("TANDEM_E2E_DRIVER_LOG");
/** The user's installed models (for `tandem say`); the app's own cache starts empty. */
const USER_MODELS = env("TANDEM_E2E_USER_MODELS");

const QUESTION = "What can you do?";
// A whole request, as in tests/tests/conversation_rig.rs: a bare "Wait, stop." can come out as
// two short bursts that the policy holds for and then lets go, which is right for a cough but
// not what this test is about.
const CUT_IN = "Wait, set a timer for two minutes.";
/** Said while muted: the engine must not hear it. */
const MUTED_LINE = "What time is it?";
/** An open question no skill answers: the embedded language model must. */
const OPEN_QUESTION = "How do vaccines work?";
/** Words an answer to it has; the skills' "I can't answer that" has none of them. */
const OPEN_ANSWER = /immun|virus|bacteri|antibod|disease|infection|germ/i;
/** A debug build of the app with the model loading on first use. */
const OPEN_ANSWER_TIMEOUT_MS = 45_000;
/** The user's voice: ours, lower, so it is easy to tell from the assistant's. */
const USER_PITCH = process.env.TANDEM_E2E_PITCH ?? "0.85";

// Generous limits: a debug build on a busy 2-core machine loads the models slowly.
const SESSION_TIMEOUT_MS = 90_000;
const START_TIMEOUT_MS = 180_000;
const HEARD_TIMEOUT_MS = 30_000;
const ANSWER_TIMEOUT_MS = 30_000;
const YIELD_TIMEOUT_MS = 5_000;
/**
 * The indicator must show us quiet ("paused" or "yielding") this soon after the cut-in's onset
 * in the microphone sink: the time a user waits for us to stop, audio and UI latency included.
 * The aim is 300 ms (issue 15); ten runs gave 202-302 ms, median 211 (BENCHMARKS.md) on the
 * Xeon, but a slower 2-core EPYC gave 408 ms (2026-12-03): speed is measured in benchmarks, so
 * the test allows three micro-turns (600 ms) and the summary keeps the measured value.
 */
const SILENT_AFTER_ONSET_MS = 600;
/** One cut-in must be enough (it was 3 while the echo canceller ate cut-ins on headphones). */
const CUT_IN_ATTEMPTS = 1;
/** How far into the answer the user cuts in. */
const CUT_IN_AFTER_MS = 2_500;

const SAMPLE_RATE_HZ = 16_000;
const FRAME_MS = 50;
/** A frame this loud (RMS, dBFS) on the speaker is the assistant's voice, not the silence of a null sink. */
const VOICE_DBFS = -45;

const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const log = (msg) => console.log(`[e2e ${since()}] ${msg}`);
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

class Failure extends Error {}

/** Polls `probe` until it returns something truthy; fails with `what` after `timeoutMs`. */
async function waitFor(what, timeoutMs, probe, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Failure(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** The app window's X id (the toplevel named like the app), or the whole screen. */
function windowId() {
  const tree = execFileSync("xwininfo", ["-root", "-children"], { encoding: "utf8" });
  const m = tree.match(/^\s*(0x[0-9a-f]+) "Tandem":/m);
  return m ? m[1] : "root";
}

function synthesize(text, name) {
  const path = join(WORK, `${name}.wav`);
  try {
    // The user's voice comes from the installed models; the app starts with an empty cache.
    const env = { ...process.env, TANDEM_MODELS_DIR: USER_MODELS };
    execFileSync(CLI, ["say", "--pitch", USER_PITCH, text, "-o", path], { stdio: "pipe", env });
  } catch (err) {
    throw new Failure(`\`tandem say\` could not synthesize "${text}": ${err.stderr ?? err}`);
  }
  return path;
}

/** Plays a WAV into the microphone sink; resolves when paplay has played it all. */
function speak(path) {
  const child = spawn("paplay", ["-d", "mic", path], { stdio: ["ignore", "ignore", "inherit"] });
  return new Promise((ok, fail) => {
    child.on("error", fail);
    child.on("exit", (code) => (code === 0 ? ok() : fail(new Failure(`paplay ${path} exited with ${code}`))));
  });
}

/** Records a sink's monitor: 16 kHz mono s16le, each chunk stamped when it arrived. */
function record(sink) {
  const child = spawn(
    "parec",
    ["-d", `${sink}.monitor`, "--raw", "--format=s16le", `--rate=${SAMPLE_RATE_HZ}`, "--channels=1", "--latency-msec=20"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const chunks = [];
  child.stdout.on("data", (data) => chunks.push({ at: Date.now(), data }));
  return {
    /** What has arrived so far. */
    chunks: () => chunks.slice(),
    async stop() {
      child.kill("SIGTERM");
      await new Promise((ok) => (child.exitCode !== null ? ok() : child.on("exit", ok)));
      return chunks;
    },
  };
}

/** RMS level per frame (dBFS) with the wall-clock time each frame ended, from parec's chunks. */
function levels(chunks) {
  const frameBytes = (SAMPLE_RATE_HZ * FRAME_MS * 2) / 1000;
  const all = Buffer.concat(chunks.map((c) => c.data));
  // Place the stream on the clock by its last chunk (parec delivers in near real time).
  const endAt = chunks.length ? chunks[chunks.length - 1].at : Date.now();
  const frames = Math.floor(all.length / frameBytes);
  const out = [];
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let i = f * frameBytes; i < (f + 1) * frameBytes; i += 2) {
      const s = all.readInt16LE(i) / 32768;
      sum += s * s;
    }
    const rms = Math.sqrt(sum / (frameBytes / 2));
    out.push({ at: endAt - (frames - 1 - f) * FRAME_MS, dbfs: rms > 0 ? 20 * Math.log10(rms) : -120 });
  }
  return { frames: out, pcm: all };
}

/**
 * The engine's events of `kinds` from the app's log (tracing's UTC stamps, same clock as
 * ours), each with the wall-clock time it was logged: splits a latency measured on the page into
 * the engine's part and the delivery to the page.
 */
function engineEvents(kinds) {
  const out = [];
  const re = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})\d*Z .*? event t_ms=(\d+) kind=(\w+)(.*)$/;
  for (const line of readFileSync(DRIVER_LOG, "utf8").split("\n")) {
    const m = re.exec(line);
    if (m && kinds.includes(m[3])) out.push({ at: Date.parse(`${m[1]}Z`), t_ms: Number(m[2]), kind: m[3], rest: m[4] });
  }
  return out;
}

function wavFile(pcm) {
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write("WAVEfmt ", 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(SAMPLE_RATE_HZ, 24);
  header.writeUInt32LE(SAMPLE_RATE_HZ * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

// Runs in the page: records every value the floor indicator takes, even ones that last less
// than a poll (a MutationObserver sees each attribute write; values set and replaced within
// one task are recovered from the records' old values).
const INSTALL_FLOOR_RECORDER = `
  const floor = document.querySelector('[data-testid="floor"]');
  if (!floor) return false;
  if (window.__e2eFloor) return true;
  const seen = [{ state: floor.dataset.state, at: Date.now() }];
  window.__e2eFloor = seen;
  new MutationObserver((records) => {
    const at = Date.now();
    records.forEach((r, i) => {
      const next = i + 1 < records.length ? records[i + 1].oldValue : floor.dataset.state;
      if (next !== seen[seen.length - 1].state) seen.push({ state: next, at });
    });
  }).observe(floor, { attributes: true, attributeFilter: ["data-state"], attributeOldValue: true });
  return true;
`;

// Runs in the page: the transcript as data, from the UI's test ids.
// Text as seen: without the words only screen readers get (`.visually-hidden`).
const READ_TRANSCRIPT = `
  const seen = (el) => {
    if (!el) return "";
    const copy = el.cloneNode(true);
    copy.querySelectorAll(".visually-hidden").forEach((h) => h.remove());
    return copy.textContent.replace(/\\s+/g, " ").trim();
  };
  return [...document.querySelectorAll('[data-testid="transcript"] > li')].map((li) => ({
    who: li.dataset.testid,
    state: li.dataset.state || null,
    text: seen(li.querySelector(".line-text, .marker-text") || li),
    unheard: seen(li.querySelector('[data-testid="unheard"]')),
  }));
`;

// Runs in the page: what the timeline holds (the canvas publishes its counts as data).
const READ_TIMELINE = `
  const c = document.querySelector('[data-testid="timeline"]');
  return {
    user: Number(c.dataset.userSegments),
    assistant: Number(c.dataset.assistantSegments),
    barge_ins: Number(c.dataset.bargeIns),
    backchannels: Number(c.dataset.backchannels),
    label: c.getAttribute("aria-label"),
  };
`;

// Runs in the page: the theme's dark colours (the stylesheet's prefers-color-scheme: dark rules
// for :root) applied to the page, as a system in dark mode would; returns the page's background
// before and after. `undo` puts the system's theme back.
const EMULATE_DARK = `
  const root = document.documentElement;
  const before = getComputedStyle(root).backgroundColor;
  if (arguments[0] === "undo") {
    root.removeAttribute("style");
    return { before, after: getComputedStyle(root).backgroundColor, applied: 0 };
  }
  let applied = 0;
  const media = [];
  for (const sheet of document.styleSheets) {
    for (const rule of sheet.cssRules) {
      if (!rule.cssText.startsWith("@media")) continue;
      media.push(rule.cssText.slice(0, rule.cssText.indexOf("{")));
      if (!/prefers-color-scheme:\\s*dark/.test(rule.cssText.slice(0, rule.cssText.indexOf("{")))) continue;
      for (const r of rule.cssRules) {
        if (r.selectorText !== ":root") continue;
        for (const [, name, value] of r.style.cssText.matchAll(/(--[\\w-]+)\\s*:\\s*([^;]+)/g)) {
          root.style.setProperty(name, value.trim());
          applied++;
        }
      }
    }
  }
  root.style.colorScheme = "dark";
  return { before, after: getComputedStyle(root).backgroundColor, applied, media };
`;

/** Relative luminance (0 black .. 1 white) of a CSS rgb()/rgba() colour. */
function luminance(css) {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? ["0", "0", "0"]).slice(0, 3).map((v) => Number(v) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The first-run download's button, bar and status line. */
const READ_DOWNLOAD = `
  const root = document.querySelector(".model-download");
  if (!root) return null;
  const bar = root.querySelector("progress");
  return {
    button: root.querySelector("button")?.textContent ?? "",
    busy: root.querySelector("button")?.disabled ?? false,
    status: root.querySelector(".download-status")?.textContent ?? "",
    fraction: bar && !bar.hidden && bar.hasAttribute("value") ? bar.value / bar.max : null,
  };
`;

const READ_BANNERS = `
  return [...document.querySelectorAll(".banner")].map((b) => b.textContent.replace(/\\s+/g, " ").trim());
`;

async function main() {
  const shots = [];
  const summary = { ok: false, steps: [] };
  const step = (name, detail = {}) => {
    summary.steps.push({ name, at_s: (Date.now() - t0) / 1000, ...detail });
    log(`${name}${Object.keys(detail).length ? ` ${JSON.stringify(detail)}` : ""}`);
  };

  log("synthesizing the user's lines");
  const question = synthesize(QUESTION, "question");
  const cutIn = synthesize(CUT_IN, "cut-in");
  const mutedLine = synthesize(MUTED_LINE, "muted");
  const openQuestion = synthesize(OPEN_QUESTION, "open");

  log(`launching ${APP} through ${DRIVER_URL}`);
  await waitFor("tauri-driver to listen", 30_000, () => fetch(`${DRIVER_URL}status`).then(() => true, () => false), 250);
  // The session opens once the window has loaded its page: it never does when the app was
  // built without its UI (it then waits for a dev server).
  const driver = await Promise.race([
    new Builder().usingServer(DRIVER_URL).withCapabilities({ browserName: "wry", "tauri:options": { application: APP } }).build(),
    sleep(SESSION_TIMEOUT_MS).then(() => {
      throw new Failure(
        `no WebDriver session after ${SESSION_TIMEOUT_MS / 1000} s: the app did not start or its window never loaded the UI ` +
          "(build it with the UI embedded: cargo build -p tandem-app --features custom-protocol)",
      );
    }),
  ]);

  // Screenshots come from the X server, not WebDriver: WebKitWebDriver's screenshot hangs once
  // the conversation runs (the floor indicator animates without end).
  const shot = async (name) => {
    const path = join(OUT, `${name}.png`);
    try {
      execFileSync("import", ["-window", windowId(), path], { stdio: "pipe", timeout: 20_000 });
      shots.push(path);
      log(`screenshot ${path}`);
    } catch (err) {
      log(`no screenshot ${name}: ${err.stderr ?? err}`);
    }
  };
  const transcript = () => driver.executeScript(READ_TRANSCRIPT);
  const floorHistory = () => driver.executeScript("return window.__e2eFloor || [];");
  const timeline = () => driver.executeScript(READ_TIMELINE);
  const floorNow = () => driver.findElement(By.css('[data-testid="floor"]')).getAttribute("data-state");

  let recorder = null;
  // What the app heard, kept for when a step fails.
  const mic = record("mic");
  try {
    await waitFor("the window to show the conversation view", 60_000, () => driver.executeScript(INSTALL_FLOOR_RECORDER)).catch(
      async (err) => {
        const url = await driver.getCurrentUrl().catch(() => "an unknown page");
        throw new Failure(
          `${err.message}: the window shows ${url} (an app built without its UI embedded loads a dev server instead: ` +
            "cargo build -p tandem-app --features custom-protocol)",
        );
      },
    );
    step("window open");

    // First run: the app's model cache is empty, so the window offers the download before
    // anyone presses Start; the download shows its steps and a bar, then says it is ready.
    const offer = await waitFor("the first-run model download offer", 30_000, () => driver.executeScript(READ_DOWNLOAD));
    step("models offered", { button: offer.button });
    await shot("01-first-run");
    await driver.findElement(By.css('[data-action="fetch-models"]')).click();
    const statuses = new Set();
    let sawBar = false;
    const ready = await waitFor("the models to be downloaded and verified", 600_000, async () => {
      const d = await driver.executeScript(READ_DOWNLOAD);
      if (!d) throw new Failure("the download panel went away before the models were ready");
      if (d.status) statuses.add(d.status.replace(/ \d+ %$/, ""));
      if (d.fraction !== null && d.fraction > 0 && d.fraction < 1) sawBar = true;
      if (!d.busy && /try again/i.test(d.button)) throw new Failure(`the model download failed: ${d.status}`);
      return /models are ready/i.test(d.status) ? d.status : null;
    }, 100);
    step("models installed", { status: ready, steps: [...statuses].length, bar_moved: sawBar });
    if (statuses.size < 3) throw new Failure(`the download showed too few steps: ${JSON.stringify([...statuses])}`);
    await shot("01-idle");

    await driver.findElement(By.css('[data-testid="start-stop"]')).click();
    await waitFor("the conversation to start (models loaded, microphone open)", START_TIMEOUT_MS, async () => {
      const banners = await driver.executeScript(READ_BANNERS);
      if (banners.length) throw new Failure(`the app shows an error instead of starting: ${banners.join(" | ")}`);
      return (await floorNow()) === "listening";
    }, 250);
    step("listening");
    // The stream settles before the user speaks (the rig test waits the same way).
    await sleep(1_500);
    await shot("02-listening");

    recorder = record("speaker");
    const asked = speak(question);
    step("asked", { text: QUESTION });

    const heard = await waitFor(`the user's question in the transcript`, HEARD_TIMEOUT_MS, async () =>
      (await transcript()).find((l) => l.who === "line-user" && l.state === "final" && /what can you do/i.test(l.text)),
    );
    step("question transcribed", { text: heard.text, state: heard.state });

    const answer = await waitFor("the assistant's answer in the transcript", ANSWER_TIMEOUT_MS, async () =>
      (await transcript()).find((l) => l.who === "line-assistant" && l.text.length > 0),
    );
    const answerSeenAt = Date.now();
    step("answer on screen", { text: answer.text, state: answer.state });
    await asked;
    await shot("03-answering");

    // Cut in while it is still talking.
    await sleep(Math.max(0, CUT_IN_AFTER_MS - (Date.now() - answerSeenAt)));
    const stillSpeaking = (await transcript()).find((l) => l.who === "line-assistant" && l.state === "speaking");
    if (!stillSpeaking) {
      throw new Failure(`the answer was over before the cut-in (${CUT_IN_AFTER_MS} ms in): ${JSON.stringify(await transcript())}`);
    }
    // The loop takes CUT_IN_ATTEMPTS tries at most; every attempt is in the summary.
    let cutAt = 0;
    let cutPlayed = Promise.resolve();
    let yieldedAt = null;

    for (let attempt = 1; attempt <= CUT_IN_ATTEMPTS && yieldedAt === null; attempt++) {
      await cutPlayed;
      if (attempt > 1) {
        const speaking = (await transcript()).some((l) => l.who === "line-assistant" && l.state === "speaking");
        if (!speaking) break;
      }
      cutAt = Date.now();
      cutPlayed = speak(cutIn);
      step("cut in", { text: CUT_IN, attempt });
      const since = cutAt;
      yieldedAt = await waitFor("the floor to go to yielding", YIELD_TIMEOUT_MS, async () =>
        (await floorHistory()).find((f) => f.state === "yielding" && f.at >= since)?.at,
      ).catch((err) => {
        if (!(err instanceof Failure)) throw err;
        step("cut-in not taken", { attempt });
        return null;
      });
    }
    if (yieldedAt === null) {
      throw new Failure(`the floor never went to yielding after ${CUT_IN_ATTEMPTS} cut-ins while the answer played`);
    }
    await shot("04-cut-in");
    await cutPlayed;
    // What the microphone heard times the yield from the cut-in's onset rather than from
    // starting paplay (its start-up and the WAV's lead-in are not the assistant's delay). A
    // frame's `at` is when it ended: the onset is the start of the first voiced one.
    const micFrames = levels(mic.chunks()).frames;
    const onsetFrame = micFrames.find((f) => f.at - FRAME_MS >= cutAt && f.dbfs > VOICE_DBFS);
    if (!onsetFrame) throw new Failure(`the cut-in never reached the microphone sink above ${VOICE_DBFS} dBFS`);
    const onsetAt = onsetFrame.at - FRAME_MS;
    // Silent: the indicator shows our speech paused for the user's voice (a hold) or given up.
    const silentAt = (await floorHistory()).find((f) => (f.state === "paused" || f.state === "yielding") && f.at >= cutAt)?.at ?? yieldedAt;
    const silentAfterOnset = silentAt - onsetAt;
    // The same cut-in as the engine logged it: the voice it heard (its onset back-dated on the
    // engine's audio clock) and the hold that paused us, on the wall clock.
    const logged = engineEvents(["VoiceStart", "Hold"]);
    const voice = logged.find((e) => e.kind === "VoiceStart" && e.at >= cutAt);
    const heardOnsetAt = voice ? voice.at - (voice.t_ms - Number(/onset_ms: (\d+)/.exec(voice.rest)?.[1] ?? voice.t_ms)) : null;
    const hold = voice ? logged.find((e) => e.kind === "Hold" && e.at >= voice.at) : null;
    step("floor yielding", {
      after_cut_in_ms: yieldedAt - cutAt,
      onset_after_paplay_ms: onsetAt - cutAt,
      silent_after_onset_ms: silentAfterOnset,
      yielded_after_onset_ms: yieldedAt - onsetAt,
      engine_onset_after_onset_ms: heardOnsetAt === null ? null : heardOnsetAt - onsetAt,
      engine_hold_after_onset_ms: hold ? hold.at - onsetAt : null,
      page_after_engine_hold_ms: hold ? silentAt - hold.at : null,
    });
    if (silentAfterOnset > SILENT_AFTER_ONSET_MS) {
      throw new Failure(`the assistant went quiet ${silentAfterOnset} ms after the cut-in's onset (at most ${SILENT_AFTER_ONSET_MS} ms)`);
    }

    const cut = await waitFor("the answer marked as cut off", 10_000, async () =>
      (await transcript()).find((l) => l.who === "line-assistant" && l.state === "cut" && l.unheard.length > 0),
    );
    step("answer cut off", { heard: cut.text.slice(0, cut.text.length - cut.unheard.length).trim(), unheard: cut.unheard });
    const marker = (await transcript()).find((l) => l.who === "marker-barge-in");
    if (!marker) throw new Failure("no barge-in marker in the transcript");

    await cutPlayed;
    await sleep(2_000);
    await shot("05-after");

    // The answer reached the speaker sink: voice between the answer showing and the cut-in.
    const chunks = await recorder.stop();
    recorder = null;
    const { frames, pcm } = levels(chunks);
    writeFileSync(join(OUT, "speaker.wav"), wavFile(pcm));
    const during = frames.filter((f) => f.at >= answerSeenAt - 1_000 && f.at <= cutAt);
    const voiced = during.filter((f) => f.dbfs > VOICE_DBFS);
    const peak = Math.max(-120, ...frames.map((f) => f.dbfs));
    const audio = { recorded_s: frames.length * FRAME_MS / 1000, voiced_ms: voiced.length * FRAME_MS, window_ms: during.length * FRAME_MS, peak_dbfs: Math.round(peak) };
    step("speaker", audio);
    if (voiced.length * FRAME_MS < 1_000) {
      throw new Failure(`the answer did not reach the speaker sink: ${voiced.length * FRAME_MS} ms above ${VOICE_DBFS} dBFS while it was on screen (peak ${peak.toFixed(1)} dBFS; see speaker.wav)`);
    }

    // The timeline: the question and the cut-in on the user's lane, the answer on the
    // assistant's, and the cut-in marked.
    const lanes = await timeline();
    step("timeline", lanes);
    if (lanes.user < 1 || lanes.assistant < 1 || lanes.barge_ins < 1) {
      throw new Failure(`the timeline lacks a user segment, an assistant segment or the cut-in mark: ${JSON.stringify(lanes)}`);
    }

    // Mute: the UI says so, and a question spoken while muted is not heard at all (no voice on
    // the user's lane, no transcript line, the floor never goes to the user).
    await waitFor("the floor to come back to listening before muting", 30_000, async () => (await floorNow()) === "listening", 250);
    await driver.findElement(By.css('[data-testid="mic-mute"]')).click();
    const micState = await waitFor("the UI to say Muted", 5_000, async () => {
      const text = await driver.findElement(By.css('[data-testid="mic-state"]')).getText();
      return /^muted$/i.test(text.trim()) ? text : null;
    });
    const beforeMute = { lanes: await timeline(), lines: (await transcript()).filter((l) => l.who === "line-user").length, at: Date.now() };
    await sleep(500);
    await speak(mutedLine);
    await sleep(3_000);
    await shot("06-muted");
    const afterMute = { lanes: await timeline(), lines: (await transcript()).filter((l) => l.who === "line-user").length };
    const floorWhileMuted = (await floorHistory()).filter((f) => f.at >= beforeMute.at).map((f) => f.state);
    step("muted", { label: micState, user_segments: [beforeMute.lanes.user, afterMute.lanes.user], user_lines: [beforeMute.lines, afterMute.lines], floor: floorWhileMuted });
    if (afterMute.lanes.user !== beforeMute.lanes.user || afterMute.lines !== beforeMute.lines || floorWhileMuted.includes("user_speaking")) {
      throw new Failure(`the engine heard "${MUTED_LINE}" while muted: ${JSON.stringify({ beforeMute, afterMute, floorWhileMuted })}`);
    }
    await driver.findElement(By.css('[data-testid="mic-mute"]')).click();
    const unmuted = await driver.findElement(By.css('[data-testid="mic-state"]')).getText();
    if (/muted/i.test(unmuted)) throw new Failure(`still says "${unmuted}" after unmuting`);
    step("unmuted", { label: unmuted });

    // An open question: the answer is generated by the embedded language model (not a skill's
    // canned text), shows in the transcript and is spoken.
    await waitFor("the floor to be free before the open question", 30_000, async () => (await floorNow()) === "listening", 250);
    const assistantLinesBefore = (await transcript()).filter((l) => l.who === "line-assistant").length;
    recorder = record("speaker");
    const openAskedAt = Date.now();
    await speak(openQuestion);
    const openHeard = await waitFor("the open question in the transcript", HEARD_TIMEOUT_MS, async () =>
      (await transcript()).find((l) => l.who === "line-user" && l.state === "final" && /vaccin/i.test(l.text)),
    );
    step("open question transcribed", { text: openHeard.text });
    const generated = await waitFor("a generated answer to the open question", OPEN_ANSWER_TIMEOUT_MS, async () => {
      const lines = (await transcript()).filter((l) => l.who === "line-assistant").slice(assistantLinesBefore);
      return lines.find((l) => OPEN_ANSWER.test(l.text) && l.state !== "speaking") ?? null;
    }, 250);
    const openChunks = await recorder.stop();
    recorder = null;
    const openLevels = levels(openChunks);
    writeFileSync(join(OUT, "speaker-open.wav"), wavFile(openLevels.pcm));
    const openVoiced = openLevels.frames.filter((f) => f.at >= openAskedAt && f.dbfs > VOICE_DBFS).length * FRAME_MS;
    step("open answer", { text: generated.text, state: generated.state, voiced_ms: openVoiced });
    await shot("06b-open-answer");
    if (openVoiced < 1_500) {
      throw new Failure(`the generated answer was not spoken: ${openVoiced} ms of voice on the speaker (see speaker-open.wav)`);
    }

    // The camera switch: with no camera (the test machines have none) a message that says
    // what to do, and the conversation goes on; with one, the switch shows it on.
    await driver.findElement(By.css('[data-testid="camera-toggle"]')).click();
    const camera = await waitFor("the camera switch to answer", 15_000, async () => {
      const pressed = await driver.findElement(By.css('[data-testid="camera-toggle"]')).getAttribute("aria-pressed");
      if (pressed === "true") return { on: true };
      const banner = (await driver.executeScript(READ_BANNERS)).find((t) => /camera/i.test(t));
      return banner ? { on: false, banner } : null;
    });
    step("camera switch", camera);
    await shot("07-camera");
    if (!camera.on && !/fix|connect|no camera/i.test(camera.banner)) {
      throw new Failure(`the no-camera message does not say what to do: ${camera.banner}`);
    }
    if ((await floorNow()) === "offline") throw new Failure("switching the camera stopped the conversation");

    // History: this conversation's question, newest first (the run has a fresh store).
    await driver.findElement(By.css("#tab-history")).click();
    const turns = await waitFor("the question in the History tab", 10_000, async () => {
      const rows = await driver.executeScript(
        `return [...document.querySelectorAll('[data-testid="history-turn"]')].map((t) => ({ status: t.dataset.status, text: t.textContent.replace(/\\s+/g, " ").trim() }));`,
      );
      return rows.some((r) => /what can you do/i.test(r.text)) ? rows : null;
    });
    step("history", { turns: turns.length, newest: turns[0] });
    await shot("08-history");

    // Settings: a micro-turn of 5000 ms is refused next to its field, and the config file (none
    // yet: the run starts from defaults) is not written; 240 ms is then saved.
    const configPath = join(WORK, "config.toml");
    await driver.findElement(By.css('[data-testid="tab-settings"]')).click();
    const microTurn = await driver.findElement(By.css('[data-testid="set-micro_turn_ms"]'));
    await waitFor("the settings to load", 10_000, async () => (await microTurn.getAttribute("value")) === "200");
    await microTurn.clear();
    await microTurn.sendKeys("5000");
    await driver.findElement(By.css('[data-testid="settings-save"]')).click();
    const fieldError = await waitFor("the micro-turn field's error", 10_000, async () => {
      const el = await driver.findElement(By.css('[data-testid="error-micro_turn_ms"]'));
      return (await el.isDisplayed()) ? el.getText() : null;
    });
    const invalid = await microTurn.getAttribute("aria-invalid");
    const settingsStatus = await driver.findElement(By.css('[data-testid="settings-status"]')).getText();
    step("settings rejected", { error: fieldError, status: settingsStatus, aria_invalid: invalid });
    await shot("09-settings-rejected");
    if (!/between 80 and 400/.test(fieldError) || invalid !== "true" || !/not saved/i.test(settingsStatus)) {
      throw new Failure(`the bad micro-turn was not refused clearly: ${JSON.stringify({ fieldError, invalid, settingsStatus })}`);
    }
    if (existsSync(configPath)) throw new Failure(`a refused save wrote ${configPath}: ${readFileSync(configPath, "utf8")}`);
    await microTurn.clear();
    await microTurn.sendKeys("240");
    await driver.findElement(By.css('[data-testid="settings-save"]')).click();
    const savedStatus = await waitFor("the settings to save", 10_000, async () => {
      const text = await driver.findElement(By.css('[data-testid="settings-status"]')).getText();
      return /^saved/i.test(text) ? text : null;
    });
    const written = existsSync(configPath) ? readFileSync(configPath, "utf8") : "";
    step("settings saved", { status: savedStatus, file: written });
    if (!/micro_turn_ms = 240/.test(written)) throw new Failure(`the saved settings are not in ${configPath}: ${written}`);
    await driver.findElement(By.css("#tab-conversation")).click();

    // Both themes render: the window as the system left it (light here), then with the dark
    // theme's colours; the timeline takes its colours from the theme on every frame.
    const dark = await driver.executeScript(EMULATE_DARK);
    await sleep(300);
    await shot("10-dark");
    const undone = await driver.executeScript(EMULATE_DARK, "undo");
    step("themes", { system: dark.before, dark: dark.after, rules: dark.applied, back: undone.after });
    if (dark.applied < 10 || luminance(dark.after) > 0.2 || luminance(undone.after) !== luminance(dark.before)) {
      throw new Failure(`the dark theme did not apply or did not come off: ${JSON.stringify({ dark, undone })}`);
    }

    summary.floor = await floorHistory();
    summary.transcript = await transcript();
    summary.ok = true;
    await driver.findElement(By.css('[data-testid="start-stop"]')).click();
  } catch (err) {
    summary.error = String(err.message ?? err);
    try {
      await shot("failure");
      summary.floor = await floorHistory();
      summary.transcript = await transcript();
    } catch (inner) {
      log(`could not read the window after the failure: ${inner}`);
    }
    throw err;
  } finally {
    if (recorder) writeFileSync(join(OUT, "speaker.wav"), wavFile(levels(await recorder.stop()).pcm));
    writeFileSync(join(OUT, "mic.wav"), wavFile(levels(await mic.stop()).pcm));
    summary.seconds = (Date.now() - t0) / 1000;
    summary.screenshots = shots;
    writeFileSync(join(OUT, "summary.json"), JSON.stringify(summary, null, 2));
    await driver.quit().catch((err) => log(`closing the session: ${err}`));
  }
}

main().then(
  () => {
    log(`passed; screenshots and summary in ${OUT}`);
    // The client's kept-alive connections to the driver would hold Node for another minute.
    process.exit(0);
  },
  (err) => {
    console.error(`\n[e2e] FAILED: ${err instanceof Failure ? err.message : err.stack}`);
    console.error(`[e2e] the floor, transcript and screenshots: ${OUT}/summary.json; the app's log:`);
    try {
      const lines = readFileSync(DRIVER_LOG, "utf8").trimEnd().split("\n");
      console.error(lines.slice(-40).join("\n"));
    } catch {
      console.error("(no log)");
    }
    // A request still open to a stuck driver would keep Node alive.
    process.exit(1);
  },
);
