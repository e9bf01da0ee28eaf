"""Turn the real corpora of ../shared/datasets into source folders ``kg build`` reads.

Nothing here is copied into the repository: the folders are written to a
scratch directory at test or benchmark time.

- ``ted_source``: the 19 TED talks of ``ted_zh_dev`` as plain transcripts
  (one segment per line, as IWSLT gives them; no times, so the pipeline
  estimates them), with title, description, speaker and URL in the manifest.
- ``pie_source``: the 225 speech-recognition SRT files of ``pie_podcast_asr``
  as they are, with their titles.
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


def pie_source(out: Path, datasets: Path = SHARED, limit: int | None = None) -> Path:
    """Every SRT file of the podcast corpus (225), titled from ``index.jsonl`` where it lists them."""
    folder = datasets / "pie_podcast_asr"
    titles = {}
    for line in (folder / "index.jsonl").read_text(encoding="utf-8").splitlines():
        episode = json.loads(line)
        if episode.get("srt_file"):
            titles[Path(episode["srt_file"]).name] = episode["title"]
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
