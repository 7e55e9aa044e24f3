"""移交 — export a selection of the archive as a BagIt transfer package, verify one (DA/T 70
四性检测), and import one into another archive (DESIGN §9)."""
