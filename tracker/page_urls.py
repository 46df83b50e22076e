"""The server-rendered pages, under the "pages" namespace; included from tracker/urls.py at ""."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from .views import (
    audit,
    board,
    bulletin_templates,
    dashboard,
    directory,
    documents,
    filters,
    home,
    imports,
    ledger_uploads,
    notices,
    ranking,
    tasks,
)

app_name = "pages"

urlpatterns = [
    path("", home.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html",
            redirect_authenticated_user=True,
            next_page=reverse_lazy("pages:home"),
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page=reverse_lazy("pages:login")), name="logout"),
    # Accounts: Django's views with our templates (accounts/, not registration/, whose names the
    # admin's own templates take first). The reset mail goes through the normal email backend.
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html", success_url=reverse_lazy("pages:password-change-done")
        ),
        name="password-change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password-change-done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
            success_url=reverse_lazy("pages:password-reset-done"),
        ),
        name="password-reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password-reset-done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("pages:password-reset-complete"),
        ),
        name="password-reset-confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password-reset-complete",
    ),
    # Staff
    path("tasks/", tasks.my_tasks_page, name="my-tasks"),
    path("tasks/new/", tasks.task_new, name="task-new"),
    path("tasks/ledger.xlsx", ledger_uploads.my_ledger, name="my-ledger"),
    path("ledger/upload/", ledger_uploads.upload, name="ledger-upload"),
    path("ledger/upload/<int:pk>/", ledger_uploads.preview, name="ledger-upload-preview"),
    path("ledger/upload/<int:pk>/confirm/", ledger_uploads.confirm, name="ledger-upload-confirm"),
    path("filters/", filters.filter_save, name="filter-save"),
    path("filters/<int:pk>/", filters.filter_open, name="filter-open"),
    path("filters/<int:pk>/delete/", filters.filter_delete, name="filter-delete"),
    path("tasks/<int:pk>/", tasks.task_page, name="task"),
    path("tasks/<int:pk>/report/", tasks.task_report, name="task-report"),
    path("tasks/<int:pk>/receive/", tasks.task_receive, name="task-receive"),
    path("tasks/<int:pk>/instruct/", tasks.task_instruct, name="task-instruct"),
    path("tasks/<int:pk>/reports/<int:report_pk>/return/", tasks.report_return, name="report-return"),
    path("tasks/<int:pk>/comment/", tasks.task_comment, name="task-comment"),
    path("tasks/<int:pk>/nudge/", tasks.task_nudge, name="task-nudge"),
    path("tasks/<int:pk>/due-date/", tasks.task_due_date, name="task-due-date"),
    path("tasks/<int:pk>/assignments/", tasks.task_reassign, name="task-reassign"),
    path("attachments/<int:pk>/", tasks.attachment_download, name="attachment"),
    path("tasks/<int:pk>/do/<slug:action>/", tasks.task_transition, name="task-transition"),
    path("documents/<int:pk>/", documents.document_page, name="document"),
    path("documents/<int:pk>/gold.json", documents.document_gold_download, name="document-gold"),
    path("documents/<int:pk>/working-days/", documents.document_working_days, name="document-working-days"),
    path("documents/<int:pk>/cadence/", documents.document_cadence, name="document-cadence"),
    path("documents/<int:pk>/supervision/", documents.document_supervision, name="document-supervision"),
    path("documents/<int:pk>/tasks/new/", documents.document_hand_task, name="document-hand-task"),
    path("documents/<int:pk>/instruct/", documents.document_instruct, name="document-instruct"),
    path("documents/<int:pk>/bulk/", documents.document_bulk, name="document-bulk"),
    path("documents/<int:pk>/bulletin/", documents.document_period_bulletin, name="document-bulletin"),
    path(
        "documents/<int:pk>/bulletin.<str:extension>",
        documents.document_period_bulletin_file,
        name="document-bulletin-file",
    ),
    # Coordinators
    path("board/", board.board, name="board"),
    path("board/agencies/<int:pk>/nudge/", board.agency_nudge, name="board-agency-nudge"),
    path("rounds/", board.rounds, name="rounds"),
    path("rounds/<int:pk>/", board.round_page, name="round"),
    path("rounds/<int:pk>/close/", board.round_close, name="round-close"),
    path("rounds/<int:pk>/chase/", board.round_chase, name="round-chase"),
    path("rounds/<int:pk>/bulletin/", board.bulletin, name="bulletin"),
    path("rounds/<int:pk>/bulletin.xlsx", board.bulletin_xlsx, name="bulletin-xlsx"),
    path("rounds/<int:pk>/bulletin.docx", board.bulletin_docx_download, name="bulletin-docx"),
    path("bulletin-template/", bulletin_templates.template_page, name="bulletin-template"),
    path("bulletin-template/template.docx", bulletin_templates.template_download, name="bulletin-template-download"),
    path("bulletin-template/remove/", bulletin_templates.template_remove, name="bulletin-template-remove"),
    path("notices/", notices.notices, name="notices"),
    path("notices/<int:pk>/", notices.notice_page, name="notice"),
    path("notices/ladder/", notices.ladder_page, name="ladder"),
    path("import/", imports.import_upload, name="import"),
    path("import/<int:pk>/", imports.import_preview, name="import-preview"),
    path("import/<int:pk>/map/", imports.import_map, name="import-map"),
    path("import/<int:pk>/confirm/", imports.import_confirm, name="import-confirm"),
    path("import/<int:pk>/measures/<int:order>/", imports.import_correct, name="import-correct"),
    path("import/<int:pk>/gold.json", imports.import_gold, name="import-gold"),
    # Leaders and coordinators
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/ledger.xlsx", dashboard.ledger_export, name="ledger"),
    path("dashboard/ledger.csv", dashboard.ledger_csv, name="ledger-csv"),
    path("ranking/", ranking.ranking_page, name="ranking"),
    path("ranking/ranking.xlsx", ranking.ranking_xlsx, name="ranking-xlsx"),
    path("ranking/refresh/", ranking.ranking_refresh, name="ranking-refresh"),
    path("ranking/agencies/<int:pk>/", ranking.agency_history_page, name="ranking-agency"),
    # Superusers
    path("audit/", audit.audit, name="audit"),
    # Directory
    path("agencies/", directory.directory, name="agencies"),
    path("agencies/<int:pk>/aliases/", directory.alias_create, name="alias-create"),
    path("agencies/<int:pk>/duties/", directory.duties_set, name="agency-duties"),
    path("agencies/unknown/", directory.unknown_queue, name="unknown-names"),
    path("agencies/unknown/<int:jurisdiction>/map/", directory.unknown_map, name="unknown-map"),
    path("agencies/unknown/<int:jurisdiction>/dismiss/", directory.unknown_dismiss, name="unknown-dismiss"),
]
