"""SPEC §10 people development: DISC job fit, training, meetings, inspections, career plans."""
