"""The document generator (公文生成): templates, fields, rendering, PDF and the GB/T 9704 layout check."""
