"""How a message is laid out for a phone: cut into parts a channel accepts, and buttons as numbered
lines where people answer with a number (WhatsApp).

Pure functions of the text, the buttons and the interface sentences, so the WhatsApp sender and the
console's campaign preview show the same thing and cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answers.texts import Texts

WHATSAPP_TEXT_LIMIT = 1600  # Twilio refuses longer WhatsApp bodies (error 21617)


def split_text(text: str, limit: int) -> list[str]:
    """Cut a text the channel would refuse into parts of at most `limit` characters.

    Cuts at a paragraph, else a line, else a space, so sentences and phone numbers stay whole.
    """
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator)
            if cut >= limit // 2:
                break
        else:
            cut = limit  # no good place: a hard cut beats many tiny parts
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return parts


def numbered_text(text: str, buttons: Sequence[tuple[str, str]], texts: Texts, lang: str) -> list[str]:
    """The WhatsApp messages for a text and its buttons: the text, then the buttons as a numbered
    list the person answers with a number, in parts of at most WHATSAPP_TEXT_LIMIT characters."""
    parts = split_text(numbered_wording(text, buttons, texts, lang), WHATSAPP_TEXT_LIMIT)
    if not buttons:
        return parts
    lines = [texts.get("whatsapp_reply_with_number", lang)]
    lines += [f"{n}. {label}" for n, (label, _payload) in enumerate(buttons, start=1)]
    choices = "\n".join(lines)
    if len(parts[-1]) + len(choices) + 2 <= WHATSAPP_TEXT_LIMIT:
        parts[-1] = f"{parts[-1]}\n\n{choices}"
    else:
        parts.append(choices)
    return parts


def numbered_wording(text: str, buttons: Sequence[tuple[str, str]], texts: Texts, lang: str) -> str:
    """'pilih "Lewati"' naming a choice listed below becomes 'ketik 3 ("Lewati")': here people type numbers.

    The sentences (content/ui.yml) say "pilih" (choose), true on every channel; what choosing means
    where the buttons are numbered lines is decided here, once.
    """
    verb = re.escape(texts.get("whatsapp_choose", lang))
    for number, (label, _payload) in enumerate(buttons, start=1):
        typed = texts.get("whatsapp_type_number", lang, number=number)
        pattern = re.compile(rf'(?i)\b{verb}\s+"{re.escape(label)}"')
        text = pattern.sub(lambda m, typed=typed, label=label: _same_case(m.group(0), f'{typed} ("{label}")'), text)
    return text


def _same_case(original: str, replacement: str) -> str:
    """Keep a sentence's capital: 'Pilih "X"' becomes 'Ketik 1 ("X")'."""
    return replacement[:1].upper() + replacement[1:] if original[:1].isupper() else replacement
