"""Continuum settings, read from the environment.

Defaults run on a laptop with nothing installed: SQLite, Celery tasks inline, email to the
console. Production differs only by environment variables (see README).
"""

from __future__ import annotations

from pathlib import Path

import environ
from celery.schedules import crontab
from csp import constants as csp

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
# A development key is only acceptable while DEBUG is on; production must set its own.
SECRET_KEY = (
    env.str("SECRET_KEY", default="dev-only-insecure-key-continuum")
    if DEBUG
    else env.str("SECRET_KEY")
)
ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "accounts",
    "audit",
    "notifications",
    "frameworks",
    "programs",
    "portfolio",
    "cpd",
    "handovers",
    "groups",
    "caselog",
    "credentials",
    "equity",
    "assessments",
    "coaching",
    "learning",
    "home",
    "committee",
    "sso",
    "privacy",
    "demo",
    "xapi",
]
# SAML needs python3-saml, which needs xmlsec and lxml built on the same libxml2 (matching
# wheels from PyPI). Without them, SAML identity providers are unavailable and the admin says so.
SAML_AVAILABLE = True
try:
    import onelogin.saml2.auth  # noqa: F401
    import xmlsec  # noqa: F401
except ImportError:  # pragma: no cover - depends on the installation
    SAML_AVAILABLE = False
if SAML_AVAILABLE:
    INSTALLED_APPS.insert(
        INSTALLED_APPS.index("allauth.socialaccount") + 1, "allauth.socialaccount.providers.saml"
    )

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RefuseNulMiddleware",
    "core.replica.PrimaryAfterWriteMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "programs.middleware.ProgramRolesMiddleware",
    "programs.middleware.StaffMfaMiddleware",
    "sso.middleware.IdentityProviderFormAction",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        # Django's, freeing each page's context as soon as it is written (core/templates.py).
        "BACKEND": "core.templates.DjangoTemplates",
        "NAME": "django",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "programs.context_processors.navigation",
                "notifications.context_processors.unread",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Behind PgBouncer in transaction pooling (DATABASE_POOLER=pgbouncer) consecutive transactions
# of one Django connection may run on different server connections, so nothing may outlive a
# transaction: no server-side cursors (a cursor is held open across fetches) and no prepared
# statements (PgBouncer 1.18 does not track them).
DATABASE_POOLER: str = env.str("DATABASE_POOLER", default="")
if DATABASE_POOLER not in ("", "pgbouncer"):
    raise ValueError(f"DATABASE_POOLER={DATABASE_POOLER!r}: leave it unset or say pgbouncer.")
# A streaming read replica (docs/architecture.md, "Reading from a replica"): the committee's
# heatmap, reports and the institution overview read it; everything else reads the primary.
REPLICA_DATABASE_URL: str = env.str("REPLICA_DATABASE_URL", default="")
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = env.db_url("REPLICA_DATABASE_URL")
    DATABASES["replica"]["ATOMIC_REQUESTS"] = False
    # Tests run on one database: the replica alias is the test database itself.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
# After a person writes, their pages read the primary for this long (core.replica).
REPLICA_READ_YOUR_WRITES_SECONDS = env.int("REPLICA_READ_YOUR_WRITES_SECONDS", default=10)
for _database in DATABASES.values():
    if _database["ENGINE"] != "django.db.backends.postgresql":
        continue
    _database.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    _database["CONN_HEALTH_CHECKS"] = True
    _options = _database.setdefault("OPTIONS", {})
    if DATABASE_POOLER == "pgbouncer":
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True
        _options["prepare_threshold"] = None
    elif env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        # Parameters bound on the server let psycopg prepare the statements a connection runs
        # often (from the fifth run): PostgreSQL then skips planning them, which costs more
        # than running the small reads behind every page. Set DATABASE_PREPARED_STATEMENTS=False
        # behind a pooler that cannot keep prepared statements (or DATABASE_POOLER=pgbouncer).
        _options.setdefault("server_side_binding", True)
        _options.setdefault("prepare_threshold", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- Redis: broker, results, cache ----------------------------------------------------------
REDIS_URL: str = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCacheWithFallback",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="continuum"),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
# Without a broker, tasks run inline so the embedded default needs no worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
# Notifications: the outbox sweeper and daily digests (docs/notifications.md).
CELERY_BEAT_SCHEDULE["notifications-sweep"] = {
    "task": "notifications.notifications_sweep",
    "schedule": 60.0,
}
# Daily digests run every hour: each person's goes out on their own clock (their institution's
# time zone) at DIGEST_LOCAL_HOUR or the first run after it (notifications/zones.py). Each is
# claimed once per person and local day (a unique row), so later runs send nothing twice, and a
# run whose message was lost (the broker down) is made up by the next one.
DIGEST_LOCAL_HOUR = env.int("DIGEST_LOCAL_HOUR", default=6)
CELERY_BEAT_SCHEDULE["notifications-daily-digests"] = {
    "task": "notifications.daily_digests_send",
    "schedule": crontab(minute=30),
}
# Coaching: the coaches' weekly digests and reminders (docs/coaching.md).
CELERY_BEAT_SCHEDULE["coaching-coach-digests"] = {
    "task": "coaching.coach_digests_send",
    "schedule": crontab(hour="7-22", minute=0, day_of_week="mon,tue"),
}
CELERY_BEAT_SCHEDULE["coaching-reminders"] = {
    "task": "coaching.reminders_send",
    "schedule": crontab(hour=7, minute=15),
}
# Assessments: remind assessors of overdue observation requests (docs/assessments.md). Hourly
# in working hours; the first run of a day sends, later runs find the day already claimed.
CELERY_BEAT_SCHEDULE["assessments-observation-reminders"] = {
    "task": "assessments.observation_requests_remind",
    "schedule": crontab(minute=15, hour="7-17"),
}
# Programs: invitation emails whose task was lost are sent again (docs/programs.md).
CELERY_BEAT_SCHEDULE["programs-invitations-sweep"] = {
    "task": "programs.invitations_sweep",
    "schedule": 60.0,
}
# xAPI: statements about no learner leave after XAPI_UNCLAIMED_DAYS (docs/xapi.md).
CELERY_BEAT_SCHEDULE["xapi-prune-unclaimed"] = {
    "task": "xapi.statements_prune_unclaimed",
    "schedule": crontab(hour=3, minute=40),
}
# End-of-rotation evaluations: hourly, so each institution's midnight is caught within the
# hour wherever it is; the block's state makes every later run a no-op for it.
CELERY_BEAT_SCHEDULE["assessments-rotation-evaluations"] = {
    "task": "assessments.rotation_evaluations_send",
    "schedule": crontab(minute=5),
}
# Multi-source feedback: emailed links whose message was lost are sent again.
CELERY_BEAT_SCHEDULE["assessments-feedback-emails-sweep"] = {
    "task": "assessments.feedback_emails_sweep",
    "schedule": 120.0,
}
# Portfolio: exports and imports whose message was lost are sent again (docs/portfolio-export.md).
CELERY_BEAT_SCHEDULE["portfolio-transfers-sweep"] = {
    "task": "portfolio.transfers_sweep",
    "schedule": 60.0,
}
# Learning: evening-before clinic digest and FHIR pulls (docs/learning.md).
CELERY_BEAT_SCHEDULE["learning-visit-digests"] = {
    "task": "learning.visit_digests_send",
    "schedule": crontab(hour="18-22", minute=0),
}
CELERY_BEAT_SCHEDULE["learning-fhir-pull"] = {
    "task": "learning.fhir_sources_pull",
    "schedule": crontab(minute=20),
}
CELERY_BEAT_SCHEDULE["learning-fhir-pulls-sweep"] = {
    "task": "learning.fhir_pulls_sweep",
    "schedule": 60.0,
}
# Equity: each institution's equity view is fitted once a review period has closed
# (docs/equity.md); a day with no newly closed period queues nothing.
CELERY_BEAT_SCHEDULE["equity-closed-periods-fit"] = {
    "task": "equity.closed_periods_fit",
    "schedule": crontab(hour=2, minute=50),
}
# Privacy: the retention periods below, applied nightly (docs/privacy.md).
CELERY_BEAT_SCHEDULE["privacy-retention"] = {
    "task": "privacy.retention_enforce",
    "schedule": crontab(hour=3, minute=30),
}

# --- Retention (docs/privacy.md) ---------------------------------------------------------------
# An account nobody ever signed in to (made by a roster, a role or an unconfirmed sign-up) is
# erased this many days after a program last needed it.
RETENTION_NEVER_SIGNED_IN_DAYS = env.int("RETENTION_NEVER_SIGNED_IN_DAYS", default=180)
# Inbox rows (and digest records) are deleted this many days after they were written.
RETENTION_NOTIFICATION_DAYS = env.int("RETENTION_NOTIFICATION_DAYS", default=365)
# Invitations never accepted name people who may never sign up: deleted this long after they
# expired or were withdrawn.
RETENTION_INVITATION_DAYS = env.int("RETENTION_INVITATION_DAYS", default=90)
# The access log is the learner's own record and stays as long as their account (0); a
# deployment whose policy says otherwise sets a number of days.
RETENTION_ACCESS_LOG_DAYS = env.int("RETENTION_ACCESS_LOG_DAYS", default=0)

# --- Email ----------------------------------------------------------------------------------
EMAIL_URL: str = env.str("EMAIL_URL", default="consolemail://")
vars().update(env.email_url_config(EMAIL_URL))
# The public host credentials are issued under (did:web spells a port as %3A): an issuer is
# did:web:<host>:credentials:issuers:<institution slug> (docs/credentials.md).
CREDENTIALS_HOST = env.str("CREDENTIALS_HOST", default="localhost%3A8000")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Continuum <noreply@continuum.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# collectstatic writes a gzip and a Brotli copy of each file (Brotli: the `Brotli` package).
# Source maps are for developers' tools only: not worth the minute their compression takes.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [
    # Already compressed: WhiteNoise's own list.
    "jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br", "swf",
    "flv", "woff", "woff2", "3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4", "mpeg", "mpg",
    "webm", "wmv",
    "map",
]  # fmt: skip
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# Learner files are never served from a public URL; views stream them after a permission check.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "core.staticstorage.StaticFiles"
        if DEBUG
        else "core.staticstorage.CompressedManifestStaticFiles"
    },
}
# "Assess me now" (docs/assessments.md): how long a learner's QR code may be scanned, and how
# long the one-time sign-in link emailed to a faculty member works.
ASSESS_NOW_CODE_MINUTES = env.int("ASSESS_NOW_CODE_MINUTES", default=10)
ASSESS_NOW_LINK_MINUTES = env.int("ASSESS_NOW_LINK_MINUTES", default=15)
# Multi-source feedback: how long a one-time feedback link stays open.
FEEDBACK_LINK_DAYS = env.int("FEEDBACK_LINK_DAYS", default=21)

UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
FRAMEWORK_IMPORT_MAX_BYTES = env.int("FRAMEWORK_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_PREVENT_ENUMERATION = True
# Signing in is throttled by accounts.throttle per (account, address) with a high per-address
# ceiling (docs/security.md); allauth's per-address limits would lock a ward out together.
ACCOUNT_RATE_LIMITS = {
    "login": "",
    "login_failed": "",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    # Re-entering the password: allauth's own confirmation and the erase-account page and API.
    "reauthenticate": "10/m/user",
}
ACCOUNT_ADAPTER = "sso.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "sso.forms.LoginForm", "signup": "accounts.forms.SignupForm"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Continuum] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Continuum"
MFA_ADAPTER = "allauth.mfa.adapter.DefaultMFAAdapter"
# Single sign-on (docs/sso.md): identity providers are configured per institution in the admin
# (sso.IdentityProvider); allauth's SAML and OpenID Connect providers do the protocol work,
# with our subclasses adding replay, nonce and signature checks.
SOCIALACCOUNT_ADAPTER = "sso.adapters.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "saml": {"provider_class": "sso.saml.provider.InstitutionSAMLProvider"},
    "openid_connect": {
        "provider_class": "sso.oidc.provider.InstitutionOIDCProvider",
        "OAUTH_PKCE_ENABLED": True,
    },
}
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # joining by email is sso.services.sso_admit's rule
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
# Staff roles (directors, coordinators, admins) must use MFA; on by default in production.
ENFORCE_STAFF_MFA = env.bool("ENFORCE_STAFF_MFA", default=not DEBUG)

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "core.openapi.ApiSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "core.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.Cursor",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "6000/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Continuum API",
    "DESCRIPTION": (
        "A learner-owned competency portfolio. Every learner action in the UI is here too."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The contract is public so integrators can read it before they have an account.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `kind` choice field; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "RatingScaleKindEnum": "frameworks.models.RatingScale.Kind",
        "FrameworkKindEnum": "frameworks.models.Framework.Kind",
        "CompetencyLinkKindEnum": "frameworks.models.CompetencyLink.Kind",
        "LearnerReviewStatusEnum": "committee.models.LearnerReview.Status",
        "EvidenceKindEnum": "portfolio.models.Evidence.Kind",
        "GoalStatusEnum": "portfolio.models.Goal.Status",
        "ShareScopeEnum": "portfolio.models.Scope",
        "CoachingRelationshipStatusEnum": "coaching.models.CoachingRelationship.Status",
        "MeetingStatusEnum": "coaching.models.Meeting.Status",
        "ActionItemStatusEnum": "coaching.models.ActionItem.Status",
        "NotificationKindEnum": "notifications.models.Kind",
        "HandoverStatusEnum": "handovers.models.Handover.Status",
        "GroupRoleEnum": "groups.models.Membership.Role",
        "GroupMembershipStatusEnum": "groups.models.Membership.Status",
        "ProgramRoleEnum": "programs.models.ProgramRole.Role",
        "InvitationRoleEnum": "programs.models.Invitation.ROLE_CHOICES",
        "CaseLogRoleEnum": "caselog.models.CaseLogEntry.Role",
    },
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp; docs/security.md). Pages load scripts and styles only
# from our own static files; the nonce is there for an inline script that cannot be a file.
# Single sign-on adds its identity providers' origins to form-action through the environment.
CSP_FORM_ACTION_EXTRA: list[str] = env.list("CSP_FORM_ACTION_EXTRA", default=[])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        "img-src": [csp.SELF, "data:"],  # the two-factor set-up page's QR code
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF, *CSP_FORM_ACTION_EXTRA],
    }
}
SILENCED_SYSTEM_CHECKS: list[str] = []
if not IS_POSTGRES:
    # Covering indexes (INCLUDE columns) speed up PostgreSQL; SQLite builds them without the
    # extra columns, which is fine for the embedded default.
    SILENCED_SYSTEM_CHECKS.append("models.W040")

# xAPI: statements whose actor is an `account` on this home page (name: the learner's email)
# reach that learner, as do those whose `mbox` is one of the learner's verified emails.
XAPI_ACCOUNT_HOMEPAGE: str = env.str("XAPI_ACCOUNT_HOMEPAGE", default="http://127.0.0.1:8000")
# Statements about nobody who uses Continuum are deleted after this many days
# (`manage.py prune_unclaimed_statements`, daily with the worker).
XAPI_UNCLAIMED_DAYS: int = env.int("XAPI_UNCLAIMED_DAYS", default=365)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
