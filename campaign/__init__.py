"""督查专项行动 — the supervision campaign: clue ledger (问题线索台账), 督办 cases and 整改 items to
销号, kept in the archive's registry database (DESIGN §14). Depends on ``archive`` only."""
