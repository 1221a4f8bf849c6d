"""An old helper the demo's policy denies: the panel shows it as not allowed."""

__version__ = "0.9.0"


def shout(text: str) -> str:
    return text.upper() + "!"
