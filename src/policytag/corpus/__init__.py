"""Tagging whole corpora: the plan, the local and Ray engines, the writers of tag files and folders,
and the tag file's schema."""
