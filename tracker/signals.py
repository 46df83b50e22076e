"""What the tracker announces for others to act on. Imports run one way (tracker ← notifications):
the notifications app listens, the tracker does not know it exists."""

from django.dispatch import Signal

# A coordinator chased a round's non-filers (round, user, comment, at): sent inside the chase's
# transaction, so what listeners record commits with it.
round_chased = Signal()

# A leader instructed a whole document (instruction, task_ids): sent inside its transaction.
document_instructed = Signal()
