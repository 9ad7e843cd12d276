#!/usr/bin/env python3
"""Long-session memory check (issue 15, item 7), standard library only.

  long_session.py build OUT.wav MINUTES SCENARIO_DIR...   concatenate scenario input.wav files
  long_session.py run TANDEM IN.wav WORK_DIR [duplex flags] run duplex, sample RSS, print JSON

`build` shuffles every <dir>/*/input.wav (16 kHz mono 16-bit) with a fixed seed, pass after
pass, with 1-4 s of silence between clips and now and then a 15-30 s idle stretch, until the
length is reached. `run` starts `tandem duplex --pace virtual` under nice, reads VmRSS, RssAnon
and RssFile from /proc/PID/status every RSS_EVERY seconds (default 5) into WORK_DIR/rss.csv with
the audio position reached (the last t_ms in the events file, which is written in 8 KiB blocks),
then summarises. Sizes are MiB. The assistant's channel is written to OUT.wav as it is played
(before that the simulated speaker kept it in memory, f32: recorder_mb_per_hour of growth), so
a flat engine shows a slope near 0.
"""
import collections, csv, glob, json, os, random, subprocess, sys, time, wave

RATE = 16000


def build(out, minutes, dirs):
    files = sorted(f for d in dirs for f in glob.glob(os.path.join(d, "*", "input.wav")))
    if not files:
        sys.exit(f"no */input.wav under {dirs}")
    rng = random.Random(15)
    target = int(float(minutes) * 60 * RATE)
    written, clips = 0, 0
    with wave.open(out, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(RATE)
        while written < target:
            order = files[:]
            rng.shuffle(order)
            for f in order:
                with wave.open(f, "rb") as r:
                    if (r.getframerate(), r.getnchannels(), r.getsampwidth()) != (RATE, 1, 2):
                        sys.exit(f"{f}: not 16 kHz mono 16-bit")
                    frames = r.readframes(r.getnframes())
                gap = rng.uniform(15, 30) if rng.random() < 0.1 else rng.uniform(1, 4)
                for chunk in (frames, bytes(2 * int(gap * RATE))):  # the clip, then silence
                    n = min(len(chunk) // 2, target - written)
                    w.writeframes(chunk[: 2 * n])
                    written += n
                clips += 1
                if written >= target:
                    break
    print(json.dumps({"wav": out, "audio_s": written / RATE, "clips": clips,
                      "distinct": len(files)}))


def rss_mb(pid):
    """VmRSS, RssAnon (heap) and RssFile (mapped files: models) in MiB, or None."""
    want = {"VmRSS:": 0, "RssAnon:": 1, "RssFile:": 2}
    got = [None] * 3
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k = line.split(None, 1)[0]
                if k in want:
                    got[want[k]] = int(line.split()[1]) / 1024
    except OSError:
        return None
    return None if None in got else got


def last_t_ms(path, state):
    """Reads what was appended to the events file since the last call; the last complete t_ms."""
    try:
        with open(path, "rb") as f:
            f.seek(state["pos"])
            chunk = state["rest"] + f.read()
    except OSError:
        return state["t"]
    state["pos"] += len(chunk) - len(state["rest"])
    lines = chunk.split(b"\n")
    state["rest"] = lines.pop()
    for line in reversed(lines):
        try:
            state["t"] = json.loads(line)["t_ms"]
            break
        except (ValueError, KeyError):
            continue
    return state["t"]


def fit_slope(xs, ys):
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else None


def run(tandem, wav, work, extra):
    with wave.open(wav, "rb") as r:
        audio_s = r.getnframes() / r.getframerate()
    os.makedirs(work, exist_ok=True)
    events = os.path.join(work, "events.jsonl")
    every = float(os.environ.get("RSS_EVERY", "5"))
    start_after = float(os.environ.get("RSS_START_AFTER", "30"))
    cmd = ["nice", "-n", "10", tandem, "duplex", "--input", wav,
           "--output", os.path.join(work, "out.wav"), "--events", events,
           "--pace", "virtual", "--json"] + (extra or ["--echo-db", "-20"])
    t0 = time.monotonic()
    with open(os.path.join(work, "report.json"), "w") as rep, \
         open(os.path.join(work, "stderr.log"), "w") as err, \
         open(os.path.join(work, "rss.csv"), "w", newline="") as log:
        out = csv.writer(log)
        out.writerow(["wall_s", "rss_mb", "anon_mb", "file_mb", "audio_pos_s"])
        proc = subprocess.Popen(cmd, stdout=rep, stderr=err)
        samples, state = [], {"pos": 0, "rest": b"", "t": 0}
        while proc.poll() is None:
            mb = rss_mb(proc.pid)
            if mb is not None:
                s = (time.monotonic() - t0, mb[0], last_t_ms(events, state) / 1000, mb[1], mb[2])
                samples.append(s)
                out.writerow([f"{v:.1f}" for v in (s[0], s[1], s[3], s[4])] + [f"{s[2]:.2f}"])
                log.flush()
            time.sleep(every)
        rc = proc.wait()
    wall_s = time.monotonic() - t0
    kinds = collections.Counter()
    turns, pending = 0, False  # a request counts as answered once an answer starts playing
    with open(events) as f:
        for line in f:
            e = json.loads(line)
            kinds[e["kind"]] += 1
            if e["kind"] == "reasoning_request":
                pending = True
            elif pending and e["kind"] == "speak_start" and e.get("speech") == "answer":
                turns, pending = turns + 1, False
    if not samples:
        sys.exit(f"duplex exited ({rc}) before the first sample")
    start = ([s for s in samples if s[0] >= start_after] or samples)[0]
    # The events file's last lines arrive in the final flush, just before OUT.wav is written
    # (a copy of the recording): the run proper ends one sample before that.
    end = max(0, [s[2] for s in samples].index(samples[-1][2]) - 1)
    run_ = samples[: end + 1]
    quarters = [round(next((s for s in run_ if s[2] >= q * audio_s), run_[-1])[1], 1)
                for q in (0.25, 0.5, 0.75)] + [round(run_[-1][1], 1)]
    half = [s for s in run_ if s[2] >= audio_s / 2]
    slope = fit_slope([s[2] / 3600 for s in half], [s[1] for s in half])
    anon = fit_slope([s[2] / 3600 for s in half], [s[3] for s in half])
    with wave.open(os.path.join(work, "out.wav"), "rb") as r:
        recorder = r.getframerate() * 4 * 3600 / 2**20
    print(json.dumps({
        "rc": rc, "audio_s": round(audio_s, 1), "wall_s": round(wall_s, 1),
        "speed_x": round(audio_s / wall_s, 2),
        "rss_start_mb": round(start[1], 1), "rss_start_at": {"wall_s": round(start[0], 1),
                                                             "audio_s": round(start[2], 1)},
        "rss_quarters_mb": quarters, "rss_peak_mb": round(max(s[1] for s in samples), 1),
        "slope_mb_per_hour": None if slope is None else round(slope, 2),
        "anon_slope_mb_per_hour": None if anon is None else round(anon, 2),
        "recorder_mb_per_hour": round(recorder, 1),
        "rss_end_anon_file_mb": [round(run_[-1][3], 1), round(run_[-1][4], 1)],
        "samples": len(samples), "turns": turns,
        "cut_ins": kinds["barge_in"],
        "events": dict(sorted(kinds.items())),
    }, indent=1))


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) >= 4 and a[0] == "build":
        build(a[1], a[2], a[3:])
    elif len(a) >= 4 and a[0] == "run":
        run(a[1], a[2], a[3], a[4:])
    else:
        sys.exit(__doc__)
