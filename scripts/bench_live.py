#!/usr/bin/env python3
"""The live loop as a user runs it, measured: `tandem run` on the PulseAudio rig
(scripts/with-pulse.sh), the speaker looped back into the microphone like a laptop's
loudspeaker, a second voice playing the user. Each round the user asks "What can you do?" (a
long answer), cuts in over it ~2.5 s after it starts ("Wait, set a timer for N minutes."), and
waits for the answer to that. Prints, as JSON: the process's CPU (percent of one core, averaged
from the first question to the end) and peak RSS, per cut-in the time from the cut-in's onset to
the pause and to the stop, self-triggered ducks/pauses/stops before a cut-in (and our own voice
heard at all), reply latencies, and the
audio line of `tandem run` (stream restarts, xruns, drops). After the rounds the run stays
idle (its remaining time, plus `--tail` seconds): nobody speaks, so what the loop hears then
(`idle_self_triggered`, `idle_self_answered`) is our own voice, the rounds' timers going off.
`tandem run` gets a fresh data directory; its events are kept as `events.jsonl` beside the
recordings in its temporary work directory (tandem-bench-live-*).

Standard library only. Run through scripts/bench-live.sh (it starts the rig).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# What our own voice must never make the loop do: dip itself, pause, stop. (`voice_start` alone,
# our echo heard by the voice detector but far below the user's level, is counted apart as
# `own_voice_heard`.)
SELF_TRIGGERED = ("duck", "hold", "barge_in")

QUESTION = "What can you do?"
CUT_IN = "Wait, set a timer for {n} minutes."
NUMBERS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"]


def pactl(*args: str) -> str:
    return subprocess.run(["pactl", *args], check=True, capture_output=True, text=True).stdout


def load_room(echo_db: float) -> str:
    """speaker.monitor -> mic at echo_db (PulseAudio volumes are cubic: dB = 60 log10(v))."""
    before = {line.split()[0] for line in pactl("list", "short", "sink-inputs").splitlines()}
    module = pactl(
        "load-module", "module-loopback", "source=speaker.monitor", "sink=mic", "latency_msec=20",
        "source_dont_move=true", "sink_dont_move=true",
    ).strip()
    after = [line.split()[0] for line in pactl("list", "short", "sink-inputs").splitlines()]
    new = [i for i in after if i not in before]
    if not new:
        sys.exit("bench-live: the room loopback did not appear")
    volume = round(100 * 10 ** (echo_db / 60))
    pactl("set-sink-input-volume", new[0], f"{volume}%")
    return module


def start_room_loop(binary: str, rt60_s: float, echo_db: float, log: Path) -> subprocess.Popen:
    """speaker.monitor -> a simulated reverberant room (tests/examples/room_loop.rs) -> mic at
    echo_db (the direct path's gain; the tail adds as much again: 0 dB direct-to-reverberant)."""
    if not os.access(binary, os.X_OK):
        sys.exit(f"bench-live: {binary} is not an executable (cargo build -p tandem-tests --example room_loop)")
    proc = subprocess.Popen(
        [binary, f"{rt60_s}", f"{echo_db}"], stdin=subprocess.PIPE, stdout=log.open("w"),
        stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 10
    while "running" not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"bench-live: the room loop did not start: {log.read_text(errors='replace')}")
        time.sleep(0.1)
    return proc


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds per thread name (threads of one name summed)."""
    out: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """The resident set now (VmRSS), or its high-water mark since the start (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class Run:
    """`tandem run --json` with its events read as they come."""

    def __init__(self, tandem: str, seconds: int, policy: str, err: Path):
        self.err = err
        # A data directory of its own: the timers set by an earlier run went off in the next
        # one ("Your 4 minute timer is done." under the first question).
        env = dict(os.environ, TANDEM_DATA_DIR=str(err.parent / "data"))
        self.proc = subprocess.Popen(
            [tandem, "run", "--headless", "--json", "--policy", policy, "--seconds", str(seconds)],
            stdout=subprocess.PIPE, stderr=err.open("w"), text=True, env=env,
        )
        self.events: list[dict] = []
        self.queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            self.events.append(event)
            self.queue.put(event)

    def ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "Talk; Ctrl-C stops." in self.err.read_text(errors="replace"):
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    def wait_for(self, pred, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.queue.get(timeout=left)
            except queue.Empty:
                return None
            if pred(event):
                return event
        return None

    def drain(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()


def is_answer_start(e: dict) -> bool:
    return e.get("kind") == "speak_start" and e.get("speech") == "answer"


def say(path: Path) -> subprocess.Popen:
    """The user speaks: the WAV played into the rig's microphone."""
    return subprocess.Popen(["paplay", "-d", "mic", str(path)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tandem", default="target/release/tandem")
    ap.add_argument("--echo-db", type=float, default=-20.0)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--policy", default="model")
    ap.add_argument("--tail", type=int, default=0,
                    help="more seconds to stay idle after the rounds (the run already idles for what "
                         "is left of 22 s a round): the rounds' timers go off with nobody talking")
    ap.add_argument("--room", type=float, metavar="RT60_S",
                    help="loop the speaker back through a reverberant room of this RT60 (seconds) "
                         "instead of the plain loopback's pure delay")
    ap.add_argument("--room-loop", metavar="BIN",
                    help="the room's process (default: examples/room_loop beside --tandem)")
    args = ap.parse_args()
    if not os.environ.get("TANDEM_PULSE_RIG"):
        sys.exit("bench-live: run it through scripts/bench-live.sh (it starts the rig)")
    work = Path(tempfile.mkdtemp(prefix="tandem-bench-live-"))
    # The user's lines: our own voice at a lower pitch, synthesized before anything is timed.
    lines = {"q": QUESTION, **{f"c{i}": CUT_IN.format(n=NUMBERS[i % len(NUMBERS)]) for i in range(args.rounds)}}
    for key, text in lines.items():
        subprocess.run(
            [args.tandem, "say", "--pitch", "0.85", "--seed", "11", "-o", str(work / f"{key}.wav"), text],
            check=True, capture_output=True,
        )
    room_loop = None
    if args.room is not None:
        binary = args.room_loop or str(Path(args.tandem).parent / "examples" / "room_loop")
        room_loop = start_room_loop(binary, args.room, args.echo_db, work / "room.txt")
    else:
        room = load_room(args.echo_db)
    seconds = 20 + 22 * args.rounds + args.tail
    run = Run(args.tandem, seconds, args.policy, work / "stderr.txt")
    if not run.ready(60):
        print((work / "stderr.txt").read_text(errors="replace"), file=sys.stderr)
        sys.exit("bench-live: tandem run did not start")
    pid = run.proc.pid
    time.sleep(1.0)
    cpu0, wall0, threads0 = cpu_seconds(pid), time.monotonic(), thread_cpu(pid)
    after_rounds_rss = rss_mb(pid)
    rounds = []
    for i in range(args.rounds):
        run.drain()
        say(work / "q.wav")
        answer = run.wait_for(is_answer_start, 15)
        if answer is None:
            rounds.append({"round": i, "error": "no answer to the question"})
            continue
        time.sleep(2.5)
        mark = len(run.events)
        say(work / f"c{i}.wav")
        stopped = run.wait_for(lambda e: e.get("kind") == "barge_in", 8)
        reply = run.wait_for(is_answer_start, 10) if stopped else None
        run.wait_for(lambda e: e.get("kind") == "floor" and e.get("floor") == "listening", 8)
        after = run.events[mark:]
        before = run.events[run.events.index(answer):mark]
        onset = next((e["onset_ms"] for e in after if e.get("kind") == "voice_start"), None)
        hold = next((e["t_ms"] for e in after if e.get("kind") == "hold"), None)
        rounds.append({
            "round": i,
            "self_triggered": sum(1 for e in before if e.get("kind") in SELF_TRIGGERED),
            "own_voice_heard": sum(1 for e in before if e.get("kind") == "voice_start"),
            "pause_ms": hold - onset if hold is not None and onset is not None else None,
            "stop_ms": stopped["t_ms"] - onset if stopped and onset is not None else None,
            "answered": reply is not None,
        })
        after_rounds_rss = max(after_rounds_rss, rss_mb(pid))
        time.sleep(1.0)
    wall = time.monotonic() - wall0
    cpu = (cpu_seconds(pid) - cpu0) / wall * 100
    threads = {
        name: round((t - threads0.get(name, 0.0)) / wall * 100, 1)
        for name, t in sorted(thread_cpu(pid).items(), key=lambda kv: -kv[1])
    }
    threads = {k: v for k, v in threads.items() if v >= 0.1}
    after_rounds_rss = max(after_rounds_rss, rss_mb(pid))
    high_water = rss_mb(pid, "VmHWM")
    tail_mark = len(run.events)
    run.proc.wait(timeout=seconds + 30)
    # Nobody speaks after the rounds: any speech heard then is our own voice (an announcement).
    tail = run.events[tail_mark:]
    if room_loop is not None:
        assert room_loop.stdin is not None
        room_loop.stdin.close()
        room_loop.wait(timeout=10)
    else:
        pactl("unload-module", room)
    ends = {}
    latencies = []
    for e in run.events:
        if e.get("kind") == "voice_end":
            ends["last"] = e["end_ms"]
        elif is_answer_start(e) and "last" in ends:
            latencies.append(e["t_ms"] - ends.pop("last"))
    # The events stay beside the recordings, to read why a round went as it did.
    (work / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in run.events))
    audio = [l for l in (work / "stderr.txt").read_text(errors="replace").splitlines() if l.startswith("audio:")]
    stops = sorted(r["stop_ms"] for r in rounds if r.get("stop_ms") is not None)
    pauses = sorted(r["pause_ms"] for r in rounds if r.get("pause_ms") is not None)
    report = {
        "echo_db": args.echo_db,
        "room_rt60_s": args.room,
        "room_loop": (work / "room.txt").read_text(errors="replace").strip().splitlines() if room_loop else None,
        "policy": args.policy,
        "rounds": rounds,
        "cut_ins_paused_within_300_ms": sum(1 for p in pauses if p <= 300),
        "cut_ins": args.rounds,
        "pause_ms": pauses,
        "stop_ms": stops,
        "self_triggered": sum(r.get("self_triggered", 0) for r in rounds),
        "own_voice_heard": sum(r.get("own_voice_heard", 0) for r in rounds),
        "idle_announcements": sum(1 for e in tail if e.get("kind") == "speak_start" and e.get("speech") == "announcement"),
        "idle_self_triggered": sum(1 for e in tail if e.get("kind") in SELF_TRIGGERED),
        "idle_own_voice_heard": sum(1 for e in tail if e.get("kind") == "voice_start"),
        "idle_self_answered": sum(1 for e in tail if e.get("kind") == "turn_taken"),
        "reply_latency_ms": latencies,
        "cpu_percent_of_one_core": round(cpu, 1),
        "cpu_percent_by_thread": threads,
        # The resident set's high-water mark over the whole run (loading included), and the
        # largest of the samples taken as each round ends (what rows before 2026-12-07 call
        # peak RSS).
        "peak_rss_mb": round(high_water, 1),
        "rss_after_rounds_mb": round(after_rounds_rss, 1),
        "audio": audio,
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
