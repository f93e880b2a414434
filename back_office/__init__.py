"""The back office: the managers' screen at /admin/."""
