from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def pct(value) -> str:
    """85.25 → "85,3%" (in Vietnamese); no figure → "—"."""
    return "—" if value is None else f"{floatformat(value, 1)}%"


@register.filter
def figure(value) -> str:
    return "—" if value is None else floatformat(value, 1)
