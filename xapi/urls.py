from django.urls import path

from xapi.views import documents, statements

app_name = "xapi"

# The specification names the resources without trailing slashes.
urlpatterns = [
    path("statements", statements.statements, name="statements"),
    path("activities/state", documents.state, name="state"),
    path("activities/profile", documents.activity_profile, name="activity-profile"),
    path("activities", documents.activities, name="activities"),
    path("agents/profile", documents.agent_profile, name="agent-profile"),
    path("agents", documents.agents, name="agents"),
    path("about", documents.about, name="about"),
]
