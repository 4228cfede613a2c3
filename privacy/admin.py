"""The admin's user list erases accounts the way a person erases their own; deleting a user
row (which would cascade away the records others need) is not offered."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin import UserAdmin as AccountsUserAdmin
from accounts.models import User
from privacy.services import ErasureRefusedError, account_erase

admin.site.unregister(User)


@admin.register(User)
class UserAdmin(AccountsUserAdmin):
    actions = ["erase_accounts"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Erase the selected accounts (records others need stay, anonymised)")
    def erase_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        erased = 0
        for user in queryset:
            try:
                account_erase(user=user)
            except ErasureRefusedError as error:
                self.message_user(
                    request, f"{user.email}: {' '.join(error.messages)}", messages.ERROR
                )
                continue
            erased += 1
        self.message_user(request, f"{erased} account(s) erased (docs/privacy.md).")
