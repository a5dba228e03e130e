"""Shared probes behind the checks, offered to them as services through `perspt_doctor.api`."""
