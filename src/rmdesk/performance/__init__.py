"""SPEC §9 performance assessment: indicators, target letters, AHP scorecards, runs, grades, incentives."""
