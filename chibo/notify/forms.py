from django import forms

from . import channels as channel_registry
from .models import Kind


class ChoicesForm(forms.Form):
    """One box per (kind, outside channel) that the channel carries."""

    def __init__(self, *args, current: dict[tuple[str, str], bool], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        configured = channel_registry.configured()
        self.channels = configured
        for kind, label in Kind.choices:
            cells = []
            for channel in configured:
                if (kind, channel.name) not in current:
                    cells.append(None)
                    continue
                name = f"{kind}__{channel.name}"
                self.fields[name] = forms.BooleanField(required=False, initial=current[(kind, channel.name)],
                                                       label=f"{label} — {channel.label}")  # fmt: skip
                cells.append(name)
            if any(cells):
                self.rows.append((label, [self[n] if n else None for n in cells]))

    def enabled(self) -> set[tuple[str, str]]:
        return {tuple(name.split("__", 1)) for name, on in self.cleaned_data.items() if on}
