"""Cue text without markup: what a viewer reads, minus non-speech markers.

``clean_text`` turns the payload lines of one cue into display text:

1. ruby annotations go with their markup: ``<ruby>漢<rt>かん</rt></ruby>`` → ``漢``;
2. tags are removed: in WebVTT every ``<…>`` (``<v Name>``, ``<c.class>``,
   ``<i>``, ``<lang en>``, inline timestamps ``<00:01:05.000>``), since WebVTT
   escapes a literal ``<`` as ``&lt;``; in SRT only the tags players know
   (``i b u s font span ruby rt rp c v lang br``), so ``<三国演义>`` stays;
3. ASS/SSA override blocks ``{\\an8}``, ``{\\i1}``, ``{\\pos(10,20)}`` are
   removed, ``\\N`` becomes a line break and ``\\h`` a space;
4. HTML entities are unescaped (``&amp;`` → ``&``, ``&nbsp;`` → space) after
   the tags are gone, so ``&lt;i&gt;`` stays visible text;
5. control, zero-width and bidi-format characters are removed, runs of spaces
   collapse to one, lines are stripped and blank lines dropped; lines are
   joined with ``\\n`` (the cue's own line breaks are display text);
6. non-speech markers are removed: music signs (♪ ♫ …) and bracketed
   descriptions of sound, Chinese (``[音乐]``, ``（掌声）``, ``【笑声】``: short,
   all-CJK and containing a sound word) or English (``[Music]``,
   ``(applause)``, ``[MUSIC PLAYING]``, Whisper's ``[BLANK_AUDIO]``).

Text with no letter, digit or CJK character left (empty, only markers, only
punctuation such as ``……``) comes back as ``""``; the caller drops that cue.
"""

from __future__ import annotations

import html
import re

_RUBY_TEXT = re.compile(r"<(rt|rp)\b[^<>]*>.*?(?:</\1\s*>|(?=</ruby\s*>)|(?=<rt\b)|$)", re.IGNORECASE | re.DOTALL)
_ANY_TAG = re.compile(r"<[^<>\n]*>")
_SRT_TAG = re.compile(r"</?(?:i|b|u|s|font|span|ruby|rt|rp|c|v|lang)(?:[\s.][^<>]*)?/?>|<\d{1,2}(?::\d{2}){1,2}\.\d{3}>", re.I)
_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
_MARKUP_SIGNS = re.compile(r"[<>&{}\\]")
_ASS_OVERRIDE = re.compile(r"\{\\[^{}]*\}")
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SPACES = re.compile(r"[ \t\xa0\u1680\u2000-\u200a\u202f\u205f]+")
_MUSIC = re.compile(r"[♩♪♫♬\U0001F3B5\U0001F3B6\U0001F3BC]+")
_BRACKETED = re.compile(
    r"\[([^\[\]]{0,24})\]|［([^［］]{0,24})］|\(([^()]{0,24})\)|（([^（）]{0,24})）|【([^【】]{0,24})】|〔([^〔〕]{0,24})〕"
)
_CJK_ONLY = re.compile(r"[\u3400-\u9fff\s]+")
_SOUND_STEMS = (
    "音乐", "配乐", "乐曲", "歌声", "掌声", "鼓掌", "笑", "欢呼", "喝彩", "咳", "叹气", "静音", "沉默",
    "杂音", "噪音", "听不清", "片头", "片尾", "音效", "铃声", "响声", "哨声",
)
_SOUND_WORDS = frozenset(
    "music musical playing plays applause applauding clapping cheering cheers laughter laughs laughing "
    "laugh chuckles chuckling silence noise inaudible indistinct background upbeat soft dramatic intro "
    "outro theme audience crowd sighs sighing coughs coughing beep bell blank_audio".split()
)
_WORD = re.compile(r"[^\W_]")


def clean_text(lines: list[str] | tuple[str, ...], fmt: str) -> str:
    """Display text of one cue's payload ``lines`` (format ``"srt"``, ``"vtt"`` or ``"txt"``)."""
    text = "\n".join(lines)
    if fmt != "txt" and _MARKUP_SIGNS.search(text):
        text = _strip_markup(text, fmt)
    text = _INVISIBLE.sub("", text)
    text = _remove_markers(text)
    cleaned = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(line for line in cleaned if line)
    return text if has_words(text) else ""


def has_words(text: str) -> bool:
    """True when ``text`` has a letter, digit or CJK character, i.e. something said."""
    return _WORD.search(text) is not None


def _strip_markup(text: str, fmt: str) -> str:
    text = _RUBY_TEXT.sub("", text)
    text = _BREAK_TAG.sub("\n", text)
    text = (_ANY_TAG if fmt == "vtt" else _SRT_TAG).sub("", text)
    text = _ASS_OVERRIDE.sub("", text)
    if fmt == "srt":
        text = text.replace("\\N", "\n").replace("\\h", " ")
    return html.unescape(text)


def _remove_markers(text: str) -> str:
    text = _MUSIC.sub(" ", text)
    if "[" in text or "(" in text or "（" in text or "【" in text or "［" in text or "〔" in text:
        text = _BRACKETED.sub(_drop_sound, text)
    return text


def _drop_sound(match: re.Match[str]) -> str:
    content = next(group for group in match.groups() if group is not None)
    return " " if is_sound_description(content) else match.group(0)


def is_sound_description(content: str) -> bool:
    """True for the inside of ``[音乐]``, ``(掌声)``, ``[Music playing]``: a description of sound, not speech."""
    content = content.strip().lower()
    if not content:
        return False
    if _CJK_ONLY.fullmatch(content):
        return len(content) <= 8 and any(stem in content for stem in _SOUND_STEMS)
    words = [word for word in re.split(r"[\s,/&、]+", content) if word]
    return bool(words) and all(word in _SOUND_WORDS for word in words)
