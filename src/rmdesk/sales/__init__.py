"""SPEC §4 marketing and sales: products and suitability, segments, campaigns, tasks, opportunities,
referrals, cross-sell."""
