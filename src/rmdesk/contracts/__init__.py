"""SPEC §7 contracts: templates, drafting, approval, signing, custody, borrowing, receivables."""
