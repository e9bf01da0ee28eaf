"""Select the demo catalogue ``data/holdings/loc_demo.mrc`` from real Library of Congress records.

    python -m bench.select_demo_holdings [--source FILE] [--out FILE] [--minimum 1200]

Where the demo holdings come from: ``../shared/datasets/loc_chinese_marc/
loc_booksall2016_part01_chi.mrc`` — 8,030 Chinese-language MARC21 records of
the Library of Congress "MDS Books All 2016" open-access release (US federal
work, public domain; see that folder's PROVENANCE.md, which allows copying
them into ``data/``).

Which records: every record whose vernacular title (880 245, the ``Holding``
title) or subject headings mention one of the demo lectures' topics
(``TOPICS``: Chinese terms, compared after traditional → simplified folding so
both scripts match; English LCSH phrases, compared as whole words), then every
k-th of the remaining records, in file order, until there are at least
``--minimum`` (and never fewer than a quarter of the matches again), so the
catalogue is realistic rather than only hits. The records are copied byte for
byte, unchanged, in file order: the output is the same bytes on every run.
The script prints how many records matched each topic.
"""

from __future__ import annotations

import argparse
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import HoldingsError
from ingest.folding import fold
from ingest.iso2709 import Fault, read_records
from ingest.marc import holding_from_record
from ingest.records import Holding

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "datasets" / "loc_chinese_marc" / "loc_booksall2016_part01_chi.mrc"
OUT = ROOT / "data" / "holdings" / "loc_demo.mrc"


@dataclass(frozen=True)
class Topic:
    """A demo lecture topic: Chinese terms (either script) and English LCSH phrases."""

    name: str
    chinese: tuple[str, ...]
    english: tuple[str, ...]


TOPICS = (
    Topic("孔子/论语/儒家", ("孔子", "论语", "論語", "儒家", "儒学", "儒學", "孔孟"),
          ("Confucius", "Confucianism", "Lun yu")),
    Topic("老子/道德经/道家", ("老子", "道德经", "道德經", "道家", "道教", "庄子", "莊子"),
          ("Laozi", "Lao-tzu", "Taoism", "Daoism", "Dao de jing", "Zhuangzi")),
    Topic("唐诗/李白/杜甫/诗", ("唐诗", "唐詩", "李白", "杜甫", "诗", "詩"),
          ("Chinese poetry", "Li, Bai", "Du, Fu")),
    Topic("红楼梦/曹雪芹", ("红楼梦", "紅樓夢", "曹雪芹", "红学", "紅學"),
          ("Cao, Xueqin", "Hong lou meng")),
    Topic("明代/明史/郑和/海禁", ("明代", "明史", "明朝", "郑和", "鄭和", "海禁"),
          ("Ming dynasty", "Zheng, He")),
    Topic("丝绸之路/敦煌/西域", ("丝绸之路", "絲綢之路", "丝路", "敦煌", "西域"),
          ("Silk Road", "Dunhuang")),
    Topic("晚清/鸦片战争/辛亥革命/洋务", ("晚清", "鸦片战争", "鴉片戰爭", "辛亥革命", "洋务", "洋務", "戊戌", "太平天国"),
          ("Opium War", "Revolution, 1911", "Taiping Rebellion", "Boxer Rebellion", "Self-strengthening movement")),
    Topic("昆曲/戏曲/京剧/脸谱/梅兰芳", ("昆曲", "崑曲", "昆剧", "崑劇", "戏曲", "戲曲", "京剧", "京劇", "脸谱", "臉譜",
                                    "梅兰芳", "梅蘭芳"),
          ("Chinese drama", "Operas, Chinese", "Chinese opera", "Kun qu", "Mei, Lanfang")),
    Topic("瓷器/景德镇/陶瓷", ("瓷", "景德镇", "景德鎮", "青花"),
          ("Porcelain", "Pottery, Chinese", "Ceramics", "Jingdezhen")),
    Topic("剪纸/民间美术/年画", ("剪纸", "剪紙", "民间美术", "民間美術", "民间艺术", "民間藝術", "年画", "年畫"),
          ("Paper work", "Papercutting", "Folk art")),
    Topic("书法/碑帖/绘画", ("书法", "書法", "碑帖", "绘画", "繪畫", "国画", "國畫", "篆刻"),
          ("Calligraphy", "Painting, Chinese")),
    Topic("佛教/石窟/敦煌", ("佛教", "佛经", "佛經", "石窟", "禅宗", "禪宗", "敦煌"),
          ("Buddhism", "Buddhist", "Cave temples")),
    Topic("天文/历法/节气", ("天文", "历法", "曆法", "节气", "節氣"),
          ("Astronomy", "Calendar")),
    Topic("中医/中药/本草", ("中医", "中醫", "中药", "中藥", "本草", "针灸", "針灸", "李时珍"),
          ("Medicine, Chinese", "Materia medica", "Acupuncture")),
    Topic("地震/地质", ("地震", "地质", "地質"),
          ("Earthquakes", "Geology", "Seismology")),
    Topic("茶/茶文化", ("茶",),
          ("Tea",)),
    Topic("鲁迅/现代文学", ("鲁迅", "魯迅", "现代文学", "現代文學"),
          ("Lu, Xun", "Chinese literature -- 20th century")),
)


@dataclass(frozen=True)
class Candidate:
    offset: int
    length: int
    holding: Holding


def english_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Whole-word, case-insensitive alternatives ("Tea" does not match "Teaching")."""
    return re.compile("|".join(rf"(?<![A-Za-z]){re.escape(p)}(?![A-Za-z])" for p in phrases), re.IGNORECASE)


def read_candidates(source: Path) -> Iterator[Candidate]:
    """Every usable record of ``source`` with where its bytes are."""
    with source.open("rb") as handle:
        for number, (offset, record) in enumerate(read_records(handle), start=1):
            if isinstance(record, Fault):
                continue
            try:
                holding = holding_from_record(record, f"{source.name}#record {number}")
            except HoldingsError:
                continue
            yield Candidate(offset, int(record.leader[0:5]), holding)


def match_topics(holding: Holding, patterns: dict[str, tuple[frozenset[str], re.Pattern[str]]]) -> list[str]:
    """The topics whose Chinese terms occur in the folded title or subjects, or whose English phrases occur in
    the subjects."""
    folded = fold(" ".join([holding.title, *holding.subjects]))
    subjects = " | ".join(holding.subjects)
    return [name for name, (chinese, english) in patterns.items()
            if any(term in folded for term in chinese) or english.search(subjects)]


def select(candidates: list[Candidate], minimum: int) -> tuple[list[Candidate], dict[str, int], int]:
    """(selected records in file order, matches per topic, number of matching records)."""
    patterns = {t.name: (frozenset(fold(c) for c in t.chinese), english_pattern(t.english)) for t in TOPICS}
    counts = {t.name: 0 for t in TOPICS}
    chosen: set[int] = set()
    for index, candidate in enumerate(candidates):
        for name in match_topics(candidate.holding, patterns):
            counts[name] += 1
            chosen.add(index)
    matched = len(chosen)
    rest = [i for i in range(len(candidates)) if i not in chosen]
    wanted = min(len(rest), max(minimum - matched, matched // 4))
    if wanted:
        step = max(1, len(rest) // wanted)
        chosen.update(rest[::step][:wanted])
    return [candidates[i] for i in sorted(chosen)], counts, matched


def write_records(source: Path, selected: list[Candidate], out: Path) -> bytes:
    """Copy the selected records' bytes, unchanged and in order, to ``out``."""
    with source.open("rb") as handle:
        parts = []
        for candidate in selected:
            handle.seek(candidate.offset)
            parts.append(handle.read(candidate.length))
    data = b"".join(parts)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return data


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="the LoC Chinese MARC file")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the selected records")
    parser.add_argument("--minimum", type=int, default=1200, help="at least this many records")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        parser.error(f"{args.source} not found (../shared/datasets beside the checkout)")
    candidates = list(read_candidates(args.source))
    selected, counts, matched = select(candidates, args.minimum)
    data = write_records(args.source, selected, args.out)
    width = max(len(name) for name in counts) + 2
    for name, count in counts.items():
        print(f"{name:<{width}}{count:>5}")
    print(f"matched {matched} of {len(candidates)} records; filled with {len(selected) - matched} others")
    print(f"wrote {len(selected)} records, {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}… "
          f"to {args.out}")


if __name__ == "__main__":
    main()
