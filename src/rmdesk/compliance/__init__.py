"""SPEC §8 compliance and conduct: pledges, conduct rules and violations, gifts, special service, access audit."""
