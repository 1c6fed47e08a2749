from django.utils.functional import SimpleLazyObject

from .selectors import unread_count


def unread(request):
    """The count on the menu's bell, read only when a page shows the menu."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
