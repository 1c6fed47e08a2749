from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Grant, User


class GrantInline(admin.TabularInline):
    model = Grant
    fk_name = "user"
    extra = 0
    raw_id_fields = ["unit", "created_by"]


@admin.register(User)
class ChiboUserAdmin(UserAdmin):
    inlines = [GrantInline]
    raw_id_fields = ["member"]
    fieldsets = UserAdmin.fieldsets + ((None, {"fields": ["member"]}),)
