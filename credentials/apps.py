from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "credentials"
    verbose_name = "Credentials"

    def ready(self) -> None:
        from committee.achievements import REVIEW_SIGN_OFF_HOOKS
        from committee.entrustment import SIGN_OFF_HOOKS
        from credentials.archive import register
        from credentials.services import credential_issue_for_decision, credentials_for_review

        # Issued credentials travel in the portable archive (portfolio's exporter).
        register()

        # A signed-off entrustment decision earns its credential in the same transaction.
        SIGN_OFF_HOOKS.append(lambda decision: credential_issue_for_decision(decision=decision))
        # A signed-off (or amended) review earns a credential for each graduation-level
        # milestone achievement it reaches (committee.achievements).
        REVIEW_SIGN_OFF_HOOKS.append(lambda review: credentials_for_review(review=review))
