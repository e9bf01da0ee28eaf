"""Turn the real corpora of ../shared/datasets into source folders ``kg build`` reads.

Nothing here is copied into the repository: the folders are written to a
scratch directory at test or benchmark time.

- ``ted_source``: the 19 TED talks of ``ted_zh_dev`` as plain transcripts
  (one segment per line, as IWSLT gives them; no times, so the pipeline
  estimates them), with title, description, speaker and URL in the manifest.
- ``pie_source``: the 225 speech-recognition SRT files of ``pie_podcast_asr``
  as they are, with their titles.
- ``scaled_source``: any number of lectures recombined from both, with new ids
  (``bench.scale``); ``marc_prefix``: the first N records of an ISO 2709 file.
"""

from __future__ import annotations

import json
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def shared_datasets() -> Path | None:
    """``../shared/datasets`` beside the checkout, or None when it is absent."""
    return SHARED if SHARED.is_dir() else None


def ted_source(out: Path, datasets: Path = SHARED) -> Path:
    """Write the TED talks as a source folder; returns it."""
    (out / "subtitles").mkdir(parents=True, exist_ok=True)
    rows = []
    for line in (datasets / "ted_zh_dev" / "talks.jsonl").read_text(encoding="utf-8").splitlines():
        talk = json.loads(line)
        name = f"subtitles/ted-{talk['talkid']}.txt"
        (out / name).write_text(talk["text_zh"], encoding="utf-8")
        rows.append({
            "id": f"ted-{talk['talkid']}",
            "title": talk["title_zh"],
            "speakers": [talk["speaker_guess"]] if talk.get("speaker_guess") else [],
            "series": "TED",
            "video": talk["url"],
            "description": talk.get("description_zh") or None,
            "subtitles": name,
            "library": "ted",
        })
    _write_manifest(out, rows)
    return out


def ted_topics(datasets: Path = SHARED) -> dict[str, set[str]]:
    """TED's own English topic tags per lecture id (gold labels for relatedness)."""
    topics = {}
    for line in (datasets / "ted_zh_dev" / "talks.jsonl").read_text(encoding="utf-8").splitlines():
        talk = json.loads(line)
        tags = talk["keywords"]
        topics[f"ted-{talk['talkid']}"] = set(tags if isinstance(tags, list) else json.loads(tags.replace("'", '"')))
    return topics


def _pie_titles(folder: Path) -> dict[str, str]:
    """SRT file name → episode title, from the podcast corpus' ``index.jsonl``."""
    titles = {}
    for line in (folder / "index.jsonl").read_text(encoding="utf-8").splitlines():
        episode = json.loads(line)
        if episode.get("srt_file"):
            titles[Path(episode["srt_file"]).name] = episode["title"]
    return titles


def pie_source(out: Path, datasets: Path = SHARED, limit: int | None = None) -> Path:
    """Every SRT file of the podcast corpus (225), titled from ``index.jsonl`` where it lists them."""
    folder = datasets / "pie_podcast_asr"
    titles = _pie_titles(folder)
    (out / "subtitles").mkdir(parents=True, exist_ok=True)
    rows = []
    for source in sorted((folder / "srt").glob("*.srt"))[:limit]:
        (out / "subtitles" / source.name).write_bytes(source.read_bytes())
        rows.append({"id": source.name.split(".")[0], "title": titles.get(source.name, source.name.split(".")[0]),
                     "series": "PIE 播客", "subtitles": f"subtitles/{source.name}", "library": "pie"})
    _write_manifest(out, rows)
    return out


def _write_manifest(out: Path, rows: list[dict]) -> None:
    with (out / "lectures.jsonl").open("w", encoding="utf-8") as manifest:
        for row in rows:
            manifest.write(json.dumps({k: v for k, v in row.items() if v is not None}, ensure_ascii=False) + "\n")


# --- scaled corpora (bench.scale) -------------------------------------------------------------------------------
#
# ``scaled_source(out, lectures)`` writes ``lectures`` synthetic lectures recombined from real spoken text, with new
# ids: two in three from the podcast SRT files, one in three from the TED transcripts. Lecture ``i`` depends on ``i``
# alone (its own seeded random generator), so a smaller corpus is a prefix of a larger one.
#
# - ``scale-pie-NNNNN`` (library ``pie``): a window of ``PIE_WINDOW_SECONDS`` of consecutive cues of one episode,
#   then a window of as long from another episode, as one SRT file: real cue texts and real cue lengths; the second
#   window's times shifted to follow the first (and the first's to start at 0), so timecodes stay monotonic
#   (20 minutes of speech in all).
# - ``scale-ted-NNNNN`` (library ``ted``): one whole TED transcript, then a contiguous half of another, as a plain
#   transcript (no times: the pipeline estimates them, as for the real TED source).

PIE_WINDOW_SECONDS = 600


def scaled_source(out: Path, lectures: int, datasets: Path = SHARED) -> Path:
    """Write ``lectures`` recombined lectures as a source folder (manifest + subtitles); returns it."""
    import random

    episodes = _pie_episodes(datasets)
    talks = [json.loads(line) for line in
             (datasets / "ted_zh_dev" / "talks.jsonl").read_text(encoding="utf-8").splitlines()]
    (out / "subtitles").mkdir(parents=True, exist_ok=True)
    with (out / "lectures.jsonl").open("w", encoding="utf-8") as manifest:
        for index in range(lectures):
            rng = random.Random(index)
            row = _ted_lecture(out, index, rng, talks) if index % 3 == 2 else _pie_lecture(out, index, rng, episodes)
            manifest.write(json.dumps(row, ensure_ascii=False) + "\n")
    return out


def _pie_episodes(datasets: Path) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """(title, cues as (start ms, end ms, text)) of every podcast SRT file with enough cues, sorted by file name."""
    folder = datasets / "pie_podcast_asr"
    titles = _pie_titles(folder)
    episodes = []
    for path in sorted((folder / "srt").glob("*.srt")):
        cues = _srt_cues(path.read_text(encoding="utf-8", errors="replace"))
        if cues and cues[-1][1] - cues[0][0] > 2 * PIE_WINDOW_SECONDS * 1000:
            episodes.append((" ".join(titles.get(path.name, path.name.split(".")[0]).split()), cues))
    return episodes


def _srt_cues(text: str) -> list[tuple[int, int, str]]:
    """Cues of an SRT text as (start ms, end ms, text), skipping blocks without a timing line or text."""
    cues = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line for line in block.strip().split("\n") if line.strip()]
        timing = next((n for n, line in enumerate(lines) if "-->" in line), None)
        if timing is None or timing + 1 >= len(lines):
            continue
        start, end = (_srt_ms(part) for part in lines[timing].split("-->"))
        if start is not None and end is not None and end >= start:
            cues.append((start, end, "\n".join(lines[timing + 1:])))
    return cues


def _srt_ms(stamp: str) -> int | None:
    try:
        clock, _, millis = stamp.strip().split()[0].replace(".", ",").partition(",")
        hours, minutes, seconds = (int(part) for part in clock.split(":"))
        return ((hours * 60 + minutes) * 60 + seconds) * 1000 + int(millis or 0)
    except ValueError:
        return None


def _srt_stamp(ms: int) -> str:
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def _window(cues: list[tuple[int, int, str]], rng) -> list[tuple[int, int, str]]:
    """Consecutive cues covering ``PIE_WINDOW_SECONDS`` from a random starting cue."""
    last_start = cues[-1][1] - PIE_WINDOW_SECONDS * 1000
    first = rng.choice([n for n, cue in enumerate(cues) if cue[0] <= last_start])
    stop = cues[first][0] + PIE_WINDOW_SECONDS * 1000
    return [cue for cue in cues[first:] if cue[0] < stop]


def _pie_lecture(out: Path, index: int, rng, episodes: list) -> dict:
    first, second = rng.sample(range(len(episodes)), 2)
    head, tail = _window(episodes[first][1], rng), _window(episodes[second][1], rng)
    cues = [(start - head[0][0], end - head[0][0], text) for start, end, text in head]  # the lecture starts at 0
    shift = cues[-1][1] + 1000 - tail[0][0]
    cues += [(start + shift, end + shift, text) for start, end, text in tail]
    lecture = f"scale-pie-{index:05d}"
    with (out / "subtitles" / f"{lecture}.srt").open("w", encoding="utf-8") as srt:
        for number, (start, end, text) in enumerate(cues, 1):
            srt.write(f"{number}\n{_srt_stamp(start)} --> {_srt_stamp(end)}\n{text}\n\n")
    return {"id": lecture, "title": f"{episodes[first][0]} · {episodes[second][0]}", "series": "PIE 播客选段",
            "duration": round(cues[-1][1] / 1000), "subtitles": f"subtitles/{lecture}.srt", "library": "pie"}


def _ted_lecture(out: Path, index: int, rng, talks: list[dict]) -> dict:
    whole, part = rng.sample(talks, 2)
    lines = part["text_zh"].splitlines()
    start = rng.randrange(len(lines) - len(lines) // 2 + 1)
    lecture = f"scale-ted-{index:05d}"
    text = whole["text_zh"].rstrip("\n") + "\n" + "\n".join(lines[start:start + len(lines) // 2]) + "\n"
    (out / "subtitles" / f"{lecture}.txt").write_text(text, encoding="utf-8")
    speakers = [t["speaker_guess"] for t in (whole, part) if t.get("speaker_guess")]
    return {"id": lecture, "title": f"{whole['title_zh']} · {part['title_zh']}", "speakers": speakers,
            "series": "TED 选编", "description": whole.get("description_zh") or "",
            "subtitles": f"subtitles/{lecture}.txt", "library": "ted"}


def marc_prefix(source: Path, out: Path, records: int) -> int:
    """Copy the first ``records`` ISO 2709 records (each ended by 0x1D) of ``source`` to ``out``; returns how many.

    Streams in 1 MiB chunks, so the 250,000-record file is never in memory whole."""
    copied = 0
    with source.open("rb") as reading, out.open("wb") as writing:
        buffer = b""
        while copied < records:
            chunk = reading.read(1 << 20)
            if not chunk:
                break
            buffer += chunk
            while copied < records and (end := buffer.find(b"\x1d")) >= 0:
                writing.write(buffer[:end + 1])
                buffer = buffer[end + 1:]
                copied += 1
    return copied
