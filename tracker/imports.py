"""The import's last step, shared by the page and the API: confirm a parsed upload as a document
with its tasks — new, or as the final text replacing a draft — and drop the upload."""

from dataclasses import dataclass

from django.db import transaction

from agencies.models import Agency
from measures.models import ImportDraft, PolicyDocument
from measures.services import import_draft_preview

from .drafts import Replacement, document_replace
from .services import document_import


@dataclass
class Confirmed:
    document: PolicyDocument
    created: bool
    replacement: Replacement | None = None


@transaction.atomic
def import_draft_confirm(
    *,
    draft: ImportDraft,
    user,
    coordinator: Agency,
    confirm_draft: bool = False,
    replaces: PolicyDocument | None = None,
) -> Confirmed:
    """Raises DocumentImportError or ValidationError with the reason; nothing is written then."""
    draft.coordinator = coordinator
    preview = import_draft_preview(draft=draft)
    if replaces is not None:
        replacement = document_replace(draft=replaces, preview=preview, user=user)
        result = Confirmed(replacement.document, True, replacement)
    else:
        document, created = document_import(preview=preview, imported_by=user, draft_confirmed=confirm_draft)
        result = Confirmed(document, created)
    draft.delete()
    return result
