"""Session records: written by the rapporteur, approved by the chair or an organiser."""
