from .access import scope_for


def scope(request):
    """The user's access scope, for menus that depend on it."""
    return {"scope": scope_for(request.user)}
