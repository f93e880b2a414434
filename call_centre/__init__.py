"""The call centre: the operators' screen at /call-centre/ (docs/call-centre.md)."""
