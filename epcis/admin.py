from django.contrib import admin

from epcis.models import ApiKey, PartnerPolicy


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at"]
    readonly_fields = ["user", "key_hash", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PartnerPolicy)
class PartnerPolicyAdmin(admin.ModelAdmin):
    list_display = ["user", "identifier_defects", "updated_at"]
    list_filter = ["identifier_defects"]
    search_fields = ["user__username"]
    readonly_fields = ["updated_at"]
