"""Admin for support staff. Meetings are changed through chibo's services only (audited,
versioned); here they can be read, and finalised minutes can never be changed or deleted."""

from django.contrib import admin

from chibo.core.admin import ReadOnlyAdmin

from .models import Meeting, MinutesTemplate, TemplateSection


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ["date", "unit", "kind", "status", "content_hash"]
    list_filter = ["status", "kind"]
    search_fields = ["unit__name", "unit__code"]
    list_select_related = ["unit"]


class TemplateSectionInline(admin.TabularInline):
    model = TemplateSection
    extra = 0


@admin.register(MinutesTemplate)
class MinutesTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "cell_type", "unit", "is_active"]
    list_filter = ["kind", "is_active"]
    inlines = [TemplateSectionInline]
