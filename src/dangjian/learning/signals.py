"""What the learning app tells the apps above it."""

from django.dispatch import Signal

# sent inside the writing transaction with `resource_ids` (list[int]) when resources' published
# state, title or transcript changed: the assistant keeps its 讲解 in step
resources_changed = Signal()
