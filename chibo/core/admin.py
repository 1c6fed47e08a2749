from django.contrib import admin

from .models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records changed only through chibo's services, or never changed at all."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: audit entries are never changed or deleted."""

    list_display = ["at", "actor", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "note"]
